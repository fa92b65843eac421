"""Nothing a search returns could have been refused by a direct read.

Walks every resource type, every search parameter and every `_include` that the
CapabilityStatement (`GET /fhir/metadata`) declares, as each role, over several patients (one with
a restriction, one of the role's open items, ones of completed items only), and reads every
returned resource directly (GET by id) as the same caller: none may be refused.

The one documented exception: the matches of a patient look-up (`Patient?identifier=`) are
look-up results, which staff in inboxes may get without a care relation (docs/auth.md).
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from helsami_portal.fhir.registry import DEFS, task_columns
from helsami_portal.store.schema import resource
from helsami_portal.store.store import BARE_ID_COLUMNS

from .conftest import Api

USERS = ("lege", "sykepleier", "sentralbord", "it", "personvern", "pasient")
DIRECTORY = {"Organization", "HealthcareService", "Practitioner", "PractitionerRole", "Questionnaire"}


def _columns(rtype: str, r: dict[str, Any]) -> dict[str, Any]:
    cols = task_columns(r) if rtype == "Task" else DEFS[rtype].extract(r)
    return {**cols, "id": r.get("id"), "last_updated": (r.get("meta") or {}).get("lastUpdated", "")}


def value_for(rtype: str, name: str, ptype: str, sample: dict[str, Any]) -> str | None:
    """A value of search parameter `name` that `sample` matches (so the search finds something)."""
    param = DEFS[rtype].params[name]
    if ptype == "date":
        return "ge1900-01-01"
    if name == "priority":
        return str(sample.get("priority") or "routine")
    value = _columns(rtype, sample).get(param.column)
    if value in (None, ""):
        return None
    value = str(value)
    if ptype == "reference":
        return (
            value.split(",")[0]
            if param.column not in BARE_ID_COLUMNS
            else (f"{param.target}/{value}" if param.target else value)
        )
    if ptype == "string":
        return value.split(" ")[0][:3]
    return value


class Walker:
    def __init__(self, api: Api) -> None:
        self.api = api
        self.direct: dict[str, int] = {}
        self.searches = 0
        self.checked = 0
        self.problems: list[str] = []

    def read(self, ref: str) -> int:
        if ref not in self.direct:
            self.direct[ref] = self.api.get(f"/fhir/{ref}").status_code
        return self.direct[ref]

    def search(self, rtype: str, items: list[tuple[str, str]]) -> list[dict[str, Any]]:
        self.searches += 1
        r = self.api.get(f"/fhir/{rtype}", params=items)
        if r.status_code != 200:
            assert r.status_code in (400, 401, 403), (rtype, items, r.status_code, r.text[:300])
            assert r.json()["resourceType"] == "OperationOutcome"
            return []
        matches = []
        for e in r.json().get("entry", []):
            res = e["resource"]
            if res["resourceType"] == "OperationOutcome":
                assert e["search"]["mode"] == "outcome"
                continue
            if e["search"]["mode"] == "match":
                matches.append(res)
                if rtype == "Patient":
                    continue  # a look-up result (the documented exception)
            ref = f"{res['resourceType']}/{res['id']}"
            self.checked += 1
            status = self.read(ref)
            if status != 200:
                self.problems.append(
                    f"{self.api.username}: {rtype}?{items} returned {ref} "
                    f"({e['search']['mode']}), but a direct read is {status}"
                )
        return matches


def subjects(portal: Any, sign_in: Any, who: Api) -> list[str]:
    """Patients to search for: the restricted one, the demo patient, patients of the caller's
    open items and of completed items in the caller's inboxes (no care relation left)."""
    with portal.store.read() as tx:
        row = tx.conn.execute(
            sa.select(resource.c.patient).where(resource.c.rtype == "Consent", resource.c.id == "con-skjerming-000001")
        ).first()
    pids = [row[0]] if row else []
    pids.append("pat-000001")
    for status in ("requested", "completed"):
        r = who.get("/fhir/Task", params={"status": status, "_count": "3"})
        if r.status_code == 200:
            pids += [
                e["resource"]["for"]["reference"].split("/")[1]
                for e in r.json().get("entry", [])
                if e["resource"]["resourceType"] == "Task"
            ]
    return list(dict.fromkeys(pids))[:4]


def fnr_of(portal: Any, pid: str) -> str:
    with portal.store.read() as tx:
        content = tx.conn.execute(
            sa.select(resource.c.content).where(resource.c.rtype == "Patient", resource.c.id == pid)
        ).scalar_one()
    return str(json.loads(content)["identifier"][0]["value"])


def test_nothing_returned_by_any_search_could_be_refused_by_a_direct_read(portal: Any, sign_in: Any) -> None:
    cap = sign_in("lege").get("/fhir/metadata").json()
    declared = {r["type"]: r for r in cap["rest"][0]["resource"]}
    assert "Task" in declared and declared["Task"].get("searchInclude")
    lege = sign_in("lege")
    total_checked = 0
    problems: list[str] = []
    for user in USERS:
        api = sign_in(user)
        walker = Walker(api)
        pids = subjects(portal, sign_in, lege if user in ("it", "personvern", "pasient") else api)
        for rtype, decl in sorted(declared.items()):
            includes = [("_include", inc) for inc in decl.get("searchInclude", [])]
            names = {p["name"]: p["type"] for p in decl.get("searchParam", [])}
            if rtype == "Task" or rtype in DIRECTORY:
                bases: list[list[tuple[str, str]]] = [[]]
            elif rtype == "Patient":
                bases = [[("identifier", fnr_of(portal, pid))] for pid in pids]
            else:
                bases = [[("patient", f"Patient/{pid}")] for pid in pids]
            for base in bases:
                first = walker.search(rtype, base + includes + [("_count", "20")])
                samples = first[:1]
                if rtype == "Task" and user not in ("lege", "sykepleier", "sentralbord"):
                    samples = []
                for name, ptype in names.items():
                    if any(k == name for k, _ in base):
                        continue
                    for sample in samples:
                        value = value_for(rtype, name, ptype, sample)
                        if value is not None:
                            walker.search(rtype, base + [(name, value)] + includes + [("_count", "20")])
        problems += walker.problems
        total_checked += walker.checked
        if user in ("lege", "sykepleier", "sentralbord"):
            assert walker.checked > 0, f"{user}: the walk returned nothing to check"
    assert not problems, "\n".join(problems[:40])
    assert total_checked > 50
