"""The fixed parts of the synthetic world as FHIR resources: organisations, inboxes
(HealthcareService) and staff (Practitioner, PractitionerRole), from the tables of `model`."""

from __future__ import annotations

from typing import Any

from ..fhir.conventions import (
    EXT_BACKUP_INBOX,
    EXT_RESPONSE_TIME,
    EXT_SAFETY_NET_DELAY,
    EXT_WORKING_TIME,
    HPR_SYSTEM,
    INBOX_KIND,
    ORGNR_SYSTEM,
    STAFF_ROLE,
    USERNAME_SYSTEM,
)
from .model import HOSP, INBOXES, LIBRARY_EDITORS, ORG_NAME, ORGS, ROLE_DISPLAY, STAFF, UCUM, _orgnr

MUNICIPALITY_EXT = "http://hl7.no/fhir/StructureDefinition/no-basis-municipalitycode"
KOMMUNENUMMER_SYSTEM = "urn:oid:2.16.578.1.12.4.1.1.3402"


def address(lines: list[str], postal_code: str, city: str, kommunenummer: str, **extra: str) -> dict[str, Any]:
    """A Norwegian address as HL7 Norway's no-basis-Address has it: the kommune in `district`, coded
    by its kommunenummer in the no-basis-municipalitycode extension."""
    from .texts import KOMMUNER

    kommune = KOMMUNER.get(kommunenummer, city)
    return {
        **extra,
        "line": lines,
        "city": city,
        "district": kommune,
        "_district": {
            "extension": [
                {
                    "url": MUNICIPALITY_EXT,
                    "valueCoding": {"system": KOMMUNENUMMER_SYSTEM, "code": kommunenummer, "display": kommune},
                }
            ]
        },
        "postalCode": postal_code,
        "country": "NO",
    }


def organization_resources() -> list[dict[str, Any]]:
    out = []
    for oid, name, base, typ, alias in ORGS:
        out.append(
            {
                "resourceType": "Organization",
                "id": oid,
                "active": True,
                "identifier": [{"system": ORGNR_SYSTEM, "value": _orgnr(base)}],
                "type": [{"text": typ}],
                "name": name,
                "alias": [alias],
                "address": [
                    address(["Postboks 100"], "7190", "Fjordvik", "5099")
                    if oid != HOSP
                    else address(["Postboks 100"], "7006", "Midtby", "5001")
                ],
            }
        )
    return out


def _duration(value: int, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def inbox_resources() -> list[dict[str, Any]]:
    out = []
    seen: set[str] = set()
    for ib in INBOXES:
        ext: list[dict[str, Any]] = []
        if ib.backup:
            assert ib.backup in seen, f"back-up {ib.backup} must come before {ib.id}"
            ext.append({"url": EXT_BACKUP_INBOX, "valueReference": {"reference": f"HealthcareService/{ib.backup}"}})
        ext.append({"url": EXT_SAFETY_NET_DELAY, "valueDuration": _duration(ib.delay_min, "min")})
        ext.append({"url": EXT_RESPONSE_TIME, "valueDuration": _duration(ib.response_days, "d")})
        ext.append({"url": EXT_WORKING_TIME, "valueBoolean": ib.working_time})
        out.append(
            {
                "resourceType": "HealthcareService",
                "id": ib.id,
                "active": True,
                "extension": ext,
                "providedBy": {"reference": f"Organization/{ib.org}", "display": ORG_NAME[ib.org]},
                "type": [{"coding": [{"system": INBOX_KIND, "code": ib.kind}]}],
                "name": ib.name,
            }
        )
        seen.add(ib.id)
    return out


def staff_resources() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    practitioners, roles = [], []
    for n, s in enumerate(STAFF, start=1):
        practitioners.append(
            {
                "resourceType": "Practitioner",
                "id": s.id,
                "active": True,
                "identifier": [
                    {"system": HPR_SYSTEM, "value": str(9100000 + n * 1013)},
                    {"system": USERNAME_SYSTEM, "value": s.username},
                ],
                "name": [
                    {
                        "use": "official",
                        "family": s.family,
                        "given": s.given.split(" "),
                        "text": f"{s.given} {s.family}",
                    }
                ],
                "gender": "male" if s.male else "female",
                "qualification": [{"code": {"text": s.title[:1].upper() + s.title[1:]}}],
            }
        )
        codes: list[dict[str, Any]] = [
            {"coding": [{"system": STAFF_ROLE, "code": s.role, "display": ROLE_DISPLAY[s.role]}]}
        ]
        if s.id in LIBRARY_EDITORS:  # a duty beside the role: keeps the services' document libraries
            codes.append(
                {
                    "coding": [
                        {"system": STAFF_ROLE, "code": "library-editor", "display": "Ansvarlig for dokumentbiblioteket"}
                    ]
                }
            )
        role = {
            "resourceType": "PractitionerRole",
            "id": f"role-{n:04d}",
            "active": True,
            "practitioner": {"reference": f"Practitioner/{s.id}", "display": f"{s.given} {s.family}"},
            "organization": {"reference": f"Organization/{s.org}", "display": ORG_NAME[s.org]},
            "code": codes,
            "specialty": [{"text": s.title}],
        }
        if s.pools:
            role["healthcareService"] = [{"reference": f"HealthcareService/{p}"} for p in s.pools]
        roles.append(role)
    return practitioners, roles
