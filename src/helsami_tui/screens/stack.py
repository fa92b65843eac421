"""What screens on the stack tell each other without importing each other: the list of items the
user works through (the inbox), found by what it can do, and a message that a kept draft is in."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from textual.app import App
from textual.message import Message

from ..client.models import InboxItem


@runtime_checkable
class ItemList(Protocol):
    """A screen that lists items in the order the user works through them (the inbox)."""

    def item_after(self, item_id: str) -> InboxItem | None:
        """The open item after this one in the list, if loaded."""
        ...

    def open_next(self, following: InboxItem | None) -> None:
        """Close the item screens on top and open `following`."""
        ...


def item_list(app: App[Any]) -> ItemList | None:
    """The topmost item list on the app's screen stack."""
    return next((s for s in reversed(app.screen_stack) if isinstance(s, ItemList)), None)


class DraftKept(Message):
    """A reply's draft was saved after its editor had closed: a screen showing the item's thread
    reads it again (so the kept draft shows under the thread)."""

    def __init__(self, item_id: str) -> None:
        super().__init__()
        self.item_id = item_id
