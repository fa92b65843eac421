"""Attaching library documents to a reply from the editor (issue 17), against a real portal."""

from __future__ import annotations

import uuid
from typing import Any

from textual.widgets import Select

from helsami_portal.embedded import EmbeddedPortal
from helsami_tui.attachments import format_size
from helsami_tui.client.models import Attachment, Message
from helsami_tui.i18n import set_language
from helsami_tui.screens.item import ItemScreen, message_block
from helsami_tui.screens.library import LibraryPicker
from helsami_tui.screens.reply import ReplyScreen
from helsami_tui.widgets.attachments import AttachmentsArea
from tests.tui.test_workflows import SIZE, make_app, open_new_thread, patient_thread, thread_text
from tests.waiting import wait_for


def widget_text(w: Select[str]) -> str:
    return " ".join(str(getattr(x, "content", "")) for x in w.query("SelectCurrent Static"))


def _picker_titles(picker: LibraryPicker) -> list[str]:
    return [d.title for d in picker.shown]


async def test_attach_from_the_library_send_and_the_thread_shows_the_attachment(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal)
    async with app.run_test(size=SIZE) as pilot:
        subject = f"Brosjyre {uuid.uuid4().hex[:6]}"
        item_screen, thread_id = await open_new_thread(app, pilot, demo_portal, subject)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplyScreen), what="editor")
        reply = app.screen
        assert isinstance(reply, ReplyScreen)
        await pilot.press(*"Her er litt lesestoff.")
        # F4 opens the library of the item's service; typing searches the titles on the portal.
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, LibraryPicker), what="library picker")
        picker = app.screen
        assert isinstance(picker, LibraryPicker)
        await wait_for(pilot, lambda: "Blodtrykksmåling hjemme" in _picker_titles(picker), what="library listed")
        assert "Influensavaksine sesongen 2025/26" not in _picker_titles(picker)  # retired
        await pilot.press(*"kosthold")
        await wait_for(pilot, lambda: _picker_titles(picker) == ["Kosthold ved diabetes type 2"], what="search")
        await pilot.press("enter", "enter")  # to the list, choose the first
        await wait_for(pilot, lambda: app.screen is reply, what="back in the editor")
        area = reply.query_one(AttachmentsArea)
        assert [d.title for d in area.documents] == ["Kosthold ved diabetes type 2"]
        # A second one, then take it off again.
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, LibraryPicker), what="picker again")
        picker = app.screen
        assert isinstance(picker, LibraryPicker)
        await pilot.press(*"blodtrykk")
        await wait_for(pilot, lambda: _picker_titles(picker) == ["Blodtrykksmåling hjemme"], what="search 2")
        await pilot.press("enter", "enter")
        await wait_for(pilot, lambda: app.screen is reply and len(area.documents) == 2, what="two attached")
        shown = [str(area.get_option_at_index(i).prompt) for i in range(area.option_count)]
        assert shown[0].startswith("📎 Kosthold ved diabetes type 2 (") and "kB" in shown[0]
        area.focus()
        area.highlighted = 1
        await pilot.press("delete")
        assert [d.title for d in area.documents] == ["Kosthold ved diabetes type 2"]
        # By topic, across every service's library (F2): the physiotherapists' leaflet; Esc adds nothing.
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, LibraryPicker), what="picker, third time")
        picker = app.screen
        assert isinstance(picker, LibraryPicker)
        await wait_for(pilot, lambda: "Blodtrykksmåling hjemme" in _picker_titles(picker), what="listed")
        assert "Øvelser for korsryggen" not in _picker_titles(picker)  # another service's library
        await pilot.press("f2")
        picker.query_one("#library-topic", Select).value = "physical-activity"
        await wait_for(pilot, lambda: _picker_titles(picker) == ["Øvelser for korsryggen"], what="by topic")
        assert "Fysisk aktivitet og trening" in widget_text(picker.query_one("#library-topic", Select))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is reply, what="picker closed")
        assert [d.title for d in area.documents] == ["Kosthold ved diabetes type 2"]
        # Send: the patient gets the document, and the thread on the item screen shows it. What the
        # user is told is kept as it is said (a toast leaves the screen after 4 s, which a loaded
        # machine can take between the send and this check).
        said: list[str] = []
        shown = app.notify

        def notify(message: str, **kw: Any) -> None:
            said.append(str(message))
            shown(message, **kw)

        app.notify = notify  # type: ignore[method-assign]
        await pilot.press("f5")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, ItemScreen) and item_screen.item.business_status == "replied",
            what="sent",
        )
        await wait_for(pilot, lambda: "Svaret er sendt." in said, what="told it was sent")
        staff = [m for m in patient_thread(demo_portal, thread_id)["messages"] if "lesestoff" in str(m)]
        assert [x["contentAttachment"]["title"] for x in staff[0]["payload"] if "contentAttachment" in x] == [
            "Kosthold ved diabetes type 2"
        ]
        await wait_for(
            pilot,
            lambda: "📎 Kosthold ved diabetes type 2 (" in thread_text(item_screen),
            what="attachment in the thread",
        )
    await app.client.aclose()


