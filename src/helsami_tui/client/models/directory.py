"""The directory and operations: forward targets, route suggestions, queues, portal and notification health."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from ..reasons import ReasonArg
from .base import BASE, Json, _d, _l, _Model, _s, first_code, human_name, parse_instant, ref_of
from .codes import CHANNELS, INBOX_KINDS, STAFF_ROLES, Channel, InboxKind, StaffRole, TargetKind, Unknown, coded

# -- directory and operations ------------------------------------------------------------------


class Target(_Model):
    """Somewhere an item can be forwarded: an inbox or a named staff member."""

    ref: str
    name: str
    kind: TargetKind
    active: bool = True
    personal: bool = False  # a person, or an inbox of one person's direct messages
    suggested: str = ""  # the word of the subject for which the routing table suggests it

    @classmethod
    def from_service(cls, r: Json) -> Target:
        return cls.model_construct(
            ref=f"HealthcareService/{_s(r.get('id'))}",
            name=_s(r.get("name")),
            kind="service",
            active=r.get("active") is not False,
            personal=first_code(r.get("type"), INBOX_KIND_SYSTEM) == "direct",
            suggested="",
        )

    @classmethod
    def from_practitioner(cls, r: Json) -> Target:
        return cls.model_construct(
            ref=f"Practitioner/{_s(r.get('id'))}",
            name=human_name(r),
            kind="person",
            active=r.get("active") is not False,
            personal=True,
            suggested="",
        )


INBOX_KIND_SYSTEM = f"{BASE}/CodeSystem/inbox-kind"


def route_suggestions_from(data: Json) -> list[tuple[str, str]]:
    """(target reference, matched word) of each suggestion of GET Task/{id}/$route-suggestion, best first."""
    out: list[tuple[str, str]] = []
    for prm in _l(data.get("parameter")):
        if not isinstance(prm, dict) or prm.get("name") != "suggestion":
            continue
        parts = {x.get("name"): x for x in _l(prm.get("part")) if isinstance(x, dict)}
        ref = _s((parts.get("target") or {}).get("valueReference", {}).get("reference"))
        if ref:
            out.append((ref, _s((parts.get("matched") or {}).get("valueString"))))
    return out


def order_targets(targets: list[Target], suggestions: list[tuple[str, str]] = ()) -> list[Target]:  # type: ignore[assignment]
    """Targets in the order a picker offers them: the routing table's suggestions first (best
    first, marked), then shared inboxes, then personal ones (direct inboxes and people)."""
    rank = {ref: i for i, (ref, _) in enumerate(suggestions)}
    words = dict(suggestions)
    marked = [x.model_copy(update={"suggested": words[x.ref] or "-"}) if x.ref in words else x for x in targets]
    return sorted(marked, key=lambda x: (0, rank[x.ref]) if x.ref in rank else (1 + x.personal, 0))


class QueueMember(_Model):
    """A staff member of an inbox (directory data, not patient data)."""

    ref: str
    name: str
    roles: tuple[StaffRole, ...]  # the roles and duties this client knows


def _duration_text(d: Any) -> tuple[float | None, str]:
    d = _d(d)
    v = d.get("value")
    value = float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None
    return value, _s(d.get("unit")) or _s(d.get("code"))


class Queue(_Model):
    """One inbox as IT support sees it: set-up and depth, no patient data."""

    id: str
    name: str
    organization: str
    kind: InboxKind | Unknown
    backup: str
    waiting: int
    claimed: int
    oldest_unopened_seconds: int | None
    escalated_last_24h: int
    members: int
    active: bool = True
    member_list: tuple[QueueMember, ...] = ()
    delay_minutes: float | None = None  # the safety-net delay
    response_value: float | None = None  # the stated response time
    response_unit: str = ""  # "d" = (working) days

    @classmethod
    def from_json(cls, q: Json) -> Queue:
        def n(key: str) -> int:
            v = q.get(key)
            return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else 0

        age = q.get("oldestUnopenedSeconds")
        backup = q.get("backup")
        members = tuple(
            QueueMember.model_construct(
                ref=_s(m.get("practitioner")),
                name=_s(m.get("name")),
                roles=tuple(r for r in _l(m.get("roles")) if r in STAFF_ROLES),
            )
            for m in _l(q.get("members"))
            if isinstance(m, dict)
        )
        delay, delay_unit = _duration_text(q.get("safetyNetDelay"))
        if delay is not None and delay_unit in ("h", "hour"):
            delay *= 60
        elif delay is not None and delay_unit in ("d", "day"):
            delay *= 1440
        response, response_unit = _duration_text(q.get("responseTime"))
        return cls.model_construct(
            id=_s(q.get("id")),
            name=_s(q.get("name")),
            organization=_s(_d(q.get("organization")).get("name")),
            kind=coded(q.get("kind"), INBOX_KINDS),
            backup=ref_of(backup) if isinstance(backup, dict) else _s(backup),
            waiting=n("waiting"),
            claimed=n("claimed"),
            oldest_unopened_seconds=int(age) if isinstance(age, (int, float)) else None,
            escalated_last_24h=n("escalatedLast24h"),
            members=len(members),
            active=q.get("active") is not False,
            member_list=members,
            delay_minutes=delay,
            response_value=response,
            response_unit=response_unit,
        )


class PortalStatus(_Model):
    """The portal's software and health as a client sees it (from /fhir/metadata)."""

    reachable: bool
    name: str
    version: str
    fhir_version: str
    latency_ms: float | None
    error: str = ""  # the client's English message, for logs; the UI says `reason` in its words
    reason: str = ""  # why it is unreachable: a reason code (client/reasons.py) with its arguments
    reason_args: dict[str, ReasonArg] = Field(default_factory=dict)

    @classmethod
    def from_fhir(cls, r: Json, latency_ms: float | None) -> PortalStatus:
        sw = _d(r.get("software"))
        return cls.model_construct(
            reachable=True,
            name=_s(sw.get("name")),
            version=_s(sw.get("version")),
            fhir_version=_s(r.get("fhirVersion")),
            latency_ms=latency_ms,
            error="",
        )

    @classmethod
    def unreachable(cls, error: str, reason: str = "", reason_args: dict[str, ReasonArg] | None = None) -> PortalStatus:
        return cls.model_construct(
            reachable=False,
            name="",
            version="",
            fhir_version="",
            latency_ms=None,
            error=error,
            reason=reason,
            reason_args=dict(reason_args or {}),
        )


