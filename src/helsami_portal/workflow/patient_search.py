"""Staff look-up of a patient (`GET /fhir/Patient?...`): to register a call, or to find whom an
item is about. Not a way to list patients.

- Identifying criteria are required: a national id (`identifier`, one value), or a name (at least
  two letters) together with an exact birth date (`birthdate=YYYY-MM-DD`). Anything else is `400`.
- `_count` is at most `MAX_COUNT`; more is `400`.
- Every patient found is written to the access log (basis `patient look-up (...)`, naming the
  criteria), in the same transaction as the search.
- A count is a look-up too: whether a national id belongs to a patient is what a look-up tells.
  `_summary=count` and `_count=0` (no resource, only `total`) and `_total=accurate` (a total beside
  the page) log every patient counted, shown or not, with the same basis. A look-up whose criteria
  match more than `MAX_COUNT` patients gives no count (`400`, reason `patient-search-criteria`).
- What a match shows is the look-up view (name, birth date, national id, gender, deceased): what
  it takes to tell the right patient on the phone, nothing more (no address, phone or GP). A
  physician or nurse with a care relation to the patient gets the whole Patient resource, as a
  direct read would give them; the switchboard always gets the look-up view.
"""

from __future__ import annotations

import re
from typing import Any

from ..auth.principal import Principal
from ..fhir import conventions as c
from ..fhir.outcome import FhirError
from ..store.query import Query, parse_query
from ..store.store import Page, Store, Tx
from . import access

Resource = dict[str, Any]
MAX_COUNT = 20
LOOKUP_FIELDS = (
    "resourceType",
    "id",
    "meta",
    "active",
    "identifier",
    "name",
    "gender",
    "birthDate",
    "deceasedBoolean",
    "deceasedDateTime",
)
_EXACT_DATE = re.compile(r"^(eq)?\d{4}-\d{2}-\d{2}$")


def criteria(items: list[tuple[str, str]]) -> str:
    """Which identifying criteria the search gives ("national id" or "name and birth date");
    400 (reason `patient-search-criteria`) when it gives none."""
    values: dict[str, list[str]] = {}
    for key, value in items:
        values.setdefault(key.partition(":")[0], []).append(value)
    for name in ("identifier", "name", "birthdate"):
        if len(values.get(name, [])) > 1 or any("," in v for v in values.get(name, [])):
            raise FhirError(
                400,
                f"Give one value of {name} (a look-up is for one patient).",
                expression=name,
                reason="patient-search-criteria",
                args={"parameter": name},
            )
    ident = (values.get("identifier") or [""])[0].strip()
    if ident and ident.rsplit("|", 1)[-1].strip():
        return "national id"
    name = (values.get("name") or [""])[0].strip()
    birth = (values.get("birthdate") or [""])[0].strip()
    if len(re.sub(r"\W", "", name)) >= 2 and _EXACT_DATE.match(birth):
        return "name and birth date"
    raise FhirError(
        400,
        "Find a patient by national id (identifier), or by name together with the exact birth date "
        "(name and birthdate=YYYY-MM-DD). Listing patients is not possible.",
        expression="identifier",
        reason="patient-search-criteria",
    )


def lookup_view(r: Resource) -> Resource:
    """A patient as a look-up shows them: enough to tell who it is, nothing more."""
    out = {k: r[k] for k in LOOKUP_FIELDS if k in r}
    out["identifier"] = [
        i for i in r.get("identifier") or [] if isinstance(i, dict) and i.get("system") == c.FNR_SYSTEM
    ]
    return out


def search(store: Store, p: Principal, items: list[tuple[str, str]]) -> tuple[Page, list[Resource], Query]:
    """A look-up page of patients (see the module's rules); logs every patient found."""
    access.require_role(p, *access.INBOX_ROLES, what="look up patients")
    q = parse_query("Patient", items)
    how = criteria(items)
    if q.count and not any(k == "_count" for k, _ in items):  # 0: only the count (_summary=count)
        q.count = MAX_COUNT
    if q.count > MAX_COUNT:
        raise FhirError(
            400,
            f"A patient look-up shows at most {MAX_COUNT} patients (_count).",
            expression="_count",
            reason="count-too-large",
            args={"limit": MAX_COUNT},
        )
    with store.read_logged() as tx:
        page = tx.search("Patient", q.where, sort=q.sort, count=q.count, cursor=q.cursor, total=q.total)
        rows, entries = [], []
        for r in page.rows:
            pid = str(r["id"])
            full = p.has_role(*access.CLINICAL_ROLES) and access.care_relation(tx, p, pid) is not None
            rows.append(access.redact(r) if full else lookup_view(r))
            entries.append((pid, "Patient search: Patient", f"patient look-up ({how})"))
        if q.total and (page.total or 0) > len(rows):
            entries += _counted(tx, q, how, shown={e[0] for e in entries})
        access.audit_many(tx, p, entries, interaction="search-type")
    return Page(rows, page.next_cursor, page.total), [], q


def _counted(tx: Tx, q: Query, how: str, shown: set[str]) -> list[tuple[str, str, str]]:
    """Access-log entries for the patients a total counts beyond those shown (a count tells that
    they exist); 400 when the criteria match more patients than a look-up may show."""
    every = tx.search("Patient", q.where, sort=q.sort, count=MAX_COUNT)
    if every.next_cursor:
        raise FhirError(
            400,
            f"These criteria match more than {MAX_COUNT} patients: give a national id, or a name together "
            "with the exact birth date, that identifies the patient.",
            expression="identifier",
            reason="patient-search-criteria",
        )
    return [
        (str(r["id"]), "Patient search: Patient", f"patient look-up ({how})")
        for r in every.rows
        if str(r["id"]) not in shown
    ]
