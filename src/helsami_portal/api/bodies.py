"""Parsing request bodies with bounds: JSON depth, text that the databases can store."""

from __future__ import annotations

import json
from typing import Any

from ..fhir.outcome import FhirError

MAX_JSON_DEPTH = 32


def parse_json(body: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """JSON from a request body, or a 400 naming what is wrong with it.

    Refused: nesting deeper than `max_depth`, lone surrogates (not Unicode text, cannot be stored)
    and NUL characters (PostgreSQL text cannot hold them).
    """
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise FhirError(400, "The body is not UTF-8 text.", reason="body-not-utf8") from None
    except json.JSONDecodeError as e:
        raise FhirError(
            400, f"The body is not valid JSON (line {e.lineno}, column {e.colno}: {e.msg}).", reason="body-not-json"
        ) from None
    except RecursionError:
        raise _too_deep(max_depth) from None
    check_text(data, max_depth)
    return data


def _too_deep(max_depth: int) -> FhirError:
    return FhirError(
        400,
        f"The body is nested too deeply (at most {max_depth} levels).",
        reason="body-too-deep",
        args={"limit": max_depth},
    )


def check_text(data: Any, max_depth: int = MAX_JSON_DEPTH) -> None:
    """At most `max_depth` levels, and every string (keys too) storable text: no lone
    surrogates, no NUL. One pass, without recursion."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, (dict, list)):
            if depth > max_depth:
                raise _too_deep(max_depth)
            if isinstance(v, dict):
                for k, item in v.items():
                    check_string(k)
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in v)
        elif isinstance(v, str):
            check_string(v)


def check_string(v: str, name: str | None = None) -> None:
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:
        raise FhirError(
            400,
            "The text holds characters that are not Unicode text (lone surrogates).",
            reason="text-not-unicode",
            expression=name,
        ) from None
    if "\x00" in v:
        raise FhirError(
            400, "The text holds a NUL character, which cannot be stored.", reason="control-character", expression=name
        )
