"""The inbox's phone messages (n) and the user's absence (F7): the banner while away, and the
hand-over; the absence is asked for once the first page is in. A part of InboxScreen
(screens/inbox.py), kept apart."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.screen import Screen
from textual.widgets import Static

from ..client.errors import ClientError
from ..client.models import Absence, Pool
from ..i18n import t
from ..safetext import safe_text

if TYPE_CHECKING:
    from ..host import AppHost

    _Screen = Screen[None]  # a mixin of InboxScreen: typed as the screen it is mixed into
else:
    _Screen = object


class InboxAbsence(_Screen):
    """Phone messages and absence (the screen holds the pools and the absence state)."""

    absence: Absence | None
    _absence_asked: bool

    if TYPE_CHECKING:

        @property
        def happ(self) -> AppHost: ...

        def current_pool(self) -> Pool | None: ...

        def catch_up(self) -> None: ...

    def action_phone_message(self) -> None:
        from .phone import PhoneMessageScreen

        pool = self.current_pool()
        self.app.push_screen(PhoneMessageScreen(default_target=pool.ref if pool is not None and pool.id else None))

    def action_absence(self) -> None:
        from .absence import AbsenceScreen

        def done(state: Absence | None) -> None:
            if state is not None:
                self.show_absence(state)
                self.catch_up()  # the hand-over moved items: counts and list at once

        self.app.push_screen(AbsenceScreen(self.absence), done)

    def _first_page_done(self) -> None:
        if not self._absence_asked:
            self._absence_asked = True
            self.load_absence()

    @work(exclusive=True, group="absence", exit_on_error=False)
    async def load_absence(self) -> None:
        try:
            state = await self.happ.client.absence()
        except ClientError:  # a portal without absence: nothing to show
            return
        self.show_absence(state)

    def show_absence(self, state: Absence) -> None:
        self.absence = state
        banner = self.query_one("#away", Static)
        banner.set_class(state.away, "shown")
        if state.away:
            line = t("absence.banner", name="{name}") if state.delegate_ref else t("absence.banner_none")
            before, _, after = line.partition("{name}")
            banner.update(
                Text.assemble(
                    before,
                    safe_text(state.delegate_display or state.delegate_ref, multiline=False)
                    if state.delegate_ref
                    else "",
                    after,
                )
            )
        else:
            banner.update("")
