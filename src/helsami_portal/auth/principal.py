"""Who is making a request. Every request to patient data is made by a Principal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..fhir import conventions as c
from ..fhir.registry import ref_id, ref_of
from ..store.store import Tx


@dataclass(frozen=True)
class Principal:
    kind: str  # "staff" | "patient" | "system"
    ref: str  # "Practitioner/x" | "Patient/x" | "RelatedPerson/x" | "system/<name>"
    username: str
    display: str
    roles: frozenset[str] = frozenset()
    pools: frozenset[str] = frozenset()  # HealthcareService ids the staff member works in
    organizations: frozenset[str] = frozenset()
    session_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"

    @property
    def is_patient_side(self) -> bool:
        return self.kind == "patient"

    @property
    def id(self) -> str:
        return self.ref.split("/", 1)[1]

    def has_role(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)

    @property
    def main_role(self) -> str:
        for r in c.STAFF_ROLES:
            if r in self.roles:
                return r
        return self.kind

    def reference(self) -> dict[str, str]:
        return {"reference": self.ref, "display": self.display}


def load_staff(tx: Tx, practitioner_id: str, *, username: str, session_id: str | None) -> Principal:
    """Build a staff principal from the Practitioner's PractitionerRoles (roles and pools)."""
    from ..store.query import parse_query

    prac = tx.get("Practitioner", practitioner_id)
    display = _name(prac) if prac else username
    q = parse_query("PractitionerRole", [("practitioner", f"Practitioner/{practitioner_id}")])
    page = tx.search("PractitionerRole", q.where, count=200)
    roles: set[str] = set()
    pools: set[str] = set()
    orgs: set[str] = set()
    for role in page.rows:
        if role.get("active") is False:
            continue
        for concept in role.get("code") or []:
            for coding in concept.get("coding") or []:
                if coding.get("system") == c.STAFF_ROLE and coding.get("code") in (*c.STAFF_ROLES, *c.STAFF_DUTIES):
                    roles.add(coding["code"])
        for svc in role.get("healthcareService") or []:
            sid = ref_id(svc, "HealthcareService")
            if sid:
                pools.add(sid)
        org = ref_of(role.get("organization"))
        if org:
            orgs.add(org.split("/", 1)[1])
    return Principal(
        "staff",
        f"Practitioner/{practitioner_id}",
        username,
        display,
        frozenset(roles),
        frozenset(pools),
        frozenset(orgs),
        session_id,
    )


def _name(r: dict[str, Any]) -> str:
    from ..fhir.registry import human_name

    return human_name(r)
