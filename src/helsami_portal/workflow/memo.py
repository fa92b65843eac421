"""What one request has found out about its caller and its patients (`Memo`), and whose patient
data a resource is (`patient_of`): the look-ups behind the access decision (workflow/access.py,
which re-exports both)."""

from __future__ import annotations

from typing import Any

from ..auth.principal import Principal
from ..fhir.registry import DEFS, ref_id
from ..store import relations
from ..store.store import Tx
from .care import bases_of, basis, break_glass_reason
from .roles import CLINICAL_ROLES, INBOX_ROLES
from .skjerming import Restriction, restrictions, restrictions_of

Resource = dict[str, Any]


def patient_of(r: Resource) -> str:
    """The id of the patient whose data this resource is ("" for directory resources)."""
    rtype = r.get("resourceType")
    if rtype == "Patient":
        return str(r.get("id"))
    if rtype == "Task":
        return ref_id(r.get("for"), "Patient")
    if rtype == "Communication":  # its `patient` column (fhir.registry), without extracting the others
        return ref_id(r.get("subject"), "Patient")
    cols = DEFS[rtype].extract(r) if rtype in DEFS else {}
    return str(cols.get("patient", ""))


class Memo:
    """What one request has found out about its caller (staff or not, an inbox role, a clinical
    role: asked once per request, not once per resource the decision sees) and its patients (care
    relation, break the glass, restrictions), so that a page of resources costs a look-up per
    patient, not per resource."""

    __slots__ = ("_care", "_glass", "_patients", "_restrictions", "_unasked", "clinical", "inbox", "p", "staff", "tx")

    def __init__(self, tx: Tx, p: Principal) -> None:
        self.tx, self.p = tx, p
        self.staff = p.is_staff  # the caller's kind, roles and pools do not change within a request
        self.inbox = p.has_role(*INBOX_ROLES)
        self.clinical = p.has_role(*CLINICAL_ROLES)
        self._care: dict[tuple[str, str, bool], str | None] = {}
        self._glass: dict[str, str | None] = {}
        self._restrictions: dict[str, list[Restriction]] = {}
        self._unasked: set[str] = set()  # patients of prefetched rows whose care relation is not known yet
        self._patients: dict[str, Resource] = {}  # Patient resources among the prefetched rows

    def prefetch(self, rows: list[Resource], pids: list[str] | None = None) -> None:
        """Restrictions and break-the-glass grants of all patients of `rows`, in one query each.
        `pids`: the rows' `patient_of`, when the caller has them already."""
        for r in rows:
            if r.get("resourceType") == "Patient":
                self._patients[str(r.get("id"))] = r
        new = sorted(set(pids if pids is not None else map(patient_of, rows)) - set(self._restrictions) - {""})
        if not new or not self.p.is_staff:
            return
        self._unasked.update(pid for pid in new if (pid, "", False) not in self._care)
        self._restrictions.update(restrictions_of(self.tx, new))
        rows_bg = relations.break_glass_reasons(self.tx, self.p.id, new, self.tx.now)
        found = {pid: f"break the glass: {reason}" for pid, reason in rows_bg}  # the latest wins
        for pid in new:
            self._glass.setdefault(pid, found.get(pid))

    def care(self, pid: str, thread: str = "", *, thread_only: bool | None = None) -> str | None:
        """The caller's basis for the patient; with `thread`, for that thread's messages only
        (the switchboard's: `workflow.care`, thread_only)."""
        only = bool(thread) if thread_only is None else thread_only
        key = (pid, thread, only)
        if key not in self._care and not thread and not only and pid in self._unasked:
            # The first question about one of the page's patients: all of them at once.
            asked, self._unasked = sorted(self._unasked), set()
            for other, found in bases_of(self.tx, self.p, asked, known=self._patients).items():
                self._care.setdefault((other, "", False), found)
        if key not in self._care:
            self._care[key] = basis(self.tx, self.p, pid, focus=thread, thread_only=only)
        return self._care[key]

    def glass(self, pid: str) -> str | None:
        if pid not in self._glass:
            self._glass[pid] = break_glass_reason(self.tx, self.p, pid)
        return self._glass[pid]

    def hidden(self, pid: str) -> list[Restriction]:
        if not pid:
            return []
        found = self._restrictions.get(pid)
        if found is None:
            found = self._restrictions[pid] = restrictions(self.tx, pid)
        if not found:  # most patients: no restriction (no new list per resource)
            return []
        return [r for r in found if self.p.ref not in r.team]
