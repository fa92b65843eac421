"""The items marked in the inbox for one batch action (as a mail client tags messages).

Textual-free: the inbox screen keeps one `Marks`, the list's rows show a mark character for each
marked item (never colour alone), and the batch screen acts on `items()`. Each marked item is kept
in its newest known version, so the batch sends the right `If-Match`. `matching` gathers what "mark
all in the filter" marks: the rows the list has loaded and, beyond them, the filter's next pages
from the portal, until they fill the batch.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Final

from .client.models import InboxItem, Page

MARK: Final[str] = "✓"  # the mark character of a marked row
MAX_MARKS: Final[int] = 100  # one batch (the portal's limit of entries per batch)


class Marks:
    def __init__(self) -> None:
        self._items: dict[str, InboxItem] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def items(self) -> list[InboxItem]:
        """The marked items, in the order they were marked."""
        return list(self._items.values())

    def toggle(self, item: InboxItem) -> bool:
        """Mark or unmark one item; returns whether it is marked now (False also when full)."""
        if item.id in self._items:
            del self._items[item.id]
            return False
        if len(self._items) >= MAX_MARKS:
            return False
        self._items[item.id] = item
        return True

    def mark_all(self, items: Iterable[InboxItem]) -> int:
        """Mark every item given (up to MAX_MARKS in all); returns how many were newly marked."""
        added = 0
        for it in items:
            if len(self._items) >= MAX_MARKS:
                break
            if it.id not in self._items:
                self._items[it.id] = it
                added += 1
        return added

    def room_after(self, ids: Iterable[str]) -> bool:
        """Whether the batch would still have room once these items were marked too."""
        return sum(1 for k in set(ids) if k not in self._items) < MAX_MARKS - len(self._items)

    async def matching(
        self,
        loaded: Sequence[InboxItem],
        next_url: str | None,
        fetch: Callable[[str], Awaitable[Page[InboxItem]]],
    ) -> tuple[list[InboxItem], bool]:
        """What "mark all in the filter" marks: the `loaded` items, then the pages after them
        (`fetch(next_url)` gives the page a `next` link names), until enough of them are not
        marked yet to fill the batch or there are no more pages. Returns the items (each once, in
        the list's order) and whether the filter has pages beyond them."""
        found: dict[str, InboxItem] = {}
        for it in loaded:
            found.setdefault(it.id, it)
        while next_url and self.room_after(found):
            page = await fetch(next_url)
            for it in page.items:
                found.setdefault(it.id, it)
            next_url = page.next_url
        return list(found.values()), next_url is not None

    def full(self) -> bool:
        return len(self._items) >= MAX_MARKS

    def clear(self) -> int:
        n = len(self._items)
        self._items.clear()
        return n

    def update(self, item: InboxItem) -> None:
        """A newer version of an item: kept if the item is marked."""
        if item.id in self._items:
            self._items[item.id] = item

    def discard(self, item_id: str) -> None:
        self._items.pop(item_id, None)
