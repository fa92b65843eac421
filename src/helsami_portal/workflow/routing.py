"""Applying the routing table to what a patient chose: a service, a topic, or a named person.

The table itself (data, validation) is `helsami_portal.routing`; the portal loads it at start
(`load_for` + `install`) and `resolve` picks the inbox of a new thread:

- `practitioner`: a direct message, allowed only through a service configured for direct
  messages that names this person; it goes to their direct inbox, or to the service's shared
  inbox while they are away;
- `topic`: the inbox the table maps the topic to;
- `service`: the inbox the table maps the service to, or the service itself if the table does
  not list it.
"""

from __future__ import annotations

import json
import logging
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from .. import routing as table_mod
from ..fhir.outcome import FhirError
from ..fhir.registry import ref_id
from ..routing import RoutingTable
from ..store.schema import resource
from ..store.store import Store, Tx

log = logging.getLogger("helsami_portal.routing")
Resource = dict[str, Any]
_tables: weakref.WeakKeyDictionary[Store, RoutingTable] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _directory(store: Store) -> tuple[dict[str, str], set[str]]:
    with store.read() as tx:
        inboxes = {}
        for (content,) in tx.conn.execute(sa.select(resource.c.content).where(resource.c.rtype == "HealthcareService")):
            svc = json.loads(content)
            inboxes[str(svc["id"])] = ref_id(svc.get("providedBy"), "Organization")
        pracs = {r[0] for r in tx.conn.execute(sa.select(resource.c.id).where(resource.c.rtype == "Practitioner"))}
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
        raise FhirError(400, f"'{key}' must be a short text.", expression=key)
    return v.strip().removeprefix(prefix)


def choice_from(body: dict[str, Any]) -> Choice:
    ch = Choice(_opt(body, "service", "HealthcareService/"), _opt(body, "topic"),
                _opt(body, "practitioner", "Practitioner/"))
    if not (ch.service or ch.topic or ch.practitioner):
        raise FhirError(400, "Choose where to send the message: a service, a topic, or (where allowed) "
                             "a named staff member.", expression="service")
    if ch.topic and (ch.service or ch.practitioner):
        raise FhirError(422, "Choose a topic, or a service, not both.", expression="topic")
    return ch


def resolve(tx: Tx, ch: Choice) -> Resource:
    """The inbox (HealthcareService) a new thread goes to; 422 in plain words if none."""
    table = table_for(tx.store)
    if ch.practitioner:
        inbox = _direct(tx, table, ch)
    elif ch.topic:
        route = table.topics.get(ch.topic)
        if route is None:
            raise FhirError(422, "There is no such topic to write about; choose one of the topics offered.",
                            expression="topic")
        inbox = route.inbox
    else:
        srv = table.services.get(ch.service)
        inbox = srv.inbox if srv is not None else ch.service
    svc = tx.get("HealthcareService", inbox)
    if svc is None or svc.get("active") is False:
        raise FhirError(422, "That service does not take messages.", expression="service")
    return svc


def _direct(tx: Tx, table: RoutingTable, ch: Choice) -> str:
    from .absence import absence_of

    routes = table.direct_services(ch.practitioner)
    if ch.service:
        routes = [r for r in routes if r.service == ch.service]
    if not routes:
        where = "through that service" if ch.service else "here"
        raise FhirError(422, f"Messages cannot be sent directly to this staff member {where}. Write to the "
                             "service instead, and the right person will get it.", expression="practitioner")
    route = routes[0]
    prac = tx.get("Practitioner", ch.practitioner)
    if prac is None or prac.get("active") is False:
        raise FhirError(422, "This staff member does not take messages now; write to the service instead.",
                        expression="practitioner")
    if absence_of(prac)[0]:
        return route.inbox  # away: the service's shared inbox takes it (the patient is not told)
    return route.staff[ch.practitioner]