class NotificationFailure(_Model):
    """A patient notification that could not be sent, as IT support sees it: no recipient, no address."""

    id: str
    channel: Channel | Unknown
    kind: str
    attempts: int
    error: str  # a code: smtp-451, sms-unreachable, expired, gave-up:<code>, ...
    failed: dt.datetime | None


class NotificationHealth(_Model):
    """The portal's notification outbox (GET /fhir/$notifications): counts, ages and error codes only."""

    supported: bool
    channels: tuple[str, ...] = ()
    sent: int = 0
    pending: int = 0
    retrying: int = 0
    failed_last_24h: int = 0
    oldest_pending_seconds: int | None = None
    failures: tuple[NotificationFailure, ...] = ()

    @classmethod
    def from_json(cls, data: Json) -> NotificationHealth:
        def n(v: Any) -> int:
            return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else 0

        counts = _d(data.get("counts"))

        def total(state: str) -> int:
            return sum(n(v) for v in _d(counts.get(state)).values())

        age = data.get("oldestPendingSeconds")
        failures = tuple(
            NotificationFailure(
                id=_s(f.get("id")),
                channel=coded(f.get("channel"), CHANNELS),
                kind=_s(f.get("kind")),
                attempts=n(f.get("attempts")),
                error=_s(f.get("error")),
                failed=parse_instant(_s(f.get("failed"))) if f.get("failed") else None,
            )
            for f in _l(data.get("failures"))
            if isinstance(f, dict)
        )
        return cls(
            supported=True,
            channels=tuple(_s(c) for c in _l(data.get("channels"))),
            sent=total("sent"),
            pending=total("pending") + total("sending"),
            retrying=n(data.get("retrying")),
            failed_last_24h=n(data.get("failedLast24h")),
            oldest_pending_seconds=int(age) if isinstance(age, (int, float)) else None,
            failures=failures,
        )
