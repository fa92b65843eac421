"""Translations: both languages complete and consistent, t()/tn() never raise, format_age."""

from __future__ import annotations

import string
import subprocess
import sys
from collections.abc import Iterator

import pytest

from helsami_tui import i18n
from helsami_tui.i18n import (
    CATALOGS,
    DEFAULT_LANGUAGE,
    LANGUAGES,
    current_language,
    format_age,
    language_from_env,
    set_language,
    t,
    tn,
)


@pytest.fixture(autouse=True)
def _restore_language() -> Iterator[None]:
    before = current_language()
    yield
    set_language(before)


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_languages() -> None:
    assert DEFAULT_LANGUAGE == "nb"
    assert set(LANGUAGES) == set(CATALOGS) == {"nb", "en"}


def test_same_keys_in_every_language() -> None:
    reference = set(CATALOGS[DEFAULT_LANGUAGE])
    for code, catalog in CATALOGS.items():
        assert set(catalog) == reference, (
            f"{code}: missing {sorted(reference - set(catalog))}, extra {sorted(set(catalog) - reference)}"
        )


def test_same_placeholders_in_every_language() -> None:
    for key, template in CATALOGS[DEFAULT_LANGUAGE].items():
        for code, catalog in CATALOGS.items():
            assert placeholders(catalog[key]) == placeholders(template), f"{code}:{key}"


def test_catalog_strings_are_markup_free_and_printable() -> None:
    for code, catalog in CATALOGS.items():
        for key, value in catalog.items():
            assert value.strip(), f"{code}:{key} is empty"
            assert "[" not in value and "]" not in value, f"{code}:{key} could be parsed as markup"
            # line breaks only in multi-line texts (reply templates); nothing else unprintable
            assert value.replace("\n", "").isprintable(), f"{code}:{key} has control characters"


def test_plural_keys_come_in_pairs() -> None:
    keys = set(CATALOGS[DEFAULT_LANGUAGE])
    for key in keys:
        if key.endswith(".one"):
            assert key[:-4] + ".other" in keys
        if key.endswith(".other"):
            assert key[:-6] + ".one" in keys


def test_required_keys_are_present() -> None:
    required = [
        "app.title",
        "inbox.title",
        "inbox.pools",
        "app.offline",
        "app.loading",
        "app.no_items",
        "app.terminal_too_small",
        "app.keyring_unavailable",
        "lock.title",
        "lock.message",
        "conflict.changed",
        "conflict.claimed_by",
    ]
    required += [f"col.{c}" for c in ("priority", "age", "type", "patient", "subject", "status", "owner")]
    required += [f"type.{c}" for c in ("message", "renewal", "result", "questionnaire", "appointment", "phone_message")]
    required += [f"status.{c}" for c in ("waiting", "claimed", "completed")]
    required += [f"priority.{c}" for c in ("routine", "urgent", "asap", "stat")]
    required += [
        f"action.{c}"
        for c in (
            "claim",
            "unclaim",
            "forward",
            "reply",
            "complete",
            "help",
            "quit",
            "search",
            "filter",
            "sort",
            "language",
            "theme",
        )
    ]
    required += [f"count.{c}.{n}" for c in ("new", "urgent", "overdue") for n in ("one", "other")]
    for key in required:
        assert key in CATALOGS["nb"], key


def test_t_switches_language_and_formats() -> None:
    assert t("inbox.title") == "Innboks"
    set_language("en")
    assert current_language() == "en"
    assert t("inbox.title") == "Inbox"
    assert t("conflict.claimed_by", name="Kari") == "This task has already been claimed by Kari."
    set_language("nb_NO.UTF-8")
    assert current_language() == "nb"
    set_language("no")
    assert current_language() == "nb"
    with pytest.raises(ValueError):
        set_language("xx")


