"""One language on the renewal screen (issue 13): the portal's warnings and protocol reasons come
as codes with structured arguments, and the screen says them in the user's language; the portal's
Norwegian sentences (kept for other clients) never show in the English screen."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from helsami_portal.embedded import EmbeddedPortal
from helsami_portal.knowledge import medicines as kb
from helsami_tui.client.reviews import Reason, RenewalWarning
from helsami_tui.i18n import CATALOGS, current_language, set_language
from helsami_tui.screens import item_screen
from helsami_tui.screens.renewal import RenewalScreen, reason_sentence, warning_sentence
from tests.waiting import settled

from ..portal.decision_helpers import make_patient
from .test_decisions import review_text
from .test_one_language import SIZE, foreign_words, start, words
from .test_workflows import inbox_ready, screen_text, token, wait_for


@pytest.fixture
def lang_reset() -> Iterator[None]:
    before = current_language()
    yield
    set_language(before)


def test_every_rule_and_group_of_the_knowledge_table_has_a_sentence_in_both_languages() -> None:
    for rule in kb.INTERACTIONS:
        assert CATALOGS["nb"][f"renewal.rule.{rule.code}"] == rule.text  # the portal's bokmål, word for word
        assert f"renewal.rule.{rule.code}" in CATALOGS["en"]
    for group, text in kb.GROUP_TEXT.items():
        assert CATALOGS["nb"][f"renewal.w.controlled.{group}"] == text
        assert f"renewal.w.controlled.{group}" in CATALOGS["en"]


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_codes_are_said_in_the_language_and_unknown_ones_generically(lang: str, lang_reset: None) -> None:
    set_language(lang)
    portal_text = "Norsk tekst fra portalen som aldri skal vises"
    cases = [
        RenewalWarning(code="controlled:A", kind="controlled", severity="high", text=portal_text, args={"group": "A"}),
        RenewalWarning(
            code="unknown-medicine:D07AC01",
            kind="unknown-medicine",
            severity="moderate",
            text=portal_text,
            args={"medicine": "Betnovat 0,1 % krem", "atc": "D07AC01"},
        ),
        RenewalWarning(
            code="allergy:a1",
            kind="allergy",
            severity="high",
            text=portal_text,
            args={"match": "substance", "allergen": "Ibuprofen", "medicine": "Ibux 400 mg tablett"},
        ),
        RenewalWarning(
            code="interaction:brand-new:m1",
            kind="interaction",
            severity="high",
            text=portal_text,
            args={"rule": "brand-new", "medicine": "Ibux", "other": "Marevan 2,5 mg tablett"},
        ),
        RenewalWarning(code="duplicate-class:x", kind="duplicate-class", severity="moderate", text=portal_text),
    ]
    said = [warning_sentence(w) for w in cases]
    reasons = [
        Reason(code="warnings", text=portal_text, args={"count": 1}),
        Reason(code="restricted-records", text=portal_text, args={"count": 3}),
        Reason(code="prior-not-active", text=portal_text, args={"status": "stopped"}),
        Reason(code="not-renewed-before", text=portal_text, args={"case": "no-prior"}),
        Reason(code="expired-long-ago", text=portal_text),
    ]
    said += [reason_sentence(r) for r in reasons]
    codes = [w.code for w in cases] + ["brand-new", "expired-long-ago"]
    for text in said:
        assert portal_text not in text and "{" not in text
        for code in codes:  # a code is a code in either language
            text = text.replace(code, "")
        assert not foreign_words(text, lang), (text, foreign_words(text, lang))
    assert "duplicate-class:x" in said[4] and "expired-long-ago" in said[-1]
    assert "brand-new" in said[3] and "Marevan 2,5 mg tablett" in said[3]
    if lang == "nb":
        assert said[5] == "1 advarsel må vurderes." and said[6].startswith("3 journalopplysninger")
        assert "stoppet" in said[7]
    else:
        assert said[5] == "1 warning to assess." and said[6].startswith("3 records are")
        assert "stopped" in said[7]


def _renewal(portal: EmbeddedPortal) -> tuple[str, dict[str, Any]]:
    """A fresh patient, allergic to NSAIDs and on warfarin, asks to renew an old NSAID prescription:
    an allergy and an interaction warning; the interval exceeded and the warnings as reasons."""
    _pid, user, med_ids = make_patient(
        portal,
        meds=[("M01AE01", "Ibux 400 mg tablett", 400), ("B01AA03", "Marevan 2,5 mg tablett", 60)],
        allergies=[("M01A", "Ibuprofen")],
    )
    r = httpx.post(
        f"{portal.base_url}/patient/renewals",
        headers={"Authorization": f"Bearer {token(portal, user)}"},
        json={"medication": med_ids[0], "messageId": str(uuid.uuid4()), "text": "Trenger mer."},
    )
    assert r.status_code == 201, r.text
    lege = {"Authorization": f"Bearer {token(portal, 'lege')}"}
    found = httpx.get(
        f"{portal.base_url}/fhir/Task", headers=lege, params={"focus": f"MedicationRequest/{r.json()['request']['id']}"}
    ).json()
    tid = found["entry"][0]["resource"]["id"]
    rv = httpx.get(f"{portal.base_url}/fhir/Task/{tid}/$renewal-review", headers=lege).json()
    assert {w["kind"] for w in rv["warnings"]} == {"allergy", "interaction"}
    assert {x["code"] for x in rv["protocol"]["reasons"]} >= {"interval-exceeded", "warnings"}
    return tid, rv


def _portal_words(rv: dict[str, Any]) -> set[str]:
    """Words of the portal's own Norwegian sentences, less the data they quote (names of medicines,
    allergies) and less words English shares."""
    texts = [w["text"] for w in rv["warnings"]] + [x["text"] for x in rv["protocol"]["reasons"]]
    data = [str(v) for w in rv["warnings"] for v in w["args"].values()]
    data += [
        rv["medication"]["text"],
        *(a["text"] for a in rv["allergies"]),
        *(m["text"] for m in rv["activeMedications"]),
    ]
    english = set().union(*(words(v) for v in CATALOGS["en"].values()))
    return {w for w in words(" ".join(texts)) if len(w) >= 3} - words(" ".join(data)) - english


@pytest.mark.parametrize("lang", ["nb", "en"])
async def test_renewal_warnings_and_reasons_show_in_one_language(
    demo_portal: EmbeddedPortal, lang: str, lang_reset: None
) -> None:
    tid, rv = _renewal(demo_portal)
    norwegian = _portal_words(rv)
    assert {"registrert", "gjelder", "aktiv"} <= norwegian
    app = await start(demo_portal, "lege", lang)
    async with app.run_test(size=SIZE) as pilot:
        await inbox_ready(app, pilot)
        app.push_screen(item_screen(await app.client.task(tid, now=app.now())))
        s = app.screen
        assert isinstance(s, RenewalScreen)
        await wait_for(pilot, lambda: s.review is not None, what="renewal review")
        await settled(pilot)
        shown = screen_text(app)
        for w in rv["warnings"]:
            assert w["code"] in shown  # the code acknowledged, shown as a code in either language
            shown = shown.replace(w["code"], "")
        bad = foreign_words(shown, lang)
        assert not bad, f"{lang}: words of the other language on the renewal screen: {sorted(bad)}\n{shown}"
        if lang == "en":
            assert not words(shown) & norwegian, sorted(words(shown) & norwegian)
            assert "Recorded allergy/intolerance: Ibuprofen" in shown
            assert "Active prescription: Marevan 2,5 mg tablett" in shown
            assert "days since the last prescription; the usual interval is" in shown
            assert "2 warnings to assess." in shown
        else:
            # In bokmål the sentences read as the portal's own.
            body = review_text(s)
            for w in rv["warnings"]:
                assert w["text"] in body
            assert "2 advarsler må vurderes." in shown
    await app.client.aclose()


def test_every_drug_class_of_the_knowledge_table_has_a_name_in_both_languages() -> None:
    for key, cls in kb.CLASSES.items():
        assert CATALOGS["nb"][f"drugclass.{key}"] == cls.name  # the portal's bokmål, word for word
        assert f"drugclass.{key}" in CATALOGS["en"]


@pytest.mark.parametrize(
    ("lang", "expected", "foreign"), [("en", "penicillins", "penicilliner"), ("nb", "penicilliner", "penicillins")]
)
def test_an_allergy_to_the_same_class_names_the_class_in_the_users_language(
    lang: str, expected: str, foreign: str, lang_reset: None
) -> None:
    # Seen: the English screen said "concerns the same drug class (penicilliner)".
    set_language(lang)
    match = kb.allergy_match("J01CE", "Penicillin", "J01CA04")
    assert match == ("class", "penicillins")  # the class key; the portal's text names it in bokmål
    w = RenewalWarning(
        code="allergy:a1",
        kind="allergy",
        severity="high",
        text="-",
        args={
            "match": "class",
            "allergen": "Penicillin",
            "medicine": "Amoxicillin 500 mg",
            "class": "penicillins",
            "group": kb.CLASSES["penicillins"].name,
        },
    )
    said = warning_sentence(w)
    assert f"({expected})" in said and foreign not in said
