"""The synthetic data, byte for byte: a fingerprint of the generated resources for fixed seeds and
reference times, taken before the generator was split into modules (issue 14), so a refactor of
`helsami_portal.synth` provably changes nothing. A change that is meant to change the data updates the
fingerprints here, in the same commit, and says why.

Changes so far: every demo prescription names the amount dispensed (`dispenseRequest.quantity`:
100 tablets, or one inhaler), so an approval's summary can show it (issue 12); nothing else changed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from typing import Any

import pytest

from helsami_portal.synth import demo_users, generate

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
LATER = dt.datetime(2027, 6, 30, 22, 30, tzinfo=dt.UTC)


def fingerprint(resources: Iterable[dict[str, Any]]) -> tuple[int, str]:
    """How many resources, and a SHA-256 over their JSON in order (key order included)."""
    h = hashlib.sha256()
    n = 0
    for r in resources:
        h.update(json.dumps(r, ensure_ascii=False, separators=(",", ":")).encode())
        h.update(b"\n")
        n += 1
    return n, h.hexdigest()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"now": NOW},
            (5666, "9365dea5e08bbc02ab3247c9db0cee83c42bf4d00a347f5fb9a58d7b864c2c37"),
        ),
        (  # past the rich items: lean ones too
            {"patients": 500, "tasks": 1000, "seed": 3, "now": NOW},
            (8534, "1d6ec4bebf3b7d828af79bf3bea1a76ed084140df65a19e283fd2bb08bbd1496"),
        ),
        (  # another seed and reference time, near midnight in Oslo in summer time
            {"patients": 120, "tasks": 5000, "seed": 11, "now": LATER},
            (17420, "76d931b8f6f6829cee5093b783fae529f0182717bb704f5b01ede74974b93b44"),
        ),
    ],
    ids=["default", "lean", "later"],
)
def test_the_generated_data_is_unchanged(params: dict[str, Any], expected: tuple[int, str]) -> None:
    assert fingerprint(generate(**params)) == expected


def test_the_demo_users_are_unchanged() -> None:
    digest = hashlib.sha256(repr(demo_users()).encode()).hexdigest()
    assert digest == "4d674af4d632a7cd7d9079bb01ec8b08d0dad8b01ae73993ff7496057a3f4911"
