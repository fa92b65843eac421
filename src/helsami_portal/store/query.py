"""FHIR search parameters -> SQL conditions, for the parameters in the registry and no others."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from ..fhir import timeutil
from ..fhir.outcome import FhirError
from ..fhir.registry import COMMON_CONTROL_PARAMS, DEFS, ResourceDef, SearchParam
from .schema import resource, task
from .store import BARE_ID_COLUMNS, DEFAULT_COUNT, MAX_COUNT

_DATE_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb")


@dataclass
class Query:
    rtype: str
    where: list[sa.ColumnElement[bool]] = field(default_factory=list)
    sort: list[tuple[str, bool]] | None = None
    count: int = DEFAULT_COUNT
    cursor: str | None = None
    includes: list[str] = field(default_factory=list)
    total: bool = False
    # The raw values of reference parameters, for access checks (e.g. which pool was asked for).
    refs: dict[str, list[str]] = field(default_factory=dict)


def parse_query(rtype: str, items: list[tuple[str, str]]) -> Query:
    rdef = DEFS[rtype]
    table = task if rtype == "Task" else resource
    q = Query(rtype)
    for raw_name, value in items:
        name, _, modifier = raw_name.partition(":")
        if name == "_count":
            q.count = _int(value, "_count", 1, MAX_COUNT)
        elif name == "_sort":
            q.sort = _sort(rdef, value)
        elif name == "_cursor":
            q.cursor = value
        elif name == "_include":
            q.includes.extend(_include(rdef, v) for v in value.split(","))
        elif name == "_total":
            if value not in ("none", "estimate", "accurate"):
                raise FhirError(400, "_total must be none, estimate or accurate.", expression="_total")
            q.total = value == "accurate"
        elif name in ("_format", "_summary"):
            continue
        elif name in rdef.params:
            p = rdef.params[name]
            if modifier and not (p.type == "string" and modifier in ("exact", "contains")):
                raise FhirError(400, f"The modifier :{modifier} is not supported on {name}.", expression=raw_name)
            q.where.append(_condition(table, p, value, modifier))
            if p.type == "reference":
                q.refs.setdefault(name, []).extend(_ref_values(p, value))
        else:
            known = ", ".join(sorted(set(rdef.params) | set(COMMON_CONTROL_PARAMS) - {"_format", "_summary"}))
            raise FhirError(400, f"Unknown search parameter '{raw_name}' for {rtype}. Supported: {known}.",
                            expression=raw_name)
    return q


def _int(value: str, name: str, lo: int, hi: int) -> int:
    try:
        n = int(value)
    except ValueError:
        raise FhirError(400, f"{name} must be a whole number.", expression=name) from None
    if not lo <= n <= hi:
        raise FhirError(400, f"{name} must be between {lo} and {hi}.", expression=name)
    return n


def _sort(rdef: ResourceDef, value: str) -> list[tuple[str, bool]]:
    out = []
    for part in value.split(","):
        part = part.strip()
        desc = part.startswith("-")
        key = part.lstrip("-")
        if key not in rdef.sorts:
            raise FhirError(400, f"Cannot sort {rdef.name} by '{key}'. Supported: {', '.join(rdef.sorts)}.",
                            expression="_sort")
        out.append((rdef.sorts[key], desc))
    return out


def _include(rdef: ResourceDef, value: str) -> str:
    typ, _, name = value.partition(":")
    if typ != rdef.name or name not in rdef.includes:
        allowed = ", ".join(f"{rdef.name}:{n}" for n in rdef.includes) or "none"
        raise FhirError(400, f"Unsupported _include '{value}'. Supported: {allowed}.", expression="_include")
    return name


def _ref_values(p: SearchParam, value: str) -> list[str]:
    out = []
    for v in value.split(","):
        v = v.strip()
        if not v:
            continue
        if "/" not in v:
            if p.target is None:
                raise FhirError(400, f"{p.name} needs a typed reference such as HealthcareService/123.",
                                expression=p.name)
            v = f"{p.target}/{v}"
        out.append(v)
    return out


def _condition(table: sa.Table, p: SearchParam, value: str, modifier: str) -> sa.ColumnElement[bool]:
    col = table.c[p.column]
    if value == "":
        raise FhirError(400, f"Search parameter {p.name} needs a value.", expression=p.name)
    if p.type == "reference":
        refs = _ref_values(p, value)
        if p.column in BARE_ID_COLUMNS:
            vals = [r.split("/", 1)[1] for r in refs]
        elif p.column == "id":
            vals = [r.split("/")[-1] for r in refs]
        else:
            vals = refs
        return col.in_(vals)
    if p.type == "token":
        vals = [v.split("|", 1)[1] if "|" in v else v for v in value.split(",")]
        if p.column == "priority_rank":
            from ..fhir.conventions import PRIORITY_RANK
            ranks = []
            for v in vals:
                if v not in PRIORITY_RANK:
                    raise FhirError(400, f"Unknown priority '{v}'.", expression=p.name)
                ranks.append(PRIORITY_RANK[v])
            return col.in_(ranks)
        return col.in_(vals)
    if p.type == "string":
        ors = []
        for v in value.split(","):
            v = v.strip().lower()
            esc = v.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            if modifier == "exact":
                ors.append(col == v)
            elif modifier == "contains":
                ors.append(col.like(f"%{esc}%", escape="\\"))
            else:
                ors.append(sa.or_(col.like(f"{esc}%", escape="\\"), col.like(f"% {esc}%", escape="\\")))
        return sa.or_(*ors)
    if p.type == "date":
        prefix = value[:2] if value[:2] in _DATE_PREFIXES else "eq"
        raw = value[2:] if value[:2] in _DATE_PREFIXES else value
        try:
            timeutil.parse(raw)
        except ValueError:
            raise FhirError(400, f"'{raw}' is not a FHIR date for {p.name}.", expression=p.name) from None
        v = timeutil.instant(timeutil.parse(raw)) if len(raw) > 10 else raw
        if prefix == "eq":
            return col.like(f"{v}%") if len(raw) <= 10 else col == v
        if prefix == "ne":
            return col != v
        if prefix in ("gt", "sa"):
            return col > (v + "~" if len(raw) <= 10 else v)
        if prefix in ("lt", "eb"):
            return col < v
        if prefix == "ge":
            return col >= v
        return col <= (v + "~" if len(raw) <= 10 else v)
    raise FhirError(400, f"Unsupported parameter type for {p.name}.")
