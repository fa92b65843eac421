"""The synthetic data's shared vocabulary: code systems, sizes, type aliases, small FHIR helpers and the
per-inbox pools of precomputed texts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..fhir.conventions import (
    BASE,
)
from . import texts
from .model import (
    STAFF,
    Inbox,
    Staff,
)

PROXY_LEVEL = f"{BASE}/CodeSystem/proxy-level"
QUESTIONNAIRE_URL = f"{BASE}/Questionnaire/forhandsskjema"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"

# Full names of the staff: no patient or proxy is drawn with one, so a test (or a person) can tell
# from a name on screen whether it is patient data.
STAFF_NAMES = frozenset(f"{s.given} {s.family}" for s in STAFF)

RICH_PATIENTS = 300
RICH_TASKS = 600
PAST_DAYS = 43  # items arrive over the past six weeks
FUTURE_DAYS = 30
FMT = "%Y-%m-%dT%H:%M:%S.%fZ"  # = helsami_portal.fhir.timeutil.FMT
UTC = dt.UTC

INTERP_DISPLAY = {"N": "Normal", "H": "High", "L": "Low", "HH": "Critical high", "LL": "Critical low"}


Resource = dict[str, Any]
"""A FHIR resource (or a part of one) as plain JSON."""
State = tuple[str, str, str, bool, str | None]
"""A task's state: status, businessStatus hint, owner reference, escalated, the claiming practitioner."""
Focus = tuple[list[Resource], str, str, str | None]
"""What a focus builder returns: resources, focus reference, description, priority override."""
Proxy = tuple[str, str, str, str]
"""A proxy of a patient: RelatedPerson reference, access level, kind, given name."""


def _ref(r: str) -> Resource:
    return {"reference": r}


def _cc(system: str, code: str, display: str | None = None, text: str | None = None) -> Resource:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    out: Resource = {"coding": [coding]}
    if text:
        out["text"] = text
    return out


_ASCII = str.maketrans(
    {
        "æ": "ae",
        "ø": "o",
        "å": "a",
        "á": "a",
        "Æ": "Ae",
        "Ø": "O",
        "Å": "A",
        "Á": "A",
        " ": ".",
        "ś": "s",
        "ł": "l",
        "č": "c",
        "đ": "d",
        "ŋ": "n",
        "š": "s",
        "ŧ": "t",
        "ž": "z",
    }
)


def _ascii(s: str) -> str:
    return s.translate(_ASCII).lower()


class _Pool:
    __slots__ = (
        "chain",
        "deltas",
        "families",
        "ib",
        "lean_texts",
        "member_staff",
        "members",
        "patients",
        "phone_texts",
        "ref",
        "resp_k",
    )
    ib: Inbox
    ref: str
    members: list[str]
    member_staff: list[Staff]
    chain: list[tuple[int, str]]
    deltas: list[int]
    resp_k: int
    patients: list[int] | None  # None: any patient
    lean_texts: list[tuple[str, str]]
    phone_texts: list[tuple[str, str]]
    families: tuple[str, ...]


def _lean_texts(families: tuple[str, ...]) -> list[tuple[str, str]]:
    out = []
    for topic in texts.TOPICS:
        if topic["family"] not in families:
            continue
        for body in topic["patient"]:
            for g in texts.GREETINGS:
                for c in texts.CLOSINGS:
                    out.append((topic["subject"], f"{g}\n\n{body}\n\n{c} "))
            out.append((topic["subject"], body + "\n\nHilsen "))
    return out


def _phone_texts() -> list[tuple[str, str]]:
    out = []
    for topic in texts.PHONE_TOPICS:
        for t in topic["text"]:
            out.append((topic["subject"], t))
    return out
