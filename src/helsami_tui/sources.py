"""The inbox list's data: pages of items fetched on demand, never the whole pool.

`InboxSource` implements the VirtualList's RowSource protocol. It holds the items loaded so
far in the server's order plus the server's `next` link, and asks for the next page when the
visible window comes close to the end of what is loaded. Live updates (new items, changes by
colleagues) are merged in place, so the cursor never jumps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text

from .client.models import InboxItem
from .i18n import format_age, t
from .safetext import safe_text
from .theme import priority_marker
from .widgets.virtual_list import Column, Row

PREFETCH = 60  # rows ahead of the visible window to have loaded
TYPE_KEYS = {"message": "type.message", "renewal": "type.renewal", "result": "type.result",
             "questionnaire": "type.questionnaire", "appointment": "type.appointment",
             "phone-message": "type.phone_message"}


@dataclass(frozen=True)
class Query:
    """What the list shows: a pool (or the user's own items) and its filters."""

    pool_id: str | None  # None: my own items
    status: str | None = "requested,in-progress"
    code: str | None = None
    owner: str | None = None  # "mine" | "unclaimed" | None
    sort: str = "priority,authored-on"
    text: str | None = None


def columns() -> list[Column]:
    """The inbox columns. The fixed widths are chosen so that every column, headers included,
    fits at 80 columns (the smallest supported terminal) next to the marker and the scrollbar."""
    return [
        Column("age", t("col.age"), width=6, justify="right"),
        Column("type", t("col.type"), width=10),
        Column("patient", t("col.patient"), ratio=2, min_width=10),
        Column("subject", t("col.subject"), ratio=3, min_width=12),
        Column("status", t("col.status"), width=12),
        Column("owner", t("col.owner"), ratio=2, min_width=9),
    ]


def status_text(item: InboxItem, me_ref: str) -> str:
    if item.status == "completed":
        return t("status.completed")
    if item.status == "in-progress":
        return t("status.claimed") if item.owner_ref != me_ref else t("status.claimed_by_me")
    return t("status.waiting")


def item_row(item: InboxItem, now: dt.datetime, me_ref: str) -> Row:
    flags = []
    if item.overdue:
        flags.append(t("flag.overdue"))
    if item.escalated:
        flags.append(t("flag.escalated"))
    age = format_age((now - item.authored_on).total_seconds()) if item.authored_on else ""
    subject = safe_text(item.subject, multiline=False)
    if flags:
        subject = Text.assemble(Text(" ".join(f"[{f}]" for f in flags) + " ", style="bold"), subject)
    owner = item.owner_display if item.owner_ref.startswith("Practitioner/") else ""
    cells = (
        Text(age),
        Text(t(TYPE_KEYS.get(item.type, "type.message"))),
        safe_text(item.patient_name, multiline=False),
        subject,
        Text(status_text(item, me_ref)),
        safe_text(owner, multiline=False),
    )
    marker = priority_marker(item.priority)
    return Row(cells=cells, key=item.id, marker=Text(marker, style="bold") if marker else None)


def sort_key(item: InboxItem, sort: str = "priority,authored-on") -> tuple[int, str, str]:
    """Where an item goes in a list sorted by `sort` (the server's orders: see inbox.SORTS);
    compare descending for a sort that starts with "-"."""
    authored = item.authored_on.isoformat() if item.authored_on else ""
    if sort.startswith("priority"):
        return (item.priority_rank, authored, item.id)
    return (0, authored, item.id)


class InboxSource:
    def __init__(self, query: Query, me_ref: str, request_page: Callable[[], None],
                 now: Callable[[], dt.datetime]) -> None:
        self.query = query
        self.me_ref = me_ref
        self.items: list[InboxItem] = []
        self.by_id: dict[str, int] = {}
        self.next_url: str | None = None
        self.total: int | None = None
        self.loading = False
        self.started = False
        self._request_page = request_page
        self._now = now
        self._rows: dict[str, tuple[int, Row]] = {}

    # -- RowSource ----------------------------------------------------------------------------
    def __len__(self) -> int:
        if self.total is not None:
            return max(self.total, len(self.items))
        return len(self.items) + (1 if self.next_url else 0)

    def row(self, index: int) -> Row | None:
        if index < 0 or index >= len(self.items):
            return None
        item = self.items[index]
        cached = self._rows.get(item.id)
        if cached is not None and cached[0] == item.version:
            return cached[1]
        r = item_row(item, self._now(), self.me_ref)
        self._rows[item.id] = (item.version, r)
        return r

    def index_of(self, key: str) -> int | None:
        """Where the item with this id is (the list keeps its cursor on it after live updates)."""
        return self.by_id.get(key)

    def want(self, start: int, stop: int) -> None:
        if self.loading or not self.next_url:
            return
        if stop + PREFETCH >= len(self.items):
            self.loading = True
            self._request_page()

    # -- loading ------------------------------------------------------------------------------
    def add_page(self, items: list[InboxItem], next_url: str | None, total: int | None) -> None:
        for it in items:
            if it.id in self.by_id:  # already merged by a live update
                self.items[self.by_id[it.id]] = it
                continue
            self.by_id[it.id] = len(self.items)
            self.items.append(it)
        self.next_url = next_url
        if total is not None:
            self.total = total
        if not next_url and self.total is not None:
            self.total = len(self.items)
        self.loading = False
        self.started = True

    def item(self, index: int) -> InboxItem | None:
        return self.items[index] if 0 <= index < len(self.items) else None

    def get(self, item_id: str) -> InboxItem | None:
        i = self.by_id.get(item_id)
        return self.items[i] if i is not None else None

    # -- live updates -------------------------------------------------------------------------
    def matches(self, item: InboxItem) -> bool:
        q = self.query
        if q.pool_id is None:
            if item.owner_ref != self.me_ref:
                return False
        elif item.pool_id != q.pool_id:
            return False
        if q.status and item.status not in q.status.split(","):
            return False
        if q.code and item.type not in q.code.split(","):
            return False
        if q.owner == "mine" and item.owner_ref != self.me_ref:
            return False
        if q.owner == "unclaimed" and not item.owner_ref.startswith("HealthcareService/"):
            return False
        if q.text and q.text.lower() not in (item.description or item.subject).lower():
            return False
        return True

    def upsert(self, item: InboxItem) -> tuple[str, int]:
        """Merge a changed or new item. Returns (what happened, index): "updated", "inserted",
        "removed", "counted" (beyond the loaded part), or "ignored"."""
        idx = self.by_id.get(item.id)
        keep = self.matches(item)
        if idx is not None:
            if keep:
                self.items[idx] = item
                return "updated", idx
            del self.items[idx]
            self._reindex(idx)
            if self.total is not None:
                self.total = max(0, self.total - 1)
            return "removed", idx
        if not keep:
            return "ignored", -1
        key = sort_key(item, self.query.sort)
        descending = self.query.sort.startswith("-")
        pos = len(self.items)
        for i, other in enumerate(self.items):
            k = sort_key(other, self.query.sort)
            if (k < key) if descending else (k > key):
                pos = i
                break
        if pos == len(self.items) and self.next_url:
            # It belongs beyond the loaded part: it shows when its page is loaded; count it now.
            if self.total is not None:
                self.total += 1
            return "counted", -1
        self.items.insert(pos, item)
        self._reindex(pos)
        if self.total is not None:
            self.total += 1
        return "inserted", pos

    def _reindex(self, start: int) -> None:
        for i in range(start, len(self.items)):
            self.by_id[self.items[i].id] = i
        for gone in [k for k, v in self.by_id.items() if v >= len(self.items) or self.items[v].id != k]:
            del self.by_id[gone]
