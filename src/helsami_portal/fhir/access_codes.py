"""The access log's codes: on which basis a read was made, and what was read, as stable codes with
arguments a client can translate (docs/api.md, "Access log: basis and what codes").

The log stores the English texts (`purposeOfUse.text`, `entity.description`, kept for other
clients); the bases are the fixed texts of `BASES` (workflow.care names its bases from here) or one
of the prefixed forms below, and what was read is one of the forms of `_WHAT`. `basis_of` and
`what_of` give the code and arguments of a stored text, so entries written before the codes existed
carry them too. A text of no known form has no code (a client shows its generic sentence).
Arguments: a reference (`item`) as a dict with "reference", resource types (`types`) as a list,
an instant (`until`) as a datetime, a number (`version`) as an int, anything else as a string.
Never a patient's name or other patient data.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .conventions import BASE
from .outcome import _arg_value

BASIS_SYSTEM = f"{BASE}/CodeSystem/access-basis"
WHAT_SYSTEM = f"{BASE}/CodeSystem/access-what"
EXT_ACCESS_WHAT = f"{BASE}/StructureDefinition/access-what"
EXT_ACCESS_ARG = f"{BASE}/StructureDefinition/access-argument"

# code -> the stored English text of a fixed basis. Codes are never renamed; add new ones here and
# to docs/api.md.
BASES: dict[str, str] = {
    "care.gp": "care relation: regular GP (fastlege)",
    "care.from-patient": "care relation: inbox item from the patient",
    "care.from-colleague": "care relation: inbox item placed by a colleague",
    "care.from-portal": "care relation: inbox item routed by the portal",
    "care.appointment": "care relation: appointment with the staff member",
    "care.item-acted-on": "care relation: inbox item acted on",
    "care.open-item": "care relation: open inbox item",  # entries of older versions
    "own-item": "own item: an inbox item the staff member placed, and its thread",
    "inbox.own-pool": "inbox item in own pool",
    "inbox.list": "inbox list of own pools",
    "patient.document": "patient API: document sent to the patient",
    "search": "search",
}
_BASIS_BY_TEXT = {text: code for code, text in BASES.items()}
# Prefixed bases: code -> (the text's prefix, the argument the rest of the text is).
BASIS_PREFIXES: dict[str, tuple[str, str]] = {
    "break-glass": ("break the glass: ", "reason"),  # the reason the staff member gave, as typed
    "denied": ("denied: ", ""),  # a refused attempt; the English why stays in the text
    "patient-lookup": ("patient look-up", ""),
}

# What was read: code -> the pattern of its stored text (named groups are the arguments).
_ITEM = r"(?P<item>[A-Z][A-Za-z]+/[A-Za-z0-9.\-]+)"
_WHAT: dict[str, re.Pattern[str]] = {
    "search": re.compile(r"(?P<type>[A-Z][A-Za-z]+) search(?:: (?P<types>[A-Za-z, ]+))?"),
    "read-version": re.compile(rf"(?:inbox item )?{_ITEM} version (?P<version>\d+)"),
    "read-current-state": re.compile(rf"(?:inbox item )?{_ITEM} \(current state, with a refused change\)"),
    "read": re.compile(rf"(?:inbox item )?{_ITEM}"),
    "operation": re.compile(rf"{_ITEM} \((?P<operation>\$[a-z\-]+)\)"),
    "review": re.compile(rf"(?P<kind>renewal|result|questionnaire) review of {_ITEM}: (?P<types>[A-Za-z, ]+)"),
    "renewal-approved": re.compile(rf"renewal approved, {_ITEM}: (?P<types>[A-Za-z, ]+)"),
    "renewal-denied": re.compile(rf"renewal denied, {_ITEM}: (?P<types>[A-Za-z, ]+)"),
    "result-released": re.compile(rf"result released, {_ITEM}: (?P<types>[A-Za-z, ]+)"),
    "break-glass-granted": re.compile(r"break the glass granted until (?P<until>\d{4}-\d\d-\d\dT\d\d:\d\d) UTC"),
    "break-glass": re.compile(r"break the glass"),
    "phone-message-registered": re.compile(r"phone message registered"),
    "download": re.compile(rf"{_ITEM} download"),
    "draft": re.compile(rf"draft in {_ITEM}"),
    "patient-api": re.compile(r"patient API(?:: (?P<part>[a-z ]+))?"),
}
WHAT_CODES = tuple(_WHAT)


def basis_of(text: str) -> tuple[str, dict[str, Any]]:
    """The basis code and arguments of a stored basis text ("" when it is of no known form)."""
    code = _BASIS_BY_TEXT.get(text)
    if code is not None:
        return code, {}
    for code, (prefix, arg) in BASIS_PREFIXES.items():
        if text.startswith(prefix):
            rest = text[len(prefix) :].strip()
            return code, ({arg: rest} if arg and rest else {})
    return "", {}


def what_of(text: str) -> tuple[str, dict[str, Any]]:
    """The code and arguments of a stored description of what was read ("" when of no known form)."""
    for code, pattern in _WHAT.items():
        m = pattern.fullmatch(text)
        if m is None:
            continue
        args: dict[str, Any] = {}
        for name, value in m.groupdict().items():
            if value is None:
                continue
            if name == "item":
                args[name] = {"reference": value}
            elif name == "types":
                args[name] = [t.strip() for t in value.split(",") if t.strip()]
            elif name == "version":
                args[name] = int(value)
            elif name == "until":
                args[name] = dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)
            elif name == "part":
                args[name] = value.strip().replace(" ", "-")
            else:
                args[name] = value
        return code, args
    return "", {}


def arg_extensions(args: dict[str, Any]) -> list[dict[str, Any]]:
    """The arguments as extensions (name, typed value), in the form refusal arguments take."""
    return [
        {"url": EXT_ACCESS_ARG, "extension": [{"url": "name", "valueString": str(k)}, _arg_value(v)]}
        for k, v in args.items()
        if v is not None
    ]
