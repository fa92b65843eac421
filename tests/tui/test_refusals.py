"""The client reads the portal's reason code and typed arguments; the app says it in the user's language."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator

import pytest

from helsami_portal.embedded import free_port
from helsami_tui.app import conflict_text, describe_error
from helsami_tui.client.api import PortalClient
from helsami_tui.client.errors import (
    REASON_SYSTEM,
    AccessDenied,
    ClientError,
    Conflict,
    Offline,
    PortalError,
    Ref,
    error_from,
    parse_reason,
    reason_of,
)
from helsami_tui.client.models import OperationOutcome, PortalStatus
from helsami_tui.i18n import current_language, set_language
from helsami_tui.refusals import error_text
from helsami_tui.screens.support import portal_line

from .test_one_language import foreign_words

ARG = "https://helsami.example/fhir/StructureDefinition/refusal-argument"


def outcome(code: str, **args: dict[str, object]) -> dict[str, object]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "business-rule",
                "diagnostics": "English words for other clients.",
                "details": {"coding": [{"system": REASON_SYSTEM, "code": code}]},
                "extension": [
                    {"url": ARG, "extension": [{"url": "name", "valueString": k}, {"url": "value", **v}]}
                    for k, v in args.items()
                ],
            }
        ],
    }


CLAIMED = outcome(
    "claimed-by-other",
    who={"valueReference": {"reference": "Practitioner/p2", "display": "Henrik Strand"}},
    when={"valueInstant": "2026-12-01T11:41:00Z"},
    item={"valueReference": {"reference": "Task/t1"}},
    limit={"valueInteger": 3},
)


@pytest.fixture(autouse=True)
def _language() -> Iterator[None]:
    before = current_language()
    yield
    set_language(before)


def test_parse_reason_gives_typed_arguments() -> None:
    code, args = parse_reason(CLAIMED["issue"][0])  # type: ignore[index]
    assert code == "claimed-by-other"
    assert args["who"] == Ref("Practitioner/p2", "Henrik Strand")
    assert args["when"] == dt.datetime(2026, 12, 1, 11, 41, tzinfo=dt.UTC)
    assert args["item"] == Ref("Task/t1") and args["limit"] == 3
    assert parse_reason({"details": "junk", "extension": [1, {"url": ARG, "extension": "x"}]}) == ("", {})


def test_a_conflict_in_both_languages_with_name_and_oslo_time() -> None:
    err = error_from(OperationOutcome.from_fhir(CLAIMED), 409)
    assert isinstance(err, Conflict) and err.reason == "claimed-by-other"
    set_language("nb")
    text = conflict_text(err, "Practitioner/me")
    assert text.startswith("Henrik Strand tok oppgaven 1. des. 2026 kl. 12:41.")  # 11:41 UTC is 12:41 in Oslo
    assert "English" not in text and "Practitioner/" not in text
    set_language("en")
    assert conflict_text(err, "Practitioner/me").startswith("Henrik Strand claimed this item 1 Dec 2026, 12:41.")


def test_unknown_and_missing_codes_get_a_translated_generic_sentence() -> None:
    set_language("nb")
    unknown = error_from(OperationOutcome.from_fhir(outcome("a-code-from-a-newer-portal")), 422)
    assert error_text(unknown) == (
        "Portalen avviste forespørselen (kode: a-code-from-a-newer-portal). Prøv igjen, eller kontakt IT-støtte."
    )
    old_portal = error_from(
        OperationOutcome.from_fhir(
            {
                "resourceType": "OperationOutcome",
                "issue": [{"severity": "error", "code": "forbidden", "diagnostics": "You may not."}],
            }
        ),
        403,
    )
    assert isinstance(old_portal, AccessDenied)
    assert error_text(old_portal) == "Portalen avviste forespørselen (HTTP 403). Prøv igjen, eller kontakt IT-støtte."
    assert "You may not" not in describe_error(old_portal)
    set_language("en")
    assert describe_error(Offline()) == "Offline – showing the data last fetched. Retrying …"
    assert error_text(Offline()) == "The portal cannot be reached. Check the network; the app keeps trying."


def test_client_side_failures_are_in_the_catalog() -> None:
    set_language("nb")
    e = PortalError(200, "The portal's answer to the reply was incomplete.", reason="incomplete-answer")
    assert error_text(e) == "Portalen sendte et ufullstendig svar. Prøv igjen."


@pytest.mark.parametrize(
    ("lang", "sentence"),
    [
        ("nb", "Noe gikk galt i appen. Prøv igjen; skjer det igjen, gi IT-støtte logg-ID "),
        ("en", "Something went wrong"),
    ],
)
def test_an_unexpected_failure_is_a_sentence_with_a_log_id_never_its_text_or_type(
    lang: str, sentence: str, caplog: pytest.LogCaptureFixture
) -> None:
    set_language(lang)
    for e in (ValueError("Kari Nordmann 01017012345 boom"), ClientError("raw English words"), KeyError("x")):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="helsami_tui.failures"):
            text = error_text(e)
        assert text.startswith(sentence), text
        for leak in (type(e).__name__, "Kari", "boom", "raw English", "'x'"):
            assert leak not in text, (leak, text)
        log_id = re.findall(r"[0-9a-f]{8}", text)
        assert len(log_id) == 1, text
        # The log has the id and the type, for IT support; never the message (it may quote a patient).
        logged = caplog.text
        assert log_id[0] in logged and type(e).__qualname__ in logged
        assert "Kari" not in logged and "01017012345" not in logged and "raw English" not in logged


@pytest.mark.parametrize("lang", ["nb", "en"])
async def test_the_support_screen_says_why_the_portal_is_down_in_the_language(lang: str) -> None:
    set_language(lang)
    async with PortalClient(f"http://127.0.0.1:{free_port()}", "token", retries=0) as c:
        down = await c.portal_status()
    assert not down.reachable and down.reason == "offline"
    refused = PortalStatus.unreachable("502 Bad Gateway from nginx", *reason_of(PortalError(502, "Bad Gateway")))
    for status, said in (
        (down, {"nb": "Portalen kan ikke nås", "en": "The portal cannot be reached"}[lang]),
        (refused, "HTTP 502"),
    ):
        line = portal_line(status).plain
        assert said in line, line
        assert "Bad Gateway" not in line and "nginx" not in line, line
        assert lang == "en" or status.error not in line, line  # the client's English message (for logs)
        assert not foreign_words(line, lang), line
