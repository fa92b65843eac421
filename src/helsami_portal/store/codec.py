"""Resources as stored JSON text: encoding, decoding, and `Stored` (a resource that keeps its text)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import orjson

Resource = dict[str, Any]


def new_id() -> str:
    return uuid.uuid4().hex


def dumps(r: Resource) -> str:
    try:
        return orjson.dumps(r).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):  # what orjson refuses (big integers, ...): as before
        return json.dumps(r, ensure_ascii=False, separators=(",", ":"))


class Stored(dict):  # type: ignore[type-arg]
    """A resource as the store holds it, with the JSON text it was stored as (`raw`), so that the
    API can send it without encoding it again. Any change at the top level forgets the text; a
    search hands these out only to callers that do not change what they get (`Tx.search(raw=True)`).

    Made by `stored`: dict's own constructor copies the decoded object (no Python-level
    `__init__`, one per resource a page reads) and `raw` is set right after it."""

    __slots__ = ("raw",)
    raw: str | bytes | None

    def _changed(self) -> None:
        self.raw = None

    def __setitem__(self, k: Any, v: Any) -> None:
        self._changed()
        super().__setitem__(k, v)

    def __delitem__(self, k: Any) -> None:
        self._changed()
        super().__delitem__(k)

    def pop(self, *a: Any) -> Any:
        self._changed()
        return super().pop(*a)

    def popitem(self) -> Any:
        self._changed()
        return super().popitem()

    def setdefault(self, *a: Any) -> Any:
        self._changed()
        return super().setdefault(*a)

    def update(self, *a: Any, **kw: Any) -> None:
        self._changed()
        super().update(*a, **kw)

    def clear(self) -> None:
        self._changed()
        super().clear()


def loads(text: str | bytes) -> Any:
    """Stored JSON (orjson; the standard library for what orjson refuses, e.g. NaN)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def stored(text: str | bytes) -> Stored:
    """The stored JSON `text` decoded, keeping the text (`Stored.raw`) when it is strict JSON."""
    try:
        s = Stored(orjson.loads(text))  # dict's constructor (C): no __init__ of ours per resource
        s.raw = text
    except orjson.JSONDecodeError:
        s = Stored(json.loads(text))
        s.raw = None  # not strict JSON: never sent as it is
    return s
