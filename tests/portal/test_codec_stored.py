"""`codec.stored`: a resource decoded from its stored JSON, keeping the text it was stored as
(`Stored.raw`) until it is changed at the top level, and what the API sends for it."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from helsami_portal.api.deps import encode
from helsami_portal.store.codec import Stored, stored

TEXT = '{"resourceType":"Patient","id":"pat-1","name":[{"family":"Nordmann"}],"active":true}'


@pytest.mark.parametrize("text", [TEXT, TEXT.encode()])
def test_stored_is_the_decoded_resource_with_its_text(text: str | bytes) -> None:
    r = stored(text)
    assert isinstance(r, Stored) and isinstance(r, dict)
    assert r == orjson.loads(text)
    assert r["name"][0]["family"] == "Nordmann"
    assert r.raw is text


def test_each_stored_resource_is_its_own_copy() -> None:
    a, b = stored(TEXT), stored(TEXT)
    assert a == b and a is not b
    a["id"] = "other"
    assert b["id"] == "pat-1" and b.raw is TEXT


def test_text_that_is_not_strict_json_is_decoded_and_never_sent_as_it_is() -> None:
    r = stored('{"resourceType":"Observation","id":"o-1","valueQuantity":{"value":NaN}}')
    assert r["id"] == "o-1" and r["valueQuantity"]["value"] != r["valueQuantity"]["value"]  # NaN
    assert r.raw is None


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r.__setitem__("active", False),
        lambda r: r.__delitem__("active"),
        lambda r: r.pop("active"),
        lambda r: r.popitem(),
        lambda r: r.setdefault("gender", "female"),
        lambda r: r.update(active=False),
        lambda r: r.clear(),
    ],
)
def test_a_change_at_the_top_level_forgets_the_text(change: Any) -> None:
    r = stored(TEXT)
    change(r)
    assert r.raw is None


def test_the_wire_gets_the_stored_text_or_the_changed_resource() -> None:
    r = stored(TEXT)
    assert encode({"entry": [r]}) == b'{"entry":[' + TEXT.encode() + b"]}"
    r["active"] = False
    assert orjson.loads(encode({"entry": [r]})) == {"entry": [{**orjson.loads(TEXT), "active": False}]}
