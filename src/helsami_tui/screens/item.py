"""One item: the whole thread, the patient banner with clinical context, and the actions."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Static

from ..actions import with_ids
from ..attachments import attachment_line
from ..client.api import Clinical
from ..client.errors import AccessDenied, ClientError
from ..client.models import InboxItem, PatientSummary, Thread
from ..host import ReportsFailures
from ..i18n import t
from ..messages import ConnectionState, ItemChanged, ItemGone
from ..refusals import error_text
from ..safetext import safe_text
from ..widgets.footer import Footer
from .item_text import (
    context_text,
    grouped_results,
    message_block,
    note_block,
    on_behalf_text,
    proxies_line,
    state_text,
    when,
)
from .stack import DraftKept

if TYPE_CHECKING:
    from ..host import AppHost, ItemCall


class ItemScreen(ReportsFailures, Screen[None]):
    notes_in_thread = True  # messages: notes in time order among the messages; decisions: their own panel
    CSS = """
    #banner { height: auto; padding: 0 1; background: $panel; }
    #state { height: auto; padding: 0 1; }
    #body { height: 1fr; }
    #thread { width: 2fr; }
    #context { width: 1fr; min-width: 26; border-left: solid $primary; padding: 0 1; }
    .msg { margin: 0 1 1 1; padding: 0 1; border: round $secondary; height: auto; }
    .msg.staff { border: round $primary; }
    .note { margin: 0 1 1 1; padding: 0 1; border: heavy $warning; height: auto; }
    .draft { margin: 0 1 1 1; padding: 0 1; border: dashed $accent; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = with_ids(
        Binding("escape", "back", t("action.back")),
        Binding("c", "claim", t("action.claim")),
        Binding("u", "unclaim", t("action.unclaim")),
        Binding("f", "forward", t("action.forward")),
        Binding("r", "reply", t("action.reply")),
        Binding("d", "complete", t("action.complete")),
        Binding("b", "break_glass", t("action.break_glass")),
        Binding("n", "note", t("action.note"), show=False),  # in help (F1); the footer is full at 100 columns
        Binding("m", "new_message", t("action.new_message"), show=False),
        Binding("e", "reopen", t("action.reopen")),  # offered (and in the footer) once the item is completed
        Binding("f5", "reload", t("action.refresh"), show=False),
    )

    def __init__(self, item: InboxItem, *, start_reply: bool = False) -> None:
        super().__init__()
        self.item = item
        self.thread: Thread | None = None
        self.patient: PatientSummary | None = None
        self.clinical: Clinical | None = None
        self.patient_denied: str | None = None
        self.proxies: list[Any] | None = None
        self._glass_timer: Any = None  # redraws the banner when break-the-glass access ends
        self.start_reply = start_reply
        self.pending: set[Any] = set()  # actions sent to the portal and not answered yet
        self._loading = False  # the first load has started (from `compose`, or from `on_mount`)
        self._mounted = asyncio.Event()  # set in `on_mount`: the parts can be drawn

    @property
    def happ(self) -> AppHost:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        # The reads leave now, while the screen is built, mounted and first drawn, not after it: each
        # part is drawn once the screen is mounted and its answer is in (`_drawable`).
        self._loading = True
        self.load()
        yield Static(t("app.offline"), id="offline")
        yield Static(Text(t("app.loading")), id="banner")
        yield Static("", id="state")
        with Horizontal(id="body"):
            yield VerticalScroll(id="thread")
            yield VerticalScroll(Static(Text(t("app.loading")), id="context-text"), id="context")
        yield Footer()

    def on_mount(self) -> None:
        self._mounted.set()
        self.query_one("#offline").set_class(not self.happ.online, "shown")
        self.render_state()
        if not self._loading:
            self._loading = True
            self.load()  # a screen of its own layout (a decision's review) reads once it is mounted
        if self.start_reply:
            self.call_after_refresh(self._start_reply)

    # -- loading ------------------------------------------------------------------------------
    async def _drawable(self) -> None:
        """Until the screen's widgets are mounted (the reads may start before: see `compose`)."""
        if not self.is_mounted:
            await self._mounted.wait()

    @work(exclusive=True, group="item", exit_on_error=False)
    async def load(self) -> None:
        try:
            await self._load()
        except NoMatches:
            return  # the screen was closed while the portal answered: nothing to show any more

    async def _load_patient(self) -> str:
        """Read the patient and the proxies for the banner, together (a refusal is shown there, not
        raised), and draw the banner; returns the patient's id."""
        pid = self.item.patient_ref.removeprefix("Patient/")
        client = self.happ.client
        me = self.happ.me
        want_proxies = bool(pid) and me is not None and me.sees_clinical

        async def read_patient() -> None:
            try:
                self.patient = await client.patient(pid, today=self.happ.today()) if pid else None
                self.patient_denied = None
            except AccessDenied as e:
                self.patient = None
                self.patient_denied = error_text(e)
            except ClientError as e:
                self.happ.report(e)

        async def read_proxies() -> None:
            if not want_proxies:
                return
            try:
                self.proxies = await client.proxies(pid, today=self.happ.today())
            except AccessDenied:
                self.proxies = None
            except ClientError as e:
                self.happ.report(e)

        await asyncio.gather(read_patient(), read_proxies())
        if self.patient is None:
            self.proxies = None  # not shown for a patient the user may not read
        await self._drawable()
        self.render_banner()
        return pid

    async def _load(self) -> None:
        """The banner, the thread and the clinical context in one round of parallel requests;
        each part is drawn as soon as its answer is in."""
        client = self.happ.client
        pid = self.item.patient_ref.removeprefix("Patient/")
        me = self.happ.me

        async def read_thread() -> None:
            try:
                if self.item.has_thread:
                    self.thread = await client.thread(self.item.focus_ref)
            except ClientError as e:
                self.happ.report(e)
            await self._drawable()
            self.render_thread()

        async def read_clinical() -> None:
            if me is not None and me.sees_clinical and pid:
                try:
                    self.clinical = await client.clinical(pid, observations=60)
                except ClientError as e:
                    self.happ.report(e)
            await self._drawable()
            self.render_context()

        await asyncio.gather(self._load_patient(), read_thread(), read_clinical())

    def action_reload(self) -> None:
        self.load()

    # -- rendering ----------------------------------------------------------------------------
    def render_banner(self) -> None:
        p = self.patient
        if p is None:
            name = self.item.patient_name
            line = safe_text(name or t("patient.unknown"), multiline=False, style="bold")
            if self.patient_denied:
                line.append("  ·  ")
                line.append_text(safe_text(self.patient_denied, multiline=False))
            self.query_one("#banner", Static).update(line)
            return
        age = f"{p.age} {t('patient.years')}" if p.age is not None else ""
        line = Text.assemble(
            safe_text(p.name, multiline=False, style="bold"),
            "  ·  ",
            age,
            "  ·  ",
            f"{t('patient.nid')} ",
            safe_text(p.national_id, multiline=False),
        )
        if self.proxies:
            proxies_line(line, self.proxies)
        until = self.happ.client.break_glass_until(p.id, self.happ.now())
        if until is not None:
            line.append("\n")
            line.append(f" {t('break_glass.banner', until=when(until, self.happ.tz))} ", style="bold reverse")
            # The banner goes when the access ends (drawn again then; no longer in force, it is left out).
            left = (until - self.happ.now()).total_seconds()
            if self._glass_timer is not None:
                self._glass_timer.stop()
            self._glass_timer = self.set_timer(max(1.0, left + 1.0), self.render_banner)
        self.query_one("#banner", Static).update(line)

    def render_state(self) -> None:
        me = self.happ.me
        line = state_text(self.item, me.resource if me else "", self.happ.now(), self.happ.tz, working=self.working)
        self.query_one("#state", Static).update(line)

    def render_thread(self) -> None:
        """Messages and internal notes in time order (notes marked so they cannot be taken for
        something the patient sees), then the user's own unsent draft."""
        box = self.query_one("#thread", VerticalScroll)
        box.remove_children()
        tz = self.happ.tz
        entries: list[tuple[dt.datetime | None, int, Static]] = []
        if self.thread is not None:
            for m in self.thread.messages:
                patient_name = self.patient.name if self.patient is not None else self.item.patient_name
                w = Static(
                    message_block(m, tz, patient_name), classes="msg staff" if m.category == "staff-reply" else "msg"
                )
                entries.append((m.sent, len(entries), w))
        elif not self.item.has_thread:
            entries.append((None, 0, Static(Text(t("item.no_thread")))))
        for note in self.item.notes if self.notes_in_thread else ():
            w = Static(note_block(note, tz), classes="note")
            entries.append((note.time, len(entries), w))
        earliest = dt.datetime.min.replace(tzinfo=dt.UTC)
        entries.sort(key=lambda e: (e[0] or earliest, e[1]))
        widgets = [w for _, _, w in entries]
        if self.thread is not None:
            for d in self.thread.drafts[:1]:
                draft = Text.assemble(Text(t("msg.draft") + "\n", style="bold"), safe_text(d.text))
                for doc in d.documents:  # the library documents attached to it, by name and size
                    draft.append("\n")
                    draft.append_text(attachment_line(doc))
                widgets.append(Static(draft, classes="draft"))
        box.mount_all(widgets)
        # Scroll once the new messages are laid out, so a long thread opens at its newest message.
        box.call_after_refresh(box.scroll_end, animate=False)

    def render_context(self) -> None:
        self.query_one("#context-text", Static).update(context_text(self.happ.me, self.clinical, self.happ.tz))

    def retranslate(self) -> None:
        self.render_banner()
        self.render_state()
        self.render_thread()
        self.render_context()

    def catch_up(self) -> None:
        self.load()

    # -- events -------------------------------------------------------------------------------
    def _gone(self) -> bool:
        """True once this screen is being closed: nothing may be drawn into it any more."""
        return not self.is_attached or self not in self.app.screen_stack

    def on_item_changed(self, message: ItemChanged) -> None:
        if self._gone():
            return
        if message.item.id != self.item.id:
            return
        self.item = message.item
        self.render_state()
        self.refresh_bindings()  # reopen is offered on a completed item only
        if message.action in ("reply", "patient-message", "forward", "message_patient"):
            self.load()
        else:
            self.render_thread()

    def on_item_gone(self, message: ItemGone) -> None:
        if message.item_id == self.item.id and self.is_current:
            self.notify(t("item.gone"), severity="warning")
            self.app.pop_screen()

    def on_draft_kept(self, message: DraftKept) -> None:
        if message.item_id == self.item.id and not self._gone():
            self.load()

    def on_connection_state(self, message: ConnectionState) -> None:
        self.query_one("#offline").set_class(not message.online, "shown")

    # -- actions ------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reopen":
            return self.item.status == "completed"
        if action == "break_glass":
            me = self.happ.me
            return me is not None and me.sees_clinical  # not offered to roles without clinical access
        return True

    def action_back(self) -> None:
        self.app.pop_screen()

    def _act(self, op: str, call: ItemCall) -> None:
        """An action on the item through the app's worker; the state line says "waiting for the
        portal" until it has answered (a visible mark at once, however slow the portal is)."""
        worker = self.happ.item_action(self, op, self.item, call)
        self.pending.add(worker)
        self.render_state()

        def check() -> None:
            if worker.is_finished:
                self.pending.discard(worker)
                timer.stop()
                if not self._gone():
                    self.render_state()

        timer = self.set_interval(0.05, check)

    @property
    def working(self) -> bool:
        return bool(self.pending) or bool(getattr(self, "busy", False))

    def action_claim(self) -> None:
        self._act("claim", self.happ.client.claim)

    def action_unclaim(self) -> None:
        self._act("unclaim", self.happ.client.unclaim)

    def action_complete(self) -> None:
        from .confirm import complete_with_care

        complete_with_care(self, self.item, self.thread)

    def action_note(self) -> None:
        """Write an internal note (staff only); the item stays where it is."""
        from .dialogs import TextPrompt

        def done(text: str | None) -> None:
            if text:
                self._act("add_note", lambda i: self.happ.client.add_note(i, text=text))

        self.app.push_screen(TextPrompt(t("note.prompt.title"), t("note.prompt.explain")), done)

    def action_new_message(self) -> None:
        """A new message to the patient from this item, whatever its type or state."""
        import uuid

        from .dialogs import TextPrompt

        message_id = str(uuid.uuid4())  # one per message: a resend never reaches the patient twice

        def done(text: str | None) -> None:
            if text:
                self._act("message_patient", lambda i: self.happ.client.message_patient(i, text, message_id))

        self.app.push_screen(TextPrompt(t("newmsg.title"), t("newmsg.explain")), done)

    def action_reopen(self) -> None:
        self._act("reopen", self.happ.client.reopen)

    def action_forward(self) -> None:
        from .forward import ForwardScreen

        self.app.push_screen(ForwardScreen(self.item))

    def _start_reply(self) -> None:
        if self.app.screen is self:  # not if the user already went back
            self.action_reply()

    def action_reply(self) -> None:
        from .reply import ReplyScreen

        if not self.item.has_thread:
            self.notify(t("item.no_thread"), severity="warning")
            return
        me = self.happ.me
        if me is not None and self.item.claimed and self.item.owner_ref != me.resource:
            self.notify(t("conflict.claimed_by", name=self.item.owner_display), severity="warning", markup=False)
            return
        name = self.patient.name if self.patient is not None else self.item.patient_name
        self.app.push_screen(ReplyScreen(self.item, self.thread, name))

    def action_break_glass(self) -> None:
        from .break_glass import BreakGlassScreen

        me = self.happ.me
        if me is None or not me.sees_clinical:
            self.notify(t("context.role_denied"), severity="warning")
            return

        def done(granted: bool | None) -> None:
            if granted:
                self.load()

        self.app.push_screen(BreakGlassScreen(self.item.patient_ref), done)


# The text helpers moved to item_text.py; these are still importable from here.
__all__ = ["ItemScreen", "grouped_results", "message_block", "on_behalf_text", "when"]
