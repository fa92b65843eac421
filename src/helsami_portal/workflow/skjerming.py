"""Restriction (skjerming): records of a patient hidden from everyone outside a named care team.

Part of the access rules (`workflow.access`, which re-exports these names and applies them in
`decide`); the representation as a Consent is in docs/auth.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..auth.principal import Principal
from ..fhir import conventions as c, timeutil
from ..fhir.registry import CLINICAL, first_code, ref_of
from ..store import restrictions as store_restrictions
from ..store.query import parse_query
from ..store.store import Tx

Resource = dict[str, Any]
# Restriction (skjerming): a Consent of the patient with this category code (see docs/auth.md).
CONSENT_KIND = f"{c.BASE}/CodeSystem/consent-kind"

EXT_PATIENT_THREAD = f"{c.BASE}/StructureDefinition/patient-thread"
# The references by which one resource hangs from another: an item's focus and patient thread, a
# message's thread and what a thread is about, what an order or a result is based on or derived from.
HANGS_FROM = ("focus", "partOf", "about", "basedOn", "derivedFrom", "priorPrescription")


def hangs_from(r: Resource) -> list[str]:
    """The records this resource hangs from (by reference), whose skjerming covers it too."""
    out: list[str] = []
    for key in HANGS_FROM:
        v = r.get(key)
        for one in v if isinstance(v, list) else [v]:
            ref = ref_of(one)
            if ref:
                out.append(ref)
    for ext in r.get("extension") or []:
        if isinstance(ext, dict) and ext.get("url") == EXT_PATIENT_THREAD:
            ref = ref_of(ext.get("valueReference"))
            if ref:
                out.append(ref)
    return out


@dataclass(frozen=True)
class Restriction:
    """One active restriction of a patient: records hidden from everyone outside `team`.

    It covers the marked records (`classes`, `records`) and, by reference, what hangs from them
    (`follows`: the results of a marked report, threads about a marked record), and any resource
    that refers to a covered one through HANGS_FROM (messages of such a thread, inbox items about
    them: those keep their place in the inbox, with the description masked)."""

    consent: str
    classes: frozenset[str]  # resource types restricted as a whole
    records: frozenset[str]  # single records ("Condition/x", or a thread "Communication/x")
    team: frozenset[str]  # the named care team ("Practitioner/x")
    follows: frozenset[str] = frozenset()  # what hangs from the marked records

    def marks(self, ref: str) -> bool:
        return ref.split("/", 1)[0] in self.classes or ref in self.records or ref in self.follows

    def covers(self, r: Resource) -> bool:
        if self.marks(f"{r.get('resourceType')}/{r.get('id')}"):
            return True
        return any(self.marks(ref) for ref in hangs_from(r))


def is_restriction(consent: Resource) -> bool:
    return any(first_code(cat, CONSENT_KIND) == "skjerming" for cat in consent.get("category") or [])


RESTRICTABLE = CLINICAL | {"Communication"}


def parse_restriction(consent: Resource) -> Restriction | None:
    """The restriction a Consent states, or None if it is not an active one.

    Representation (docs/auth.md): `category` has code `skjerming`; `provision.type` is `deny`;
    `provision.class` lists resource types and/or `provision.data` (meaning `instance`) single
    records; a nested `provision.provision` of type `permit` names the care team in `actor`.
    Without class and data, all clinical records are restricted.
    """
    if consent.get("status") != "active" or not is_restriction(consent):
        return None
    prov = consent.get("provision") or {}
    if prov.get("type") not in (None, "deny"):
        return None
    period = prov.get("period") or {}
    now = timeutil.instant()
    if period.get("start") and timeutil.norm(period["start"]) > now:
        return None
    if period.get("end") and timeutil.norm(period["end"]) < now:
        return None
    classes = {str(k.get("code")) for k in prov.get("class") or [] if isinstance(k, dict) and k.get("code") in CLINICAL}
    records = {ref_of(d.get("reference")) for d in prov.get("data") or [] if isinstance(d, dict)}
    records = {r for r in records if r.split("/", 1)[0] in RESTRICTABLE}
    if not classes and not records:
        classes = set(CLINICAL)
    team: set[str] = set()
    for sub in prov.get("provision") or []:
        if isinstance(sub, dict) and sub.get("type") == "permit":
            team.update(ref_of(a.get("reference")) for a in sub.get("actor") or [] if isinstance(a, dict))
    return Restriction(
        str(consent.get("id")),
        frozenset(classes),
        frozenset(records),
        frozenset(t for t in team if t.startswith("Practitioner/")),
    )


def _all(tx: Tx, rtype: str, items: list[tuple[str, str]]) -> list[Resource]:
    q = parse_query(rtype, items)
    out: list[Resource] = []
    cursor = None
    while True:
        page = tx.search(rtype, q.where, count=500, cursor=cursor)
        out.extend(page.rows)
        cursor = page.next_cursor
        if not cursor:
            return out


def _with_follows(tx: Tx, patient_id: str, r: Restriction) -> Restriction:
    """The restriction with what hangs from its marked records: the results of a marked report and
    the threads about a marked record (found once per request, for restricted patients only)."""
    follows: set[str] = set()
    pat = f"Patient/{patient_id}"
    reports = tx.get_many(x for x in r.records if x.startswith("DiagnosticReport/"))
    if "DiagnosticReport" in r.classes:
        reports = _all(tx, "DiagnosticReport", [("patient", pat)])
    for rep in reports:
        follows.update(ref for ref in (ref_of(x) for x in rep.get("result") or []) if ref)
    partial = Restriction(r.consent, r.classes, r.records, r.team, frozenset(follows))
    for header in _all(tx, "Communication", [("patient", pat), ("category", "thread")]):
        if partial.covers(header):
            follows.add(f"Communication/{header['id']}")
    return Restriction(r.consent, r.classes, r.records, r.team, frozenset(follows))


def restrictions_of(tx: Tx, patient_ids: list[str]) -> dict[str, list[Restriction]]:
    """The active restrictions of each patient, in one query for all of them."""
    ids = sorted({pid for pid in patient_ids if pid})
    out: dict[str, list[Restriction]] = {pid: [] for pid in ids}
    if not ids:
        return out
    rows = store_restrictions.active_consents_of(tx, ids)
    for pid, content in rows:
        consent = content if isinstance(content, dict) else json.loads(content)
        r = parse_restriction(consent)
        if r is not None:
            out[pid].append(_with_follows(tx, pid, r))
    return out


def restrictions(tx: Tx, patient_id: str) -> list[Restriction]:
    """The patient's active restrictions."""
    if not patient_id:
        return []
    return restrictions_of(tx, [patient_id])[patient_id]


def hidden_from(tx: Tx, p: Principal, patient_id: str) -> list[Restriction]:
    """The restrictions that apply to this staff member (outside the named care team)."""
    return [r for r in restrictions(tx, patient_id) if p.ref not in r.team]


def restricted(hidden: list[Restriction], r: Resource) -> bool:
    # Most patients have no restriction: no generator for them (asked for every returned resource).
    return bool(hidden) and any(x.covers(r) for x in hidden)
