"""What the screens may ask of the app that hosts them: its client, who is signed in, the clinical
clock, and the public ways to act on an item and announce a change to every screen.

Screens type `self.app` as this protocol, not as the app class: the app imports the screens it
pushes, and the screens depend only on this module below both (no import cycle). The app class
(app.py) is checked against it by mypy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from textual.dom import DOMNode
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from .client.api import Outbox, PortalClient
from .client.models import InboxItem, Me
from .config import Settings

ItemCall = Callable[[InboxItem], Awaitable[InboxItem]]
"""A typed call on the portal client for one item (`client.claim`, or a lambda with its options)."""


class AppHost(Protocol):
    client: PortalClient
    settings: Settings
    me: Me | None
    tz: dt.tzinfo
    online: bool
    relogin: Any
    outbox: Outbox

    def now(self) -> dt.datetime: ...

    def today(self) -> dt.date: ...

    def local(self, value: dt.datetime) -> dt.datetime: ...

    def report(self, e: Exception) -> None:
        """Tell the user what went wrong, in plain words (marks the app offline for the network)."""

    def item_action(self, screen: Screen[Any], op: str, item: InboxItem, call: ItemCall) -> Worker[None]:
        """Run `call` on `item` in the app's worker: the result (or a conflict) goes to every
        screen, and the user is told `done.<op>`."""
        ...

    def announce_item_changed(self, item: InboxItem, action: str = "") -> None:
        """Every screen learns of a newer version of an item (an ItemChanged message)."""

    def announce_item_gone(self, item_id: str) -> None:
        """Every screen learns that an item may no longer be seen (an ItemGone message)."""

    def mark_online(self, online: bool = True) -> None:
        """The portal answered (or not): the offline banner and the outbox follow."""

    @property
    def screen_stack(self) -> list[Screen[Any]]:
        """The screens open, the bottom one first (Textual's App.screen_stack)."""
        ...

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """A toast (Textual's App.notify)."""

    async def sign_in_again(self, tokens: Any) -> bool: ...


def report_failed_worker(node: DOMNode, event: Worker.StateChanged) -> None:
    """The one handler of failed workers: a worker declared `exit_on_error=False` that raised is
    reported by the app in the user's words (AppHost.report: the reason's sentence from
    refusals.py, the offline banner for the network). A worker that ends the app on an error
    (Textual's default) is left to the crash report."""
    error = event.worker.error
    if event.state is WorkerState.ERROR and not event.worker.exit_on_error and isinstance(error, Exception):
        host: AppHost = node.app  # type: ignore[assignment]
        host.report(error)


class ReportsFailures:
    """For a screen: the failures of its workers go to the one handler (report_failed_worker), so a
    worker needs no `except Exception` of its own; one that must react to a failure (put back a
    progress mark) catches the client's error type, and `worker_failed` puts back what any other
    failure (a defect) left half done, so the screen stays usable."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        assert isinstance(self, DOMNode)
        report_failed_worker(self, event)
        if event.state is WorkerState.ERROR and not event.worker.exit_on_error:
            self.worker_failed(event.worker)

    def worker_failed(self, worker: Worker[Any]) -> None:
        """After the one handler has reported it: put back the state `worker` (by its group) left
        half done, such as a "sending" flag that would refuse the next try. Default: nothing."""
