"""What a clinician must be able to trust on an item screen (issue 12): internal notes on every
decision screen (newest first, a pend note on top) and a key to write one; a sent reply shown once;
no one-key loss (completing an unanswered item asks first; completed items can be reopened).
Pilot tests against the real embedded portal."""

from __future__ import annotations

import uuid

from helsami_portal.embedded import EmbeddedPortal
from helsami_tui.screens.confirm import ConfirmScreen
from helsami_tui.screens.decision import TextPrompt
from helsami_tui.screens.renewal import RenewalScreen
from helsami_tui.screens.reply import ReplyScreen

from .test_decisions import find, open_item, type_and_enter
from .test_workflows import make_app, notes_of, open_new_thread, thread_text, wait_for, whoami, widget_text

SIZE = (140, 44)


async def test_notes_stand_on_the_renewal_screen_newest_first_with_the_pend_note_on_top(
    demo_portal: EmbeddedPortal,
) -> None:
    tid, _ = find(demo_portal, "sykepleier", "renewal", "renewal-review", lambda t, r: True)
    lege_ref = whoami(demo_portal, "lege")["resource"]
    # The nurse prepares the renewal and pends it to the physician, with a note.
    nurse = await make_app(demo_portal, "sykepleier")
    item = await nurse.client.task(tid)
    item = await nurse.client.pend(item, lege_ref, "Blodtrykket er målt i dag: 128/82.")
    await nurse.client.aclose()

    app = await make_app(demo_portal, "lege")
    async with app.run_test(size=SIZE) as pilot:
        s = await open_item(app, pilot, tid, RenewalScreen)
        await wait_for(pilot, lambda: "Blodtrykket er målt" in widget_text(s.query_one("#notes")), what="notes")
        # A note without forwarding: the key, a text, Enter. The item stays with the physician.
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt), what="note prompt")
        await type_and_enter(pilot, "Ringte apoteket om pakningsstørrelse.")
        await wait_for(pilot, lambda: any(n.text.startswith("Ringte apoteket") for n in s.item.notes), what="noted")
        await wait_for(pilot, lambda: "Ringte apoteket" in widget_text(s.query_one("#notes")), what="note shown")
        assert s.item.owner_ref == lege_ref and s.item.business_status == "pended"
        notes = widget_text(s.query_one("#notes"))
        # Above the review, the pend note first though it is older, then the newest note.
        assert notes.index("SENDT TIL LEGE") < notes.index("Blodtrykket") < notes.index("Ringte apoteket")
        assert "Notatet er lagret." in notes_of(app)
        others = [n for n in notes.split("\n") if n.startswith("INTERNT NOTAT")]
        assert others, notes
        # The review itself comes after the notes (the pend note is above the fold).
        region = s.query_one("#notes").region
        assert region.y < s.query_one("#review-text").region.y
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
