"""Routing tables: where a patient's message goes, kept as data.

Per organisation, a table maps the topics and services a patient may choose to an inbox (a
HealthcareService id), and says for which services a patient may write directly to a named
staff member (and which inbox holds that person's direct messages). The portal loads the table
at start (`default.json` here, or the file named by `--routing` / `HELSAMI_ROUTING`) and refuses
to start with a bad one, naming every problem in plain words.

Format (JSON)::

    {"organizations": [
      {"organization": "<Organization id>",
       "topics":   [{"topic": "<code>", "label": "<text>", "inbox": "<HealthcareService id>",
                     "keywords": ["<word start>", ...]}],
       "services": [{"service": "<HealthcareService id>", "inbox": "<id, default: the service>",
                     "direct": false,
                     "staff": [{"practitioner": "<Practitioner id>", "inbox": "<their direct inbox>"}]}]}]}

A topic's optional `keywords` are word starts (case-insensitive) that suggest its inbox to staff who
route an item by hand (the switchboard): an item whose subject has a word starting with one of
them gets that inbox suggested first.

This module is pure data handling; `workflow.routing` applies a table to a request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path(__file__).with_name("default.json")

_TOP_KEYS = {"about", "organizations"}
_ORG_KEYS = {"organization", "topics", "services", "about"}
_TOPIC_KEYS = {"topic", "label", "inbox", "keywords"}
_SERVICE_KEYS = {"service", "inbox", "direct", "staff", "label"}
_STAFF_KEYS = {"practitioner", "inbox"}


class RoutingError(ValueError):
    """A routing table that cannot be used; `problems` lists every reason."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"The routing table {source} cannot be used:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class TopicRoute:
    topic: str
    label: str
    organization: str
    inbox: str
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServiceRoute:
    service: str
    organization: str
    inbox: str
    direct: bool
    staff: Mapping[str, str]  # practitioner id -> the inbox of their direct messages


@dataclass(frozen=True)
class RoutingTable:
    topics: Mapping[str, TopicRoute] = field(default_factory=dict)
    services: Mapping[str, ServiceRoute] = field(default_factory=dict)
    source: str = "(empty)"

    def direct_services(self, practitioner: str) -> list[ServiceRoute]:
        """The services through which a patient may write directly to this staff member."""
        return [s for s in self.services.values() if s.direct and practitioner in s.staff]


def read_file(path: str | Path | None = None) -> tuple[Any, str]:
    """The raw table and a name for it in messages. Unreadable JSON is a RoutingError."""
    p = Path(path) if path else DEFAULT_PATH
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise RoutingError(str(p), [f"the file cannot be read ({e.strerror or type(e).__name__})"]) from None
    try:
        return json.loads(text), str(p)
    except json.JSONDecodeError as e:
        raise RoutingError(str(p), [f"it is not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})"]) from None


def _text(v: Any) -> bool:
    return isinstance(v, str) and bool(v.strip())


