"""The access log's entries in the user's language: what was read and on which basis, from the
portal's codes and their arguments (client.models.AccessEntry; docs/api.md), never from the
portal's English texts. Kinds of records are named by their translated names; an unknown code
gives a translated generic phrase with the code. Plain text with values that may come from the
server (ids, a break-the-glass reason): show it through safetext."""

from __future__ import annotations

import datetime as dt
import string

from .client.models import AccessEntry
from .client.reasons import ReasonArg, Ref
from .i18n import CATALOGS, current_language, format_datetime, format_number, t
from .safetext import safe_str


def _has(key: str) -> bool:
    return key in CATALOGS[current_language()]


def type_name(rtype: str) -> str:
    """A FHIR resource type by its name in the user's language (a type of no name: quoted)."""
    clean = safe_str(rtype, multiline=False)
    return t(f"rtype.{clean}") if _has(f"rtype.{clean}") else f"«{clean}»"


def _item(value: ReasonArg | None) -> str:
    ref = value.reference if isinstance(value, Ref) else str(value or "")
    rtype, _, rid = ref.partition("/")
    return f"{type_name(rtype)} {safe_str(rid, multiline=False)}".strip() if rid else type_name(rtype)


def _arg(name: str, value: ReasonArg | None) -> str:
    if name == "item":
        return _item(value)
    if name in ("types", "type"):
        kinds = [k for k in str(value or "").split(",") if k]
        return ", ".join(dict.fromkeys(type_name(k) for k in kinds)) or "?"
    if name == "until":
        return format_datetime(value) if isinstance(value, dt.datetime) else "?"
    if name == "version":
        return format_number(value) if isinstance(value, int) else safe_str(str(value or "?"), multiline=False)
    if name == "operation":
        op = str(value or "")
        return t(f"log.op.{op}") if _has(f"log.op.{op}") else f"«{safe_str(op, multiline=False)}»"
    if name == "part":
        part = str(value or "")
        return t(f"log.part.{part}") if _has(f"log.part.{part}") else f"«{safe_str(part, multiline=False)}»"
    return safe_str(str(value or ""), multiline=False)  # the reason a staff member gave, as typed


def _phrase(prefix: str, code: str, args: dict[str, ReasonArg], variant: str = "") -> str:
    if not code:
        return t(f"{prefix}.uncoded")
    key = f"{prefix}.{code}"
    if not _has(key):
        return t(f"{prefix}.unknown", code=safe_str(code, multiline=False))
    if variant and _has(f"{key}.{variant}"):
        key = f"{key}.{variant}"
    names = {n for _, n, _, _ in string.Formatter().parse(CATALOGS[current_language()][key]) if n}
    if any(args.get(n) in (None, "") for n in names) and _has(f"{key}.none"):
        key = f"{key}.none"  # the phrase without the argument the portal did not send
        names = {n for _, n, _, _ in string.Formatter().parse(CATALOGS[current_language()][key]) if n}
    return t(key, **{n: _arg(n, args.get(n)) for n in names})


def what_text(e: AccessEntry) -> str:
    """What was read, in the user's language."""
    kind = e.what_args.get("kind")
    return _phrase("log.what", e.what_code, e.what_args, kind if isinstance(kind, str) else "")


def basis_text(e: AccessEntry) -> str:
    """On which basis it was read, in the user's language."""
    return _phrase("log.basis", e.basis_code, e.basis_args)
