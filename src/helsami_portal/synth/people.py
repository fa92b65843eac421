"""Patients, their proxies (fullmakt) and the one restriction (skjerming) of the synthetic data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ..fhir.conventions import (
    BASE,
    FNR_SYSTEM,
)
from . import texts
from .base import _Base
from .common import (
    CONFIDENTIALITY,
    PROXY_LEVEL,
    RICH_PATIENTS,
    ROLE_CODE,
    STAFF_NAMES,
    Resource,
    _ascii,
    _cc,
    _ref,
)
from .directory import address
from .fnr import make_fnr
from .model import (
    DEMO_PATIENTS,
    DEMO_PROXIES,
    GPS,
    LOINC,
    PROXY_LEVEL_DISPLAY,
    RELATIONS,
)


class _People(_Base):
    # --- patients ----------------------------------------------------------------------------
    def patients(self) -> Iterator[Resource]:
        rng = self.rng
        rand = rng.random
        today = self.clock.today
        n = self.n_patients
        self.pat_ref: list[str] = [""] * n
        self.pat_given: list[str] = [""] * n
        self.pat_male = bytearray(n)
        self.pat_age: list[int] = [0] * n
        self.pat_office = bytearray(n)
        self.pat_gp: list[str] = [""] * n
        self.pat_fnr: dict[int, str] = {}
        self.pat_name: dict[int, str] = {}
        self.pat_birth: dict[int, dt.date] = {}
        used: set[str] = set()
        self.used_fnr = used
        groups = (texts.NORWEGIAN, texts.SAMI, texts.IMMIGRANT)
        streets, towns = texts.STREETS, texts.TOWNS
        office_pats: tuple[list[int], list[int]] = ([], [])
        children: list[int] = []
        rich = min(n, RICH_PATIENTS)
        for i in range(n):
            pid = f"pat-{i + 1:06d}"
            if i < len(DEMO_PATIENTS):
                given, family, male, age_days, gp = DEMO_PATIENTS[i]
                middle = None
                office = 0 if gp in GPS[0] else 1
                birth = today - dt.timedelta(days=age_days)
            else:
                r = rand()
                grp = groups[0] if r < 0.80 else groups[1] if r < 0.86 else groups[2]
                male = rand() < 0.49
                names = grp[0] if male else grp[1]
                given = names[int(rand() * len(names))]
                middle = names[int(rand() * len(names))] if rand() < 0.12 else None
                if middle == given:
                    middle = None
                family = grp[2][int(rand() * len(grp[2]))]
                while f"{given} {family}" in STAFF_NAMES:  # a patient never shares a staff member's name
                    family = grp[2][int(rand() * len(grp[2]))]
                r = rand()
                age = (
                    int(r / 0.08 * 6)
                    if r < 0.08
                    else 6 + int((r - 0.08) / 0.10 * 12)
                    if r < 0.18
                    else 18 + int((r - 0.18) / 0.55 * 49)
                    if r < 0.73
                    else 67 + int((r - 0.73) / 0.27 * 32)
                )
                birth = today - dt.timedelta(days=age * 365 + int(age / 4) + int(rand() * 365))
                office = 0 if rand() < 0.6 else 1
                gp = GPS[office][int(rand() * len(GPS[office]))]
            age = (today - birth).days * 100 // 36525
            fnr = make_fnr(birth, male, self.fnr_rng)
            while fnr in used:
                fnr = make_fnr(birth, male, self.fnr_rng)
            used.add(fnr)
            full_given = f"{given} {middle}" if middle else given
            text = f"{full_given} {family}"
            res: Resource = {
                "resourceType": "Patient",
                "id": pid,
                "identifier": [{"system": FNR_SYSTEM, "value": fnr}],
                "active": True,
                "name": [{"use": "official", "family": family, "given": full_given.split(" "), "text": text}],
                "gender": "male" if male else "female",
                "birthDate": birth.isoformat(),
            }
            if age >= 13:
                tel = [
                    {
                        "system": "phone",
                        "value": f"+47 {4 if rand() < 0.4 else 9}{int(rand() * 10_000_000):07d}",
                        "use": "mobile",
                    }
                ]
                if age >= 18 and rand() < 0.5:
                    tel.append(
                        {"system": "email", "value": f"{_ascii(given)}.{_ascii(family)}@example.no", "use": "home"}
                    )
                res["telecom"] = tel
            if i >= len(DEMO_PATIENTS) and rand() < 0.01:
                # Confidential address (fortrolig adresse): no address is given out.
                res["meta"] = {"security": [{"system": CONFIDENTIALITY, "code": "R", "display": "restricted"}]}
            else:
                pc, town, kommunenummer = towns[int(rand() * len(towns))]
                res["address"] = [
                    address(
                        [f"{streets[int(rand() * len(streets))]} {1 + int(rand() * 80)}"],
                        pc,
                        town,
                        kommunenummer,
                        use="home",
                        type="physical",
                    )
                ]
            res["generalPractitioner"] = [{"reference": f"Practitioner/{gp}"}]
            ref = f"Patient/{pid}"
            self.pat_ref[i] = ref
            self.pat_given[i] = given
            self.pat_male[i] = male
            self.pat_age[i] = age
            self.pat_office[i] = office
            self.pat_gp[i] = gp
            if i < rich:
                self.pat_birth[i] = birth
                self.pat_fnr[i] = fnr
                self.pat_name[i] = text
            office_pats[office].append(i)
            if age < 18:
                children.append(i)
            yield res
        self.office_pats = office_pats
        self.children = children or [2]
        for p in self.pools.values():
            if p.ib.office is not None:
                p.patients = office_pats[p.ib.office] or list(range(n))
            elif p.ib.children:
                p.patients = self.children
            else:
                p.patients = None  # anyone
        self.rich_patients = rich

    # --- proxies (fullmakt) ------------------------------------------------------------------
    def proxies(self) -> Iterator[Resource]:
        rng = self.rng
        self.proxies_of: dict[int, list[tuple[str, str, str, str]]] = {}  # i -> (ref, level, kind, given)
        grants = []
        for given, family, male, age_days, pi, rel, level, _user in DEMO_PROXIES:
            grants.append((given, family, male, self.clock.today - dt.timedelta(days=age_days), pi, rel, level))
        for i in range(len(DEMO_PATIENTS), self.rich_patients):
            age = self.pat_age[i]
            if age < 12 and rng.random() < 0.5:
                male = rng.random() < 0.5
                grants.append(
                    self.random_person(male, 30 + age, self.name_family(i)) + (i, "FTH" if male else "MTH", "full")
                )
            elif 12 <= age < 16 and rng.random() < 0.3:
                male = rng.random() < 0.5
                grants.append(
                    self.random_person(male, 32 + age, self.name_family(i)) + (i, "FTH" if male else "MTH", "standard")
                )
            elif age >= 80 and rng.random() < 0.35:
                male = rng.random() < 0.5
                grants.append(
                    self.random_person(male, age - 28, self.name_family(i))
                    + (i, "SON" if male else "DAU", rng.choice(("full", "standard", "read", "messages")))
                )
        fnrs = {}
        for n, (given, family, male, birth, pi, rel, level) in enumerate(grants, start=1):
            rid = f"rp-{n:06d}"
            key = (given, family, birth)
            if key not in fnrs:
                # Kari Nordmann is both a patient and her father's proxy: same number.
                same = [i for i in range(len(DEMO_PATIENTS)) if self.pat_name.get(i) == f"{given} {family}"]
                if same:
                    fnrs[key] = self.pat_fnr[same[0]]
                else:
                    fnr = make_fnr(birth, male, self.fnr_rng)
                    while fnr in self.used_fnr:
                        fnr = make_fnr(birth, male, self.fnr_rng)
                    self.used_fnr.add(fnr)
                    fnrs[key] = fnr
            rel_display, rel_text = RELATIONS[rel]
            ref = f"RelatedPerson/{rid}"
            yield {
                "resourceType": "RelatedPerson",
                "id": rid,
                "active": True,
                "patient": _ref(self.pat_ref[pi]),
                "identifier": [{"system": FNR_SYSTEM, "value": fnrs[key]}],
                "relationship": [_cc(ROLE_CODE, rel, rel_display, rel_text)],
                "name": [{"use": "official", "family": family, "given": given.split(" "), "text": f"{given} {family}"}],
                "gender": "male" if male else "female",
                "birthDate": birth.isoformat(),
                "telecom": [
                    {"system": "phone", "value": f"+47 9{int(rng.random() * 10_000_000):07d}", "use": "mobile"}
                ],
            }
            age = self.pat_age[pi]
            child = rel in ("FTH", "MTH")
            birth_p = self.pat_birth[pi]
            start_days = int(rng.random() * 700) + 10
            period = {"start": self.clock.date_ago(min(start_days, age * 365 if child and age else start_days))}
            if child:
                end_age = 12 if age < 12 else 16
                try:
                    period["end"] = birth_p.replace(year=birth_p.year + end_age).isoformat()
                except ValueError:  # born 29 February
                    period["end"] = dt.date(birth_p.year + end_age, 3, 1).isoformat()
            yield {
                "resourceType": "Consent",
                "id": f"con-{n:06d}",
                "status": "active",
                "scope": _cc(
                    "http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy", "Privacy Consent"
                ),
                "category": [_cc(LOINC, "59284-0", "Consent Document", "Fullmakt i HelsaMi")],
                "patient": _ref(self.pat_ref[pi]),
                "dateTime": self.clock.days_ago(start_days),
                "performer": [_ref(ref if child else self.pat_ref[pi])],
                "policyRule": {
                    "text": (
                        "Foreldreansvar: innsyn for foreldre til barn under 12 år"
                        if child and age < 12
                        else "Foreldreansvar: begrenset innsyn for barn 12–16 år"
                        if child
                        else "Fullmakt gitt av innbygger i HelsaMi"
                    )
                },
                "provision": {
                    "type": "permit",
                    "period": period,
                    "actor": [
                        {
                            "role": _cc(
                                ROLE_CODE, "GUARD" if child else "POWATT", "guardian" if child else "power of attorney"
                            ),
                            "reference": _ref(ref),
                        }
                    ],
                    "code": [_cc(PROXY_LEVEL, level, PROXY_LEVEL_DISPLAY[level])],
                },
            }
            kind = ("parent" if age < 12 else "teen-parent") if child else "child"
            self.proxies_of.setdefault(pi, []).append((ref, level, kind, given))

    def name_family(self, i: int) -> str:
        return self.pat_name[i].rsplit(" ", 1)[-1]

    def random_person(self, male: bool, age: int, family: str) -> tuple[str, str, bool, dt.date]:
        rng = self.rng
        names = texts.NORWEGIAN[0] if male else texts.NORWEGIAN[1]
        given = names[int(rng.random() * len(names))]
        while f"{given} {family}" in STAFF_NAMES:  # a proxy never shares a staff member's name
            given = names[int(rng.random() * len(names))]
        birth = self.clock.today - dt.timedelta(days=max(age, 18) * 365 + int(rng.random() * 300))
        return (given, family, male, birth)

    # --- restriction (skjerming) -------------------------------------------------------------
    def restriction(self, records: dict[str, list[str]]) -> Iterator[Resource]:
        """One patient has asked for skjerming: their diagnoses and latest lab report are hidden from
        everyone but a named care team (prac-0002 "sykepleier" and prac-0008), even from their own GP,
        demo user "lege" (prac-0001). Uses no random numbers, so the rest of the data is unchanged."""
        first = len(DEMO_PATIENTS)
        picks = [
            i
            for i in range(first, min(self.rich_patients, 200))
            if self.pat_age[i] >= 18
            and any(x.startswith("Condition/") for x in records.get(self.pat_ref[i], []))
            and any(x.startswith("DiagnosticReport/") for x in records.get(self.pat_ref[i], []))
        ]
        preferred = [i for i in picks if self.pat_gp[i] == "prac-0001"]
        if not (preferred or picks):
            return
        i = (preferred or picks)[0]
        mine = records[self.pat_ref[i]]
        reports = [n for n, x in enumerate(mine) if x.startswith("DiagnosticReport/")]
        last = reports[-1]  # the latest lab report, followed by its result Observations
        report_refs = [mine[last]] + [x for x in mine[last + 1 :] if x.startswith("Observation/")]
        yield {
            "resourceType": "Consent",
            "id": "con-skjerming-000001",
            "status": "active",
            "scope": _cc("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy", "Privacy Consent"),
            "category": [_cc(f"{BASE}/CodeSystem/consent-kind", "skjerming", "Skjerming", "Skjerming av journal")],
            "patient": _ref(self.pat_ref[i]),
            "dateTime": self.clock.days_ago(30),
            "performer": [_ref(self.pat_ref[i])],
            "policyRule": {"text": "Pasienten har bedt om skjerming av diagnoser og siste prøvesvar"},
            "provision": {
                "type": "deny",
                "period": {"start": self.clock.date_ago(30)},
                "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "Condition"}],
                "data": [{"meaning": "instance", "reference": _ref(ref)} for ref in report_refs],
                "provision": [
                    {
                        "type": "permit",
                        "actor": [
                            {
                                "role": _cc(
                                    "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "PRF", "performer"
                                ),
                                "reference": _ref(f"Practitioner/{prac}"),
                            }
                            for prac in ("prac-0002", "prac-0008")
                        ],
                    }
                ],
            },
        }
