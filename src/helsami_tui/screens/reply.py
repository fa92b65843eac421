"""Writing a reply: multi-line editor, reusable templates, drafts kept on the portal, sent once."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.widgets import OptionList, Static, TextArea
from textual.widgets.option_list import Option
from textual.worker import Worker

from ..actions import with_ids
from ..client.errors import ClientError
from ..client.models import InboxItem, LibraryDocument, Message, StaffProfile, Thread
from ..host import ReportsFailures
from ..i18n import current_language, t
from ..safetext import safe_text
from ..templates import Template, fill, offered
from ..widgets.attachments import AttachmentsArea
from ..widgets.footer import Footer
from .dialogs import Dialog
from .reply_text import answered_message, signature_of, standard_templates
from .stack import DraftKept, ItemList, item_list

if TYPE_CHECKING:
    from ..host import AppHost

AUTOSAVE_SECONDS = 4.0


class ReplyScreen(ReportsFailures, Dialog[None]):
    """The reply editor below the message it answers (never covering it), with numbered templates."""

    CSS = """
    #to { height: auto; }
    #answering { height: 1fr; max-height: 45%; border: round $secondary; padding: 0 1; }
    TextArea { height: 2fr; }
    #templates-box { height: auto; display: none; }
    #templates-box.shown { display: block; }
    #templates { height: auto; max-height: 10; }
    #draft-state { height: 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = with_ids(
        Binding("f5", "send", t("action.send"), priority=True),
        Binding("f6", "send_done_next", t("action.send_done_next"), priority=True),
        Binding("f3", "templates", t("action.templates"), priority=True),
        Binding("f4", "attachments", t("action.attachments"), priority=True),
        Binding("escape", "close", t("action.close_keep_draft"), priority=True),
    )

    def __init__(self, item: InboxItem, thread: Thread | None = None, patient_name: str = "") -> None:
        super().__init__()
        self.item = item
        self.thread = thread
        self.patient_name = patient_name or item.patient_name
        self.message_id = str(uuid.uuid4())  # one per reply, kept for every resend
        self.saved_text = ""
        self.saved_refs: list[str] = []  # the attachments of the draft last kept on the portal
        self.draft: Message | None = None
        self.sending = False
        self.profile: StaffProfile | None = None
        self.offered: list[Template] = []
        self.following: InboxItem | None = None  # the item to open after "send, complete, next"

    @property
    def happ(self) -> AppHost:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(
                Text.assemble(
                    Text(t("reply.to") + " ", style="bold"),
                    safe_text(self.patient_name, multiline=False),
                    " – ",
                    safe_text(self.item.subject, multiline=False),
                ),
                id="to",
            )
            with VerticalScroll(id="answering"):
                yield Static(self._answering_text(), id="answering-text")
            with Vertical(id="templates-box"):
                yield Static("", id="templates-hint")
                yield OptionList(id="templates")
            yield TextArea(id="editor", soft_wrap=True, show_line_numbers=False, tab_behavior="focus")
            yield AttachmentsArea(id="attachments")
            yield Static(t("reply.draft_none"), id="draft-state")
            yield Footer()

    def _answering_text(self) -> Text:
        from .item_text import message_block

        out = Text(t("reply.answering") + "\n", style="bold underline")
        m = answered_message(self.thread)
        if m is None:
            out.append(t("app.loading") if self.thread is None and self.item.has_thread else t("reply.no_message"))
            return out
        out.append_text(message_block(m, self.happ.tz, self.patient_name))
        return out

    def template_list(self) -> list[Template]:
        """The templates offered, numbered in this order: personal, the unit's, standard."""
        settings = self.happ.settings
        me = self.happ.me
        units = [
            *(me.pools if me is not None else ()),
            *([self.profile.unit_ref.removeprefix("Organization/")] if self.profile and self.profile.unit_ref else []),
        ]
        return offered(
            getattr(settings, "personal_templates", []),
            getattr(settings, "unit_template_list", []),
            standard_templates(),
            language=current_language(),
            units=units,
        )

    def on_mount(self) -> None:
        self._following()
        self.query_one(TextArea).focus()
        self.load_draft()
        self.load_context()
        self.set_interval(AUTOSAVE_SECONDS, self.autosave)

    @work(exclusive=True, group="reply-context", exit_on_error=False)
    async def load_context(self) -> None:
        """The message being answered (when the item had not read it yet) and the signature, together."""
        client = self.happ.client

        async def read_thread() -> None:
            if self.thread is None and self.item.has_thread:
                try:
                    self.thread = await client.thread(self.item.focus_ref)
                except ClientError as e:
                    self.happ.report(e)

        async def read_profile() -> None:
            try:
                self.profile = await client.staff_profile()
            except ClientError:  # the signature falls back to the name from the sign-in
                self.profile = None

        await asyncio.gather(read_thread(), read_profile())
        try:
            self.query_one("#answering-text", Static).update(self._answering_text())
        except NoMatches:
            return  # closed meanwhile

    @work(exclusive=True, group="draft-load", exit_on_error=False)
    async def load_draft(self) -> None:
        draft = await self.happ.client.load_draft(self.item.focus_ref)
        try:
            editor = self.query_one(TextArea)
        except NoMatches:
            return  # closed meanwhile
        area = self.query_one(AttachmentsArea)
        if draft is not None and not editor.text.strip() and not area.documents:
            editor.text = draft.text  # the editor shows text, never markup
            area.restore(draft.documents)  # and the library documents attached to it
            self.saved_text = draft.text
            self.saved_refs = area.refs
            self.draft = draft
            self.query_one("#draft-state", Static).update(t("reply.draft_loaded"))

    def _unsaved(self) -> tuple[str, list[LibraryDocument]] | None:
        """The text and attachments when they differ from the draft kept (and hold something)."""
        text = self.query_one(TextArea).text
        docs = list(self.query_one(AttachmentsArea).documents)
        if (text, [d.ref for d in docs]) == (self.saved_text, self.saved_refs) or self.sending:
            return None
        return (text, docs) if text.strip() or docs else None

    def autosave(self) -> None:
        if (unsaved := self._unsaved()) is not None:
            self.save_draft(*unsaved)

    @work(exclusive=True, group="draft-save", exit_on_error=False)
    async def save_draft(self, text: str, docs: list[LibraryDocument]) -> None:
        try:
            d = await self.happ.client.save_draft(self.item.focus_ref, text, self.draft, docs)
        except ClientError:  # the editor still holds the text; try again at the next tick
            self._draft_state(t("reply.draft_not_saved"))
            return
        self.saved_text = text
        self.saved_refs = [doc.ref for doc in docs]
        self.draft = d
        self._draft_state(t("reply.draft_saved"))

    def _draft_state(self, text: str) -> None:
        try:
            self.query_one("#draft-state", Static).update(text)
        except NoMatches:
            pass  # closed meanwhile

    def action_templates(self) -> None:
        box = self.query_one("#templates-box")
        box.toggle_class("shown")
        if box.has_class("shown"):
            self.offered = self.template_list()
            options = self.query_one("#templates", OptionList)
            options.clear_options()
            options.add_options([Option(self._template_line(i, tpl)) for i, tpl in enumerate(self.offered, start=1)])
            self.query_one("#templates-hint", Static).update(t("reply.templates_hint", n=min(9, len(self.offered))))
            if self.offered:
                options.highlighted = 0
            options.focus()
        else:
            self.query_one(TextArea).focus()

    @staticmethod
    def _template_line(n: int, tpl: Template) -> Text:
        line = Text(f"{n if n <= 9 else ' '} ", style="bold")
        line.append_text(safe_text(tpl.title, multiline=False))
        if tpl.source != "standard":
            line.append(f"  ({t('template.source.' + tpl.source)})", style="italic")
        return line

    def on_key(self, event: events.Key) -> None:
        """In the template list a digit chooses that template."""
        box = self.query_one("#templates-box")
        if box.has_class("shown") and event.character and event.character in "123456789":
            n = int(event.character)
            if n <= len(self.offered):
                event.stop()
                event.prevent_default()
                self.use_template(n - 1)

    @on(OptionList.OptionSelected, "#templates")
    def _template(self, event: OptionList.OptionSelected) -> None:
        self.use_template(event.option_index)

    def use_template(self, index: int) -> None:
        """Put the template, filled with the patient's name and the signature, at the cursor; the
        cursor then stands on a new line after it."""
        tpl = (self.offered or self.template_list())[index]
        text = fill(tpl.body, patient=self.patient_name, signature=signature_of(self.profile, self.happ.me))
        editor = self.query_one(TextArea)
        row, col = editor.cursor_location
        line = editor.document.get_line(row)
        if col > 0 and line[:col].strip():
            text = "\n" + text  # after text on the same line: the template starts on a line of its own
        if not text.endswith("\n"):
            text += "\n"
        editor.insert(text)
        self.query_one("#templates-box").remove_class("shown")
        editor.focus()

    def action_attachments(self) -> None:
        """Choose a document of the library to send with the reply (screens.library)."""
        from .library import LibraryPicker

        def chosen(doc: LibraryDocument | None) -> None:
            if doc is None:
                return
            why = self.query_one(AttachmentsArea).add(doc)
            if why:
                self.notify(t(why, limit=10), severity="warning")
            else:
                self.notify(t("library.added", title=doc.title), timeout=3, markup=False)
            self.query_one(TextArea).focus()

        self.app.push_screen(LibraryPicker(self.item), chosen)

    def action_close(self) -> None:
        if (unsaved := self._unsaved()) is not None:
            # Saved by the app, not by this screen: a screen's workers end when it closes.
            self.app.run_worker(self._save_after_close(self.happ, *unsaved), group="draft-save", exit_on_error=False)
            self.notify(t("reply.draft_kept"), timeout=3)
        self.dismiss(None)

    async def _save_after_close(self, app: AppHost, text: str, docs: list[LibraryDocument]) -> None:
        try:
            await app.client.save_draft(self.item.focus_ref, text, self.draft, docs)
        except ClientError as e:  # tell the user; the text is not lost silently
            app.notify(t("reply.draft_not_saved_closed"), severity="error", timeout=10)
            app.report(e)
            return
        for screen in app.screen_stack:  # show the kept draft under the thread
            screen.post_message(DraftKept(self.item.id))

    def action_send(self) -> None:
        self._send(then_next=False)

    def action_send_done_next(self) -> None:
        """One key: send the reply, complete the item and open the next one in the list."""
        self._send(then_next=True)

    def _send(self, *, then_next: bool) -> None:
        text = self.query_one(TextArea).text.strip()
        if not text:
            self.notify(t("reply.empty"), severity="warning")
            return
        if then_next:
            self._following()  # before the claim takes the item out of a list of unclaimed ones
        if not self.sending:
            self.sending = True
            self._draft_state(t("reply.sending"))  # the progress mark until the portal answers
            self.send(text, then_next)

    def _inbox(self) -> ItemList | None:
        return item_list(self.app)

    def _following(self) -> InboxItem | None:
        """The open item after this one in the inbox's list, remembered while this one is still
        in it (replying claims it, and a list of unclaimed items then no longer holds it)."""
        inbox = self._inbox()
        now = inbox.item_after(self.item.id) if inbox is not None else None
        if now is not None:
            self.following = now
        return self.following

    async def _complete_and_next(self, replied: InboxItem) -> None:
        """After the reply went out: complete the item, close it and open the next one in the list."""
        app = self.happ
        inbox = self._inbox()
        following = self._following()
        try:
            done = await app.client.complete(replied)
        except ClientError as e:  # the reply is sent; the item stays open and says so
            app.report(e)
            self.dismiss(None)
            return
        app.announce_item_changed(done, "complete")
        app.notify(t("reply.sent_done"), timeout=4)
        if inbox is not None:
            inbox.open_next(following)  # closes this reply and the item, opens the next one
        else:
            self.dismiss(None)

    def worker_failed(self, worker: Worker[Any]) -> None:
        if worker.group == "send":  # the text stays in the editor, to send again
            self.sending = False
            self._draft_state(t("reply.draft_none"))

    @work(exclusive=True, group="send", exit_on_error=False)
    async def send(self, text: str, then_next: bool = False) -> None:
        app = self.happ
        item = self.item
        me = app.me
        try:
            if (me is not None and item.owner_ref != me.resource) or not item.claimed:
                item = await app.client.claim(item)  # claim first: never two answers to one patient
                self.item = item  # claimed: a second try (after a failure below) does not claim again
                app.announce_item_changed(item, "claim")
        except ClientError as e:  # a conflict, a refusal, the network: the text stays to send again
            self.sending = False
            self._draft_state(t("reply.draft_none"))
            app.report(e)
            return
        entry = await app.outbox.send(item, text, self.message_id, self.query_one(AttachmentsArea).refs)
        self.sending = False
        if entry.state == "sent" and entry.result is not None:
            app.announce_item_changed(entry.result.item, "reply")
            if then_next:
                await self._complete_and_next(entry.result.item)
                return
            self.notify(t("reply.sent"), timeout=4)
            self.dismiss(None)
        elif entry.state == "pending":
            # Queued (offline): it goes out later; the item is not completed before it has.
            self.notify(t("reply.queued_not_done") if then_next else t("reply.queued"), severity="warning", timeout=8)
            self.dismiss(None)
        else:
            self._draft_state(t("reply.draft_none"))
            app.report(entry.error or Exception("failed"))


# The reply's text helpers live in reply_text.py; these are still importable from here.
__all__ = ["AUTOSAVE_SECONDS", "ReplyScreen", "answered_message", "signature_of", "standard_templates"]
