"""Choose a time for an appointment request: the free times of the service's calendar, from the
patient's wished window on, or a time typed by hand. A time outside the wished window, or against
what the patient said does not suit them ("helst ikke mandager", "etter kl. 14"), is marked in the
list and warned about before it is sent. Enter chooses, a second Enter sends; the portal's
refusal is shown in the dialog, which keeps the choice and what was typed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from .. import clinical_time
from ..client.errors import ClientError
from ..client.models import FreeSlot, StatedExceptions
from ..client.reviews import AppointmentRequest
from ..host import ReportsFailures
from ..i18n import short_datetime, t
from ..refusals import error_text
from ..safetext import safe_text
from ..widgets.footer import Footer
from .dialogs import Dialog

if TYPE_CHECKING:
    from ..host import AppHost

DAYS = 14  # how far the list of free times reaches


# As shown in bokmål (dd.mm.åååå) and in English (dd/mm/yyyy, i18n.short_date), and ISO.
TIME_FORMATS = (
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H.%M",
    "%d.%m.%y %H:%M",
    "%d/%m/%Y %H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
)


def parse_when(text: str, tz: dt.tzinfo | None) -> dt.datetime | None:
    """A date and time typed by staff ("03.12.2026 10:15", "03/12/2026 10:15"), read in `tz` (None: the clinical
    zone, never the host's)."""
    text = " ".join(text.split())
    for fmt in TIME_FORMATS:
        try:
            naive = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return clinical_time.read_local(naive, tz)
    try:
        d = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    d = clinical_time.read_local(d, tz)
    return d if len(text) > 10 else None


def slot_label(at: dt.datetime, tz: dt.tzinfo | None) -> str:
    """A time in the list and as chosen: the weekday and the short date and time for the locale, in
    `tz` (None: the clinical zone)."""
    return f"{t('weekday.' + str(clinical_time.local(at, tz).weekday()))} {short_datetime(at, tz)}"


def slot_warnings(
    at: dt.datetime, request: AppointmentRequest, stated: StatedExceptions, tz: dt.tzinfo | None
) -> list[str]:
    """Why a time may not suit the patient, in words (empty if it fits)."""
    out = []
    lo, hi = request.requested_from, request.requested_to
    if (lo is not None and at < lo) or (hi is not None and at > hi):
        out.append(t("slot.outside_window"))
    for what in stated.breaks(clinical_time.local(at, tz)):
        out.append(t(f"slot.against.{what}"))
    return out


class TimePicker(ReportsFailures, Dialog["dt.datetime | None"]):
    CSS = """
    #slots { height: 1fr; }
    #picked { height: auto; }
    #error { height: auto; color: $error; text-style: bold; }
    #working { height: auto; text-style: bold reverse; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", t("action.cancel"), priority=True),
        Binding("f5", "send", t("action.send"), priority=True),
    ]

    def __init__(
        self,
        title: str,
        request: AppointmentRequest,
        service_ref: str,
        stated: StatedExceptions,
        send: Callable[[dt.datetime], Awaitable[str | None]],
    ) -> None:
        super().__init__()
        self.title_text = title
        self.request = request
        self.service_ref = service_ref
        self.stated = stated
        self.send = send
        self.slots: list[FreeSlot] = []
        self.chosen: dt.datetime | None = None
        self.sending = False

    @property
    def happ(self) -> AppHost:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self.title_text, style="bold"))
            yield Static(self._wish(), id="wish")
            yield Static(Text(t("slot.free_times"), style="bold underline"))
            yield OptionList(id="slots")
            yield Input(placeholder=t("slot.typed"), id="typed", max_length=40)
            yield Static(Text(t("slot.hint")), id="picked")
            yield Static("", id="error")
            yield Static("", id="working")
            yield Footer()

    def _wish(self) -> Text:
        r, tz = self.request, self.happ.tz
        out = Text()
        if r.requested_from:
            out.append(f"{t('appt.wished')}: {short_datetime(r.requested_from, tz)}")
            if r.requested_to:
                out.append(f" – {short_datetime(r.requested_to, tz)}")
            out.append("\n")
        if r.comment:
            out.append(f"{t('appt.comment')}: ")
            out.append_text(safe_text(r.comment, multiline=False))
            out.append("\n")
        out.append(t("appt.zone", zone=clinical_time.zone_label(tz)), style="dim")  # times are in this zone
        return out

    def on_mount(self) -> None:
        self.query_one("#slots", OptionList).focus()
        self.load()

    @work(exclusive=True, group="slots", exit_on_error=False)
    async def load(self) -> None:
        now = self.happ.now()
        start = max(now, self.request.requested_from) if self.request.requested_from else now
        try:
            self.slots = await self.happ.client.free_slots(self.service_ref, start, start + dt.timedelta(days=DAYS))
        except ClientError as e:  # a time can still be typed
            self._error(error_text(e))
            return
        try:
            box = self.query_one("#slots", OptionList)
        except NoMatches:
            return
        tz = self.happ.tz
        opts = []
        for s in self.slots:
            label = Text(slot_label(s.start, tz))
            warn = slot_warnings(s.start, self.request, self.stated, tz)
            if warn:
                label.append("  ! " + "; ".join(warn), style="bold")
            opts.append(Option(label))
        box.clear_options()
        box.add_options(opts or [Option(Text(t("slot.none")), disabled=True)])
        if self.slots:
            box.highlighted = 0

    def _error(self, text: str) -> None:
        try:
            self.query_one("#error", Static).update(safe_text(text))
        except NoMatches:
            return

    def choose(self, at: dt.datetime) -> None:
        """The first Enter: show the time and its warnings; the next Enter on it sends."""
        self.chosen = at
        tz = self.happ.tz
        line = Text.assemble(Text(f"{t('slot.chosen')}: ", style="bold"), slot_label(at, tz))
        for w in slot_warnings(at, self.request, self.stated, tz):
            line.append(f"\n! {w}", style="bold")
        line.append("\n" + t("slot.enter_again"))
        self.query_one("#picked", Static).update(line)
        self._error("")

    @on(OptionList.OptionSelected, "#slots")
    def _slot(self, event: OptionList.OptionSelected) -> None:
        at = self.slots[event.option_index].start
        if self.chosen == at:
            self.action_send()
        else:
            self.choose(at)

    @on(Input.Submitted, "#typed")
    def _typed(self, event: Input.Submitted) -> None:
        at = parse_when(event.value, self.happ.tz)
        if at is None:
            self._error(t("appt.bad_time"))  # the dialog stays, with what was typed
            return
        if self.chosen == at:
            self.action_send()
        else:
            self.choose(at)

    def action_send(self) -> None:
        """Send the chosen time: the progress mark goes up with the key, before the worker runs."""
        if self.chosen is None:
            self._error(t("slot.choose_first"))
            return
        if self.sending:
            return
        self._working(True)
        self.go(self.chosen)

    def _working(self, on: bool) -> None:
        self.sending = on
        try:
            self.query_one("#working", Static).update(Text(t("item.working")) if on else "")
        except NoMatches:
            return

    @work(exclusive=True, group="send", exit_on_error=False)
    async def go(self, at: dt.datetime) -> None:
        try:
            error = await self.send(at)
        finally:
            self._working(False)
        if error is None:
            self.dismiss(at)
        else:
            self._error(error)  # refused: the choice and the typed text stay

    def action_cancel(self) -> None:
        self.dismiss(None)


class Confirm(Dialog[bool]):
    """A yes/no question: Enter (or F5) says yes, Esc no."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "yes", t("action.confirm"), priority=True),
        Binding("f5", "yes", t("action.confirm"), priority=True, show=False),
        Binding("escape", "no", t("action.cancel"), priority=True),
    ]

    def __init__(self, title: str, explain: str) -> None:
        super().__init__()
        self.title_text = title
        self.explain = explain

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self.title_text, style="bold"))
            yield Static(Text(self.explain))
            yield Footer()

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)


__all__ = ["Confirm", "TimePicker", "slot_warnings"]
