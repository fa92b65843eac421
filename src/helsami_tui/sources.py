"""The inbox list's data: pages of items fetched on demand, never the whole pool.

`InboxSource` implements the VirtualList's RowSource protocol. It holds the items loaded so
far in the server's order plus the server's `next` link, and asks for the next page when the
visible window comes close to the end of what is loaded. Live updates (new items, changes by
colleagues) are merged in place, so the cursor never jumps.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Container
from dataclasses import dataclass

from rich.text import Text

from .client.models import InboxItem
from .i18n import format_age, t
from .marks import MARK
from .rows import Column, Row, priority_marker
from .safetext import safe_text

PREFETCH = 60  # rows ahead of the visible window to have loaded
TYPE_KEYS = {
    "message": "type.message",
    "renewal": "type.renewal",
    "result": "type.result",
    "questionnaire": "type.questionnaire",
    "appointment": "type.appointment",
    "phone-message": "type.phone_message",
}


@dataclass(frozen=True)
class Query:
    """What the list shows: a pool (or the user's own items) and its filters."""

    pool_id: str | None  # None: my own items
    status: str | None = "requested,in-progress"
    code: str | None = None
    owner: str | None = None  # "mine" | "unclaimed" | None
    sort: str = "priority,authored-on"
    text: str | None = None


OWNER_FROM = 96  # list width from which the owner column is shown (the state says "tatt av meg" anyway)


def columns() -> list[Column]:
    """The inbox columns, adaptive: the subject has the largest share at every width; below
    OWNER_FROM cells (an 80x24 terminal) the owner column is left out so that the subject keeps
    most of the width. The fixed widths fit every header at 80 columns."""
    return [
        Column("age", t("col.age"), width=6, justify="right"),
        Column("type", t("col.type"), width=10),
        Column("patient", t("col.patient"), ratio=2, min_width=10),
        Column("subject", t("col.subject"), ratio=4, min_width=12),
        Column("status", t("col.status"), width=12),
        Column("owner", t("col.owner"), ratio=2, min_width=9, hide_below=OWNER_FROM),
    ]


# A birth date as typed in a search (the portal's Task `match` reads the same three forms).
_DAYS = (
    re.compile(r"(\d{2})\.(\d{2})\.(\d{4})"),
    re.compile(r"(\d{4})-(\d{2})-(\d{2})"),
    re.compile(r"(\d{2})(\d{2})(\d{4})"),
)


def search_day(value: str) -> dt.date | None:
    """dd.mm.åååå, åååå-mm-dd or ddmmåååå, exactly; a word of digits such as "123456" (which
    `strptime` would read as 1.2.3456) is a word."""
    for i, pattern in enumerate(_DAYS):
        m = pattern.fullmatch(value)
        if m is None:
            continue
        a, b, c = (int(x) for x in m.groups())
        day, month, year = (c, b, a) if i == 1 else (a, b, c)
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None
    return None


def text_matches(item: InboxItem, text: str) -> bool:
    """Whether a live-updated item belongs to a search (as the portal's Task `match` finds them):
    every word starts a word of the subject or of the patient's name, or the national id or the
    birth date (dd.mm.åååå or åååå-mm-dd) is the patient's."""
    v = " ".join(text.split()).lower()
    if v.isdigit() and len(v) == 11:
        return item.patient_nid == v
    day = search_day(v)
    if day is not None:
        return item.patient_birth_date == day

    def starts(hay: str) -> bool:
        words = hay.lower().split()
        return all(any(w.startswith(x) for w in words) for x in v.split())

    return starts(item.description or item.subject) or starts(item.patient_name)


def status_text(item: InboxItem, me_ref: str) -> str:
    if item.status == "completed":
        return t("status.completed")
    if item.status == "in-progress":
        return t("status.claimed") if item.owner_ref != me_ref else t("status.claimed_by_me")
    return t("status.waiting")


def item_row(item: InboxItem, now: dt.datetime, me_ref: str, marked: bool = False) -> Row:
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
    marker = (MARK if marked else "") + priority_marker(item.priority)  # marked for a batch: a character
    return Row(cells=cells, key=item.id, marker=Text(marker, style="bold") if marker else None)


def sort_key(item: InboxItem, sort: str = "priority,authored-on") -> tuple[int, str, str]:
    """Where an item goes in a list sorted by `sort` (the server's orders: see inbox.SORTS);
    compare descending for a sort that starts with "-"."""
    authored = item.authored_on.isoformat() if item.authored_on else ""
    if sort.startswith("priority"):
        return (item.priority_rank, authored, item.id)
    return (0, authored, item.id)


class InboxSource:
    def __init__(
        self, query: Query, me_ref: str, request_page: Callable[[], None], now: Callable[[], dt.datetime]
    ) -> None:
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
        self._rows: dict[str, tuple[int, bool, Row]] = {}
        self.marks: Container[str] = frozenset()  # ids of the items marked for a batch (marks.Marks)

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
        marked = item.id in self.marks
        if cached is not None and cached[0] == item.version and cached[1] == marked:
            return cached[2]
        r = item_row(item, self._now(), self.me_ref, marked)
        self._rows[item.id] = (item.version, marked, r)
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
        if q.text:
            if not text_matches(item, q.text):  # a search spans all the user's inboxes
                return False
        elif q.pool_id is None:
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
        return q.owner != "unclaimed" or item.owner_ref.startswith("HealthcareService/")

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
