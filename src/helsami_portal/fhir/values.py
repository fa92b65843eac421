"""Values read out of FHIR JSON: references, codes, identifiers, names."""

from __future__ import annotations

from typing import Any

Resource = dict[str, Any]


def ref_of(value: Any) -> str:
    """The "Type/id" of a FHIR Reference, or "" if none."""
    if isinstance(value, dict):
        r = value.get("reference")
        if isinstance(r, str):
            return r
    return ""


def ref_id(value: Any, expected: str | None = None) -> str:
    r = ref_of(value)
    if not r or "/" not in r:
        return ""
    typ, _, rid = r.partition("/")
    if expected and typ != expected:
        return ""
    return rid


def first_code(concept: Any, system: str | None = None) -> str:
    if isinstance(concept, list):
        concept = concept[0] if concept else None
    if not isinstance(concept, dict):
        return ""
    for coding in concept.get("coding") or []:
        if isinstance(coding, dict) and (system is None or coding.get("system") == system):
            code = coding.get("code")
            if isinstance(code, str):
                return code
    return ""


def identifier_value(resource: Resource, system: str) -> str:
    for ident in resource.get("identifier") or []:
        if isinstance(ident, dict) and ident.get("system") == system:
            return str(ident.get("value") or "")
    return ""


def human_name(resource: Resource) -> str:
    names = resource.get("name") or []
    if isinstance(names, list) and names and isinstance(names[0], dict):
        n = names[0]
        if n.get("text"):
            return str(n["text"])
        given = " ".join(str(g) for g in n.get("given") or [])
        return f"{given} {n.get('family') or ''}".strip()
    if isinstance(names, str):
        return names
    return ""


def _date(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _patient_of(resource: Resource, *fields: str) -> str:
    for f in fields:
        pid = ref_id(resource.get(f), "Patient")
        if pid:
            return pid
    return ""
