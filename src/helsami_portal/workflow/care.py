"""The bases of a care relation: why a staff member may see a patient's data.

A care relation comes only from what the caller did not make themselves (docs/auth.md):

- the patient has the caller as regular GP (`Patient.generalPractitioner`, from the GP register);
- an open inbox item for the patient, in an inbox the caller works in or held by the caller, that
  the patient sent, the portal routed (results, the safety net, the routing table) or a colleague
  placed there (forwarded, or registered from a phone call);
- an appointment of the patient with the caller (`Appointment.participant`).

A closed item still counts, for `RECENT_ITEM`, for the staff member who held it when it was closed.

For the switchboard (no clinical role) an inbox item opens the messages of that item's own thread
only, not the patient's other conversations (with mental health, say): it routes, it does not treat.

An item the caller placed themself (a phone message they registered, an item they forwarded)
gives them no care relation; it lets them read that item's own thread, and nothing else
(`own item`). Outside these, only break-the-glass opens a patient's data.

Each basis is a stable text that the access log stores as `purposeOfUse.text`, with a stable code
(fhir.access_codes, `care.*`) a client translates, so the privacy officer (and the patient) can tell
which kind of relation a read rested on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from ..auth.principal import Principal
from ..fhir import conventions as c, timeutil
from ..fhir.access_codes import BASES as CODED_BASES
from ..fhir.registry import ref_of
from ..store import relations
from ..store.store import Tx, loads

Resource = dict[str, Any]

GP = CODED_BASES["care.gp"]
FROM_PATIENT = CODED_BASES["care.from-patient"]
FROM_COLLEAGUE = CODED_BASES["care.from-colleague"]
FROM_PORTAL = CODED_BASES["care.from-portal"]
APPOINTMENT = CODED_BASES["care.appointment"]
ACTED_ON = CODED_BASES["care.item-acted-on"]
OWN_ITEM = CODED_BASES["own-item"]
BASES = (GP, FROM_PATIENT, FROM_COLLEAGUE, FROM_PORTAL, APPOINTMENT, OWN_ITEM)

ENDED_APPOINTMENT = frozenset({"cancelled", "entered-in-error", "noshow"})
MAX_ITEMS = 200  # open items of one patient looked at for a basis
# How long a closed inbox item still counts as a care relation of the staff member who held it.
RECENT_ITEM = dt.timedelta(days=30)


def set_placed_by(t: Resource, who: str) -> None:
    """Record (in place) that `who` put the item in its current inbox."""
    exts = [e for e in t.get("extension") or [] if not (isinstance(e, dict) and e.get("url") == c.EXT_PLACED_BY)]
    exts.append({"url": c.EXT_PLACED_BY, "valueReference": {"reference": who}})
    t["extension"] = exts


# The basis an item that the caller did not place gives, by where it came from (fhir.columns.task_origin).
ORIGIN_BASES = {"colleague": FROM_COLLEAGUE, "patient": FROM_PATIENT, "portal": FROM_PORTAL}


def _is_gp(tx: Tx, p: Principal, patient_id: str) -> bool:
    patient = tx.get("Patient", patient_id)
    return patient is not None and any(ref_of(g) == p.ref for g in patient.get("generalPractitioner") or [])


def _items(tx: Tx, p: Principal, patient_id: str, focus: str, thread_only: bool) -> tuple[str | None, bool]:
    """(the basis an open item gives, whether the caller placed an open item about `focus`).
    `thread_only`: only an item about `focus` itself counts."""
    # Open items in the caller's inboxes or held by them, and items the caller held when they were
    # closed, recently: the clinician who answered, confirmed or released can read what was done and
    # follow it up; the rest of the inbox cannot.
    recent = timeutil.instant(timeutil.parse(tx.now) - RECENT_ITEM)
    rows = relations.items_of_patient(tx, patient_id, p.pools, p.ref, recent, MAX_ITEMS)
    own = False
    for row in rows:
        if row.placed_by == p.ref:  # made or moved here by the caller: no care relation from it
            own = own or (bool(focus) and row.focus == focus)
            continue
        if thread_only and not (focus and row.focus == focus):
            continue
        return ORIGIN_BASES[row.origin], own
    return None, own


def _appointment(tx: Tx, p: Principal, patient_id: str) -> bool:
    rows = relations.appointments_of(tx, patient_id, MAX_ITEMS)
    for (content,) in rows:
        appt = loads(content)
        if appt.get("status") in ENDED_APPOINTMENT:
            continue
        if any(
            ref_of((part or {}).get("actor")) == p.ref
            for part in appt.get("participant") or []
            if isinstance(part, dict) and part.get("status") != "declined"
        ):
            return True
    return False


def _in_order(row: Any) -> tuple[bool, str, str]:
    """`items_of_patient`'s order of an `items_of_patients` row: open first, oldest first."""
    return (row.status not in c.OPEN_STATUSES, row.authored, row.id)


