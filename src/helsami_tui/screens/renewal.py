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
from textual.widgets import Static

from ..actions import with_ids
from ..client.models import Target
from ..client.reviews import Reason, RenewalReview, RenewalWarning
from ..i18n import CATALOGS, current_language, format_number, t, tn
from ..safetext import safe_text
from ..widgets.footer import Footer
from .decision import DecisionScreen, PhysicianPicker, date_text, heading
from .dialogs import Dialog
from .item_text import on_behalf_text


def _known(key: str) -> bool:
    return key in CATALOGS[current_language()]


def _arg(args: dict[str, str | int], name: str) -> str:
    value = args.get(name, "")
    return format_number(value) if isinstance(value, int) else value


def warning_sentence(w: RenewalWarning) -> str:
    """A warning in the user's language, from its kind and arguments; never the portal's own
    (Norwegian) text. An unknown kind: a generic sentence with the code."""
    a = w.args
    if w.kind == "allergy" and "allergen" in a:
        key = f"renewal.w.allergy.{_arg(a, 'match')}"
        group = f"drugclass.{_arg(a, 'class')}"  # the class by its key, named in the user's language
        return t(
            key if _known(key) else "renewal.w.allergy",
            allergen=_arg(a, "allergen"),
            group=t(group) if _known(group) else _arg(a, "group"),
            medicine=_arg(a, "medicine"),
        )
    if w.kind == "interaction" and "other" in a:
        rule = f"renewal.rule.{_arg(a, 'rule')}"
        if not _known(rule):
            return t("renewal.w.interaction.unknown", rule=_arg(a, "rule") or w.code, other=_arg(a, "other"))
        return t("renewal.w.interaction", effect=t(rule), other=_arg(a, "other"))
    if w.kind == "controlled" and "group" in a:
        key = f"renewal.w.controlled.{_arg(a, 'group')}"
        return t(key) if _known(key) else t("renewal.w.controlled", group=_arg(a, "group"))
    if w.kind == "unknown-medicine":
        return t("renewal.w.unknown-medicine")
    return t("renewal.w.unknown", code=w.code)


def reason_sentence(r: Reason) -> str:
    """A reason of the protocol in the user's language, from its code and arguments."""
    a = r.args
    if r.code in ("warnings", "restricted-records") and isinstance(a.get("count"), int):
        return tn(f"renewal.r.{r.code}", int(a["count"]))
    if r.code == "interval-exceeded" and isinstance(a.get("days"), int) and isinstance(a.get("interval"), int):
        return t("renewal.r.interval-exceeded", days=_arg(a, "days"), interval=_arg(a, "interval"))
    if r.code == "prior-not-active":
        return t("renewal.r.prior-not-active", status=_rx_status(str(a.get("status", ""))))
    case = f"renewal.r.{r.code}.{_arg(a, 'case')}"
    if _known(case):
        return t(case)
    if r.code in ("not-renewed-before", "no-prior-date", "dosage-changed"):
        return t(f"renewal.r.{r.code}")
    return t("renewal.r.unknown", code=r.code)


def _warning_line(w: RenewalWarning) -> Text:
    return Text.assemble(
        Text(f"{t('renewal.warning_marker')}: ", style="bold reverse"),
        safe_text(warning_sentence(w), multiline=False),
        Text(f"  ({w.code})", style="dim"),
    )


def _rx_status(code: str) -> str:
    word = t(f"rxstatus.{code}")
    return code or "–" if word.startswith("rxstatus.") else word


def approve_summary(r: RenewalReview) -> Text:
    """ "Paracet 500 mg tablett · 1 tablett ved behov · 100 stk · gyldig til 01.12.2027" (safe text)."""
    line = t(
        "approve.summary",
        medicine="\0",
        dosage=r.order_dosage or t("approve.no_dosage"),
        quantity=r.order_quantity or t("approve.no_quantity"),
        until=date_text(r.order_valid_until),
    )
    before, _, after = line.partition("\0")
    return Text.assemble(
        before, safe_text(r.medicine or r.name, multiline=False, style="bold"), safe_text(after, multiline=False)
    )


