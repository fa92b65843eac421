"""OperationOutcome errors: every failure the API reports is one of these."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .conventions import BASE

# The portal's own CodeSystem of refusal reasons: a stable code a client can translate, carried in
# OperationOutcome.issue.details.coding; its arguments (who, when, which item) travel as
# extensions of the issue (docs/api.md lists the codes and their arguments).
REASON_SYSTEM = f"{BASE}/CodeSystem/refusal-reason"
EXT_REASON_ARG = f"{BASE}/StructureDefinition/refusal-argument"
# On a 409/412 OperationOutcome: which contained resource is the current state, and its version.
EXT_CURRENT_STATE = f"{BASE}/StructureDefinition/current-state"

# FHIR issue-type codes by HTTP status, used when the caller gives none.
_DEFAULT_CODE = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    409: "conflict",
    410: "deleted",
    412: "conflict",
    413: "too-costly",
    415: "not-supported",
    422: "processing",
    428: "required",
    429: "throttled",
    500: "exception",
    503: "transient",
}


class FhirError(Exception):
    """A problem to report to the client as an OperationOutcome with an HTTP status.

    `diagnostics` is shown to users: plain words, never patient data, never a stack trace.
    """

    def __init__(
        self,
        status: int,
        diagnostics: str,
        *,
        code: str | None = None,
        severity: str = "error",
        expression: str | None = None,
        current: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        reason: str | None = None,
        args: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(diagnostics)
        self.status = status
        self.diagnostics = diagnostics
        self.code = code or _DEFAULT_CODE.get(status, "processing")
        self.severity = severity
        self.expression = expression
        self.current = current
        self.headers = headers or {}
        # A stable reason code of REASON_SYSTEM and its arguments; the diagnostics stay English.
        self.reason = reason
        self.reason_args = dict(args or {})  # (Exception.args is taken)

    def to_fhir(self) -> dict[str, Any]:
        return outcome(
            self.diagnostics,
            code=self.code,
            severity=self.severity,
            expression=self.expression,
            current=self.current,
            reason=self.reason,
            args=self.reason_args,
        )


def outcome(
    diagnostics: str,
    *,
    code: str = "informational",
    severity: str = "information",
    expression: str | None = None,
    current: dict[str, Any] | None = None,
    reason: str | None = None,
    args: dict[str, Any] | None = None,
) -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if reason:
        issue["details"] = {"coding": [{"system": REASON_SYSTEM, "code": reason}], "text": diagnostics}
        if args:
            issue["extension"] = [
                {"url": EXT_REASON_ARG, "extension": [{"url": "name", "valueString": str(k)}, _arg_value(v)]}
                for k, v in args.items()
                if v is not None
            ]
    if expression:
        issue["expression"] = [expression]
    oo: dict[str, Any] = {"resourceType": "OperationOutcome", "issue": [issue]}
    if current is not None:
        # The current state of the thing the caller tried to change (e.g. the Task after someone
        # else claimed it), so a client can explain the conflict without another round trip. A
        # contained resource carries no version (dom-4) and is referenced from its container (dom-3):
        # the current-state extension points at it and says its version, the If-Match to use next.
        inner = dict(current)
        meta = dict(inner.get("meta") or {})
        version, updated = meta.pop("versionId", None), meta.pop("lastUpdated", None)
        if meta:
            inner["meta"] = meta
        else:
            inner.pop("meta", None)
        state: list[dict[str, Any]] = [{"url": "resource", "valueReference": {"reference": f"#{inner.get('id', '')}"}}]
        if version is not None:
            state.append({"url": "versionId", "valueId": str(version)})
        if updated is not None:
            state.append({"url": "lastUpdated", "valueInstant": str(updated)})
        oo["extension"] = [{"url": EXT_CURRENT_STATE, "extension": state}]
        oo["contained"] = [inner]
    return oo


def _arg_value(v: Any) -> dict[str, Any]:
    """One argument as a typed value: a reference, an instant, a whole number or a text."""
    if isinstance(v, dict) and "reference" in v:
        return {"url": "value", "valueReference": {k: str(x) for k, x in v.items() if k in ("reference", "display")}}
    if isinstance(v, dt.datetime):
        utc = (v if v.tzinfo else v.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
        return {"url": "value", "valueInstant": utc.isoformat(timespec="seconds").replace("+00:00", "Z")}
    if isinstance(v, int) and not isinstance(v, bool):
        return {"url": "value", "valueInteger": v}
    if isinstance(v, (list, tuple)):
        return {"url": "value", "valueString": ",".join(str(x) for x in v)}
    return {"url": "value", "valueString": str(v)}