def _deciding_bases(rows: Sequence[Any], ref: str) -> dict[str, str]:
    """The basis each patient's items give (`items_of_patients` rows): in `_items`' order (open
    items first, oldest first; a patient's first MAX_ITEMS only), the first item that `ref` did not
    place decides. One pass, keeping each patient's least such item; a patient with more than
    MAX_ITEMS items is decided over its first MAX_ITEMS, sorted."""
    best: dict[str, tuple[tuple[bool, str, str], str]] = {}
    seen: dict[str, int] = {}
    open_statuses = c.OPEN_STATUSES
    for pid, status, authored, rid, placed_by, origin in rows:
        seen[pid] = seen.get(pid, 0) + 1
        if placed_by == ref:
            continue
        key = (status not in open_statuses, authored, rid)
        held = best.get(pid)
        if held is None or key < held[0]:
            best[pid] = (key, origin)
    out = {pid: ORIGIN_BASES[origin] for pid, (_, origin) in best.items()}
    for pid in [pid for pid, n in seen.items() if n > MAX_ITEMS]:
        first = sorted((row for row in rows if row[0] == pid), key=_in_order)[:MAX_ITEMS]
        theirs = [row for row in first if row.placed_by != ref]
        out.pop(pid, None)
        if theirs:
            out[pid] = ORIGIN_BASES[min(theirs, key=_in_order).origin]
    return out


def break_glass_reason(tx: Tx, p: Principal, patient_id: str) -> str | None:
    """The reason of this staff member's unexpired break-the-glass access to the patient, if any."""
    if not p.is_staff or not patient_id:
        return None
    reason = relations.break_glass_reason(tx, p.id, patient_id, tx.now)
    if reason is not None:
        return f"break the glass: {reason}"
    return None


def bases_of(
    tx: Tx, p: Principal, patient_ids: list[str], *, known: dict[str, Resource] | None = None
) -> dict[str, str | None]:
    """`basis(tx, p, pid)` for each of `patient_ids` (no focus), with one query for the regular GPs
    and one for the inbox items of all of them; only a patient that neither gives a basis is looked
    at alone (appointments, own items, break-the-glass), as `basis` does. `known`: Patient
    resources already read, by id (not read again). The items are read from ix_task_patient_care
    alone: who placed each and where it came from are columns, no item's JSON is decoded."""
    ids = sorted({pid for pid in patient_ids if pid})
    out: dict[str, str | None] = {}
    if not p.is_staff or not ids:
        return {pid: None for pid in ids}
    known = known or {}
    patients = [known[pid] for pid in ids if pid in known]
    patients += tx.get_many(f"Patient/{pid}" for pid in ids if pid not in known)
    for pat in patients:
        if any(ref_of(g) == p.ref for g in pat.get("generalPractitioner") or []):
            out[str(pat["id"])] = GP
    rest = [pid for pid in ids if pid not in out]
    if rest:
        recent = timeutil.instant(timeutil.parse(tx.now) - RECENT_ITEM)
        limit = MAX_ITEMS * len(rest)
        rows = relations.items_of_patients(tx, rest, p.pools, p.ref, recent, limit + 1)
        if len(rows) <= limit:  # else some patients' items may be missing: each is looked at alone
            out.update(_deciding_bases(rows, p.ref))
        # A patient without a GP, item or cut short: the other bases, alone, as `basis` finds them.
        rest = [pid for pid in rest if pid not in out]
    for pid in rest:
        out[pid] = basis(tx, p, pid)
    return out


def basis(tx: Tx, p: Principal, patient_id: str, *, focus: str = "", thread_only: bool = False) -> str | None:
    """The basis of this staff member's access to the patient's data, or None.

    `focus` names the thread or record the read is about (a thread header `Communication/<id>`):
    the caller's own item about it gives access to it alone (`OWN_ITEM`). `thread_only`: an inbox
    item gives access to its own thread only (the switchboard's messages: `access.require_patient_access`).
    """
    if not p.is_staff or not patient_id:
        return None
    if _is_gp(tx, p, patient_id):
        return GP
    item, own = _items(tx, p, patient_id, focus, thread_only)
    if item is not None:
        return item
    if _appointment(tx, p, patient_id):
        return APPOINTMENT
    if own:
        return OWN_ITEM
    return break_glass_reason(tx, p, patient_id)