def validate(data: Any, inboxes: Mapping[str, str] | None = None, practitioners: set[str] | None = None) -> list[str]:
    """Every problem of a routing table, in plain words; [] if it is good.

    `inboxes` maps the HealthcareService ids that exist to their organisation id, and
    `practitioners` is the set of Practitioner ids that exist; without them only the table's
    own consistency is checked.
    """
    problems: list[str] = []
    if not isinstance(data, dict):
        return ["the table must be a JSON object with a list of organizations"]
    for k in sorted(set(data) - _TOP_KEYS):
        problems.append(f"unknown key {k!r} at the top (expected: organizations)")
    orgs = data.get("organizations")
    if not isinstance(orgs, list):
        return problems + ["'organizations' must be a list"]
    seen_orgs: set[str] = set()
    seen_topics: dict[str, str] = {}
    seen_services: dict[str, str] = {}

    def check_inbox(where: str, inbox: Any, org: str) -> None:
        if not _text(inbox):
            problems.append(f"{where}: no inbox given")
            return
        if inboxes is None:
            return
        if inbox not in inboxes:
            problems.append(f"{where}: inbox {inbox!r} does not exist")
        elif inboxes[inbox] and inboxes[inbox] != org:
            problems.append(f"{where}: inbox {inbox!r} belongs to another organisation ({inboxes[inbox]})")

    for i, o in enumerate(orgs, start=1):
        if not isinstance(o, dict) or not _text(o.get("organization")):
            problems.append(f"organisation #{i}: must be an object with an 'organization' id")
            continue
        org = str(o["organization"])
        where_org = f"organisation {org}"
        if org in seen_orgs:
            problems.append(f"{where_org}: listed twice")
        seen_orgs.add(org)
        for k in sorted(set(o) - _ORG_KEYS):
            problems.append(f"{where_org}: unknown key {k!r} (expected: topics, services)")
        topics = o.get("topics", [])
        if not isinstance(topics, list):
            problems.append(f"{where_org}: 'topics' must be a list")
            topics = []
        for t in topics:
            if not isinstance(t, dict) or not _text(t.get("topic")):
                problems.append(f"{where_org}: every topic needs a 'topic' code")
                continue
            code = str(t["topic"])
            where = f"{where_org}, topic {code!r}"
            for k in sorted(set(t) - _TOPIC_KEYS):
                problems.append(f"{where}: unknown key {k!r} (expected: topic, label, inbox, keywords)")
            kws = t.get("keywords", [])
            if not isinstance(kws, list) or not all(_text(w) and len(w) <= 60 for w in kws) or len(kws) > 100:
                problems.append(f"{where}: 'keywords' must be a list of at most 100 short words")
            if code in seen_topics:
                problems.append(
                    f"{where}: the topic is listed twice (also in {seen_topics[code]}); "
                    "each topic must lead to one inbox"
                )
            seen_topics.setdefault(code, where_org)
            if "label" in t and not _text(t["label"]):
                problems.append(f"{where}: the label is empty")
            check_inbox(where, t.get("inbox"), org)
        services = o.get("services", [])
        if not isinstance(services, list):
            problems.append(f"{where_org}: 'services' must be a list")
            services = []
        for s in services:
            if not isinstance(s, dict) or not _text(s.get("service")):
                problems.append(f"{where_org}: every service needs a 'service' (HealthcareService id)")
                continue
            sid = str(s["service"])
            where = f"{where_org}, service {sid!r}"
            for k in sorted(set(s) - _SERVICE_KEYS):
                problems.append(f"{where}: unknown key {k!r} (expected: service, inbox, direct, staff)")
            if sid in seen_services:
                problems.append(f"{where}: the service is listed twice (also in {seen_services[sid]})")
            seen_services.setdefault(sid, where_org)
            check_inbox(where, sid, org)
            if "inbox" in s:
                check_inbox(where, s["inbox"], org)
            direct = s.get("direct", False)
            if not isinstance(direct, bool):
                problems.append(f"{where}: 'direct' must be true or false")
                direct = False
            staff = s.get("staff", [])
            if not isinstance(staff, list):
                problems.append(f"{where}: 'staff' must be a list")
                staff = []
            if staff and not direct:
                problems.append(
                    f"{where}: names staff for direct messages, but the service does not allow "
                    'direct messages to a person (set "direct": true, or remove the staff)'
                )
            if direct and not staff:
                problems.append(f"{where}: allows direct messages but names no staff who receive them")
            seen_staff: set[str] = set()
            for m in staff:
                if not isinstance(m, dict) or not _text(m.get("practitioner")):
                    problems.append(f"{where}: every staff entry needs a 'practitioner' id")
                    continue
                prac = str(m["practitioner"])
                for k in sorted(set(m) - _STAFF_KEYS):
                    problems.append(f"{where}, staff {prac!r}: unknown key {k!r} (expected: practitioner, inbox)")
                if prac in seen_staff:
                    problems.append(f"{where}: staff member {prac!r} is listed twice")
                seen_staff.add(prac)
                if practitioners is not None and prac not in practitioners:
                    problems.append(f"{where}: staff member {prac!r} does not exist")
                check_inbox(f"{where}, staff {prac!r}", m.get("inbox"), org)
    return problems


def build(
    data: Any,
    *,
    source: str = "(table)",
    inboxes: Mapping[str, str] | None = None,
    practitioners: set[str] | None = None,
) -> RoutingTable:
    """A validated RoutingTable; RoutingError naming every problem if the table is bad."""
    problems = validate(data, inboxes, practitioners)
    if problems:
        raise RoutingError(source, problems)
    topics: dict[str, TopicRoute] = {}
    services: dict[str, ServiceRoute] = {}
    for o in data["organizations"]:
        org = o["organization"]
        for t in o.get("topics", []):
            topics[t["topic"]] = TopicRoute(
                t["topic"],
                str(t.get("label") or t["topic"]),
                org,
                t["inbox"],
                tuple(w.strip().lower() for w in t.get("keywords", [])),
            )
        for s in o.get("services", []):
            services[s["service"]] = ServiceRoute(
                s["service"],
                org,
                s.get("inbox") or s["service"],
                bool(s.get("direct", False)),
                {m["practitioner"]: m["inbox"] for m in s.get("staff", [])},
            )
    return RoutingTable(topics, services, source)


def is_default(path: str | Path | None) -> bool:
    return not path or Path(path).resolve() == DEFAULT_PATH.resolve()
