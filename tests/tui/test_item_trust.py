"""What a clinician must be able to trust on an item screen (issue 12): internal notes on every
decision screen (newest first, a pend note on top) and a key to write one; a sent reply shown once;
no one-key loss (completing an unanswered item asks first; completed items can be reopened).
Pilot tests against the real embedded portal."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from helsami_portal.embedded import EmbeddedPortal
from helsami_portal.fhir import conventions, timeutil
from helsami_tui.screens.appointment import AppointmentScreen
from helsami_tui.screens.confirm import ConfirmScreen
from helsami_tui.screens.decision import DecisionScreen, TextPrompt
from helsami_tui.screens.questionnaire import QuestionnaireScreen
from helsami_tui.screens.renewal import RenewalScreen
from helsami_tui.screens.reply import ReplyScreen
from helsami_tui.screens.result import ResultScreen

from .test_decisions import find, open_item, type_and_enter
from .test_workflows import inbox_ready, make_app, notes_of, open_new_thread, thread_text, wait_for, whoami, widget_text

SIZE = (140, 44)


def pend_note_in_store(portal: EmbeddedPortal, tid: str, author: str, text: str) -> None:
    """A pend note written on the Task as the portal writes one (an older note, kind "pend").
    Only renewals are pended through the API; the other decision items get theirs here, so that
    every decision screen is shown with one."""
    with portal.store.write() as tx:
        task = dict(tx.get("Task", tid) or {})
        note = {
            "authorReference": {"reference": author},
            "time": timeutil.instant(timeutil.utcnow() - dt.timedelta(hours=2)),
            "text": text,
            "extension": [{"url": conventions.EXT_NOTE_KIND, "valueCode": "pend"}],
        }
        task["note"] = [note, *task.get("note", [])]
        tx.update(task, expected_version=int(task["meta"]["versionId"]))


def decision_item(portal: EmbeddedPortal, kind: str) -> tuple[str, str]:
    """An open item of `kind` and the physician whose pools hold it."""
    if kind == "appointment":
        from .test_appointments import request

        return request(portal)[0], "lege"
    user = "lege2" if kind == "questionnaire" else "lege"
    return find(portal, user, kind, f"{kind}-review", lambda t, r: True)[0], user


@pytest.mark.parametrize(
    ("kind", "screen"),
    [
        ("renewal", RenewalScreen),
        ("result", ResultScreen),
        ("questionnaire", QuestionnaireScreen),
        ("appointment", AppointmentScreen),
    ],
)
async def test_notes_stand_on_every_decision_screen_newest_first_with_the_pend_note_on_top(
    demo_portal: EmbeddedPortal, kind: str, screen: type[DecisionScreen]
) -> None:
    tid, user = decision_item(demo_portal, kind)
    physician = whoami(demo_portal, user)["resource"]
    nurse = await make_app(demo_portal, "sykepleier")
    if kind == "renewal":  # the nurse prepares the renewal and pends it to the physician, with a note
        item = await nurse.client.task(tid)
        item = await nurse.client.pend(item, physician, "Blodtrykket er målt i dag: 128/82.")
    else:
        pend_note_in_store(
            demo_portal, tid, whoami(demo_portal, "sykepleier")["resource"], "Blodtrykket er målt i dag."
        )
    await nurse.client.aclose()

    app = await make_app(demo_portal, user)
    async with app.run_test(size=SIZE) as pilot:
        await app.client.add_note(await app.client.task(tid), text="Første notat: ringte pasienten.")
        s = await open_item(app, pilot, tid, screen)
        await wait_for(pilot, lambda: "Første notat" in widget_text(s.query_one("#notes")), what="notes")
        owner, status = s.item.owner_ref, s.item.business_status
        # A note without forwarding: the key, a text, Enter. The item stays where it is.
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt), what="note prompt")
        await type_and_enter(pilot, "Andre notat: ringte apoteket.")
        await wait_for(pilot, lambda: "Andre notat" in widget_text(s.query_one("#notes")), what="note shown")
        assert (s.item.owner_ref, s.item.business_status) == (owner, status)
        assert "Notatet er lagret." in notes_of(app)
        notes = widget_text(s.query_one("#notes"))
        # Above the review, the pend note first though it is the oldest, then the newest note first.
        assert notes.index("SENDT TIL LEGE") < notes.index("Blodtrykket") < notes.index("Andre notat")
        assert notes.index("Andre notat") < notes.index("Første notat")
        shown = [
            dt.datetime.strptime(line[-16:], "%d.%m.%Y %H:%M") for line in notes.split("\n") if "INTERNT NOTAT" in line
        ]
        assert len(shown) >= 2 and shown == sorted(shown, reverse=True), notes  # every other note, newest first
        # The review itself comes after the notes (the pend note is above the fold).
        assert s.query_one("#notes").region.y < s.query_one("#review-text").region.y
    await app.client.aclose()


async def test_a_sent_reply_shows_once_and_its_spent_draft_never_as_a_message(demo_portal: EmbeddedPortal) -> None:
    subject = f"Utkast {uuid.uuid4().hex[:6]}"
    written = "Vi har sendt resepten til apoteket."
    app = await make_app(demo_portal, "lege")
    async with app.run_test(size=SIZE) as pilot:
        item_screen, _ = await open_new_thread(app, pilot, demo_portal, subject)
        await pilot.press("c")
        await wait_for(pilot, lambda: item_screen.item.claimed, what="claimed")
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplyScreen), what="reply open")
        await pilot.press(*written)
        await pilot.press("escape")  # the draft is kept on the portal
        await wait_for(
            pilot, lambda: item_screen.thread is not None and item_screen.thread.drafts, tries=200, what="draft kept"
        )
        await pilot.press("r")
        reply = app.screen
        assert isinstance(reply, ReplyScreen)
        await wait_for(pilot, lambda: reply.draft is not None, what="draft loaded")
        await pilot.press("f5")
        await wait_for(pilot, lambda: item_screen.item.business_status == "replied", tries=200, what="sent")
        await wait_for(
            pilot,
            lambda: (
                item_screen.thread is not None
                and not item_screen.thread.drafts
                and any(m.text == written for m in item_screen.thread.messages)
            ),
            tries=200,
            what="thread read again",
        )
        assert [m.text for m in item_screen.thread.messages].count(written) == 1
        assert thread_text(item_screen).count(written) == 1
        thread = await app.client.thread(item_screen.item.focus_ref)
        assert [m.text for m in thread.messages].count(written) == 1 and not thread.drafts
    await app.client.aclose()


async def test_completing_without_an_answer_asks_first_and_a_completed_item_reopens(
    demo_portal: EmbeddedPortal,
) -> None:
    subject = f"Ubesvart {uuid.uuid4().hex[:6]}"
    app = await make_app(demo_portal, "lege")
    async with app.run_test(size=SIZE) as pilot:
        item_screen, _ = await open_new_thread(app, pilot, demo_portal, subject, text="Kan noen ringe meg?")
        me = app.me.resource  # type: ignore[union-attr]
        await pilot.press("c")
        await wait_for(pilot, lambda: item_screen.item.claimed, what="claimed")
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="asked before completing")
        assert "ikke fått svar" in widget_text(app.screen.query_one("#title"))
        await pilot.press("escape")  # one key does not lose it
        await wait_for(pilot, lambda: app.screen is item_screen, what="back")
        assert (await app.client.task(item_screen.item.id)).status == "in-progress"
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="asked again")
        await pilot.press("enter")
        await wait_for(pilot, lambda: item_screen.item.status == "completed", what="completed")
        # Reopened with one key: in work again, held by the user, with a note saying so.
        await pilot.press("e")
        await wait_for(pilot, lambda: item_screen.item.status == "in-progress", what="reopened")
        assert item_screen.item.owner_ref == me and item_screen.item.business_status == "reopened"
        await wait_for(pilot, lambda: "GJENÅPNET" in thread_text(item_screen), what="reopen note shown")
        # Answered: completing it now asks nothing.
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplyScreen), what="reply open")
        await pilot.press(*"Vi ringer deg i ettermiddag.")
        await pilot.press("f5")
        await wait_for(pilot, lambda: item_screen.item.business_status == "replied", tries=200, what="replied")
        await wait_for(pilot, lambda: app.screen is item_screen, what="back on the item")
        await pilot.press("d")
        await wait_for(pilot, lambda: item_screen.item.status == "completed", what="completed at once")
        assert not isinstance(app.screen, ConfirmScreen)
    await app.client.aclose()


async def test_the_new_keys_are_shown_in_help(demo_portal: EmbeddedPortal) -> None:
    from helsami_tui.screens.help import HelpScreen

    subject = f"Hjelp {uuid.uuid4().hex[:6]}"
    app = await make_app(demo_portal, "lege")
    async with app.run_test(size=SIZE) as pilot:
        await open_new_thread(app, pilot, demo_portal, subject)
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        text = widget_text(app.screen.query_one("#help Static"))
        assert "Internt notat" in text and "Gjenåpne" in text
    await app.client.aclose()


async def test_a_new_message_to_the_patient_can_be_started_from_a_result(demo_portal: EmbeddedPortal) -> None:
    from helsami_tui.screens.result import ResultScreen

    from .test_decisions import thread_pane

    tid, _ = find(demo_portal, "lege", "result", "result-review", lambda t, r: not r["report"]["released"])
    app = await make_app(demo_portal, "lege")
    async with app.run_test(size=SIZE) as pilot:
        s = await open_item(app, pilot, tid, ResultScreen)
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt), what="message prompt")
        await type_and_enter(pilot, "Vi tar kontakt når legen har sett på svaret.")
        await wait_for(
            pilot,
            lambda: "når legen har sett på svaret" in thread_pane(s),
            tries=200,
            what="message in the conversation",
        )
        assert "Meldingen er sendt til pasienten." in notes_of(app)
        assert s.item.is_open and s.item.business_status != "released"  # nothing decided by it
        assert thread_pane(s).count("når legen har sett på svaret") == 1
    await app.client.aclose()


async def test_a_decision_screen_opened_from_an_older_copy_of_the_item_shows_its_notes_as_they_are(
    demo_portal: EmbeddedPortal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list's copy of an item can be older than a note written while the list was read (its
    event is then already past); the screen reads the item again with its review."""
    import asyncio

    from helsami_tui import app as app_module
    from helsami_tui.screens import item_screen

    async def no_stream(*_a: object, **_k: object) -> None:
        await asyncio.Event().wait()  # the event stream does not bring the change here

    monkeypatch.setattr(app_module, "follow_events", no_stream)

    tid, user = decision_item(demo_portal, "result")
    app = await make_app(demo_portal, user)
    async with app.run_test(size=SIZE) as pilot:
        await inbox_ready(app, pilot)
        older = await app.client.task(tid, now=app.now())
        await app.client.add_note(older, text="Skrevet mens lista ble lest.")
        app.push_screen(item_screen(older))
        await wait_for(pilot, lambda: isinstance(app.screen, ResultScreen), what="result screen")
        s = app.screen
        assert isinstance(s, ResultScreen)
        await wait_for(pilot, lambda: s.review is not None, what="review loaded")
        await wait_for(pilot, lambda: "Skrevet mens lista" in widget_text(s.query_one("#notes")), what="the new note")
