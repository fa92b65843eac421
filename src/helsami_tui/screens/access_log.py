"""The privacy officer's view of the access log (innsynslogg): every read of patient data, newest
first, paged like the inbox; by patient or by staff member; break-the-glass entries flagged, with
the reason the user gave. No message text and no clinical data: only who, when, whose record
(by id), what was read and on which basis (from the portal's codes, in the user's language).

Keys: `p` by patient (type the patient's id), `a` by staff member (type to find them, Enter
chooses), `g` only break-the-glass on/off, `x` the whole log again; Enter shows one entry whole."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.worker import Worker

from ..access_texts import basis_text, what_text
from ..client.errors import ClientError
from ..client.models import AccessEntry, Page, Target
from ..host import ReportsFailures
from ..i18n import short_datetime, t
from ..safetext import safe_text
from ..widgets.footer import Footer
from ..widgets.virtual_list import Column, Row, VirtualList
from .targets import Picked, StaffPicker

if TYPE_CHECKING:
    from ..host import AppHost

PAGE = 50
PREFETCH = 20


def log_columns() -> list[Column]:
    return [
        Column("when", t("log.col.when"), width=16),
        Column("who", t("log.col.who"), ratio=2, min_width=12),
        Column("patient", t("log.col.patient"), width=14),
        Column("what", t("log.col.what"), ratio=3, min_width=12),
        Column("basis", t("log.col.basis"), ratio=3, min_width=12),
    ]


class AccessLogSource:
    """The entries loaded so far, and the next page's link (a RowSource for the VirtualList)."""

    def __init__(self, request_page: Callable[[], object], tz: dt.tzinfo | None) -> None:
        self.items: list[AccessEntry] = []
        self.next_url: str | None = None
        self.total: int | None = None
        self.loading = False
        self.started = False
        self._request_page = request_page
        self._tz = tz

    def __len__(self) -> int:
        if self.total is not None:
            return max(self.total, len(self.items))
        return len(self.items) + (1 if self.next_url else 0)

    def row(self, index: int) -> Row | None:
        if not 0 <= index < len(self.items):
            return None
        e = self.items[index]
        when = short_datetime(e.recorded, self._tz) if e.recorded else ""
        basis = safe_text(basis_text(e), multiline=False)
        if e.denied:
            basis = Text.assemble(Text(f"[{t('log.denied')}] ", style="bold"), basis)
        marker = Text(t("log.btg_mark"), style="bold reverse") if e.break_glass else None
        return Row(
            cells=(
                Text(when),
                safe_text(e.who_display or e.who_ref, multiline=False),
                safe_text(e.patient_ref.removeprefix("Patient/"), multiline=False),
                safe_text(what_text(e), multiline=False),
                basis,
            ),
            key=e.id,
            marker=marker,
        )

    def want(self, start: int, stop: int) -> None:
        if self.loading or not self.next_url:
            return
        if stop + PREFETCH >= len(self.items):
            self.loading = True
            self._request_page()

    def add_page(self, page: Page[AccessEntry]) -> None:
        self.items.extend(page.items)
        self.next_url = page.next_url
        if page.total is not None:
            self.total = page.total
        if not page.next_url:
            self.total = len(self.items)
        self.loading = False
        self.started = True

    def item(self, index: int) -> AccessEntry | None:
        return self.items[index] if 0 <= index < len(self.items) else None


class LogPageLoaded(Message):
    def __init__(self, generation: int, page: Page[AccessEntry]) -> None:
        super().__init__()
        self.generation = generation
        self.page = page


