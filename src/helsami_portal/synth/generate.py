"""Synthetic FHIR R4 data for HelsaMi Innboks.

`generate(...)` yields plain FHIR JSON dicts, every referenced resource before what refers to it:

  Organization, HealthcareService (back-ups first), Practitioner, PractitionerRole, the services' document
  libraries (DocumentReference + Binary, synth.library), Questionnaire,
  Patient (all), RelatedPerson + Consent (proxies), clinical history of the first patients
  (Condition, MedicationRequest, AllergyIntolerance, Immunization, Observation, DiagnosticReport),
  then per inbox item its focus (thread header + messages, renewal request, report, questionnaire
  response or appointment) followed by its Task.

The first few hundred patients and items are rich; the rest are lean (a Task, its thread header
and one message drawn from precomputed text pools), so that a million items take seconds.
Deterministic for a given seed and `now`. Instants are fixed-width UTC strings (as the store's
`timeutil.instant` writes them), so text order is time order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from .common import (
    PROXY_LEVEL,
    QUESTIONNAIRE_URL,
    RICH_PATIENTS,
    RICH_TASKS,
    Resource,
)
from .directory import inbox_resources, organization_resources, staff_resources
from .fnr import fnr_is_valid, make_fnr
from .items import _Items
from .model import (
    INBOXES,
    DemoUser,
    demo_users,
)

__all__ = [
    "PROXY_LEVEL",
    "QUESTIONNAIRE_URL",
    "RICH_PATIENTS",
    "RICH_TASKS",
    "DemoUser",
    "demo_users",
    "fnr_is_valid",
    "generate",
    "make_fnr",
]


def generate(*, patients: int = 200, tasks: int = 600, seed: int = 1, now: dt.datetime) -> Iterator[Resource]:
    """Yield a synthetic dataset as FHIR R4 JSON dicts (see the module docstring)."""
    return _Generator(patients, tasks, seed, now).run()


class _Generator(_Items):
    """The whole dataset in order. Each step reads the state of the ones before it, so the steps are a
    chain of classes, one module each: base (ids, pools, deadlines), people (patients, proxies,
    skjerming), clinical (history), focus (what an item is about), items (the Tasks)."""

    def run(self) -> Iterator[Resource]:
        yield from organization_resources()
        yield from inbox_resources()
        practitioners, roles = staff_resources()
        yield from practitioners
        yield from roles
        from .library import library_resources

        yield from library_resources(
            seed=self.seed,
            now=self.clock.now,
            service_names={ib.id: ib.name for ib in INBOXES},
            service_orgs={ib.id: ib.org for ib in INBOXES},
        )
        yield self.questionnaire()
        self.setup_pools()
        yield from self.patients()
        yield from self.proxies()
        records: dict[str, list[str]] = {}
        for r in self.clinical():
            subject = (r.get("subject") or r.get("patient") or {}).get("reference", "")
            if r["resourceType"] in ("Condition", "DiagnosticReport"):
                records.setdefault(subject, []).append(f"{r['resourceType']}/{r['id']}")
                if r["resourceType"] == "DiagnosticReport":
                    records[subject] += [x["reference"] for x in r.get("result") or []]
            yield r
        yield from self.restriction(records)
        yield from self.tasks()
