"""FHIR search parameters -> SQL conditions, for the parameters in the registry and no others."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ..fhir import timeutil
from ..fhir.registry import COMMON_CONTROL_PARAMS, DEFS, ResourceDef, SearchParam
from .errors import InvalidQuery
from .store import BARE_ID_COLUMNS, DEFAULT_COUNT, MAX_COUNT, table_of

_DATE_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb")

# The cost model of a search (docs/api.md, "Limits"): each bound keeps one query cheap enough that
# it cannot hold the database for long. A search past one is refused before any SQL runs.
MAX_PARAMS = 30  # parameters in one search
MAX_SORT_KEYS = 3  # _sort keys (distinct); keyset paging costs the square of their number
MAX_INCLUDES = 4  # _include values; include depth is 1 (no :iterate)
MAX_VALUES = 100  # comma-separated values of one parameter
MAX_VALUE_CHARS = 1000  # characters in one parameter value
MAX_CURSOR_CHARS = 1024  # a paging cursor


def _limit(diagnostics: str, reason: str, limit: int, expression: str | None = None) -> InvalidQuery:
    return InvalidQuery(reason, diagnostics, args={"limit": limit}, expression=expression, too_costly=True)


@dataclass
class Query:
    rtype: str
    where: list[sa.ColumnElement[bool]] = field(default_factory=list)
    sort: list[tuple[str, bool]] | None = None
    count: int = DEFAULT_COUNT
    cursor: str | None = None
    includes: list[str] = field(default_factory=list)
    total: bool = False
    elements: list[str] = field(default_factory=list)  # _elements: the top-level elements to return
    # The raw values of reference parameters, for access checks (e.g. which pool was asked for).
    refs: dict[str, list[str]] = field(default_factory=dict)
    # (column, values) of a Task search by several statuses: read as one index-ordered query per
    # status, merged (Tx.search's `split`); the IN condition stays in `where`.
    split: tuple[str, list[str]] | None = None


def parse_query(rtype: str, items: list[tuple[str, str]]) -> Query:
    rdef = DEFS[rtype]
    table = table_of(rtype)
    q = Query(rtype)
    if len(items) > MAX_PARAMS:
        raise _limit(f"Too many search parameters (at most {MAX_PARAMS}).", "too-many-parameters", MAX_PARAMS)
    include_values = 0
    summary_count = False
    for raw_name, value in items:
        name, _, modifier = raw_name.partition(":")
        if name == "_cursor" and len(value) > MAX_CURSOR_CHARS:
            raise _limit(
                "The paging cursor is too large; start the search again.",
                "cursor-too-large",
                MAX_CURSOR_CHARS,
                "_cursor",
            )
        _check_value(raw_name, value)
        if name == "_count":
            if value.isascii() and value.isdigit() and (len(value) > 6 or int(value) > MAX_COUNT):
                raise _limit(f"_count must be at most {MAX_COUNT}.", "count-too-large", MAX_COUNT, "_count")
            q.count = _int(value, "_count", 0, MAX_COUNT)  # 0: only the total (as _summary=count)
        elif name == "_sort":
            q.sort = _sort(rdef, value)
        elif name == "_cursor":
            q.cursor = value
        elif name == "_include":
            if modifier:
                raise _limit(
                    f"_include:{modifier[:20]} is not supported: includes go one level deep.",
                    "include-depth",
                    1,
                    raw_name,
                )
            for v in value.split(","):
                include_values += 1
                if include_values > MAX_INCLUDES:
                    raise _limit(
                        f"Too many _include values (at most {MAX_INCLUDES}).",
                        "too-many-includes",
                        MAX_INCLUDES,
                        "_include",
                    )
                inc = _include(rdef, v)
                if inc not in q.includes:
                    q.includes.append(inc)
        elif name == "_total":
            if value not in ("none", "estimate", "accurate"):
                raise InvalidQuery(
                    "invalid-parameter",
                    "_total must be none, estimate or accurate.",
                    args={"name": "_total"},
                    expression="_total",
                )
            q.total = value == "accurate"
        elif name == "_summary":
            if value not in ("count", "false", "data"):  # no narratives: data is the whole resource
                raise InvalidQuery(
                    "summary-not-supported",
                    f"_summary={value[:20]} is not supported; use count, data or false.",
                    args={"value": value[:20]},
                    expression="_summary",
                )
            summary_count = summary_count or value == "count"
        elif name == "_elements":
            q.elements.extend(_elements(value))
        elif name == "_format":
            continue
        elif name in rdef.params:
            p = rdef.params[name]
            if modifier and not (p.type == "string" and modifier in ("exact", "contains")):
                raise InvalidQuery(
                    "unsupported-modifier",
                    f"The modifier :{modifier} is not supported on {name}.",
                    args={"name": name, "modifier": modifier},
                    expression=raw_name,
                )
            q.where.append(_condition(table, p, value, modifier))
            if rtype == "Task" and p.column == "status" and not modifier and "|" not in value:
                statuses = sorted({v for v in value.split(",") if v})
                if len(statuses) > 1:
                    q.split = ("status", statuses)
            if p.type == "reference":
                q.refs.setdefault(name, []).extend(_ref_values(p, value))
        else:
            known = ", ".join(sorted(set(rdef.params) | set(COMMON_CONTROL_PARAMS) - {"_format"}))
            raise InvalidQuery(
                "unknown-search-parameter",
                f"Unknown search parameter '{raw_name}' for {rtype}. Supported: {known}.",
                args={"name": raw_name},
                expression=raw_name,
            )
    if summary_count:
        q.count = 0
    if q.count == 0:  # only the number of matches: no resource leaves
        q.total = True
    return q


def _elements(value: str) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    if len(names) > 50 or any(len(n) > 64 or not n.replace("_", "").isalnum() for n in names):
        raise InvalidQuery(
            "invalid-parameter",
            "_elements takes up to 50 top-level element names, comma-separated.",
            args={"name": "_elements"},
            expression="_elements",
        )
    return names


def _int(value: str, name: str, lo: int, hi: int) -> int:
    try:
        n = int(value)
    except ValueError:
        raise InvalidQuery(
            "parameter-not-number", f"{name} must be a whole number.", args={"name": name}, expression=name
        ) from None
    if not lo <= n <= hi:
        raise InvalidQuery(
            "parameter-out-of-range",
            f"{name} must be between {lo} and {hi}.",
            args={"name": name, "min": lo, "max": hi},
            expression=name,
        )
    return n


def _check_value(name: str, value: str) -> None:
    if value.count(",") >= MAX_VALUES:
        raise _limit(
            f"Too many values for {name[:40]} (at most {MAX_VALUES}).", "too-many-values", MAX_VALUES, name[:40]
        )
    if len(value) > MAX_VALUE_CHARS:
        raise _limit(
            f"The value of {name[:40]} is too long (at most {MAX_VALUE_CHARS} characters).",
            "value-too-long",
            MAX_VALUE_CHARS,
            name[:40],
        )
    if "\x00" in value or "\x00" in name:
        raise InvalidQuery("control-character", "A search parameter holds a NUL character.", expression=name[:40])


def _sort(rdef: ResourceDef, value: str) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    parts = value.split(",")
    if len(parts) > MAX_SORT_KEYS:
        raise _limit(f"Too many _sort keys (at most {MAX_SORT_KEYS}).", "too-many-sort-keys", MAX_SORT_KEYS, "_sort")
    for part in parts:
        part = part.strip()
        desc = part.startswith("-")
        key = part.lstrip("-")
        if key not in rdef.sorts:
            raise InvalidQuery(
                "unsupported-sort",
                f"Cannot sort {rdef.name} by '{key}'. Supported: {', '.join(rdef.sorts)}.",
                args={"key": key},
                expression="_sort",
            )
        if any(col == rdef.sorts[key] for col, _ in out):
            raise InvalidQuery(
                "duplicate-sort-key", f"_sort names '{key}' more than once.", args={"key": key}, expression="_sort"
            )
        out.append((rdef.sorts[key], desc))
    return out


def _include(rdef: ResourceDef, value: str) -> str:
    typ, _, name = value.partition(":")
    if typ != rdef.name or name not in rdef.includes:
        allowed = ", ".join(f"{rdef.name}:{n}" for n in rdef.includes) or "none"
        raise InvalidQuery(
            "unsupported-include",
            f"Unsupported _include '{value}'. Supported: {allowed}.",
            args={"value": value},
            expression="_include",
        )
    return name


def _ref_values(p: SearchParam, value: str) -> list[str]:
    out = []
    for v in value.split(","):
        v = v.strip()
        if not v:
            continue
        if "/" not in v:
            if p.target is None:
                raise InvalidQuery(
                    "parameter-needs-reference",
                    f"{p.name} needs a typed reference such as HealthcareService/123.",
                    args={"name": p.name},
                    expression=p.name,
                )
            v = f"{p.target}/{v}"
        out.append(v)
    return out


class json_text(FunctionElement):  # type: ignore[type-arg]
    """The text at a path of the stored JSON (for searches over one patient's few rows).
    Arguments: the column, the path for SQLite (`$.a.b[0]`) and for PostgreSQL (`{a,b,0}`), as binds."""

    type = sa.String()
    inherit_cache = True


@compiles(json_text)
def _json_text_sqlite(element: json_text, compiler: Any, **kw: Any) -> str:
    col, sqlite_path, _ = list(element.clauses)
    return f"json_extract({compiler.process(col, **kw)}, {compiler.process(sqlite_path, **kw)})"


@compiles(json_text, "postgresql")
def _json_text_pg(element: json_text, compiler: Any, **kw: Any) -> str:
    col, _, pg_path = list(element.clauses)
    return f"(CAST({compiler.process(col, **kw)} AS JSONB) #>> CAST({compiler.process(pg_path, **kw)} AS TEXT[]))"


def json_at(col: Any, dotted: str) -> Any:
    """`dotted` comes from the registry ("code.coding.0.system"), never from a request."""
    parts = dotted.split(".")
    assert all(p.isalnum() for p in parts)
    sqlite_path = "$" + "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in parts)
    return json_text(col, sa.literal(sqlite_path), sa.literal("{" + ",".join(parts) + "}"))


def _column(table: sa.Table, p: SearchParam) -> sa.ColumnElement[Any]:
    if p.column.startswith("content:"):  # an element the registry names
        element: sa.ColumnElement[Any] = json_at(table.c.content, p.column.split(":", 1)[1])
        return element
    return table.c[p.column]


def _condition(table: sa.Table, p: SearchParam, value: str, modifier: str) -> sa.ColumnElement[bool]:
    col = _column(table, p)
    if value == "":
        raise InvalidQuery(
            "parameter-required", f"Search parameter {p.name} needs a value.", args={"name": p.name}, expression=p.name
        )
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
        vals = []
        with_system: list[sa.ColumnElement[bool]] = []
        for v in value.split(","):
            system, bar, code = v.partition("|")
            if not bar:
                vals.append(v)
            elif p.system is None and p.system_path and system:
                with_system.append(sa.and_(col == code, json_at(table.c.content, p.system_path) == system))
            elif p.system is None or system == p.system:
                vals.append(code)
            # else: a value of another system (a D-number, an HPR number for a patient) matches nothing
        if with_system:
            return sa.or_(*with_system, *([col.in_(vals)] if vals else []))
        if not vals:
            return sa.false()
        if p.column == "priority_rank":
            from ..fhir.conventions import PRIORITY_RANK

            ranks = []
            for v in vals:
                if v not in PRIORITY_RANK:
                    raise InvalidQuery(
                        "invalid-parameter", f"Unknown priority '{v}'.", args={"name": p.name}, expression=p.name
                    )
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
            raise InvalidQuery(
                "invalid-date", f"'{raw}' is not a FHIR date for {p.name}.", args={"name": p.name}, expression=p.name
            ) from None
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
    raise InvalidQuery("invalid-parameter", f"Unsupported parameter type for {p.name}.", args={"name": p.name})
