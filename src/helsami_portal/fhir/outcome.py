"""OperationOutcome errors: every failure the API reports is one of these."""

from __future__ import annotations

from typing import Any

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
    ) -> None:
        super().__init__(diagnostics)
        self.status = status
        self.diagnostics = diagnostics
        self.code = code or _DEFAULT_CODE.get(status, "processing")
        self.severity = severity
        self.expression = expression
        self.current = current
        self.headers = headers or {}

    def to_fhir(self) -> dict[str, Any]:
        return outcome(self.diagnostics, code=self.code, severity=self.severity,
                       expression=self.expression, current=self.current)


def outcome(
    diagnostics: str,
    *,
    code: str = "informational",
    severity: str = "information",
    expression: str | None = None,
    current: dict[str, Any] | None = None,
) -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression:
        issue["expression"] = [expression]
    oo: dict[str, Any] = {"resourceType": "OperationOutcome", "issue": [issue]}
    if current is not None:
        # The current state of the thing the caller tried to change (e.g. the Task after someone
        # else claimed it), so a client can explain the conflict without another round trip.
        oo["contained"] = [current]
    return oo
