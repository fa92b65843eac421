"""One item: the whole thread, the patient banner with clinical context, and the actions."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from ..client.api import Clinical
from ..client.errors import AccessDenied
from ..client.models import InboxItem, Message, PatientSummary, Thread
from ..i18n import t
from ..messages import ConnectionState, ItemChanged, ItemGone
from ..safetext import safe_text
from ..sources import TYPE_KEYS, status_text

if TYPE_CHECKING:
    from ..app import HelsamiApp


def when(value: dt.datetime | None, tz: dt.tzinfo | None = None) -> str:
    """A time as staff read it: 24.11.2026 14:05 in the shown time zone (None: the machine's)."""
    if value is None:
        return ""
    local = value.astimezone(tz)
    return local.strftime("%d.%m.%Y %H:%M")


def sender_name(m: Message, patient_name: str) -> str:
    """Who wrote a message; a proxy as "X on behalf of Y" in the user's language (the portal may
    already have put its own bokmål phrase into the display name: that is taken off first)."""
    name = m.sender_display or m.sender_ref
    if not m.sender_ref.startswith("RelatedPerson/"):
        return name
    if not patient_name:
        return f"{name} {t('msg.proxy')}"
    for phrase in ("på vegne av", "on behalf of"):
        name = name.removesuffix(f" {phrase} {patient_name}")
    return t("msg.on_behalf_of", proxy=name, patient=patient_name)


def message_block(m: Message, tz: dt.tzinfo | None = None, patient_name: str = "") -> Text:
    """A message as shown to staff: sender (a proxy as "X on behalf of Y"), time, channel, text."""
    channel = t("channel.phone") if m.medium == "phone" else t("channel.portal")
    if m.category == "phone-message":
        # Registered by staff (the sender) for a caller, or a call noted as the caller's own message.
        kind = t("msg.phone_from") if m.from_patient_side else t("msg.phone")
    else:
        kind = t("msg.from_staff") if m.category == "staff-reply" else t("msg.from_patient")
    head = Text.assemble(
        Text(f"{kind}: ", style="bold"), safe_text(sender_name(m, patient_name), multiline=False, style="bold"),
        Text(f"  ·  {when(m.sent, tz)}  ·  {channel}"),
    )
    return Text.assemble(head, "\n", safe_text(m.text))


def criticality(code: str) -> str:
    """An allergy's criticality in words (FHIR codes low | high | unable-to-assess)."""
    return t(f"allergy.{code}") if code in ("low", "high", "unable-to-assess") else code


class ItemScreen(Screen[None]):
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
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", t("action.back")),
        Binding("c", "claim", t("action.claim")),
        Binding("u", "unclaim", t("action.unclaim")),
        Binding("f", "forward", t("action.forward")),
        Binding("r", "reply", t("action.reply")),
        Binding("d", "complete", t("action.complete")),
        Binding("b", "break_glass", t("action.break_glass")),
        Binding("f5", "reload", t("action.refresh"), show=False),
    ]

    def __init__(self, item: InboxItem, *, start_reply: bool = False) -> None:
        super().__init__()
        self.item = item
        self.thread: Thread | None = None
        self.patient: PatientSummary | None = None
        self.clinical: Clinical | None = None
        self.patient_denied: str | None = None
        self.start_reply = start_reply

    @property
    def happ(self) -> HelsamiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(t("app.offline"), id="offline")
        yield Static(Text(t("app.loading")), id="banner")
        yield Static("", id="state")
        with Horizontal(id="body"):
            yield VerticalScroll(id="thread")
            yield VerticalScroll(Static(Text(t("app.loading")), id="context-text"), id="context")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#offline").set_class(not self.happ.online, "shown")
        self.render_state()
        self.load()
        if self.start_reply:
            self.call_after_refresh(self._start_reply)

    # -- loading ------------------------------------------------------------------------------
    @work(exclusive=True, group="item")
    async def load(self) -> None:
        try:
            await self._load()
        except NoMatches:
            return  # the screen was closed while the portal answered: nothing to show any more

    async def _load_patient(self) -> str:
        """Read the patient for the banner (a refusal is shown there, not raised); returns the id."""
        pid = self.item.patient_ref.removeprefix("Patient/")
        try:
            self.patient = await self.happ.client.patient(pid, today=self.happ.today()) if pid else None
            self.patient_denied = None
        except AccessDenied as e:
            self.patient = None
            self.patient_denied = str(e)
        except Exception as e:  # noqa: BLE001
            self.happ.report(e)
        self.render_banner()
        return pid

    async def _load(self) -> None:
        client = self.happ.client
        pid = await self._load_patient()
        try:
            if self.item.has_thread:
                self.thread = await client.thread(self.item.focus_ref)
        except Exception as e:  # noqa: BLE001
            self.happ.report(e)
        self.render_thread()
        me = self.happ.me
        if me is not None and me.sees_clinical and pid:
            try:
                self.clinical = await client.clinical(pid)
            except Exception as e:  # noqa: BLE001
                self.happ.report(e)
        self.render_context()

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
        line = Text.assemble(safe_text(p.name, multiline=False, style="bold"), "  ·  ", age, "  ·  ",
                             f"{t('patient.nid')} ", safe_text(p.national_id, multiline=False))
        self.query_one("#banner", Static).update(line)

    def render_state(self) -> None:
        it = self.item
        me = self.happ.me
        bits = [t(TYPE_KEYS.get(it.type, "type.message")), status_text(it, me.resource if me else "")]
        line = Text(" · ".join(bits))
        if it.owner_ref.startswith("Practitioner/"):
            line.append(f" · {t('col.owner')}: ")
            line.append_text(safe_text(it.owner_display, multiline=False))
        if it.pool_display:
            line.append(f" · {t('inbox.pool')}: ")
            line.append_text(safe_text(it.pool_display, multiline=False))
        if it.overdue:
            line.append(f" · [{t('flag.overdue')}]", style="bold")
        if it.escalated:
            line.append(f" · [{t('flag.escalated')}]", style="bold")
        line.append("\n")
        line.append(f"{t('col.subject')}: ", style="bold")
        line.append_text(safe_text(it.subject, multiline=False))
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
                w = Static(message_block(m, tz, patient_name), classes="msg staff" if m.category == "staff-reply" else "msg")
                entries.append((m.sent, len(entries), w))
        elif not self.item.has_thread:
            entries.append((None, 0, Static(Text(t("item.no_thread")))))
        for note in self.item.notes:
            head = Text.assemble(Text(t("note.internal"), style="bold reverse"), "  ",
                                 safe_text(note.author_display, multiline=False), f"  ·  {when(note.time, tz)}")
            w = Static(Text.assemble(head, "\n", safe_text(note.text)), classes="note")
            entries.append((note.time, len(entries), w))
        earliest = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
        entries.sort(key=lambda e: (e[0] or earliest, e[1]))
        widgets = [w for _, _, w in entries]
        if self.thread is not None:
            for d in self.thread.drafts[:1]:
                widgets.append(Static(Text.assemble(Text(t("msg.draft") + "\n", style="bold"), safe_text(d.text)),
                                      classes="draft"))
        box.mount_all(widgets)
        # Scroll once the new messages are laid out, so a long thread opens at its newest message.
        box.call_after_refresh(box.scroll_end, animate=False)

    def render_context(self) -> None:
        me = self.happ.me
        out = Text()
        if me is None or not me.sees_clinical:
            out.append(t("context.role_denied"))
        elif self.clinical is None:
            out.append(t("app.loading"))
        else:
            c = self.clinical
            denied = c.denied
            if denied is not None and isinstance(c.allergies, AccessDenied):
                out.append(t("context.denied") + "\n\n", style="bold")
                out.append_text(safe_text(str(denied)))
                out.append("\n\n" + t("context.break_glass_hint"))
            else:
                self._section(out, t("context.allergies"), c.allergies,
                              lambda a: Text.assemble(safe_text(a.text, multiline=False),
                                                      f" ({criticality(a.criticality)})" if a.criticality else ""),
                              empty=t("context.no_allergies"))
                self._section(out, t("context.medications"), c.medications,
                              lambda m: Text.assemble(safe_text(m.text, multiline=False), "\n  ",
                                                      safe_text(m.dosage, multiline=False)))
                self._section(out, t("context.results"), c.observations, self._obs_line)
                self._section(out, t("context.conditions"), c.conditions,
                              lambda d: safe_text(d.text, multiline=False))
        self.query_one("#context-text", Static).update(out)

    @staticmethod
    def _obs_line(o: Any) -> Text:
        flag = f" [{o.flag}]" if o.flag and o.flag != "N" else ""
        rng = f" ({o.reference_range})" if o.reference_range else ""
        return Text.assemble(safe_text(o.text, multiline=False), ": ", safe_text(f"{o.value_text} {o.unit}",
                             multiline=False), Text(flag, style="bold"), rng)

    @staticmethod
    def _section(out: Text, title: str, rows: Any, line: Any, empty: str | None = None) -> None:
        out.append(title + "\n", style="bold underline")
        if isinstance(rows, AccessDenied):
            out.append_text(safe_text(str(rows)))
            out.append("\n\n")
            return
        if not rows:
            out.append((empty or t("context.none")) + "\n\n")
            return
        for r in rows[:12]:
            out.append("• ")
            out.append_text(line(r))
            out.append("\n")
        out.append("\n")

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
        if message.action in ("reply", "patient-message", "forward"):
            self.load()
        else:
            self.render_thread()

    def on_item_gone(self, message: ItemGone) -> None:
        if message.item_id == self.item.id and self.is_current:
            self.notify(t("item.gone"), severity="warning")
            self.app.pop_screen()

    def on_connection_state(self, message: ConnectionState) -> None:
        self.query_one("#offline").set_class(not message.online, "shown")

    # -- actions ------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "break_glass":
            me = self.happ.me
            return me is not None and me.sees_clinical  # not offered to roles without clinical access
        return True

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_claim(self) -> None:
        self.happ.item_action(self, "claim", self.item)

    def action_unclaim(self) -> None:
        self.happ.item_action(self, "unclaim", self.item)

    def action_complete(self) -> None:
        self.happ.item_action(self, "complete", self.item)

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
        self.app.push_screen(ReplyScreen(self.item))

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
