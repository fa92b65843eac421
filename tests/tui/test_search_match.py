"""The live search filter (sources.text_matches) reads a search as the portal's Task `match` does."""

from __future__ import annotations

import datetime as dt

import pytest

from helsami_tui.client.models import InboxItem
from helsami_tui.sources import search_day, text_matches


def item(subject: str, birth: dt.date | None = dt.date(1980, 2, 1)) -> InboxItem:
    return InboxItem(
        id="t1",
        version=1,
        type="message",
        status="requested",
        business_status="new",
        priority="routine",
        authored_on=None,
        last_modified=None,
        deadline=None,
        overdue=False,
        escalated=False,
        owner_ref="",
        owner_display="",
        pool_id="hs-1",
        pool_display="",
        patient_ref="Patient/p1",
        patient_name="Kari Nordmann",
        patient_birth_date=birth,
        patient_nid="01028012345",
        subject=subject,
        description=subject,
        focus_ref="",
        notes=(),
    )


@pytest.mark.parametrize("word", ["123456", "112026", "1122026", "3456"])
def test_a_word_of_digits_matches_the_subject_not_a_birth_date(word: str) -> None:
    # strptime("%d%m%Y") reads "123456" as 1.2.3456: the item with that subject word was filtered out.
    assert search_day(word) is None
    assert text_matches(item(f"Kode {word}"), word)


@pytest.mark.parametrize("typed", ["01.02.1980", "1980-02-01", "01021980"])
def test_birth_dates_in_the_three_forms(typed: str) -> None:
    assert search_day(typed) == dt.date(1980, 2, 1)
    assert text_matches(item("Spørsmål"), typed)
    assert not text_matches(item("Spørsmål", birth=dt.date(1981, 2, 1)), typed)


def test_an_impossible_date_is_not_a_date() -> None:
    assert search_day("31.02.1980") is None
    assert search_day("1.2.1980") is None
