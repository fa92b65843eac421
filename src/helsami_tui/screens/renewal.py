"""A prescription renewal (reseptfornyelse): the medicine, the prescription it renews, the time
since, allergies first and the other active medicines, warnings with a text marker, and the
protocol's verdict with its reasons. Approve (prescribers; every warning shown is acknowledged
first), deny with a reason, pend to a physician, ask the patient for more information."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from ..client.models import Target
from ..client.reviews import RenewalReview, RenewalWarning
from ..i18n import t
from ..safetext import safe_text
from .decision import DecisionScreen, PhysicianPicker, date_text, heading


def _warning_line(w: RenewalWarning) -> Text:
    return Text.assemble(Text(f"{t('renewal.warning_marker')}: ", style="bold reverse"),
                         safe_text(w.text, multiline=False), Text(f"  ({w.code})", style="dim"))


def _rx_status(code: str) -> str:
    word = t(f"rxstatus.{code}")
    return code or "–" if word.startswith("rxstatus.") else word


class RenewalScreen(DecisionScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "approve", t("action.approve")),
        Binding("x", "deny", t("action.deny")),
        Binding("p", "pend", t("action.pend")),
        Binding("i", "ask_info", t("action.ask_info")),
    ]

    review: RenewalReview | None

    async def fetch_review(self) -> RenewalReview:
        return await self.happ.client.renewal_review(self.item)

    def render_review(self, out: Text) -> None:
        r: RenewalReview = self.review
        tz = self.happ.tz
        heading(out, t("renewal.medicine"))
        out.append_text(safe_text(r.name, multiline=False, style="bold"))
        out.append("\n")
        for label, value in ((t("renewal.strength"), r.strength), (t("renewal.form"), r.form),
                             (t("renewal.dosage"), r.dosage),
                             (t("renewal.atc"), f"{r.atc} {r.atc_display}".strip()),
                             (t("renewal.group"), r.reseptgruppe)):
            if value:
                out.append(f"{label}: ")
                out.append_text(safe_text(value, multiline=False))
                out.append("\n")
        if r.requested_on or r.requester:
            out.append(t("renewal.requested", date=date_text(r.requested_on, tz), name="{name}")
                       .partition("{name}")[0])
            out.append_text(safe_text(r.requester, multiline=False))
            out.append("\n")
        for note in r.request_notes:
            out.append(f"{t('renewal.patient_note')}: ")
            out.append_text(safe_text(note))
            out.append("\n")
        out.append("\n")
        heading(out, t("renewal.prior"))
        if r.prior_ref:
            line = t("renewal.prior_line", date=date_text(r.prior_date, tz), name="\0", status=_rx_status(r.prior_status),
                     until=date_text(r.prior_valid_until))
            before, _, after = line.partition("\0")
            out.append(before)
            out.append_text(safe_text(r.prior_prescriber, multiline=False))
            out.append_text(safe_text(after, multiline=False))
            out.append("\n")
            if r.prior_dosage and r.prior_dosage != r.dosage:
                out.append(f"{t('renewal.prior_dosage')}: ")
                out.append_text(safe_text(r.prior_dosage, multiline=False))
                out.append("\n")
        else:
            out.append(t("renewal.no_prior") + "\n")
        if r.days_since is not None:
            out.append(t("renewal.since", days=r.days_since), style="bold")
            if r.usual_interval_days is not None:
                out.append(f" ({t('renewal.interval', days=r.usual_interval_days)})")
            out.append("\n")
        out.append("\n")
        heading(out, t("renewal.allergies"))
        if not r.allergies:
            out.append(t("renewal.no_allergies") + "\n")
        for a in r.allergies:
            out.append("• ")
            out.append_text(safe_text(a.text or a.atc, multiline=False, style="bold"))
            if a.reaction:
                out.append(" – ")
                out.append_text(safe_text(a.reaction, multiline=False))
            if a.criticality:
                out.append(f" ({t('allergy.' + a.criticality) if a.criticality in ('low', 'high', 'unable-to-assess') else a.criticality})")
            out.append("\n")
        out.append("\n")
        heading(out, t("renewal.others"))
        if not r.other_medicines:
            out.append(t("renewal.no_others") + "\n")
        for m in r.other_medicines:
            out.append("• ")
            out.append_text(safe_text(m.text, multiline=False))
            if m.dosage:
                out.append(" – ")
                out.append_text(safe_text(m.dosage, multiline=False))
            out.append("\n")
        out.append("\n")
        heading(out, t("renewal.warnings"))
        if not r.warnings:
            out.append(t("renewal.no_warnings") + "\n")
        for w in r.warnings:
            out.append_text(_warning_line(w))
            out.append("\n")
        if r.restricted_records:
            out.append(t("renewal.restricted", n=r.restricted_records) + "\n")
        out.append("\n")
        heading(out, t("renewal.verdict"))
        out.append(t("renewal.routine") if r.routine else t("renewal.exception"), style="bold")
        out.append("\n")
        if r.reasons:
            out.append(f"{t('renewal.why')}:\n")
            for reason in r.reasons:
                out.append("• ")
                out.append_text(safe_text(reason.text or reason.code, multiline=False))
                out.append("\n")
        if r.sources:
            out.append("\n")
            out.append(f"{t('renewal.sources')}: ", style="dim")
            out.append_text(safe_text("; ".join(r.sources), style="dim"))
            out.append("\n")

    # -- actions ------------------------------------------------------------------------------
    def _prescriber(self) -> bool:
        me = self.happ.me
        return me is not None and me.has_role("physician")

    def action_approve(self) -> None:
        if not self._prescriber():
            # The portal decides; a nurse gets its reason ("pend it instead") in plain words.
            self.decide("approve", t("done.approve"), acknowledge=[])
            return
        r = self.review
        if r is None:
            self.notify(t("app.loading"))
            return
        if not r.warnings:
            self.decide("approve", t("done.approve"), acknowledge=[])
            return

        def done(codes: list[str] | None) -> None:
            if codes is None:
                self.notify(t("renewal.ack_needed"), severity="warning", markup=False)
                return
            self.decide("approve", t("done.approve"), acknowledge=codes)

        self.app.push_screen(AcknowledgeScreen(list(r.warnings)), done)

    def action_deny(self) -> None:
        self.prompt(t("deny.title"), t("deny.explain"),
                    lambda reason: self.decide("deny", t("done.deny"), reason=reason))

    def action_ask_info(self) -> None:
        self.prompt(t("ask.title"), t("ask.explain"),
                    lambda q: self.decide("ask_info", t("done.ask_info"), question=q))

    def action_pend(self) -> None:
        def done(choice: tuple[Target, str] | None) -> None:
            if choice is not None:
                person, note = choice
                self.decide("pend", t("done.pend", name=person.name), physician_ref=person.ref, note=note)

        self.app.push_screen(PhysicianPicker(exclude=self.item.owner_ref), done)


class AcknowledgeScreen(ModalScreen["list[str] | None"]):
    """Every warning shown must be acknowledged before approval: one by one (Enter), or all at
    once with a second, explicit confirmation (F5 twice). Esc approves nothing."""

    CSS = """
    AcknowledgeScreen { align: center middle; }
    #dialog { width: 85%; height: auto; max-height: 90%; border: thick $error; background: $surface; padding: 1 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "acknowledge", t("action.acknowledge"), priority=True),
        Binding("f5", "acknowledge_all", t("action.acknowledge_all"), priority=True),
        Binding("escape", "cancel", t("action.cancel"), priority=True),
    ]

    def __init__(self, warnings: list[RenewalWarning]) -> None:
        super().__init__()
        self.warnings = warnings
        self.index = 0
        self.acknowledged: list[str] = []
        self.confirm_all = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(t("ack.title"), style="bold"))
            yield Static(Text(t("ack.explain")))
            yield VerticalScroll(Static("", id="warning"))
            yield Static("", id="confirm")
            yield Footer()

    def on_mount(self) -> None:
        self.show()

    def show(self) -> None:
        w = self.warnings[self.index]
        body = Text(t("ack.progress", index=self.index + 1, total=len(self.warnings)) + "\n\n", style="bold")
        body.append_text(_warning_line(w))
        self.query_one("#warning", Static).update(body)

    def action_acknowledge(self) -> None:
        self.acknowledged.append(self.warnings[self.index].code)
        self.index += 1
        if self.index >= len(self.warnings):
            self.dismiss(self.acknowledged)
            return
        self.show()

    def action_acknowledge_all(self) -> None:
        if not self.confirm_all:
            self.confirm_all = True
            self.query_one("#confirm", Static).update(Text(t("ack.confirm_all", n=len(self.warnings)), style="bold"))
            return
        self.dismiss([w.code for w in self.warnings])

    def action_cancel(self) -> None:
        self.dismiss(None)


__all__ = ["AcknowledgeScreen", "RenewalScreen"]
