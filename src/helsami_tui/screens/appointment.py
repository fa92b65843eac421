"""An appointment request: what the patient asked (book, change or cancel), the service, the
current or wished time and the patient's comment. Confirm a time, propose another, or decline
with a reason; the patient gets a message either way."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType

from ..client.reviews import AppointmentRequest
from ..i18n import t
from ..safetext import safe_text
from .decision import DecisionScreen, heading, when

TIME_FORMATS = ("%d.%m.%Y %H:%M", "%d.%m.%Y %H.%M", "%d.%m.%y %H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M")


def parse_when(text: str, tz: dt.tzinfo | None) -> dt.datetime | None:
    """A date and time typed by staff ("03.12.2026 10:15"), in the shown time zone."""
    text = " ".join(text.split())
    for fmt in TIME_FORMATS:
        try:
            naive = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return naive.replace(tzinfo=tz) if tz is not None else naive.astimezone()
    try:
        d = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=tz) if tz is not None else d.astimezone()
    return d if len(text) > 10 else None


class AppointmentScreen(DecisionScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("k", "confirm_time", t("action.confirm_time")),
        Binding("o", "propose_time", t("action.propose_time")),
        Binding("x", "decline", t("action.decline")),
    ]

    review: AppointmentRequest | None

    async def fetch_review(self) -> AppointmentRequest:
        return await self.happ.client.appointment_request(self.item)

    def render_review(self, out: Text) -> None:
        a: AppointmentRequest = self.review
        tz = self.happ.tz
        heading(out, t("appt.request"))
        out.append(t(f"appt.kind.{a.kind}") + "\n", style="bold")
        out.append(f"{t('appt.service')}: ")
        out.append_text(safe_text(a.service or a.description, multiline=False))
        out.append("\n")
        if a.start:
            out.append(f"{t('appt.current')}: {when(a.start, tz)}")
            if a.minutes:
                out.append(f" ({a.minutes} min)")
            out.append("\n")
        if a.requested_from:
            out.append(f"{t('appt.wished')}: {when(a.requested_from, tz)}")
            if a.requested_to:
                out.append(f" – {when(a.requested_to, tz)}")
            out.append("\n")
        if a.comment:
            out.append(f"{t('appt.comment')}: ")
            out.append_text(safe_text(a.comment))
            out.append("\n")

    def _ask_time(self, op: str, title: str, done: str) -> None:
        def go(text: str) -> None:
            at = parse_when(text, self.happ.tz)
            if at is None:
                self.notify(t("appt.bad_time"), severity="warning")
                return
            self.decide(op, done, when=at)

        self.prompt(title, t("appt.when.explain"), go)

    def action_confirm_time(self) -> None:
        self._ask_time("confirm_appointment", t("appt.confirm.title"), t("done.confirm_appointment"))

    def action_propose_time(self) -> None:
        self._ask_time("propose_appointment", t("appt.propose.title"), t("done.propose_appointment"))

    def action_decline(self) -> None:
        self.prompt(t("appt.decline.title"), t("appt.decline.explain"),
                    lambda reason: self.decide("decline_appointment", t("done.decline_appointment"), reason=reason))


__all__ = ["AppointmentScreen", "parse_when"]
