"""Typed messages that workers post back to screens (results never arrive as raw JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from .client.models import InboxItem, Page


@dataclass
class PageLoaded(Message):
    """A page of the inbox list is in (the list shows it already: InboxScreen takes it at once)."""

    generation: int
    page: Page[InboxItem]


@dataclass
class ItemChanged(Message):
    """A newer version of an item (after an action, or fetched after a live event)."""

    item: InboxItem
    action: str = ""


@dataclass
class ItemGone(Message):
    """An item the user may no longer see (forwarded away, access withdrawn)."""

    item_id: str


@dataclass
class ConnectionState(Message):
    online: bool


@dataclass
class Failed(Message):
    """A worker's failure, in plain words for the user."""

    text: str
    detail: Any = None
