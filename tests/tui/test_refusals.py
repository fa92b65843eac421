"""The client reads the portal's reason code and typed arguments; the app says it in the user's language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from helsami_tui.app import conflict_text, describe_error
from helsami_tui.client.errors import (
    REASON_SYSTEM,
    AccessDenied,
    Conflict,
    Offline,
    PortalError,
    Ref,
    error_from,
    parse_reason,
)
from helsami_tui.client.models import OperationOutcome
from helsami_tui.i18n import current_language, set_language
from helsami_tui.refusals import error_text

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
    assert error_text(ValueError("boom")) == "Noe gikk galt: ValueError"