def test_an_attachment_is_shown_as_a_safe_name_and_a_size_only() -> None:
    set_language("nb")
    assert format_size(830) == "830 byte"
    assert format_size(12_400) == "12,4 kB"
    assert format_size(1_200_000) == "1,2 MB"
    assert format_size(None) == "ukjent størrelse"
    hostile = Message.from_fhir(
        {
            "resourceType": "Communication",
            "id": "m1",
            "status": "completed",
            "sender": {"reference": "Patient/p1", "display": "Pasient"},
            "payload": [
                {"contentString": "Se vedlegg"},
                {
                    "contentAttachment": {
                        "title": "[bold red]x[/]\x1b[2Jrapport.exe",
                        "size": 2048,
                        "contentType": "application/x-msdownload",
                        "data": "TVqQAAMAAAAEAAAA",
                        "url": "http://evil.example/x",
                    }
                },
            ],
        }
    )
    assert hostile.attachments == (
        Attachment(title="[bold red]x[/]\x1b[2Jrapport.exe", size=2048, content_type="application/x-msdownload"),
    )
    text = message_block(hostile).plain
    assert "📎 [bold red]x[/]" in text and "\x1b" not in text and "(2 kB)" in text
    assert "evil.example" not in text and "TVqQ" not in text
    set_language("en")
    assert format_size(12_400) == "12.4 kB" and format_size(1) == "1 byte" and format_size(2) == "2 bytes"


async def _attach(app: Any, pilot: Any, reply: ReplyScreen, words: str, title: str) -> None:
    """F4, search the library for `words`, choose the one document found (`title`)."""
    area = reply.query_one(AttachmentsArea)
    before = len(area.documents)
    await pilot.press("f4")
    await wait_for(pilot, lambda: isinstance(app.screen, LibraryPicker), what="library picker")
    picker = app.screen
    assert isinstance(picker, LibraryPicker)
    await pilot.press(*words)
    await wait_for(pilot, lambda: _picker_titles(picker) == [title], what=f"search {words}")
    await pilot.press("enter", "enter")
    await wait_for(pilot, lambda: app.screen is reply and len(area.documents) == before + 1, what="attached")


async def test_attachments_are_kept_with_the_draft_and_sent_once(demo_portal: EmbeddedPortal) -> None:
    """Attach two brochures, leave the reply (Esc), come back: the text and both attachments are
    there (kept with the draft on the portal); send: the patient's thread has each of them once."""
    app = await make_app(demo_portal)
    async with app.run_test(size=SIZE) as pilot:
        subject = f"Utkast {uuid.uuid4().hex[:6]}"
        item_screen, thread_id = await open_new_thread(app, pilot, demo_portal, subject)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplyScreen), what="editor")
        reply = app.screen
        assert isinstance(reply, ReplyScreen)
        await pilot.press(*"To brosjyrer til deg.")
        await _attach(app, pilot, reply, "kosthold", "Kosthold ved diabetes type 2")
        await _attach(app, pilot, reply, "blodtrykk", "Blodtrykksmåling hjemme")
        await pilot.press("escape")  # leave: the draft is kept on the portal
        await wait_for(pilot, lambda: app.screen is item_screen, what="back on the item")
        # The app keeps the draft after the editor closed (its worker, not the editor's): wait for it.
        await wait_for(
            pilot,
            lambda: not any(w.group == "draft-save" and not w.is_finished for w in app.workers),
            what="draft kept",
        )
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplyScreen) and app.screen is not reply, what="reopened")
        again = app.screen
        assert isinstance(again, ReplyScreen)
        area = again.query_one(AttachmentsArea)
        await wait_for(pilot, lambda: again.query_one("#editor").text == "To brosjyrer til deg.", what="text back")
        await wait_for(pilot, lambda: len(area.documents) == 2, what="attachments back")
        assert [d.title for d in area.documents] == ["Kosthold ved diabetes type 2", "Blodtrykksmåling hjemme"]
        shown = [str(area.get_option_at_index(i).prompt) for i in range(area.option_count)]
        assert shown[0].startswith("📎 Kosthold ved diabetes type 2 (") and shown[1].startswith(
            "📎 Blodtrykksmåling hjemme ("
        )
        assert area.display  # the attachments are on screen, not only in the widget
        await pilot.press("f5")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, ItemScreen) and item_screen.item.business_status == "replied",
            what="sent",
        )
        staff = [m for m in patient_thread(demo_portal, thread_id)["messages"] if "To brosjyrer" in str(m)]
        assert len(staff) == 1
        assert [x["contentAttachment"]["title"] for x in staff[0]["payload"] if "contentAttachment" in x] == [
            "Kosthold ved diabetes type 2",
            "Blodtrykksmåling hjemme",
        ]
    await app.client.aclose()
