"""An appointment request: what the patient asked (book, change or cancel), the service, the
current or wished time and the patient's comment. Confirm a time, propose another, or decline
with a reason; the patient gets a message either way."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType

from .. import clinical_time
from ..actions import with_ids
from ..client.errors import AccessDenied, ClientError, Conflict, PortalError
from ..client.models import InboxItem
from ..client.reviews import AppointmentRequest
from ..host import ItemCall
from ..i18n import t
from ..refusals import error_text
from ..safetext import safe_text
from .decision import DecisionScreen, heading, when
from .time_picker import parse_when

TimedCall = Callable[..., Awaitable[InboxItem]]  # a client call on an item at a time (`when=`)


class AppointmentScreen(DecisionScreen):
    BINDINGS: ClassVar[list[BindingType]] = with_ids(
        Binding("k", "confirm_time", t("action.confirm_time")),  # a cancellation request: confirm it
        Binding("o", "propose_time", t("action.propose_time")),
        Binding("x", "decline", t("action.decline")),
    )

    review: AppointmentRequest | None

    async def fetch_review(self) -> AppointmentRequest:
        return await self.happ.client.appointment_request(self.item)

    def render_review(self, out: Text) -> None:
        a = self.review
        if a is None:  # drawn only once the review is in
            return
        tz = self.happ.tz
        heading(out, t("appt.request"))
        out.append(t("appt.zone", zone=clinical_time.zone_label(tz)) + "\n", style="dim")
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

    def _ask_time(self, op: str, send_at: TimedCall, title: str, done: str) -> None:
        """Free times from the service's calendar (or a typed time), sent from the dialog, which
        stays open with the choice and the typed text if the portal refuses."""
        from ..client.models import stated_exceptions
        from .time_picker import TimePicker

        a = self.review
        if a is None:
            self.notify(t("app.loading"))
            return

        async def send(at: dt.datetime) -> str | None:
            return await self._send_decision(op, done, lambda item: send_at(item, when=at))

        service = f"HealthcareService/{self.item.pool_id}" if self.item.pool_id else ""
        self.app.push_screen(TimePicker(title, a, service, stated_exceptions(a.comment), send))

    async def _send_decision(self, op: str, done: str, call: ItemCall) -> str | None:
        """Send a decision; None when it is done, else the portal's refusal in plain words."""
        try:
            new = await call(self.item)
        except Conflict as c:
            if c.current is not None:
                self.item = c.current
                self.render_state()
                self.render_context()
            return error_text(c)
        except (AccessDenied, PortalError) as e:
            return error_text(e)
        except ClientError as e:
            self.happ.report(e)
            return error_text(e)
        self.happ.mark_online(True)  # the portal answered
        self.item = new
        self.happ.announce_item_changed(new, op)  # every screen learns of the change
        self.notify(done, timeout=6, markup=False)
        if not self._gone():
            self.render_state()
            self.load()
        return None

    def action_confirm_time(self) -> None:
        a = self.review
        if a is not None and a.kind == "cancel":
            self._confirm_cancellation(a)
            return
        client = self.happ.client
        self._ask_time(
            "confirm_appointment", client.confirm_appointment, t("appt.confirm.title"), t("done.confirm_appointment")
        )

    def _confirm_cancellation(self, a: AppointmentRequest) -> None:
        """A request to cancel is confirmed as a cancellation (not declined with a reason)."""
        from .time_picker import Confirm

        at = when(a.start, self.happ.tz) if a.start else ""

        def done(yes: bool | None) -> None:
            if yes:
                self.decide(
                    "confirm_cancellation", t("done.confirm_cancellation"), self.happ.client.confirm_cancellation
                )

        self.app.push_screen(Confirm(t("appt.cancel.title"), t("appt.cancel.explain", when=at)), done)

    def action_propose_time(self) -> None:
        client = self.happ.client
        self._ask_time(
            "propose_appointment", client.propose_appointment, t("appt.propose.title"), t("done.propose_appointment")
        )

    def action_decline(self) -> None:
        self.prompt(
            t("appt.decline.title"),
            t("appt.decline.explain"),
            lambda reason: self.decide(
                "decline_appointment",
                t("done.decline_appointment"),
                lambda item: self.happ.client.decline_appointment(item, reason=reason),
            ),
        )


__all__ = ["AppointmentScreen", "parse_when"]
