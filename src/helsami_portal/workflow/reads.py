"""Staff reads and searches of FHIR resources, with access checks and access logging.

Routes call these; every rule about who may read what is delegated to `access`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import sqlalchemy as sa

from ..auth.principal import Principal
from ..fhir import conventions as c
from ..fhir.outcome import FhirError
from ..fhir.registry import CLINICAL, DEFS, ref_id
from ..store import counts, tasks
from ..store.query import Query, parse_query
from ..store.schema import resource
from ..store.store import Page, Store, Tx
from . import access, patient_search

Resource = dict[str, Any]
DIRECTORY = access.DIRECTORY
PATIENT_SCOPED = frozenset(CLINICAL | {"Communication", "RelatedPerson", "Consent", "Appointment", "DocumentReference"})
redact = access.redact
patient_of = access.patient_of


def _what(r: Resource) -> str:
    rid = f"{r['resourceType']}/{r['id']}"
    return f"inbox item {rid}" if r["resourceType"] == "Task" else rid


def _check_read(
    tx: Tx, p: Principal, r: Resource, memo: access.Memo | None = None, now: Resource | None = None
) -> access.Verdict:
    """The decision on a direct read: a refusal is a 403, logged for the patient."""
    v = access.decide(tx, p, r, memo, now=now)
    if not v.allowed:
        raise access.refusal(tx, p, v, f"{r['resourceType']}/{r['id']}")
    return v


def read(store: Store, p: Principal, rtype: str, rid: str) -> Resource:
    with store.read_logged() as tx:
        r = tx.require(rtype, rid)
        v = _check_read(tx, p, r)
        access.audit(tx, p, v.patient, _what(r), v.basis, interaction="read")
        return access.release(r, v)


def vread(store: Store, p: Principal, rtype: str, rid: str, vid: int) -> Resource:
    """A version is read only if the caller may see the resource now and may see that version."""
    with store.read_logged() as tx:
        memo = access.Memo(tx, p)
        current = tx.require(rtype, rid)
        _check_read(tx, p, current, memo)
        version = tx.vread(rtype, rid, vid)
        v = _check_read(tx, p, version, memo, now=current)
        access.audit(tx, p, v.patient, f"{_what(version)} version {vid}", v.basis, interaction="vread")
        return access.release(version, v)


def history(store: Store, p: Principal, rtype: str, rid: str) -> list[Resource]:
    """The versions the caller may see (each passes the decision); a withheld version is left out
    and an OperationOutcome at the end says that some were."""
    with store.read_logged() as tx:
        memo = access.Memo(tx, p)
        current = tx.require(rtype, rid)
        v = _check_read(tx, p, current, memo)
        kept, withheld = access.screen(tx, p, tx.history(rtype, rid), memo, now=current)
        access.audit(tx, p, v.patient, _what(current), v.basis, interaction="history-instance")
        return [r for r, _ in kept] + ([access.withheld_note()] if withheld else [])


def error_body(store: Store, p: Principal, r: Resource) -> Resource | None:
    """The resource an error body may carry (e.g. the Task in a 409): released and logged if the
    caller may see it, else None (it is left out)."""
    with store.read_logged() as tx:
        v = access.decide(tx, p, r)
        if not v.allowed:
            return None
        access.audit(tx, p, v.patient, f"{_what(r)} (current state, with a refused change)", v.basis)
        return access.release(r, v)


def operation_result(store: Store, p: Principal, task: Resource | None, made: list[Resource]) -> list[Resource]:
    """What an operation on `task` returns (the item first, then what it made), each passing the
    access decision (the operation logged its own access); a withheld one is left out, and a note
    at the end says so."""
    with store.read() as tx:
        kept, withheld = access.screen(tx, p, ([task] if task else []) + made, acted_on=task)
        return [r for r, _ in kept] + ([access.withheld_note()] if withheld else [])


def search(store: Store, p: Principal, rtype: str, items: list[tuple[str, str]]) -> tuple[Page, list[Resource], Query]:
    """A page of matches plus included resources, each passing the access decision; what the caller
    may not see is left out (one OperationOutcome says so); logs one entry per patient returned."""
    if rtype == "Patient" and p.is_staff:  # a look-up, with rules of its own (criteria, view, log)
        return patient_search.search(store, p, items)
    if rtype == "AuditEvent":  # break-glass=true is the documented form; the log holds purposeOfUse BTG
        items = [(k, "BTG" if k == "break-glass" and v in ("true", "break-glass") else v) for k, v in items]
    match = [v for k, v in items if k == "match"] if rtype == "Task" else []
    if match:
        items = [(k, v) for k, v in items if k != "match"]
    q = parse_query(rtype, items)
    access.require_staff(p)
    for value in match:
        q.where.append(task_match(value))
    reasons: dict[str, str] = {}
    hidden_in_sql = False
    with store.read_logged() as tx:
        # What this request finds out about its patients, from the first check to the last match.
        memo = access.Memo(tx, p)
        where = list(q.where)
        if rtype == "Task":
            where += access.task_scope(p, q.refs)
        elif rtype == "AuditEvent":
            access.require_role(p, "privacy-officer", what="review the access log")
        elif rtype in DIRECTORY:
            pass
        elif rtype == "DocumentReference" and not q.refs.get("patient"):
            where.append(resource.c.patient == "")  # the libraries; copies sent are searched by patient
        elif rtype == "Patient":
            access.require_role(p, *access.INBOX_ROLES, what="look up patients")
        elif rtype in PATIENT_SCOPED:
            pid = _single_patient(tx, q)
            thread = q.refs["part-of"][0] if rtype == "Communication" and len(q.refs.get("part-of", [])) == 1 else ""
            reason = access.require_patient_access(tx, p, pid, rtype, f"{rtype} search", focus=thread, memo=memo)
            if rtype == "Communication":
                where.append(sa.or_(resource.c.status.notin_(access.DRAFT_STATUSES), resource.c.ref2 == p.ref))
            if rtype in CLINICAL:
                # A whole type restricted: 403 unless the glass is broken. Single records (and what
                # hangs from them) are left out, in SQL so that a page stays full.
                reason = access.check_restriction(tx, p, pid, None, rtype, f"{rtype} search", reason, memo)
                if not reason.startswith("break the glass"):
                    hidden_ids = sorted(
                        {
                            ref.split("/", 1)[1]
                            for x in memo.hidden(pid)
                            for ref in x.records | x.follows
                            if ref.startswith(f"{rtype}/")
                        }
                    )
                    if hidden_ids:
                        where.append(resource.c.id.notin_(hidden_ids))
                        hidden_in_sql = True
            reasons[pid] = reason
        else:
            raise access.forbidden(
                f"Searching {rtype} is not allowed.", reason="search-not-allowed", args={"type": rtype}
            )
        counted = _counted_total(tx, p, items) if q.total and rtype == "Task" and not match else None
        # As stored (`raw`): what passes the decision unchanged goes to the wire without encoding again.
        page = tx.search(
            rtype,
            where,
            sort=q.sort,
            count=q.count,
            cursor=q.cursor,
            total=q.total and counted is None,
            split=q.split,
            raw=True,
        )
        if counted is not None:
            page.total = counted
        matches, withheld = access.screen(tx, p, page.rows, memo, lookup=rtype == "Patient")
        by_words = rtype == "Task" and any(k.partition(":")[0] == "description" for k, _ in items)
        masked = {str(r["id"]) for r, v in matches if v.masked} if by_words or match else set()
        if masked and match and not by_words:  # `match` finds by patient too: those are kept
            masked -= set(tasks.ids_among(tx, sorted(masked), [task_match(v, subject=False) for v in match]))
        if masked:
            # A match on words of a masked description would tell what skjerming hides: left out.
            matches = [m for m in matches if str(m[0]["id"]) not in masked]
            withheld += len(masked)
        # The total is counted in SQL: given only when it counts nothing the caller may not see.
        exact = (
            page.total is not None
            and not withheld
            and not _hidden_in_count(tx, memo, where if by_words or match else None, list(reasons))
        )
        included: list[tuple[Resource, access.Verdict]] = []
        if q.includes and matches:
            refs: list[str] = []
            for r, _ in matches:
                for name in q.includes:
                    refs.extend(x for x in DEFS[rtype].includes[name].paths(r) if x)
            # Include from what the caller saw, never from what was withheld; each included resource
            # passes the same decision.
            seen = {f"{r['resourceType']}/{r['id']}" for r, _ in matches}
            wanted = [x for x in dict.fromkeys(refs) if x not in seen]
            included, dropped = access.screen(tx, p, tx.get_many(wanted, raw=True), memo)
            withheld += dropped
        _log_search(tx, p, rtype, matches + included, reasons)
        extra = [access.withheld_note()] if withheld or hidden_in_sql else []
        return (
            Page([r for r, _ in matches], page.next_cursor, page.total if exact else None),
            [r for r, _ in included] + extra,
            q,
        )


def _hidden_in_count(
    tx: Tx, memo: access.Memo, task_words: list[sa.ColumnElement[bool]] | None, patients: list[str]
) -> bool:
    """Whether a count over the search could count what skjerming hides from the caller: a
    restriction hidden from them (the glass not broken) of a patient whose records are searched
    (`patients`), or, in a search of inbox items by words (`task_words`: its conditions), of a
    patient of one of the matches (a masked description's words are never counted). A total is
    then left out (FHIR allows a Bundle without one) rather than counted past what they may see."""
    if task_words is not None:
        patients = patients + tasks.patients_with_consents(tx, task_words)
    return any(memo.hidden(pid) and memo.glass(pid) is None for pid in dict.fromkeys(patients))


_PAGING = frozenset({"_count", "_sort", "_include", "_total", "_cursor", "_format", "_elements"})


def _counted_total(tx: Tx, p: Principal, items: list[tuple[str, str]]) -> int | None:
    """The total of the app's two unfiltered lists from the inbox counters (store.tally), without a
    count over the pool: a whole pool's open items (`pool`, `status=requested,in-progress`) and the
    caller's own open items (`owner` = the caller, the same statuses). None for any other search."""
    crit = [(k, v) for k, v in items if k not in _PAGING]
    names = sorted(k for k, _ in crit)
    if names not in (["owner", "status"], ["pool", "status"]):
        return None
    d = dict(crit)
    if set(d["status"].split(",")) != set(c.OPEN_STATUSES):
        return None
    if "pool" in d:
        typ, _, pid = d["pool"].rpartition("/")
        if typ not in ("", "HealthcareService") or pid not in p.pools:
            return None
        return counts.open_in_pool(tx, pid)
    if d["owner"] == p.ref:
        return counts.open_held_by(tx, p.ref)
    return None


def _single_patient(tx: Tx, q: Query) -> str:
    pats = q.refs.get("patient", [])
    if len(pats) == 1:
        return pats[0].split("/", 1)[1]
    if q.rtype == "Communication" and len(q.refs.get("part-of", [])) == 1:
        header = tx.get_ref(q.refs["part-of"][0])
        if header is not None:
            return ref_id(header.get("subject"), "Patient")
        return ""
    raise FhirError(
        400,
        f"Search {q.rtype} for one patient at a time: give patient=Patient/<id>.",
        expression="patient",
        reason="parameter-required",
        args={"name": "patient"},
    )


def _log_search(
    tx: Tx, p: Principal, rtype: str, rows: list[tuple[Resource, access.Verdict]], reasons: dict[str, str]
) -> None:
    """One access-log entry per patient whose data was returned (none for what was withheld)."""
    if rtype in DIRECTORY or rtype == "AuditEvent":
        return
    by_patient: dict[str, list[str]] = {}
    basis: dict[str, str] = {}
    for r, v in rows:
        if not v.patient:
            continue
        by_patient.setdefault(v.patient, []).append(r["resourceType"])
        if r["resourceType"] != "Task" or v.patient not in basis:  # a care relation names the basis best
            basis[v.patient] = v.basis
    for pid in reasons:  # a search of one patient's records is a read even when it finds nothing
        by_patient.setdefault(pid, [rtype])
    entries = []
    for pid, kinds in by_patient.items():
        what = f"{rtype} search: " + ", ".join(sorted(set(kinds)))
        if rtype == "Task" and set(kinds) == {"Task"}:
            reason = "inbox list of own pools"
        elif rtype == "Patient":
            reason = "patient look-up"
        else:
            reason = reasons.get(pid) or basis.get(pid) or "search"
        entries.append((pid, what, reason))
    access.audit_many(tx, p, entries, interaction="search-type")


def pools_and_position(store: Store, p: Principal) -> tuple[list[dict[str, Any]], int]:
    """The caller's inboxes with counts of waiting, urgent and overdue items (no patient data), and
    the number of the last event before they were read: a client that
    follows the event stream from there (`Last-Event-ID`) misses no change made after what it
    read next (its first page), however late its stream opens."""
    access.require_role(p, *access.INBOX_ROLES, what="see inboxes")
    out = []
    with store.read() as tx:
        position = tx.last_event_seq()  # first: every change after it is in the stream from here
        services = tx.get_many(f"HealthcareService/{sid}" for sid in sorted(p.pools))
        # From the counters kept with every change (store.tally), never a pass over the pool: waiting
        # (still owned by the pool), urgent and overdue (open items, whoever holds them).
        by_pool = counts.pool_counts(tx, (s["id"] for s in services))
        for svc in sorted(services, key=lambda s: s.get("name", "")):
            waiting, urgent, overdue = by_pool.get(svc["id"], (0, 0, 0))
            out.append(
                {"id": svc["id"], "name": svc.get("name", ""), "waiting": waiting, "urgent": urgent, "overdue": overdue}
            )
        # The personal list: every open item the caller holds, with its urgent and overdue ones.
        row = counts.owner_counts(tx, p.ref)
    out.insert(
        0,
        {
            "id": "",
            "name": "",
            "personal": True,
            "waiting": int(row[0] or 0),
            "urgent": int(row[1] or 0),
            "overdue": int(row[2] or 0),
        },
    )
    return out, position


def break_the_glass(store: Store, p: Principal, patient_id: str, reason: str) -> dict[str, Any]:
    """Emergency access to one patient outside the care relation: time-limited, logged with the
    stated reason (purposeOfUse BTG) and so flagged for the privacy officer's review."""
    with store.write() as tx:
        return access.break_the_glass(tx, p, patient_id, reason)


MAX_MATCH = 100
# A birth date as typed in a search: dd.mm.åååå, åååå-mm-dd or ddmmåååå (groups: day, month, year).
_DAYS = (
    re.compile(r"(\d{2})\.(\d{2})\.(\d{4})"),
    re.compile(r"(\d{4})-(\d{2})-(\d{2})"),
    re.compile(r"(\d{2})(\d{2})(\d{4})"),
)


def match_day(value: str) -> dt.date | None:
    """A birth date typed as dd.mm.åååå, åååå-mm-dd or ddmmåååå, exactly; anything else (a word of
    digits such as "123456", which `strptime` would read as 1.2.3456) is not a date."""
    for i, pattern in enumerate(_DAYS):
        m = pattern.fullmatch(value)
        if m is None:
            continue
        a, b, c_ = (int(x) for x in m.groups())
        day, month, year = (c_, b, a) if i == 1 else (a, b, c_)
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None
    return None


def task_match(value: str, *, subject: bool = True) -> sa.ColumnElement[bool]:
    """Task `match`: items whose subject has the words, or whose patient is found by name words,
    national id (11 digits) or birth date (dd.mm.yyyy or yyyy-mm-dd). The caller's inbox scope
    applies as for every Task search, so it finds only items the caller may see anyway.
    `subject=False`: by the patient only (a masked subject's words find nothing)."""
    from ..store.schema import task

    v = " ".join(value.split())
    if not v or len(v) > MAX_MATCH:
        raise FhirError(
            400,
            f"match needs 1 to {MAX_MATCH} characters.",
            expression="match",
            reason="invalid-parameter",
            args={"name": "match"},
        )
    patients = sa.select(resource.c.id).where(resource.c.rtype == "Patient")
    if re.fullmatch(r"\d{11}", v):
        return task.c.patient.in_(patients.where(resource.c.code == v))
    day = match_day(v)
    if day is not None:
        return task.c.patient.in_(patients.where(resource.c.date.like(f"{day.isoformat()}%")))
    words = [w.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for w in v.split()][:6]

    def starts(col: Any, w: str) -> sa.ColumnElement[bool]:
        return sa.or_(col.like(f"{w}%", escape="\\"), col.like(f"% {w}%", escape="\\"))

    by_name = task.c.patient.in_(patients.where(*[starts(resource.c.text1, w) for w in words]))
    if not subject:
        return by_name
    by_subject = sa.and_(*[starts(task.c.text1, w) for w in words])
    return sa.or_(by_subject, by_name)
