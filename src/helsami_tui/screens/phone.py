"""Register a phone message for a citizen who is not digital: find the patient by name and birth
date, write what they said, choose the inbox (or a person), send. The message id is made once when
the screen opens, so pressing F5 again after a failure registers the message only once."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.widgets import Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option
from textual.worker import Worker

from ..actions import with_ids
from ..client.errors import ClientError, Offline
from ..client.models import PatientSummary, PhoneMessageResult, Target
from ..host import ReportsFailures
from ..i18n import short_date, t, tn
from ..safetext import safe_text
from ..widgets.footer import Footer
from .dialogs import Dialog
from .forward import fill_targets, filter_targets

if TYPE_CHECKING:
    from ..host import AppHost


def parse_birth_date(text: str) -> dt.date | None:
    """dd.mm.yyyy, d.m.yyyy, ddmmyyyy or yyyy-mm-dd; None if it is none of them."""
    s = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
            return dt.date.fromisoformat(s)
        m = re.fullmatch(r"(\d{1,2})[./](\d{1,2})[./](\d{4})", s)
        if m:
            return dt.date(int(m[3]), int(m[2]), int(m[1]))
        if re.fullmatch(r"\d{8}", s):
            return dt.date(int(s[4:]), int(s[2:4]), int(s[:2]))
    except ValueError:
        return None
    return None


def patient_line(p: PatientSummary) -> Text:
    born = short_date(p.birth_date) if p.birth_date else "–"
    return Text.assemble(
        safe_text(p.name, multiline=False, style="bold"),
        f"  ·  {born}  ·  {t('patient.nid')} ",
        safe_text(p.national_id, multiline=False),
    )


class PhoneMessageScreen(ReportsFailures, Dialog["PhoneMessageResult | None"]):
    CSS = """
    #find { height: 1; }
    #find Input { width: 1fr; margin-right: 1; }
    #patients { height: 4; background: $boost; }
    #text { height: 1fr; min-height: 3; }
    #targets { height: 3; background: $boost; }
    .label { height: 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = with_ids(
        Binding("f5", "send", t("action.send"), priority=True),
        Binding("escape", "cancel", t("action.cancel"), priority=True),
    )

    def __init__(self, default_target: str | None = None) -> None:
        super().__init__()
        self.message_id = str(uuid.uuid4())  # one per phone message, kept for every resend
        self.default_target = default_target
        self.patients: list[PatientSummary] = []
        self.patient: PatientSummary | None = None
        self.targets: list[Target] = []
        self.shown_targets: list[Target] = []
        self.target: Target | None = None
        self.sending = False
        self.result: PhoneMessageResult | None = None

    @property
    def happ(self) -> AppHost:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(t("phone.title"), style="bold"))
            with Horizontal(id="find"):
                yield Input(placeholder=t("phone.name"), id="name", compact=True)
                yield Input(placeholder=t("phone.birth"), id="birth", compact=True)
            yield Static(t("phone.search_hint"), id="found", classes="label")
            yield OptionList(id="patients", compact=True)
            yield Static("", id="chosen")
            yield Input(placeholder=t("phone.subject"), id="subject", compact=True)
            yield Static(t("phone.text"), classes="label")
            yield TextArea(id="text", soft_wrap=True, tab_behavior="focus", compact=True)
            yield Input(placeholder=t("phone.target"), id="target-filter", compact=True)
            yield OptionList(id="targets", compact=True)
            yield Static("", id="target-chosen")
            yield Footer()

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()
        self.load_targets()

    # -- the patient --------------------------------------------------------------------------
    @on(Input.Submitted, "#name, #birth")
    def _search(self) -> None:
        name = self.query_one("#name", Input).value.strip()
        birth_text = self.query_one("#birth", Input).value.strip()
        if not name:
            self.notify(t("phone.no_name"), severity="warning")
            self.query_one("#name", Input).focus()
            return
        birth = parse_birth_date(birth_text) if birth_text else None
        if birth is None:  # the portal looks a patient up by name only with the exact birth date
            self.notify(t("phone.bad_date"), severity="warning")
            self.query_one("#birth", Input).focus()
            return
        self.search(name, birth)

    @work(exclusive=True, group="search", exit_on_error=False)
    async def search(self, name: str, birth: dt.date | None) -> None:
        found = await self.happ.client.search_patients(name, birth, today=self.happ.today())
        try:
            self.patients = found
            box = self.query_one("#patients", OptionList)
            box.clear_options()
            box.add_options([Option(patient_line(p)) for p in found])
            self.query_one("#found", Static).update(tn("phone.found", len(found)) if found else t("phone.no_patients"))
            if found:
                box.highlighted = 0
                box.focus()
        except NoMatches:
            return

    @on(OptionList.OptionSelected, "#patients")
    def _patient(self, event: OptionList.OptionSelected) -> None:
        self.patient = self.patients[event.option_index]
        self.query_one("#chosen", Static).update(
            Text.assemble(Text(t("phone.patient") + ": ", style="bold"), patient_line(self.patient))
        )
        self.query_one("#subject", Input).focus()

    @on(Input.Submitted, "#subject")
    def _to_text(self) -> None:
        self.query_one("#text", TextArea).focus()

    # -- where it goes ------------------------------------------------------------------------
    @work(exclusive=True, group="targets", exit_on_error=False)
    async def load_targets(self) -> None:
        self.targets = await self.happ.client.forward_targets()
        try:
            self.show_targets(self.query_one("#target-filter", Input).value)
            if self.default_target and self.target is None:
                for i, x in enumerate(self.shown_targets):
                    if x.ref == self.default_target:
                        self.query_one("#targets", OptionList).highlighted = i
                        self._choose(x)
        except NoMatches:
            return

    def show_targets(self, text: str) -> None:
        self.shown_targets = filter_targets(self.targets, text)
        fill_targets(self.query_one("#targets", OptionList), self.shown_targets, highlight_first=True)

    @on(Input.Changed, "#target-filter")
    def _filter_targets(self, event: Input.Changed) -> None:
        self.show_targets(event.value)

    @on(Input.Submitted, "#target-filter")
    def _first_target(self) -> None:
        box = self.query_one("#targets", OptionList)
        if box.highlighted is not None and 0 <= box.highlighted < len(self.shown_targets):
            self._choose(self.shown_targets[box.highlighted])

    @on(OptionList.OptionSelected, "#targets")
    def _target(self, event: OptionList.OptionSelected) -> None:
        self._choose(self.shown_targets[event.option_index])

    def _choose(self, target: Target) -> None:
        self.target = target
        self.query_one("#target-chosen", Static).update(
            Text.assemble(Text(t("forward.to") + ": ", style="bold"), safe_text(target.name, multiline=False))
        )

    def on_key(self, event: Any) -> None:
        box = self.query_one("#targets", OptionList)
        if event.key in ("up", "down") and self.query_one("#target-filter", Input).has_focus and box.option_count:
            box.highlighted = max(
                0, min(box.option_count - 1, (box.highlighted or 0) + (1 if event.key == "down" else -1))
            )
            event.stop()

    # -- sending ------------------------------------------------------------------------------
    def action_cancel(self) -> None:
        self.dismiss(self.result)

    def action_send(self) -> None:
        if self.sending:
            return
        if self.patient is None:
            self.notify(t("phone.choose_patient"), severity="warning")
            return
        subject = self.query_one("#subject", Input).value.strip()
        text = self.query_one("#text", TextArea).text.strip()
        if not subject or not text:
            self.notify(t("phone.empty"), severity="warning")
            return
        if self.target is None:
            self.notify(t("phone.choose_target"), severity="warning")
            return
        self.sending = True
        self.send(self.patient.ref, self.target, subject, text)

    def worker_failed(self, worker: Worker[Any]) -> None:
        if worker.group == "send":  # what was typed stays, to send again
            self.sending = False

    @work(exclusive=True, group="send", exit_on_error=False)
    async def send(self, patient_ref: str, target: Target, subject: str, text: str) -> None:
        try:
            result = await self.happ.client.phone_message(
                patient_ref, target.ref, subject, text, self.message_id, now=self.happ.now()
            )
        except Offline:
            self.sending = False
            self.happ.report(Offline(t("phone.offline")))
            return
        except ClientError as e:
            self.sending = False
            self.happ.report(e)
            return
        self.result = result
        self.app.notify(
            t("phone.sent_again") if result.replayed else t("phone.sent", name=target.name), timeout=5, markup=False
        )
        self.dismiss(result)