class RenewalScreen(DecisionScreen):
    BINDINGS: ClassVar[list[BindingType]] = with_ids(
        Binding("a", "approve", t("action.approve")),
        Binding("x", "deny", t("action.deny")),
        Binding("p", "pend", t("action.pend")),
        Binding("i", "ask_info", t("action.ask_info")),
    )

    review: RenewalReview | None

    async def fetch_review(self) -> RenewalReview:
        return await self.happ.client.renewal_review(self.item)

    def render_review(self, out: Text) -> None:
        r = self.review
        if r is None:  # drawn only once the review is in
            return
        tz = self.happ.tz
        heading(out, t("renewal.medicine"))
        out.append_text(safe_text(r.name, multiline=False, style="bold"))
        out.append("\n")
        # Warnings and the verdict come first, so that they are above the fold on any terminal.
        heading(out, t("renewal.warnings"))
        if not r.warnings:
            out.append(t("renewal.no_warnings") + "\n")
        for w in r.warnings:
            out.append_text(_warning_line(w))
            out.append("\n")
        if r.restricted_records:
            out.append(tn("renewal.restricted", r.restricted_records) + "\n")
        out.append(f"{t('renewal.verdict')}: ")
        out.append(t("renewal.routine") if r.routine else t("renewal.exception"), style="bold")
        out.append("\n\n")
        for label, value in (
            (t("renewal.strength"), r.strength),
            (t("renewal.form"), r.form),
            (t("renewal.dosage"), r.dosage),
            (t("renewal.atc"), f"{r.atc} {r.atc_display}".strip()),
            (t("renewal.group"), r.reseptgruppe),
        ):
            if value:
                out.append(f"{label}: ")
                out.append_text(safe_text(value, multiline=False))
                out.append("\n")
        if r.requested_on or r.requester:
            out.append(t("renewal.requested", date=date_text(r.requested_on, tz), name="{name}").partition("{name}")[0])
            out.append_text(safe_text(on_behalf_text(r.requester), multiline=False))  # a proxy in the user's language
            out.append("\n")
        for note in r.request_notes:
            out.append(f"{t('renewal.patient_note')}: ")
            out.append_text(safe_text(note))
            out.append("\n")
        out.append("\n")
        heading(out, t("renewal.prior"))
        if r.prior_ref:
            line = t(
                "renewal.prior_line",
                date=date_text(r.prior_date, tz),
                name="\0",
                status=_rx_status(r.prior_status),
                until=date_text(r.prior_valid_until),
            )
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
            out.append(tn("renewal.since", r.days_since), style="bold")
            if r.usual_interval_days is not None:
                out.append(f" ({tn('renewal.interval', r.usual_interval_days)})")
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
                out.append(
                    f" ({t('allergy.' + a.criticality) if a.criticality in ('low', 'high', 'unable-to-assess') else a.criticality})"
                )
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
        if r.reasons:
            heading(out, t("renewal.verdict"))
            out.append(f"{t('renewal.why')}:\n")
            for reason in r.reasons:
                out.append("• ")
                out.append_text(safe_text(reason_sentence(reason), multiline=False))
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
            self.decide("approve", t("done.approve"), lambda i: self.happ.client.approve(i, acknowledge=[]))
            return
        r = self.review
        if r is None:
            self.notify(t("app.loading"))
            return
        if not r.warnings:
            self._confirm_approve([])
            return

        def done(codes: list[str] | None) -> None:
            if codes is None:
                self.notify(t("renewal.ack_needed"), severity="warning", markup=False)
                return
            self._confirm_approve(codes)

        self.app.push_screen(AcknowledgeScreen(list(r.warnings)), done)

    def _confirm_approve(self, codes: list[str]) -> None:
        """One line of what is signed (medicine, dose, amount, validity), confirmed before approval."""
        from .confirm import ConfirmScreen

        r = self.review
        if r is None:
            return

        def go(ok: bool | None) -> None:
            if ok:
                self.decide("approve", t("done.approve"), lambda i: self.happ.client.approve(i, acknowledge=codes))

        self.app.push_screen(ConfirmScreen(t("approve.title"), approve_summary(r), t("approve.question")), go)

    def action_deny(self) -> None:
        self.prompt(
            t("deny.title"),
            t("deny.explain"),
            lambda reason: self.decide("deny", t("done.deny"), lambda i: self.happ.client.deny(i, reason=reason)),
        )

    def action_ask_info(self) -> None:
        self.prompt(
            t("ask.title"),
            t("ask.explain"),
            lambda q: self.decide("ask_info", t("done.ask_info"), lambda i: self.happ.client.ask_info(i, question=q)),
        )

    def action_pend(self) -> None:
        def done(choice: tuple[Target, str] | None) -> None:
            if choice is not None:
                person, note = choice
                self.decide(
                    "pend",
                    t("done.pend", name=person.name),
                    lambda i: self.happ.client.pend(i, physician_ref=person.ref, note=note),
                )

        self.app.push_screen(PhysicianPicker(exclude=self.item.owner_ref), done)


class AcknowledgeScreen(Dialog["list[str] | None"]):
    """Every warning shown must be acknowledged before approval: one by one (Enter), or all at
    once with a second, explicit confirmation (F5 twice). Esc approves nothing."""

    BINDINGS: ClassVar[list[BindingType]] = with_ids(
        Binding("enter", "acknowledge", t("action.acknowledge"), priority=True),
        Binding("f5", "acknowledge_all", t("action.acknowledge_all"), priority=True),
        Binding("escape", "cancel", t("action.cancel"), priority=True),
    )

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
            self.query_one("#confirm", Static).update(Text(tn("ack.confirm_all", len(self.warnings)), style="bold"))
            return
        self.dismiss([w.code for w in self.warnings])

    def action_cancel(self) -> None:
        self.dismiss(None)


__all__ = ["AcknowledgeScreen", "RenewalScreen", "reason_sentence", "warning_sentence"]
