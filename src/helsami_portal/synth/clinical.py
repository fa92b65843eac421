"""The clinical history of the rich patients: conditions, medicines, allergies, immunizations, lab results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import cast

from ..fhir.conventions import (
    EXT_RELEASE_CATEGORY,
)
from .common import (
    INTERP_DISPLAY,
    INTERPRETATION,
    Resource,
    _cc,
    _ref,
)
from .model import (
    ALLERGIES,
    ATC,
    CONDITIONS,
    CONDITIONS_ADULT,
    CONDITIONS_CHILD,
    CONDITIONS_OLD,
    DEMO_PATIENTS,
    ICPC2,
    LOINC,
    MEDICINES,
    PANELS,
    TESTS,
    TEXT_REPORTS,
    UCUM,
    VACCINES,
    dispense_quantity,
)
from .people import _People


class _Clinical(_People):
    # --- clinical history of the rich patients ---------------------------------------------
    def clinical(self) -> Iterator[Resource]:
        rng = self.rng
        clock = self.clock
        self.meds_of: dict[int, list[tuple[str, str]]] = {}  # i -> [(MedicationRequest ref, key)]
        self.panels_of: dict[int, list[str]] = {}
        self.baseline: dict[tuple[int, str], float] = {}
        self.allergies_of: dict[int, list[str]] = {}
        code: str | None  # an ICPC-2 code, then an allergy's code (None: text only)
        cid: str | None  # a Condition id (None: a medicine taken without one)
        for i in range(self.rich_patients):
            pref = self.pat_ref[i]
            age = self.pat_age[i]
            gp = f"Practitioner/{self.pat_gp[i]}"
            if i == 0:
                conds = ["K86", "T93"]
            elif i == 1:
                conds = ["T90", "K78", "K86"]
            elif i == 2:
                conds = ["R96"]
            else:
                pool = CONDITIONS_CHILD if age < 18 else CONDITIONS_OLD if age >= 60 else CONDITIONS_ADULT
                k = int(rng.random() * (4 if age >= 60 else 3 if age >= 18 else 2))
                conds = []
                for _ in range(k):
                    c = pool[int(rng.random() * len(pool))]
                    if c not in conds:
                        conds.append(c)
            med_keys: list[tuple[str, str | None]] = []
            panels: list[str] = []
            for code in conds:
                display, meds, pans = CONDITIONS[code]
                onset = 30 + int(rng.random() * max(age * 330, 30))
                cid = self.next_id("cond", 6)
                yield {
                    "resourceType": "Condition",
                    "id": cid,
                    "clinicalStatus": _cc("http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
                    "verificationStatus": _cc(
                        "http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed"
                    ),
                    "category": [
                        _cc(
                            "http://terminology.hl7.org/CodeSystem/condition-category",
                            "problem-list-item",
                            "Problem List Item",
                        )
                    ],
                    "code": _cc(ICPC2, code, display, display),
                    "subject": _ref(pref),
                    "onsetDateTime": clock.date_ago(onset),
                    "recordedDate": clock.date_ago(max(onset - 3, 1)),
                    "recorder": _ref(gp),
                }
                for m in meds:
                    if m not in [x for x, _ in med_keys]:
                        med_keys.append((m, cid))
                for pn in pans:
                    if pn not in panels:
                        panels.append(pn)
            if age >= 18 and rng.random() < 0.3:
                med_keys.append((("paracet", "omeprazol", "cetirizin")[int(rng.random() * 3)], None))
            if age >= 40 and "blod" not in panels and rng.random() < 0.5:
                panels.append("blod")
            if age >= 50 and rng.random() < 0.2:
                panels.append("lever")
            # Medicines (active prescriptions)
            mrs = []
            for m, cid in med_keys:
                atc, atc_disp, text, dosage = MEDICINES[m]
                authored = int(rng.random() * 330) + 20
                mid = self.next_id("mr", 6)
                res = {
                    "resourceType": "MedicationRequest",
                    "id": mid,
                    "status": "active",
                    "intent": "order",
                    "medicationCodeableConcept": _cc(ATC, atc, atc_disp, text),
                    "subject": _ref(pref),
                    "authoredOn": clock.days_ago(authored),
                    "requester": _ref(gp),
                    "dosageInstruction": [{"text": dosage}],
                    "dispenseRequest": {
                        "validityPeriod": {"start": clock.date_ago(authored), "end": clock.date_ago(authored - 365)},
                        "quantity": dispense_quantity(text),
                    },
                }
                if cid:
                    res["reasonReference"] = [_ref(f"Condition/{cid}")]
                mrs.append((f"MedicationRequest/{mid}", m))
                yield res
            self.meds_of[i] = mrs
            # Allergies
            allergies = []
            if i == 0 or rng.random() < 0.22:
                picks = [ALLERGIES[0]] if i == 0 else [ALLERGIES[int(rng.random() * len(ALLERGIES))]]
                for text, system, code, disp, cat, crit, typ, reaction in picks:
                    code_cc = _cc(system, cast(str, code), disp, text) if system else {"text": text}
                    allergies.append(text)
                    yield {
                        "resourceType": "AllergyIntolerance",
                        "id": self.next_id("allergy", 6),
                        "clinicalStatus": _cc(
                            "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active"
                        ),
                        "verificationStatus": _cc(
                            "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "confirmed"
                        ),
                        "type": typ,
                        "category": [cat],
                        "criticality": crit,
                        "code": code_cc,
                        "patient": _ref(pref),
                        "recordedDate": clock.date_ago(int(rng.random() * 3000) + 30),
                        "reaction": [{"manifestation": [{"text": reaction}]}],
                    }
            self.allergies_of[i] = allergies
            yield from self.check_cases(i, pref, gp, [m for m, _ in med_keys], conds)
            # Immunizations
            group = "child" if age < 18 else "old" if age >= 65 else "adult"
            for atc, disp, text, for_ in VACCINES:
                if (for_ == group or (group == "old" and for_ == "adult")) and rng.random() < 0.6:
                    yield {
                        "resourceType": "Immunization",
                        "id": self.next_id("imm", 6),
                        "status": "completed",
                        "vaccineCode": _cc(ATC, atc, disp, text),
                        "patient": _ref(pref),
                        "occurrenceDateTime": clock.days_ago(int(rng.random() * min(age * 365 + 60, 2000)) + 14),
                        "primarySource": True,
                        "lotNumber": f"{chr(65 + int(rng.random() * 26))}{int(rng.random() * 90000) + 10000}",
                    }
            # Lab history: a few reports per panel, months apart
            self.panels_of[i] = panels
            for pn in panels:
                n_points = 2 + int(rng.random() * 4)
                for j in range(n_points):
                    days = (n_points - j) * (60 + int(rng.random() * 60)) + int(rng.random() * 20)
                    cat = "auto" if rng.random() < 0.8 else "clinician-or-14d"
                    yield from self.report(
                        i,
                        pn,
                        clock.base - dt.timedelta(days=days, minutes=int(rng.random() * 600)),
                        cat,
                        trend=(n_points - j) / n_points,
                    )
            # Text-only reports: pathology and genetics (never shared online)
            if i == 0 or (i >= len(DEMO_PATIENTS) and rng.random() < 0.05):
                yield from self.text_report(i, TEXT_REPORTS[0], 200)
            if i == 1 or (i >= len(DEMO_PATIENTS) and rng.random() < 0.04):
                yield from self.text_report(i, TEXT_REPORTS[1 + int(rng.random() * 2)], 400)
            if age >= 25 and not self.pat_male[i] and rng.random() < 0.1:
                yield from self.text_report(i, TEXT_REPORTS[3], 500)

    # Extra active orders and intolerances that make renewal checks show their warnings in the demo:
    # (condition or medicine key, which patients (i % n == r), ATC, ATC display, text, dosage).
    EXTRA_ORDERS = (
        (
            "eliquis",
            (2, 1),
            "M01AE01",
            "ibuprofen",
            "Ibux 400 mg tablett",
            "1 tablett inntil 3 ganger daglig ved behov",
        ),
        ("sertralin", (3, 0), "M01AE02", "naproksen", "Naproxen 250 mg tablett", "1 tablett 2 ganger daglig ved behov"),
        ("K77", (2, 0), "C03DA01", "spironolakton", "Spirix 25 mg tablett", "1 tablett daglig"),
        (
            "zopiklon",
            (2, 0),
            "N02AX02",
            "tramadol",
            "Nobligan 50 mg kapsel",
            "1 kapsel inntil 3 ganger daglig ved behov",
        ),
    )

    def check_cases(self, i: int, pref: str, gp: str, meds: list[str], conds: list[str]) -> Iterator[Resource]:
        """Records that renewal checks warn about (interactions, an intolerance to a class). Uses no
        random numbers, so the rest of the data is unchanged; ids come from the usual counters."""
        for key, (n, r), atc, disp, text, dosage in self.EXTRA_ORDERS:
            if (key in meds or key in conds) and i % n == r:
                days = 30 + (i * 37) % 200
                yield {
                    "resourceType": "MedicationRequest",
                    "id": self.next_id("mr", 6),
                    "status": "active",
                    "intent": "order",
                    "medicationCodeableConcept": _cc(ATC, atc, disp, text),
                    "subject": _ref(pref),
                    "authoredOn": self.clock.days_ago(days),
                    "requester": _ref(gp),
                    "dosageInstruction": [{"text": dosage}],
                    "dispenseRequest": {
                        "validityPeriod": {"start": self.clock.date_ago(days), "end": self.clock.date_ago(days - 365)},
                        "quantity": dispense_quantity(text),
                    },
                }
        if "sertralin" in meds and i % 2 == 1:
            # Switched from citalopram because of side effects: an intolerance to the same class (SSRI).
            yield {
                "resourceType": "AllergyIntolerance",
                "id": self.next_id("allergy", 6),
                "clinicalStatus": _cc("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active"),
                "verificationStatus": _cc(
                    "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "confirmed"
                ),
                "type": "intolerance",
                "category": ["medication"],
                "criticality": "low",
                "code": _cc(ATC, "N06AB04", "citalopram", "Citalopram"),
                "patient": _ref(pref),
                "recordedDate": self.clock.date_ago(400 + i % 300),
                "reaction": [{"manifestation": [{"text": "Kvalme og uro"}]}],
            }

    def text_report(self, i: int, spec: tuple[str, str, str], max_days: int) -> Iterator[Resource]:
        name, conclusion, cat = spec
        days = int(self.rng.random() * max_days) + 20
        yield {
            "resourceType": "DiagnosticReport",
            "id": self.next_id("dr", 6),
            "extension": [{"url": EXT_RELEASE_CATEGORY, "valueCode": cat}],
            "status": "final",
            "category": [
                _cc(
                    "http://terminology.hl7.org/CodeSystem/v2-0074",
                    "PAT" if "Histologi" in name or "Cytologi" in name else "GE",
                    None,
                )
            ],
            "code": {"text": name},
            "subject": _ref(self.pat_ref[i]),
            "effectiveDateTime": self.clock.days_ago(days + 7),
            "issued": self.clock.days_ago(days),
            "performer": [_ref("Organization/org-midtby-sykehus")],
            "conclusion": conclusion,
        }

    def value(self, i: int, test: str, trend: float) -> float:
        """A plausible value of a test for a patient: a personal baseline plus noise."""
        rng = self.rng
        spec = TESTS[test]
        lo, hi = spec[6] if self.pat_male[i] else spec[5]
        key = (i, test)
        if key not in self.baseline:
            lo_ = lo if lo is not None else hi * 0.2
            mid = (lo_ + hi) / 2
            width = hi - lo_
            b = mid + (rng.random() - 0.5) * width * 0.8
            r = rng.random()
            if test == "hba1c" and "diabetes" in self.panels_of.get(i, ()):
                b = 50 + rng.random() * 20
            elif test == "tsh" and "stoffskifte" in self.panels_of.get(i, ()):
                b = 1.0 + rng.random() * 5
            elif r < 0.12:
                b = hi + width * (0.05 + rng.random() * 0.4)
            elif r < 0.2 and lo is not None:
                b = lo - width * (0.05 + rng.random() * 0.3)
            self.baseline[key] = b
        b = self.baseline[key]
        v = b * (1 + 0.08 * trend) * (1 + (rng.random() - 0.5) * 0.12)
        if test == "crp":
            v = 1 + rng.random() * 4 if rng.random() < 0.7 else 5 + rng.random() ** 2 * 120
        return max(v, 0.01)

    def observation(self, i: int, test: str, value: float, when: str) -> Resource:
        loinc, loinc_disp, name, unit, ucum, rf, rm, dec, crit_lo, crit_hi = TESTS[test]
        lo, hi = rm if self.pat_male[i] else rf
        value = round(value, dec) if dec else round(value)
        if crit_hi is not None and value >= crit_hi:
            code = "HH"
        elif crit_lo is not None and value <= crit_lo:
            code = "LL"
        elif hi is not None and value > hi:
            code = "H"
        elif lo is not None and value < lo:
            code = "L"
        else:
            code = "N"
        rr: Resource = {}
        if lo is not None:
            rr["low"] = {"value": lo, "unit": unit, "system": UCUM, "code": ucum}
        if hi is not None:
            rr["high"] = {"value": hi, "unit": unit, "system": UCUM, "code": ucum}
        return {
            "resourceType": "Observation",
            "id": self.next_id("obs", 7),
            "status": "final",
            "category": [_cc("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory", "Laboratory")],
            "code": _cc(LOINC, loinc, loinc_disp, name),
            "subject": _ref(self.pat_ref[i]),
            "effectiveDateTime": when,
            "issued": when,
            "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": ucum},
            "referenceRange": [rr],
            "interpretation": [_cc(INTERPRETATION, code, INTERP_DISPLAY[code])],
        }

    def report(
        self,
        i: int,
        panel: str,
        when: dt.datetime,
        category: str,
        trend: float = 0.0,
        force: dict[str, float] | None = None,
        issued: str | None = None,
    ) -> Iterator[Resource]:
        name, tests = PANELS[panel]
        eff = self.clock.instant(when)
        issued = issued or self.clock.instant(when + dt.timedelta(hours=5))
        obs = []
        for test in tests:
            v = (force or {}).get(test)
            o = self.observation(i, test, v if v is not None else self.value(i, test, trend), eff)
            obs.append(o)
            yield o
        self.last_report_obs = obs
        yield {
            "resourceType": "DiagnosticReport",
            "id": self.next_id("dr", 6),
            "extension": [{"url": EXT_RELEASE_CATEGORY, "valueCode": category}],
            "status": "final",
            "category": [_cc("http://terminology.hl7.org/CodeSystem/v2-0074", "LAB", "Laboratory")],
            "code": {"text": name},
            "subject": _ref(self.pat_ref[i]),
            "effectiveDateTime": eff,
            "issued": issued,
            "performer": [_ref("Organization/org-midtby-sykehus")],
            "result": [_ref(f"Observation/{o['id']}") for o in obs],
        }
