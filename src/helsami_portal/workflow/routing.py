"""Applying the routing table to what a patient chose: a service, a topic, or a named person.

The table itself (data, validation) is `helsami_portal.routing`; the portal loads it at start
(`load_for` + `install`) and `resolve` picks the inbox of a new thread:

- `practitioner`: a direct message, allowed only through a service configured for direct
  messages that names this person; it goes to their direct inbox, or to the service's shared
  inbox while they are away;
- `topic`: the inbox the table maps the topic to;
- `service`: one of the services patients may address (`patient_services`: those the table
  lists, or without a table the intake inboxes and the clinical ones that back up no shared inbox), to the
  inbox the table maps it to; any other service is refused (422).
"""

from __future__ import annotations

import json
import logging
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import routing as table_mod
from ..fhir.outcome import FhirError
from ..fhir.registry import ref_id
from ..routing import RoutingTable
from ..store import directory
from ..store.store import Store, Tx

log = logging.getLogger("helsami_portal.routing")
Resource = dict[str, Any]
_tables: weakref.WeakKeyDictionary[Store, RoutingTable] = weakref.WeakKeyDictionary()
_lock = threading.Lock()
MAX_SERVICES = 2000


def _directory(store: Store) -> tuple[dict[str, str], set[str]]:
    with store.read() as tx:
        inboxes = {}
        for content in directory.services(tx):
            svc = json.loads(content)
            inboxes[str(svc["id"])] = ref_id(svc.get("providedBy"), "Organization")
        pracs = directory.practitioner_ids(tx)
    return inboxes, pracs


def load_for(store: Store, path: str | Path | None = None) -> RoutingTable:
    """The routing table checked against this database's inboxes and staff.

    A table named explicitly must be valid (RoutingError otherwise). The built-in default table
    describes the synthetic organisations; on a database that holds none of its inboxes it is
    not used (only `service` routing applies), and on one that holds them it must be valid.
    """
    data, source = table_mod.read_file(path)
    inboxes, pracs = _directory(store)
    if table_mod.is_default(path):
        named = {t.get("inbox") for o in (data.get("organizations") or []) for t in (o.get("topics") or [])}
        if not named & set(inboxes):
            log.info("routing: the default table does not match this database's inboxes; not used")
            return RoutingTable(source=f"{source} (not used: no matching inboxes)")
    return table_mod.build(data, source=source, inboxes=inboxes, practitioners=pracs)


def install(store: Store, table: RoutingTable) -> RoutingTable:
    with _lock:
        _tables[store] = table
    return table


def table_for(store: Store) -> RoutingTable:
    with _lock:
        table = _tables.get(store)
    if table is None:
        try:
            table = load_for(store)
        except table_mod.RoutingError as e:
            log.error("routing: %s", e)
            table = RoutingTable(source="(none: the default table is not valid here)")
        install(store, table)
    return table


@dataclass(frozen=True)
class Choice:
    service: str = ""
    topic: str = ""
    practitioner: str = ""


def _opt(body: dict[str, Any], key: str, prefix: str = "") -> str:
    v = body.get(key)
    if v is None or v == "":
        return ""
    if not isinstance(v, str) or len(v) > 200:
        raise FhirError(
            400, f"'{key}' must be a short text.", expression=key, reason="parameter-not-text", args={"name": key}
        )
    return v.strip().removeprefix(prefix)


def choice_from(body: dict[str, Any]) -> Choice:
    ch = Choice(
        _opt(body, "service", "HealthcareService/"), _opt(body, "topic"), _opt(body, "practitioner", "Practitioner/")
    )
    if not (ch.service or ch.topic or ch.practitioner):
        raise FhirError(
            400,
            "Choose where to send the message: a service, a topic, or (where allowed) a named staff member.",
            expression="service",
            reason="target-required",
            args={"name": "service"},
        )
    if ch.topic and (ch.service or ch.practitioner):
        raise FhirError(422, "Choose a topic, or a service, not both.", expression="topic", reason="topic-or-service")
    return ch


def resolve(tx: Tx, ch: Choice) -> Resource:
    """The inbox (HealthcareService) a new thread goes to; 422 in plain words if none."""
    table = table_for(tx.store)
    if ch.practitioner:
        inbox = _direct(tx, table, ch)
    elif ch.topic:
        route = table.topics.get(ch.topic)
        if route is None:
            raise FhirError(
                422,
                "There is no such topic to write about; choose one of the topics offered.",
                expression="topic",
                reason="target-not-found",
                args={"name": "topic"},
            )
        inbox = route.inbox
    else:
        return addressable(tx, ch.service)  # only services that take patient messages
    svc = tx.get("HealthcareService", inbox)
    if svc is None or svc.get("active") is False:
        raise FhirError(422, "That service does not take messages.", expression="service", reason="service-no-messages")
    return svc


def _direct(tx: Tx, table: RoutingTable, ch: Choice) -> str:
    from .absence import absence_of

    routes = table.direct_services(ch.practitioner)
    if ch.service:
        routes = [r for r in routes if r.service == ch.service]
    if not routes:
        where = "through that service" if ch.service else "here"
        raise FhirError(
            422,
            f"Messages cannot be sent directly to this staff member {where}. Write to the "
            "service instead, and the right person will get it.",
            expression="practitioner",
            reason="direct-messages-not-allowed",
        )
    route = routes[0]
    prac = tx.get("Practitioner", ch.practitioner)
    if prac is None or prac.get("active") is False:
        raise FhirError(
            422,
            "This staff member does not take messages now; write to the service instead.",
            expression="practitioner",
            reason="practitioner-no-messages",
        )
    if absence_of(prac)[0]:
        return route.inbox  # away: the service's shared inbox takes it (the patient is not told)
    return route.staff[ch.practitioner]


