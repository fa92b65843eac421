"""What to tell the user about a failure: a sentence in their language for the failure's reason code.

The client parses the portal's reason code and arguments (client/errors.py); this maps the code to
``reason.<code>`` in the catalogs and fills the placeholders: people and inboxes by name, instants
in clinical time (Europe/Oslo) for the locale, numbers for the locale, roles and fields by their
translated names. An unknown code gives a translated generic sentence with the code; the portal's
English diagnostics are never shown. The result is plain text from the catalog with values that may
come from the server (names): show it with markup off, or through safetext.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import string
from typing import Any

from .client.errors import ClientError, ReasonArg, Ref, reason_of
from .crash import safe_report
from .i18n import CATALOGS, current_language, format_datetime, format_number, t
from .safetext import safe_str

log = logging.getLogger("helsami_tui.failures")

# Item types of the portal (task-type codes) -> the catalog key of their name.
_TYPE_KEYS = {
    "message": "type.message",
    "renewal": "type.renewal",
    "result": "type.result",
    "questionnaire": "type.questionnaire",
    "appointment": "type.appointment",
    "phone-message": "type.phone_message",
}
# Placeholders named otherwise than their argument (a name t() itself uses).
_ALIASES = {"sort_key": "key"}
# Placeholders whose argument picks a variant of the sentence (reason.<code>.<value>).
_VARIANT_ARGS = ("action",)


def reason_key(code: str) -> str | None:
    """The catalog key of a reason code, or None when this version does not know the code."""
    key = f"reason.{code}"
    return key if code and key in CATALOGS[current_language()] else None


def _has(key: str) -> bool:
    return key in CATALOGS[current_language()]


def _name(ref: Ref, fallback: str) -> str:
    return safe_str(ref.display, multiline=False) if ref.display else t(fallback)


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return t("list.and", a=", ".join(items[:-1]), b=items[-1])


def format_arg(name: str, value: ReasonArg | None) -> str:
    """One argument of a reason as the user reads it."""
    if value is None or value == "":
        return {
            "who": t("arg.someone"),
            "target": t("arg.somewhere"),
            "inbox": t("arg.somewhere"),
            "when": t("arg.unknown_time"),
            "item": t("arg.item"),
        }.get(name, t("arg.field") if name == "name" else "?")
    if isinstance(value, Ref):
        return _name(value, "arg.someone" if name == "who" else "arg.somewhere")
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, int):
        return format_number(value) if name not in ("status", "line", "column", "incident", "version") else str(value)
    text = safe_str(value, multiline=False)
    if name == "roles":
        return _join([t(f"role.{r}") if _has(f"role.{r}") else r for r in text.split(",") if r])
    if name == "name":
        return t(f"param.{text}") if _has(f"param.{text}") else f"«{text}»"
    if name in ("type", "expected") and text in _TYPE_KEYS:
        return t(_TYPE_KEYS[text]).lower()
    if name == "reasons":  # the renewal protocol's reasons (not-routine)
        return (
            _join([t(f"batch.protocol.{r}") if _has(f"batch.protocol.{r}") else f"«{r}»" for r in text.split(",") if r])
            or "?"
        )
    if name == "scope":
        return t(f"scope.{text}") if _has(f"scope.{text}") else f"«{text}»"
    if name in ("type", "expected", "key", "value", "operation", "modifier", "error", "missing", "warnings"):
        return f"«{text}»"  # a technical name (resource type, parameter, code): quoted, not translated
    return text


def reason_text(code: str, args: dict[str, Any] | None = None) -> str:
    """The sentence for a reason code with its arguments, in the current language."""
    args = dict(args or {})
    key = reason_key(code)
    if key is None:
        return t("reason.unknown", code=safe_str(code or "?", multiline=False))
    for arg in _VARIANT_ARGS:
        value = args.get(arg)
        if isinstance(value, str) and _has(f"{key}.{value}"):
            key = f"{key}.{value}"
    template = CATALOGS[current_language()][key]
    names = {n for _, n, _, _ in string.Formatter().parse(template) if n}
    text = t(key, **{n: format_arg(_ALIASES.get(n, n), args.get(_ALIASES.get(n, n))) for n in names})
    return text[:1].upper() + text[1:]


def error_text(e: BaseException) -> str:
    """What to tell the user about `e`, in their language; never the portal's English diagnostics,
    never an exception's text or type."""
    if isinstance(e, ClientError):
        code, args = reason_of(e)
        if code:
            return reason_text(code, args)
    return unexpected_text(e)


def unexpected_text(e: BaseException) -> str:
    """A failure the app has no sentence for (a fault of the app, or an error of a kind it does not
    code): a translated generic sentence with a log id. The log has the id and the exception's types
    and code places (crash.safe_report); never its message, which may quote patient data."""
    log_id = secrets.token_hex(4)
    log.warning("unexpected failure %s:\n%s", log_id, safe_report(e))
    return t("app.error", log_id=log_id)
