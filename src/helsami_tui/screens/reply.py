"""Writing a reply: multi-line editor, reusable templates, drafts kept on the portal, sent once."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from ..client.errors import Conflict
from ..client.models import InboxItem, Message
from ..i18n import current_language, t
from ..messages import ItemChanged
from ..safetext import safe_text

if TYPE_CHECKING:
    from ..app import HelsamiApp

AUTOSAVE_SECONDS = 4.0

TEMPLATES: dict[str, list[tuple[str, str]]] = {
    "nb": [
        ("Mottatt – svarer innen fristen", "Hei!\n\nTakk for meldingen. Vi har mottatt den og svarer deg så snart "
                                          "vi kan, senest innen fristen for denne tjenesten.\n\nVennlig hilsen"),
        ("Ny resept sendt", "Hei!\n\nNy resept er sendt elektronisk, og du kan hente den på et hvilket som helst "
                            "apotek.\n\nVennlig hilsen"),
        ("Prøvesvar normale", "Hei!\n\nPrøvesvarene dine er innenfor normalområdet. Du trenger ikke gjøre noe "
                              "mer nå.\n\nVennlig hilsen"),
        ("Bestill time", "Hei!\n\nDette bør vi se nærmere på ved en konsultasjon. Ring oss eller bestill time i "
                         "HelsaMi.\n\nVennlig hilsen"),
        ("Ring legevakt ved forverring", "Hei!\n\nHvis det blir verre, ring legevakt på 116 117. Ved fare for liv, "
                                         "ring 113.\n\nVennlig hilsen"),
    ],
    "en": [
        ("Received – we answer within the deadline", "Hello,\n\nThank you for your message. We have received it "
                                                     "and will answer as soon as we can, at the latest within this "
                                                     "service's deadline.\n\nKind regards"),
        ("New prescription sent", "Hello,\n\nA new prescription has been sent electronically; you can collect it "
                                  "at any pharmacy.\n\nKind regards"),
        ("Results normal", "Hello,\n\nYour test results are within the normal range. You do not need to do "
                           "anything more now.\n\nKind regards"),
        ("Book an appointment", "Hello,\n\nWe should look at this at an appointment. Call us or book one in "
                                "HelsaMi.\n\nKind regards"),
        ("Call out-of-hours if worse", "Hello,\n\nIf it gets worse, call the out-of-hours service on 116 117. In "
                                       "an emergency, call 113.\n\nKind regards"),
    ],
}


class ReplyScreen(ModalScreen[None]):
    CSS = """
    ReplyScreen { align: center middle; }
    #dialog { width: 90%; height: 90%; border: thick $primary; background: $surface; padding: 0 1; }
    #to { height: auto; }
    TextArea { height: 1fr; }
    #templates { height: auto; max-height: 8; display: none; }
    #templates.shown { display: block; }
    #draft-state { height: 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "send", t("action.send"), priority=True),
        Binding("f3", "templates", t("action.templates"), priority=True),
        Binding("escape", "close", t("action.close_keep_draft"), priority=True),
    ]

    def __init__(self, item: InboxItem) -> None:
        super().__init__()
        self.item = item
        self.message_id = str(uuid.uuid4())  # one per reply, kept for every resend
        self.saved_text = ""
        self.draft: Message | None = None
        self.sending = False

    @property
    def happ(self) -> HelsamiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text.assemble(Text(t("reply.to") + " ", style="bold"),
                                       safe_text(self.item.patient_name, multiline=False), " – ",
                                       safe_text(self.item.subject, multiline=False)), id="to")
            yield OptionList(*[Option(Text(title)) for title, _ in TEMPLATES[current_language()]],
                             id="templates")
            yield TextArea(id="editor", soft_wrap=True, show_line_numbers=False, tab_behavior="focus")
            yield Static(t("reply.draft_none"), id="draft-state")
            yield Footer()

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()
        self.load_draft()
        self.set_interval(AUTOSAVE_SECONDS, self.autosave)

    @work(exclusive=True, group="draft-load")
    async def load_draft(self) -> None:
        try:
            draft = await self.happ.client.load_draft(self.item.focus_ref)
        except Exception as e:  # noqa: BLE001
            self.happ.report(e)
            return
        try:
            editor = self.query_one(TextArea)
        except NoMatches:
            return  # closed meanwhile
        if draft is not None and not editor.text.strip():
            editor.text = draft.text  # the editor shows text, never markup
            self.saved_text = draft.text
            self.draft = draft
            self.query_one("#draft-state", Static).update(t("reply.draft_loaded"))

    def autosave(self) -> None:
        text = self.query_one(TextArea).text
        if text != self.saved_text and text.strip() and not self.sending:
            self.save_draft(text)

    @work(exclusive=True, group="draft-save")
    async def save_draft(self, text: str) -> None:
        try:
            d = await self.happ.client.save_draft(self.item.focus_ref, text, self.draft)
        except Exception:  # noqa: BLE001 - the editor still holds the text; try again at the next tick
            self._draft_state(t("reply.draft_not_saved"))
            return
        self.saved_text = text
        self.draft = d
        self._draft_state(t("reply.draft_saved"))

    def _draft_state(self, text: str) -> None:
        try:
            self.query_one("#draft-state", Static).update(text)
        except NoMatches:
            pass  # closed meanwhile

    def action_templates(self) -> None:
        box = self.query_one("#templates", OptionList)
        box.toggle_class("shown")
        if box.has_class("shown"):
            box.focus()
        else:
            self.query_one(TextArea).focus()

    @on(OptionList.OptionSelected, "#templates")
    def _template(self, event: OptionList.OptionSelected) -> None:
        _, body = TEMPLATES[current_language()][event.option_index]
        editor = self.query_one(TextArea)
        editor.insert(body)
        self.query_one("#templates").remove_class("shown")
        editor.focus()

    def action_close(self) -> None:
        text = self.query_one(TextArea).text
        if text.strip() and text != self.saved_text and not self.sending:
            # Saved by the app, not by this screen: a screen's workers end when it closes.
            self.app.run_worker(self._save_after_close(self.happ, text), group="draft-save", exit_on_error=False)
            self.notify(t("reply.draft_kept"), timeout=3)
        self.dismiss(None)

    async def _save_after_close(self, app: HelsamiApp, text: str) -> None:
        try:
            await app.client.save_draft(self.item.focus_ref, text, self.draft)
        except Exception as e:  # noqa: BLE001 - tell the user; the text is not lost silently
            app.notify(t("reply.draft_not_saved_closed"), severity="error", timeout=10)
            app.report(e)
            return
        from .item import ItemScreen
        for screen in app.screen_stack:  # show the kept draft under the thread
            if isinstance(screen, ItemScreen) and screen.item.id == self.item.id:
                screen.load()

    def action_send(self) -> None:
        text = self.query_one(TextArea).text.strip()
        if not text:
            self.notify(t("reply.empty"), severity="warning")
            return
        if not self.sending:
            self.sending = True
            self.send(text)

    @work(exclusive=True, group="send")
    async def send(self, text: str) -> None:
        app = self.happ
        item = self.item
        me = app.me
        try:
            if me is not None and item.owner_ref != me.resource or not item.claimed:
                item = await app.client.claim(item)  # claim first: never two answers to one patient
                app._broadcast(ItemChanged(item, "claim"))
        except Conflict as c:
            self.sending = False
            app.report(c)
            return
        except Exception as e:  # noqa: BLE001
            self.sending = False
            app.report(e)
            return
        entry = await app.outbox.send(item, text, self.message_id)
        self.sending = False
        if entry.state == "sent" and entry.result is not None:
            app._broadcast(ItemChanged(entry.result.item, "reply"))
            self.notify(t("reply.sent"), timeout=4)
            self.dismiss(None)
        elif entry.state == "pending":
            self.notify(t("reply.queued"), severity="warning", timeout=8)
            self.dismiss(None)
        else:
            app.report(entry.error or Exception("failed"))