# -- what a patient may address -------------------------------------------------------------------


def _prescriber_inboxes(tx: Tx) -> set[str]:
    """Inboxes in which an active physician (a prescriber) works."""
    out: set[str] = set()
    for content in directory.roles_with_code(tx, "physician"):
        role = json.loads(content)
        if role.get("active") is False:
            continue
        out.update(ref_id(s, "HealthcareService") for s in role.get("healthcareService") or [])
    return out


def patient_services(tx: Tx) -> list[dict[str, Any]]:
    """The services a patient may address, each {"service", "inbox", "renewals"}: `service` the
    HealthcareService the patient chooses, `inbox` the one it routes to, `renewals` whether it
    handles prescription renewals (its inbox is not an intake inbox and a prescriber works there).

    With a routing table that lists services, exactly those. Without one: the active intake inboxes
    and the clinical inboxes that back up no shared inbox (never direct or reserve inboxes).
    """
    from ..fhir import conventions as c
    from ..fhir.registry import first_code

    table = table_for(tx.store)
    services = {str(s["id"]): s for s in tx.search("HealthcareService", [], count=MAX_SERVICES).rows}
    if table.services:
        chosen = [(sid, route.inbox) for sid, route in table.services.items()]
    else:
        kind = {sid: first_code(s.get("type"), c.INBOX_KIND) for sid, s in services.items()}
        # Reserve inboxes: the back-ups of shared inboxes (a direct inbox's back-up is the shared one).
        backups = {
            ref_id(e.get("valueReference"), "HealthcareService")
            for sid, s in services.items()
            if kind[sid] != "direct"
            for e in s.get("extension") or []
            if isinstance(e, dict) and e.get("url") == c.EXT_BACKUP_INBOX
        }
        chosen = [
            (sid, sid)
            for sid in sorted(services)
            if kind[sid] == "intake" or (kind[sid] == "clinical" and sid not in backups)
        ]
    prescribers = _prescriber_inboxes(tx)
    out = []
    for sid, inbox in chosen:
        svc, target = services.get(sid), services.get(inbox)
        if svc is None or target is None or svc.get("active") is False or target.get("active") is False:
            continue
        renewals = first_code(target.get("type"), c.INBOX_KIND) != "intake" and inbox in prescribers
        out.append({"service": svc, "inbox": target, "renewals": renewals})
    return out


def addressable(tx: Tx, service_id: str, *, renewal: bool = False) -> Resource:
    """The inbox a patient's choice of service leads to; 422 if the service does not take patient
    messages (or, for a renewal, does not handle renewals)."""
    for entry in patient_services(tx):
        if entry["service"]["id"] == service_id and (entry["renewals"] or not renewal):
            return dict(entry["inbox"])
    if renewal:
        raise FhirError(
            422,
            "That service does not handle prescription renewals; choose one that does "
            "(GET /patient/services, renewals: true).",
            expression="service",
            reason="service-not-for-renewals",
            args={"service": service_id[:64]},
        )
    raise FhirError(
        422,
        "That service does not take messages from patients; choose one of GET /patient/services.",
        expression="service",
        reason="service-not-addressable",
        args={"service": service_id[:64]},
    )


def _words(text: str) -> list[str]:
    import re

    return re.findall(r"\w+", text.lower())


def suggest(store: Store, p: Any, task_id: str) -> dict[str, Any]:
    """The inboxes the routing table suggests for routing an item by hand, best first.

    A topic is suggested when a word of the item's subject starts with one of its keywords; topics
    of the organisation that owns the item's inbox come before others, then by how many words
    matched. The item's own inbox is never suggested. A read of the item: access-checked and logged.
    Returns a Parameters resource, one `suggestion` part per inbox (target, topic, matched word).
    """
    from . import access

    table = table_for(store)
    with store.write() as tx:
        t = tx.require("Task", task_id)
        access.require_task_access(tx, p, t)
        patient = ref_id(t.get("for"), "Patient")
        access.audit(tx, p, patient, f"inbox item Task/{task_id}", "inbox item in own pool")
        pool = access.task_pool(t)
        svc = tx.get("HealthcareService", pool) if pool else None
        org = ref_id((svc or {}).get("providedBy"), "Organization")
        words = _words(str(t.get("description") or ""))
        scored: list[tuple[int, int, str, str, str]] = []
        for route in table.topics.values():
            hits = [w for w in words if any(w.startswith(k) for k in route.keywords)]
            if hits and route.inbox != pool:
                scored.append((0 if route.organization == org else 1, -len(hits), route.inbox, route.topic, hits[0]))
        scored.sort()
        parts: list[dict[str, Any]] = []
        seen: set[str] = set()
        for _, _, inbox, topic, word in scored:
            if inbox in seen:
                continue
            target = tx.get("HealthcareService", inbox)
            if target is None or target.get("active") is False:
                continue
            seen.add(inbox)
            parts.append(
                {
                    "name": "suggestion",
                    "part": [
                        {
                            "name": "target",
                            "valueReference": {
                                "reference": f"HealthcareService/{inbox}",
                                "display": str(target.get("name") or ""),
                            },
                        },
                        {"name": "topic", "valueString": topic},
                        {"name": "matched", "valueString": word},
                    ],
                }
            )
    return {"resourceType": "Parameters", "parameter": parts}
