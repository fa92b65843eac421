"""Refusal reasons as the portal codes them: the reason CodeSystem, typed arguments, and the parse of
one OperationOutcome issue. Below both the models and the typed errors (no imports of either)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

REASON_SYSTEM = "https://helsami.example/fhir/CodeSystem/refusal-reason"
EXT_REASON_ARG = "https://helsami.example/fhir/StructureDefinition/refusal-argument"

# Failures the client finds itself (no answer from the portal to read a code from).
CLIENT_REASONS: tuple[str, ...] = (
    "offline",  # the portal cannot be reached
    "signed-out",  # the session is over; sign in again
    "incomplete-answer",  # the portal's answer lacked what the client needs
    "not-a-portal",  # the address does not answer like a HelsaMi portal
    "no-demo-sign-in",  # the portal offers no demo sign-in
    "sign-in-expired",  # the device sign-in code expired
    "sign-in-refused",  # the sign-in was refused or failed (args: error)
    "renew-failed",  # the session could not be renewed right now
    "stream-failed",  # the event stream could not be opened
    "uncoded",  # the portal answered with an error without a reason code (args: status)
)


@dataclass(frozen=True)
class Ref:
    """A reference argument of a refusal: who or which item, with a display when the portal sent one."""

    reference: str
    display: str = ""

    @property
    def type(self) -> str:
        return self.reference.partition("/")[0]


ReasonArg = Ref | dt.datetime | int | str


def parse_reason(issue: Any) -> tuple[str, dict[str, ReasonArg]]:
    """The reason code and typed arguments of one OperationOutcome issue ("" and {} when none)."""
    if not isinstance(issue, dict):
        return "", {}
    code = ""
    details = issue.get("details")
    codings = details.get("coding") if isinstance(details, dict) else None
    for coding in codings if isinstance(codings, list) else []:
        if isinstance(coding, dict) and coding.get("system") == REASON_SYSTEM and isinstance(coding.get("code"), str):
            code = coding["code"][:80]
            break
    return code, parse_args(issue.get("extension"), EXT_REASON_ARG)


def parse_args(exts: Any, url: str) -> dict[str, ReasonArg]:
    """Typed arguments (name, value) from the extensions of `url` in `exts`: the form of refusal
    arguments, and of the access log's arguments."""
    args: dict[str, ReasonArg] = {}
    for ext in exts if isinstance(exts, list) else []:
        if not isinstance(ext, dict) or ext.get("url") != url or not isinstance(ext.get("extension"), list):
            continue
        parts = {x.get("url"): x for x in ext["extension"] if isinstance(x, dict)}
        name = (parts.get("name") or {}).get("valueString")
        value = _arg_value(parts.get("value") or {})
        if isinstance(name, str) and name and value is not None and len(args) < 20:
            args[name[:40]] = value
    return args


def _arg_value(v: dict[str, Any]) -> ReasonArg | None:
    if isinstance(v.get("valueReference"), dict):
        r = v["valueReference"]
        ref, disp = r.get("reference"), r.get("display")
        return Ref(ref[:200] if isinstance(ref, str) else "", disp[:200] if isinstance(disp, str) else "")
    if isinstance(v.get("valueInstant"), str):
        try:
            when = dt.datetime.fromisoformat(v["valueInstant"])
        except ValueError:
            return None
        return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    if isinstance(v.get("valueInteger"), int) and not isinstance(v.get("valueInteger"), bool):
        return int(v["valueInteger"])
    text = v.get("valueString")
    return text[:500] if isinstance(text, str) else None