def test_t_never_raises() -> None:
    assert t("no.such.key") == "no.such.key"
    assert t("conflict.claimed_by") == CATALOGS["nb"]["conflict.claimed_by"]  # no kwargs: raw
    assert t("conflict.claimed_by", other=1) == "Oppgaven er allerede tatt av {name}."
    assert t("conflict.claimed_by", name="{0} {x.y}") == "Oppgaven er allerede tatt av {0} {x.y}."


def test_missing_key_falls_back_to_bokmal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(CATALOGS, "en", {k: v for k, v in CATALOGS["en"].items() if k != "app.title"})
    set_language("en")
    assert t("app.title") == CATALOGS["nb"]["app.title"]


def test_tn_plurals() -> None:
    assert tn("count.new", 1) == "1 ny"
    assert tn("count.new", 3) == "3 nye"
    assert tn("count.items", 0) == "0 oppgaver"
    set_language("en")
    assert tn("count.items", 1) == "1 task"
    assert tn("count.overdue", 2) == "2 overdue"


@pytest.mark.parametrize(
    ("seconds", "nb", "en"),
    [
        (-5, "<1 min", "<1 min"),
        (0, "<1 min", "<1 min"),
        (59, "<1 min", "<1 min"),
        (60, "1 min", "1 min"),
        (59 * 60 + 59, "59 min", "59 min"),
        (3 * 3600 + 10, "3 t", "3 h"),
        (2 * 86400 + 5, "2 d", "2 d"),
        (364 * 86400, "364 d", "364 d"),
        (400 * 86400, "1 år", "1 y"),
    ],
)
def test_format_age(seconds: float, nb: str, en: str) -> None:
    set_language("nb")
    assert format_age(seconds) == nb
    set_language("en")
    assert format_age(seconds) == en


def test_language_from_env() -> None:
    assert language_from_env({}) == "nb"
    assert language_from_env({"LANG": "en_GB.UTF-8"}) == "en"
    assert language_from_env({"LANG": "nb_NO.UTF-8"}) == "nb"
    assert language_from_env({"HELSAMI_LANG": "en", "LANG": "nb_NO"}) == "en"
    assert language_from_env({"LC_ALL": "C"}) == "nb"
    assert i18n.DEFAULT_LANGUAGE == "nb"


# -- issue 13: plural rules, locale formats, language choice, refusal reasons ---------------------


def catalog_problems(catalogs: dict[str, dict[str, str]]) -> list[str]:
    """Keys or placeholders that one language has and another lacks."""
    problems = []
    reference = catalogs[DEFAULT_LANGUAGE]
    for code, catalog in catalogs.items():
        problems += [f"{code}: missing key {k}" for k in sorted(set(reference) - set(catalog))]
        problems += [f"{code}: extra key {k}" for k in sorted(set(catalog) - set(reference))]
        for key in set(reference) & set(catalog):
            if placeholders(catalog[key]) != placeholders(reference[key]):
                problems.append(
                    f"{code}:{key}: placeholders {sorted(placeholders(catalog[key]))} "
                    f"!= {sorted(placeholders(reference[key]))}"
                )
    return problems


def test_catalog_check_finds_a_missing_key_or_placeholder() -> None:
    assert catalog_problems(CATALOGS) == []
    broken = {code: dict(catalog) for code, catalog in CATALOGS.items()}
    del broken["en"]["reason.claimed-by-other"]
    broken["en"]["reason.delegate-away"] = "Someone is away too."  # {who} lost
    problems = catalog_problems(broken)
    assert "en: missing key reason.claimed-by-other" in problems
    assert any(p.startswith("en:reason.delegate-away: placeholders") for p in problems)


def test_plural_forms_follow_the_language_rule() -> None:
    set_language("nb")
    assert tn("count.critical", 1) == "1 kritisk"
    assert tn("count.critical", 2) == "2 kritiske"
    assert tn("count.warnings", 1) == "1 advarsel" and tn("count.warnings", 3) == "3 advarsler"
    assert tn("count.new", 0) == "0 nye"
    set_language("en")
    assert tn("count.warnings", 1) == "1 warning" and tn("count.warnings", 2) == "2 warnings"
    for catalog in CATALOGS.values():
        assert not any("(er)" in v or "(s)" in v or "(e)" in v for v in catalog.values())


