"""What the decision screens (renewal, result, questionnaire, appointment request) share: the
patient banner, the item's state, the review in the main column and the conversation with the
patient beside it; a worker that sends a decision and shows the portal's answer in plain words;
and the small dialogs (a text prompt, a physician picker)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.css.query import NoMatches
from textual.widgets import Static

from .. import clinical_time
from ..client.errors import AccessDenied, ClientError, Conflict, PortalError
from ..client.models import InboxItem
from ..host import ItemCall
from ..i18n import short_date, t
from ..messages import ItemChanged
from ..refusals import error_text
from ..safetext import safe_text
from ..widgets.footer import Footer
from .dialogs import TextPrompt
from .item import ItemScreen
from .item_text import note_block, notes_newest_first, sparkline, when
from .targets import PhysicianPicker


def heading(out: Text, title: str) -> None:
    out.append(title + "\n", style="bold underline")


def decided_text(item: InboxItem) -> str:
    key = f"bstatus.{item.business_status}"
    word = t(key)
    return t("decision.decided", status=word) if word != key else ""


class DecisionScreen(ItemScreen):
    """An item whose decision has its own review (subclasses: `fetch_review` and `render_review`)."""

    notes_in_thread = False  # internal notes stand above the review, newest first (a pend note on top)
    CSS = (
        ItemScreen.CSS
        + """
    #notes { height: auto; }
    #notes.empty { display: none; }
    #review { width: 2fr; padding: 0 1; }
    #thread { width: 1fr; border-left: solid $primary; }
    """
    )

    def __init__(self, item: InboxItem, **kw: Any) -> None:
        super().__init__(item, **kw)
        self.review: Any = None
        self.review_error: str | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Static(t("app.offline"), id="offline")
        yield Static(Text(t("app.loading")), id="banner")
        yield Static("", id="state")
        with Horizontal(id="body"):
            yield VerticalScroll(
                Static("", id="notes", classes="empty"), Static(Text(t("app.loading")), id="review-text"), id="review"
            )
            yield VerticalScroll(id="thread")
        yield Footer()

    async def fetch_review(self) -> Any:
        raise NotImplementedError

    def render_review(self, out: Text) -> None:
        raise NotImplementedError

    async def _load(self) -> None:
        """The banner, the review and the conversation in one round of parallel requests."""
        client = self.happ.client

        async def read_review() -> None:
            try:
                self.review = await self.fetch_review()
                self.review_error = None
            except (AccessDenied, Conflict, PortalError) as e:
                self.review_error = error_text(e)
            except ClientError as e:
                self.happ.report(e)
            self.render_context()

        async def read_thread() -> None:
            try:
                self.thread = await client.decision_thread(self.item)
            except ClientError as e:
                self.happ.report(e)
            self.render_thread()

        async def read_item() -> None:
            # The item as it is now: the one the list held may be older than a change (a note, a
            # pend) made while the list was read, and the notes above the review are the item's.
            try:
                fresh = await client.task(self.item.id, now=self.happ.now())
            except ClientError:
                return  # the review's own request says what is wrong
            if fresh.version > self.item.version:
                self.happ.announce_item_changed(fresh)  # this screen and the list's copy take it

        await asyncio.gather(self._load_patient(), read_review(), read_thread(), read_item())

    def render_context(self) -> None:
        """The review (in place of the generic clinical panel)."""
        out = Text()
        extra = decided_text(self.item)
        if extra:
            out.append(extra + "\n\n", style="bold reverse")
        if self.review_error:
            out.append_text(safe_text(self.review_error))
        elif self.review is None:
            out.append(t("app.loading"))
        else:
            self.render_review(out)
        try:
            self.query_one("#review-text", Static).update(out)
            self.render_notes()
        except NoMatches:
            return

    def render_notes(self) -> None:
        notes = notes_newest_first(self.item.notes)
        box = self.query_one("#notes", Static)
        box.set_class(not notes, "empty")
        out = Text()
        if notes:
            heading(out, t("note.title", n=len(notes)))
            for n in notes:
                out.append_text(note_block(n, self.happ.tz))
                out.append("\n\n")
        box.update(out)

    def render_thread(self) -> None:
        box = self.query_one("#thread", VerticalScroll)
        if self.thread is None:
            box.remove_children()
            box.mount(Static(Text.assemble(Text(t("decision.thread") + "\n", style="bold"), t("decision.no_thread"))))
            return
        super().render_thread()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("reply", "complete"):
            return False  # a decision item is answered and closed by its decisions, not here
        return super().check_action(action, parameters)

    def on_item_changed(self, message: ItemChanged) -> None:
        if self._gone() or message.item.id != self.item.id:
            return
        self.item = message.item
        self.render_state()
        self.render_context()
        self.refresh_bindings()
        if message.action in ("message_patient", "patient-message"):
            self.load()  # the conversation beside the review has a new message

    # -- sending a decision -------------------------------------------------------------------
    def prompt(self, title: str, explain: str, then: Callable[[str], None], *, required: bool = True) -> None:
        """Ask for a text (a reason, a question, a comment), then call `then` with it."""

        def done(value: str | None) -> None:
            if value is not None:
                then(value)

        self.app.push_screen(TextPrompt(title, explain, required=required), done)

    def decide(self, op: str, done_text: str, call: ItemCall) -> None:
        """Send a decision: the progress mark goes up at once (in the frame that closes the prompt,
        not when the worker gets to run: under load that came up to a second later), then the
        worker sends it."""
        if self.busy:
            return
        self.busy = True
        self.render_state()  # the progress mark until the portal answers
        self._send(op, done_text, call)

    @work(exclusive=True, group="decision", exit_on_error=False)
    async def _send(self, op: str, done_text: str, call: ItemCall) -> None:
        """On success the item and the review are read again. A refusal is shown in the portal's
        own plain words (which warning, which role, which category)."""
        try:
            new = await call(self.item)
        except Conflict as c:
            if c.current is not None:
                self.item = c.current
                self.render_state()
                self.render_context()
            self._refused(c)
            return
        except (AccessDenied, PortalError) as e:
            self._refused(e)
            return
        finally:  # any other failure goes to the one handler (host.report_failed_worker)
            self.busy = False
            if not self._gone():
                self.render_state()
        self.happ.mark_online(True)  # the portal answered
        self.item = new
        self.happ.announce_item_changed(new, op)  # every screen learns of the change
        self.notify(done_text, timeout=6, markup=False)
        if not self._gone():
            self.render_state()
            self.refresh_bindings()  # a decided item can be reopened
            self.load()

    def _refused(self, e: Exception) -> None:
        self.notify(t("decision.refused", reason=error_text(e)), severity="warning", timeout=12, markup=False)


# -- dialogs ------------------------------------------------------------------------------------


def date_text(value: dt.datetime | dt.date | None, tz: dt.tzinfo | None = None) -> str:
    if value is None:
        return "–"
    if isinstance(value, dt.datetime):
        return short_date(clinical_time.local(value, tz))
    return short_date(value)


__all__ = [
    "DecisionScreen",
    "PhysicianPicker",
    "TextPrompt",
    "date_text",
    "decided_text",
    "heading",
    "sparkline",
    "when",
]
