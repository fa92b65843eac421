"""Staff reads and searches of FHIR resources, with access checks and access logging.

Routes call these; every rule about who may read what is delegated to `access`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..auth.principal import Principal
from ..fhir import conventions as c
from ..fhir.outcome import FhirError
from ..fhir.registry import CLINICAL, DEFS, ref_id, ref_of
from ..store.query import Query, parse_query
from ..store.schema import resource
from ..store.store import Page, Store, Tx
from . import access

Resource = dict[str, Any]
DIRECTORY = frozenset({"Organization", "HealthcareService", "Practitioner", "PractitionerRole", "Questionnaire"})
PATIENT_SCOPED = frozenset(CLINICAL | {"Communication", "RelatedPerson", "Consent", "Appointment"})


def redact(r: Resource) -> Resource:
    """Remove what must never leave the server: a confidential address, for anyone."""
    if r.get("resourceType") in ("Patient", "RelatedPerson"):
        sec = (r.get("meta") or {}).get("security") or []
        if any(s.get("code") == "R" for s in sec) and r.get("address"):
            r = dict(r)
            r["address"] = [{"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
                                            "valueCode": "masked"}], "text": "Skjermet adresse"}]
    return r


def patient_of(r: Resource) -> str:
    rtype = r.get("resourceType")
    if rtype == "Patient":
        return str(r.get("id"))
    if rtype == "Task":
        return ref_id(r.get("for"), "Patient")
    cols = DEFS[rtype].extract(r) if rtype in DEFS else {}
    return cols.get("patient", "")


def _check_read(tx: Tx, p: Principal, r: Resource, interaction: str) -> None:
    rtype = r["resourceType"]
    if not p.is_staff:
        if rtype not in DIRECTORY:
            access.log_denied(tx, p, patient_of(r), f"{rtype}/{r['id']}", "patient token on the staff API")
        access.require_staff(p)
    if rtype in DIRECTORY:
        return
    if rtype == "AuditEvent":
        if not p.has_role("privacy-officer"):
            access.log_denied(tx, p, patient_of(r), f"{rtype}/{r['id']}", "only privacy officers read the log")
        access.require_role(p, "privacy-officer", what="review the access log")
        return
    if rtype == "Task":
        access.require_task_access(tx, p, r)
        access.audit(tx, p, patient_of(r), f"inbox item Task/{r['id']}", "inbox item in own pool",
                     interaction=interaction)
        return
    if rtype == "Communication" and r.get("status") == "preparation" and ref_of(r.get("sender")) != p.ref:
        raise access.forbidden("Drafts are visible only to their author.")
    pid = patient_of(r)
    what = f"{rtype}/{r['id']}"
    reason = access.require_patient_access(tx, p, pid, rtype, what)
    if rtype in CLINICAL:
        reason = access.check_restriction(tx, p, pid, r, rtype, what, reason)
    access.audit(tx, p, pid, what, reason, interaction=interaction)


def read(store: Store, p: Principal, rtype: str, rid: str) -> Resource:
    with store.write() as tx:
        r = tx.require(rtype, rid)
        _check_read(tx, p, r, "read")
        return redact(r)


def vread(store: Store, p: Principal, rtype: str, rid: str, vid: int) -> Resource:
    with store.write() as tx:
        current = tx.require(rtype, rid)
        _check_read(tx, p, current, "vread")
        return redact(tx.vread(rtype, rid, vid))


def history(store: Store, p: Principal, rtype: str, rid: str) -> list[Resource]:
    with store.write() as tx:
        current = tx.require(rtype, rid)
        _check_read(tx, p, current, "history-instance")
        return [redact(r) for r in tx.history(rtype, rid)]


def search(store: Store, p: Principal, rtype: str, items: list[tuple[str, str]]) -> tuple[Page, list[Resource], Query]:
    """A page of matches plus included resources, after access checks; logs what was read."""
    if rtype == "AuditEvent":  # break-glass=true is the documented form; the index holds "break-glass"
        items = [(k, "break-glass" if k == "break-glass" and v == "true" else v) for k, v in items]
    q = parse_query(rtype, items)
    access.require_staff(p)
    notes: list[str] = []
    reasons: dict[str, str] = {}
    with store.write() as tx:
        where = list(q.where)
        if rtype == "Task":
            where += access.task_scope(p, q.refs)
        elif rtype == "AuditEvent":
            access.require_role(p, "privacy-officer", what="review the access log")
        elif rtype in DIRECTORY:
            pass
        elif rtype == "Patient":
            access.require_role(p, *access.INBOX_ROLES, what="look up patients")
        elif rtype in PATIENT_SCOPED:
            pid = _single_patient(tx, q)
            reason = access.require_patient_access(tx, p, pid, rtype, f"{rtype} search")
            if rtype == "Communication":
                where.append(sa.or_(resource.c.status != "preparation", resource.c.ref2 == p.ref))
            if rtype in CLINICAL:
                # A whole type restricted: 403 unless the glass is broken. Single records: left out.
                reason = access.check_restriction(tx, p, pid, None, rtype, f"{rtype} search", reason)
                if not reason.startswith("break the glass"):
                    hidden_ids = sorted(ref.split("/", 1)[1] for x in access.hidden_from(tx, p, pid)
                                        for ref in x.records if ref.startswith(f"{rtype}/"))
                    if hidden_ids:
                        where.append(resource.c.id.notin_(hidden_ids))
                        notes.append(f"{len(hidden_ids)} record(s) of this patient are restricted (skjermet) "
                                     "and left out.")
            reasons[pid] = reason
        else:
            raise access.forbidden(f"Searching {rtype} is not allowed.")
        page = tx.search(rtype, where, sort=q.sort, count=q.count, cursor=q.cursor, total=q.total)
        included: list[Resource] = []
        if q.includes and page.rows:
            refs: list[str] = []
            for r in page.rows:
                for name in q.includes:
                    refs.extend(x for x in DEFS[rtype].includes[name].paths(r) if x)
            included = _drop_restricted(tx, p, tx.get_many(dict.fromkeys(refs)), notes)
        _log_search(tx, p, rtype, page.rows + included, reasons)
        extra = [outcome_note(n) for n in notes]
        return Page([redact(r) for r in page.rows], page.next_cursor, page.total), \
            [redact(r) for r in included] + extra, q


def outcome_note(text: str) -> Resource:
    """An OperationOutcome (search mode `outcome`) telling the reader something was left out."""
    import uuid
    return {"resourceType": "OperationOutcome", "id": uuid.uuid4().hex,
            "issue": [{"severity": "information", "code": "suppressed", "diagnostics": text}]}


def _drop_restricted(tx: Tx, p: Principal, rows: list[Resource], notes: list[str]) -> list[Resource]:
    """Included clinical records that a restriction hides from this staff member are left out."""
    hidden: dict[str, list[access.Restriction]] = {}
    kept, dropped = [], 0
    for r in rows:
        if r.get("resourceType") in CLINICAL:
            pid = patient_of(r)
            if pid not in hidden:
                hidden[pid] = [] if access.break_glass_reason(tx, p, pid) else access.hidden_from(tx, p, pid)
            if access.restricted(hidden[pid], r):
                dropped += 1
                continue
        kept.append(r)
    if dropped:
        notes.append(f"{dropped} included record(s) are restricted (skjermet) and left out.")
    return kept


def _single_patient(tx: Tx, q: Query) -> str:
    pats = q.refs.get("patient", [])
    if len(pats) == 1:
        return pats[0].split("/", 1)[1]
    if q.rtype == "Communication" and len(q.refs.get("part-of", [])) == 1:
        header = tx.get_ref(q.refs["part-of"][0])
        if header is not None:
            return ref_id(header.get("subject"), "Patient")
        return ""
    raise FhirError(400, f"Search {q.rtype} for one patient at a time: give patient=Patient/<id>.",
                    expression="patient")


def _log_search(tx: Tx, p: Principal, rtype: str, rows: list[Resource], reasons: dict[str, str]) -> None:
    if rtype in DIRECTORY or rtype == "AuditEvent":
        return
    by_patient: dict[str, list[str]] = {}
    for r in rows:
        if r.get("resourceType") in DIRECTORY:
            continue
        pid = patient_of(r)
        if pid:
            by_patient.setdefault(pid, []).append(r["resourceType"])
    for pid in reasons:  # a search of one patient's records is a read even when it finds nothing
        by_patient.setdefault(pid, [rtype])
    entries = []
    for pid, kinds in by_patient.items():
        what = f"{rtype} search: " + ", ".join(sorted(set(kinds)))
        reason = "inbox list of own pools" if rtype == "Task" else (
            "patient look-up" if rtype == "Patient" else (
                reasons.get(pid) or access.care_relation(tx, p, pid) or "search"))
        entries.append((pid, what, reason))
    access.audit_many(tx, p, entries, interaction="search-type")


def pools_overview(store: Store, p: Principal) -> list[dict[str, Any]]:
    """The caller's inboxes with counts of waiting, urgent and overdue items (no patient data)."""
    from ..store.schema import task
    access.require_role(p, *access.INBOX_ROLES, what="see inboxes")
    out = []
    with store.read() as tx:
        services = tx.get_many(f"HealthcareService/{sid}" for sid in sorted(p.pools))
        ids = sorted(s["id"] for s in services)
        # One pass over the covering index for all inboxes: waiting (still owned by the pool),
        # urgent and overdue (open items, whoever holds them).
        is_open = task.c.status.in_(c.OPEN_STATUSES)
        rows = tx.conn.execute(sa.select(
            task.c.pool,
            sa.func.sum(sa.case((sa.and_(task.c.status == c.STATUS_WAITING,
                                         task.c.owner == sa.literal("HealthcareService/") + task.c.pool), 1), else_=0)),
            sa.func.sum(sa.case((task.c.priority_rank <= 2, 1), else_=0)),
            sa.func.sum(sa.case((sa.and_(task.c.deadline != "", task.c.deadline < tx.now), 1), else_=0)),
        ).where(task.c.pool.in_(ids), is_open).group_by(task.c.pool)).all()
        counts = {r[0]: (int(r[1] or 0), int(r[2] or 0), int(r[3] or 0)) for r in rows}
        for svc in sorted(services, key=lambda s: s.get("name", "")):
            waiting, urgent, overdue = counts.get(svc["id"], (0, 0, 0))
            out.append({"id": svc["id"], "name": svc.get("name", ""), "waiting": waiting, "urgent": urgent,
                        "overdue": overdue})
        mine = tx.count("Task", [task.c.owner == p.ref, task.c.status.in_(c.OPEN_STATUSES)])
    out.insert(0, {"id": "", "name": "", "personal": True, "waiting": mine, "urgent": 0, "overdue": 0})
    return out


def break_the_glass(store: Store, p: Principal, patient_id: str, reason: str) -> dict[str, Any]:
    """Emergency access to one patient outside the care relation: time-limited, logged with the
    stated reason (purposeOfUse BTG) and so flagged for the privacy officer's review."""
    with store.write() as tx:
        return access.break_the_glass(tx, p, patient_id, reason)