def test_numbers_and_dates_for_the_locale() -> None:
    import datetime as dt

    from helsami_tui.i18n import format_datetime, format_number, short_date

    winter = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)  # 10:30 in Oslo
    set_language("nb")
    assert format_number(6.3) == "6,3" and format_number(13.0) == "13"
    assert format_datetime(winter) == "1. des. 2026 kl. 10:30"
    assert short_date(dt.date(2026, 12, 3)) == "03.12.2026"
    set_language("en")
    assert format_number(6.3) == "6.3"
    assert format_datetime(winter) == "1 Dec 2026, 10:30"
    assert short_date(dt.date(2026, 12, 3)) == "03/12/2026"


def test_whole_numbers_and_their_plurals_are_babels_without_its_locale_data() -> None:
    """Counts and whole numbers are written without loading Babel's locale data (start-up), and
    exactly as Babel writes them in both languages."""
    from babel import Locale, numbers

    from helsami_tui.i18n import BABEL_LOCALES, LANGUAGES, format_number, plural_category

    values = [*range(0, 1200), 9_999, 10_000, 12_345, 99_999, 100_000, 123_456, 1_000_000, 12_345_678, 10**12]
    for language in LANGUAGES:
        set_language(language)
        babel = Locale.parse(BABEL_LOCALES[language])
        for v in values:
            assert plural_category(v) == babel.plural_form(v), (language, v)
            assert format_number(v) == numbers.format_decimal(v, locale=babel, group_separator=v >= 10_000), v
        assert format_number(-12_345) == numbers.format_decimal(-12_345, locale=babel)  # still Babel's


def test_counts_at_start_up_load_no_locale_data() -> None:
    """The inboxes' counts and the status line's numbers (the first screen) load none of Babel's
    locale data (60-70 ms): a date is the first thing that does."""
    program = """
import babel.localedata
from helsami_tui.i18n import format_number, set_language, tn
for language in ("nb", "en"):
    set_language(language)
    tn("count.new", 1), tn("count.urgent", 3), format_number(100_000)
print(sorted(babel.localedata._cache))
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout


def test_language_from_the_setting_then_helsami_lang_then_the_locale(tmp_path: pytest.TempPathFactory) -> None:
    from helsami_tui.config import load

    cfg = tmp_path / "config.toml"  # type: ignore[operator]
    assert load(cfg, {}).language == "nb"
    assert load(cfg, {"LANG": "en_GB.UTF-8"}).language == "en"
    assert load(cfg, {"LC_ALL": "en_US.UTF-8", "LANG": "nb_NO.UTF-8"}).language == "en"
    assert load(cfg, {"LANG": "C.UTF-8"}).language == "nb"
    assert load(cfg, {"HELSAMI_LANG": "nb", "LANG": "en_GB.UTF-8"}).language == "nb"
    cfg.write_text('language = "en"\n', encoding="utf-8")
    assert load(cfg, {"HELSAMI_LANG": "nb", "LANG": "nb_NO.UTF-8"}).language == "en"
    assert language_from_env({"LANG": "de_DE.UTF-8", "LC_MESSAGES": "en_GB"}) == "en"
    assert language_from_env({"LANG": "nn_NO.UTF-8"}) == "nb"


def test_textual_builtin_key_texts_are_translated() -> None:
    from textual.app import App
    from textual.screen import Screen

    from helsami_tui.i18n import translate_description

    builtin = [b.description for b in [*App.BINDINGS, *Screen.BINDINGS] if getattr(b, "description", "")]
    assert "Focus Next" in builtin
    set_language("nb")
    assert translate_description("Focus Next") == "Neste felt"
    assert translate_description("Copy selected text") == "Kopier markert tekst"
    for text in builtin:
        assert translate_description(text) != text, text
    set_language("en")
    assert translate_description("Focus Next") == "Next field"
