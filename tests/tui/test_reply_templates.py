"""The reply beside the patient's message, templates chosen by number and filled with the patient's
name and the signed-in user's signature, and the item opening in one round of requests (issue 12)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
from textual.widgets import TextArea

from helsami_portal.embedded import EmbeddedPortal
from helsami_tui import config, templates
from helsami_tui.app import HelsamiApp
from helsami_tui.client.api import PortalClient
from helsami_tui.client.auth import TokenSession, demo_login
from helsami_tui.i18n import set_language
from helsami_tui.screens.item import ItemScreen
from helsami_tui.screens.reply import ReplyScreen

from .test_workflows import SIZE, inbox_ready, open_new_thread, screen_text, wait_for, widget_text

UNIT_FILE = """
[[templates]]
title = "Fjordvik: timebestilling"
body = "Hei, {patient}!\\n\\nRing oss på 22 33 44 55 for time.\\n\\n{signature}"
unit = "org-fjordvik-legesenter"

[[templates]]
title = "Another unit only"
body = "Not for Fjordvik"
unit = "org-bakkegata-legekontor"
"""

PERSONAL = """
[[templates]]
title = "Min hilsen"
body = "Hilsen {name}, {title}"
lang = "nb"

[[templates]]
title = "No body"
"""


async def app_with_settings(
    portal: EmbeddedPortal,
    tmp_path: Path,
    user: str = "lege",
    lang: str = "nb",
    hooks: dict[str, list[Any]] | None = None,
) -> HelsamiApp:
    (tmp_path / "unit.toml").write_text(UNIT_FILE, encoding="utf-8")
    (tmp_path / "config.toml").write_text(f'unit_templates = "{tmp_path / "unit.toml"}"\n' + PERSONAL, encoding="utf-8")
    settings = config.load(tmp_path / "config.toml", environ={"HELSAMI_LANG": lang})
    settings.portal = portal.base_url
    settings.idle_lock_minutes = 0
    set_language(lang)
    tokens = await demo_login(portal.base_url, user)
    http = httpx.AsyncClient(event_hooks=hooks or {})
    client = PortalClient(portal.base_url, TokenSession(portal.base_url, tokens), retries=0, http=http)
    return HelsamiApp(client, settings, demo_user=user)


def test_templates_come_from_the_settings_file_and_the_units_file(tmp_path: Path) -> None:
    (tmp_path / "unit.toml").write_text(UNIT_FILE, encoding="utf-8")
    (tmp_path / "config.toml").write_text(f'unit_templates = "{tmp_path / "unit.toml"}"\n' + PERSONAL, encoding="utf-8")
    s = config.load(tmp_path / "config.toml", environ={})
    assert [x.title for x in s.personal_templates] == ["Min hilsen"]
    assert [x.title for x in s.unit_template_list] == ["Fjordvik: timebestilling", "Another unit only"]
    assert ("config.problem.template_entry", {"path": str(tmp_path / "config.toml"), "n": "2"}) in s.problem_keys
    shown = templates.offered(
        s.personal_templates, s.unit_template_list, [], language="nb", units=["org-fjordvik-legesenter"]
    )
    assert [x.title for x in shown] == ["Min hilsen", "Fjordvik: timebestilling"]  # not another unit's
    assert templates.offered(s.personal_templates, [], [], language="en", units=[]) == []  # nb only
    missing = config.load(tmp_path / "none.toml", environ={"HELSAMI_UNIT_TEMPLATES": str(tmp_path / "gone.toml")})
    assert missing.unit_template_list == [] and any(k == "config.problem.file" for k, _ in missing.problem_keys)


def test_fill_puts_in_the_patient_and_the_signature() -> None:
    sig = templates.Signature("Marte Lien", "Fastlege", "Fjordvik legesenter")
    assert templates.fill("Hei, {patient}!\n{signature}\n{x}", patient="Kari Nordmann", signature=sig) == (
        "Hei, Kari Nordmann!\nMarte Lien\nFastlege\nFjordvik legesenter\n{x}"
    )
    assert templates.Signature("Ola", "", "Enhet").text() == "Ola\nEnhet"


async def test_reply_shows_the_message_and_a_template_by_number_fills_name_and_signature(
    demo_portal: EmbeddedPortal, tmp_path: Path
) -> None:
    app = await app_with_settings(demo_portal, tmp_path)
    word = uuid.uuid4().hex[:8]
    question = f"Kan jeg ta ibux sammen med blodtrykksmedisinen? {word}"
    async with app.run_test(size=SIZE) as pilot:
        screen, _ = await open_new_thread(app, pilot, demo_portal, f"Spørsmål {word}", question)
        await wait_for(pilot, lambda: screen.patient is not None, what="patient in the banner")
        patient = screen.patient.name
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplyScreen), what="reply editor")
        reply = app.screen
        assert isinstance(reply, ReplyScreen)
        # The message being answered stays in sight above the editor.
        await wait_for(
            pilot, lambda: question in widget_text(reply.query_one("#answering-text")), what="the message answered"
        )
        assert question in screen_text(app)
        await wait_for(pilot, lambda: reply.profile is not None, what="signature read")
        editor = reply.query_one(TextArea)
        await pilot.press(*"Takk.")
        # F3 lists personal, the unit's, then the standard templates, numbered; 3 is the first standard one.
        await pilot.press("f3")
        listed = screen_text(app)
        assert "1 Min hilsen" in listed and "2 Fjordvik: timebestilling" in listed
        assert "Another unit only" not in listed
        assert "3 Mottatt – svarer innen fristen" in listed
        await pilot.press("3")
        text = editor.text
        assert text.startswith("Takk.\nHei, " + patient + "!\n")
        assert text.rstrip("\n").endswith("Vennlig hilsen\nMarte Lien\nFastlege\nFjordvik legesenter")
        assert "{" not in text
        # The cursor stands on a new, empty line after the template, ready to type.
        row, col = editor.cursor_location
        assert col == 0 and row == text.count("\n") and editor.document.get_line(row) == ""
        assert editor.has_focus
        await pilot.press("f3", "2")  # the unit's template, by number
        assert "Ring oss på 22 33 44 55 for time." in editor.text
        await pilot.press("f3", "1")  # a personal one
        assert "Hilsen Marte Lien, Fastlege" in editor.text
        assert question in screen_text(app)  # still beside the reply
    await app.client.aclose()


async def test_english_signature_and_templates(demo_portal: EmbeddedPortal, tmp_path: Path) -> None:
    app = await app_with_settings(demo_portal, tmp_path, user="sykepleier", lang="en")
    word = uuid.uuid4().hex[:8]
    async with app.run_test(size=SIZE) as pilot:
        screen, _ = await open_new_thread(app, pilot, demo_portal, f"Question {word}", f"Hello {word}")
        await wait_for(pilot, lambda: screen.patient is not None, what="patient")
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplyScreen), what="reply editor")
        reply = app.screen
        assert isinstance(reply, ReplyScreen)
        await wait_for(pilot, lambda: reply.profile is not None, what="signature read")
        await pilot.press("f3")
        listed = screen_text(app)
        assert "Min hilsen" not in listed  # a bokmål template is not offered in English
        assert "1 Fjordvik: timebestilling" in listed and "2 Received" in listed
        await pilot.press("2")
        text = reply.query_one(TextArea).text
        assert text.startswith(f"Hello {screen.patient.name},")
        assert text.rstrip("\n").endswith("Kind regards\nHenrik Strand\nNurse\nFjordvik legesenter")
    await app.client.aclose()
    set_language("nb")


async def test_an_item_opens_in_one_round_of_parallel_requests(demo_portal: EmbeddedPortal, tmp_path: Path) -> None:
    """The banner (patient, proxies), the thread and the clinical context are asked for together:
    every request of the opening is sent before the first answer is in. Seven of them: the thread's
    header comes with its messages and the proxies' people with their grants (includes)."""
    log: list[tuple[str, str]] = []
    recording = False

    async def on_request(request: httpx.Request) -> None:
        if recording:
            log.append(("sent", request.url.path))

    async def on_response(response: httpx.Response) -> None:
        if recording:
            log.append(("answer", response.request.url.path))

    app = await app_with_settings(demo_portal, tmp_path, hooks={"request": [on_request], "response": [on_response]})
    async with app.run_test(size=SIZE) as pilot:
        inbox = await inbox_ready(app, pilot)
        item = inbox.current_item()
        assert item is not None and item.has_thread and item.patient_ref
        recording = True
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, ItemScreen)
                and app.screen.thread is not None
                and app.screen.clinical is not None
                and app.screen.patient is not None
            ),
            what="item loaded",
        )
        recording = False
    await app.client.aclose()
    paths = [p for _, p in log]
    pid = item.patient_ref
    for wanted in (
        f"/fhir/{pid}",
        "/fhir/Consent",
        "/fhir/Communication",
        "/fhir/AllergyIntolerance",
        "/fhir/MedicationRequest",
        "/fhir/Observation",
        "/fhir/Condition",
    ):
        assert paths.count(wanted) == 2, (wanted, log)  # sent once, answered once
    # Nothing read on its own that another request carried: the header, the proxies' people.
    assert f"/fhir/{item.focus_ref}" not in paths and "/fhir/RelatedPerson" not in paths, log
    # Seven requests of the item's own. The inbox behind it may read ahead in its list (`/fhir/Task`)
    # or renew its event stream meanwhile: those are the list's, not the item's (seen in CI: the
    # inbox's next page left in the same moment as the Enter).
    inbox_own = ("/fhir/Task", "/fhir/$events")
    assert len([e for e in log if e[0] == "sent" and e[1] not in inbox_own]) == 7, log
    opening = [
        e
        for e in log
        if e[1]
        in (
            f"/fhir/{pid}",
            "/fhir/Consent",
            "/fhir/RelatedPerson",
            f"/fhir/{item.focus_ref}",
            "/fhir/Communication",
            "/fhir/AllergyIntolerance",
            "/fhir/MedicationRequest",
            "/fhir/Observation",
            "/fhir/Condition",
        )
    ]
    first_answer = next(i for i, e in enumerate(opening) if e[0] == "answer")
    late = [e for e in opening[first_answer:] if e[0] == "sent"]
    assert not late, f"sent only after an answer came in (one request after another): {late}\n{opening}"


def test_a_proxys_request_is_named_in_the_users_language() -> None:
    """The portal names a proxy "X på vegne av Y" (the renewal's requester): English says it in English."""
    from helsami_tui.screens.item import on_behalf_text

    set_language("en")
    try:
        assert on_behalf_text("Kari Nordmann på vegne av Ola Nordmann") == "Kari Nordmann on behalf of Ola Nordmann"
        assert on_behalf_text("Kari Nordmann") == "Kari Nordmann"
    finally:
        set_language("nb")
    assert on_behalf_text("Kari Nordmann på vegne av Ola Nordmann") == "Kari Nordmann på vegne av Ola Nordmann"