class AccessLogScreen(ReportsFailures, Screen[None]):
    CSS = """
    #log-filter { height: auto; padding: 0 1; background: $panel; }
    #patient { dock: bottom; display: none; }
    #patient.shown { display: block; }
    #entry { height: auto; max-height: 8; padding: 0 1; border-top: solid $primary; }
    VirtualList { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "by_patient", t("log.key.patient")),
        Binding("a", "by_staff", t("log.key.staff")),
        Binding("g", "toggle_btg", t("log.key.btg")),
        Binding("x", "clear", t("log.key.all")),
        Binding("escape", "cancel_input", t("action.cancel_search"), show=False),
        Binding("q", "app.quit", t("action.quit")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.patient = ""
        self.staff: Target | None = None
        self.only_btg = False
        self.generation = 0
        self.source: AccessLogSource | None = None

    @property
    def happ(self) -> AppHost:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static("", id="log-filter")
        yield VirtualList(None, log_columns(), id="log")
        yield Static("", id="entry")
        yield Input(placeholder=t("log.patient_prompt"), id="patient", max_length=64)
        yield Footer()

    def on_mount(self) -> None:
        me = self.happ.me
        self.title = t("log.title")
        self.sub_title = me.display if me else ""
        self.reload()
        self.query_one(VirtualList).focus()

    # -- loading ------------------------------------------------------------------------------
    def reload(self) -> None:
        self.generation += 1
        self.source = AccessLogSource(
            lambda: self.fetch(self.generation, self.source.next_url if self.source else None), self.happ.tz
        )
        self.query_one(VirtualList).set_source(self.source)
        self.fetch(self.generation, None)
        self.render_filter()

    def worker_failed(self, worker: Worker[Any]) -> None:
        if worker.group == "log" and self.source is not None:  # the list may ask for the page again
            self.source.loading = False

    @work(exclusive=False, group="log", exit_on_error=False)
    async def fetch(self, generation: int, cursor_url: str | None) -> None:
        try:
            page = await self.happ.client.access_log(
                patient=self.patient,
                agent=self.staff.ref if self.staff else "",
                break_glass=self.only_btg,
                cursor_url=cursor_url,
                count=PAGE,
            )
        except ClientError as e:
            if self.source is not None:
                self.source.loading = False
            self.happ.report(e)
            return
        self.post_message(LogPageLoaded(generation, page))

    def on_log_page_loaded(self, message: LogPageLoaded) -> None:
        if message.generation != self.generation or self.source is None:
            return
        self.source.add_page(message.page)
        lst = self.query_one(VirtualList)
        lst.set_source(self.source)
        lst.refresh_rows()
        self.render_filter()
        self.render_entry()

    # -- what is shown --------------------------------------------------------------------------
    def render_filter(self) -> None:
        line = Text(t("log.title") + " · ", style="bold")
        if self.patient:
            line.append(f"{t('log.by_patient')}: ")
            line.append_text(safe_text(self.patient, multiline=False))
        elif self.staff is not None:
            line.append(f"{t('log.by_staff')}: ")
            line.append_text(safe_text(self.staff.name, multiline=False))
        else:
            line.append(t("log.everyone"))
        if self.only_btg:
            line.append(f" · {t('log.only_btg')}", style="bold")
        src = self.source
        if src is not None and src.started:
            n = len(src.items)
            index = self.query_one(VirtualList).cursor_index + 1 if n else 0
            if src.total is None:  # the whole log is not counted: as many as loaded, and more
                line.append("   " + t("log.position_more", index=index, loaded=n))
            else:
                line.append("   " + t("inbox.position", index=index, total=src.total))
        self.query_one("#log-filter", Static).update(line)

    def render_entry(self) -> None:
        """The entry under the cursor, whole (a long reason or description does not fit a cell)."""
        src = self.source
        e = src.item(self.query_one(VirtualList).cursor_index) if src is not None else None
        box = self.query_one("#entry", Static)
        if e is None:
            box.update(Text(t("log.empty")) if src is not None and src.started and not src.items else "")
            return
        out = Text()
        if e.break_glass:
            out.append(f" {t('log.btg_entry')} ", style="bold reverse")
            out.append("\n")
        out.append(f"{t('log.col.who')}: ", style="bold")
        out.append_text(safe_text(f"{e.who_display} ({e.who_ref})", multiline=False))
        out.append(f"\n{t('log.col.patient')}: ", style="bold")
        out.append_text(safe_text(e.patient_ref, multiline=False))
        out.append(f"\n{t('log.col.what')}: ", style="bold")
        out.append_text(safe_text(what_text(e), multiline=False))
        out.append(f"\n{t('log.col.basis')}: ", style="bold")
        out.append_text(safe_text(basis_text(e)))
        box.update(out)

    @on(VirtualList.Highlighted)
    def _moved(self) -> None:
        self.render_filter()
        self.render_entry()

    # -- actions ------------------------------------------------------------------------------
    def action_by_patient(self) -> None:
        box = self.query_one("#patient", Input)
        box.add_class("shown")
        box.value = self.patient
        box.focus()

    @on(Input.Submitted, "#patient")
    def _patient(self, event: Input.Submitted) -> None:
        self.query_one("#patient", Input).remove_class("shown")
        value = event.value.strip().removeprefix("Patient/")
        self.patient = f"Patient/{value}" if value else ""
        self.staff = None
        self.query_one(VirtualList).focus()
        self.reload()

    def action_cancel_input(self) -> None:
        box = self.query_one("#patient", Input)
        if box.has_class("shown"):
            box.remove_class("shown")
            self.query_one(VirtualList).focus()

    def action_by_staff(self) -> None:
        def chosen(picked: Picked | None) -> None:
            if picked is not None:
                self.staff = picked[0]
                self.patient = ""
                self.reload()

        self.app.push_screen(StaffPicker(), chosen)

    def action_toggle_btg(self) -> None:
        self.only_btg = not self.only_btg
        self.reload()

    def action_clear(self) -> None:
        self.patient = ""
        self.staff = None
        self.only_btg = False
        self.reload()

    def retranslate(self) -> None:
        self.query_one(VirtualList).set_columns(log_columns())
        self.render_filter()
        self.render_entry()


# The staff picker is the shared target picker (targets.py); still importable from here.
__all__ = ["PAGE", "AccessLogScreen", "AccessLogSource", "StaffPicker"]
