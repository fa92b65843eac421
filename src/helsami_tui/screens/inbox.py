"""The inbox: the user's pools with counts, and a fast list of items."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.worker import Worker

from ..actions import with_ids
from ..client.errors import ClientError
from ..client.models import Absence, InboxItem, Page, Pool
from ..failures import drop_request
from ..host import ReportsFailures
from ..i18n import t
from ..marks import Marks
from ..messages import ConnectionState, ItemChanged, ItemGone, PageLoaded
from ..opening import ask_page, opening_pool, pool_query
from ..sources import InboxSource, Query, columns
from ..widgets.footer import Footer
from ..widgets.status_line import StatusLine
from ..widgets.virtual_list import VirtualList
from .inbox_absence import InboxAbsence
from .inbox_marks import InboxMarking
from .inbox_query import InboxQuery, pool_summary, pools_text

if TYPE_CHECKING:
    import asyncio

    from ..host import AppHost, ItemCall


class InboxScreen(ReportsFailures, InboxQuery, InboxMarking, InboxAbsence, Screen[None]):
    CSS = """
    #pools { height: auto; padding: 0 1; background: $panel; }
    #filters { height: 1; padding: 0 1; color: $text-muted; }
    #search { dock: bottom; display: none; }
    #search.shown { display: block; }
    VirtualList { height: 1fr; }
    #empty { height: 1; padding: 0 1; display: none; }
    #empty.shown { display: block; }
    #away { height: auto; padding: 0 1; background: $warning; color: $background; text-style: bold;
            display: none; }
    #away.shown { display: block; }
    """
    BINDINGS: ClassVar[list[BindingType]] = with_ids(
        Binding("enter", "open", t("action.open")),
        # batch triage (screens/batch.py): the footer shows b and - only while items are marked,
        # first (the footer is full at 120 columns)
        Binding("space", "toggle_mark", t("action.mark"), show=False),
        Binding("asterisk", "mark_all", t("action.mark_all"), show=False),
        Binding("b", "batch", t("action.batch")),
        Binding("minus", "clear_marks", t("action.clear_marks")),
        Binding("c", "claim", t("action.claim")),
        Binding("C", "claim_next", t("action.claim_next"), show=False),
        Binding("u", "unclaim", t("action.unclaim")),
        Binding("f", "forward", t("action.forward")),
        Binding("r", "reply", t("action.reply")),
        Binding("d", "complete", t("action.complete")),
        Binding("p", "pick_pool", t("action.pools")),
        Binding("n", "phone_message", t("action.phone_message")),
        Binding("f7", "absence", t("action.absence")),
        Binding("tab", "next_pool", t("action.next_pool"), show=False),
        Binding("slash", "search", t("action.search")),
        Binding("t", "filter_type", t("action.filter_type"), show=False),
        Binding("s", "filter_status", t("action.filter_status"), show=False),
        Binding("o", "filter_owner", t("action.filter_owner"), show=False),
        Binding("f6", "sort", t("action.sort"), show=False),
        Binding("f4", "filters", t("action.filters"), show=False),  # in the help (F1), like t/s/o
        Binding("f5", "reload", t("action.refresh"), show=False),
        Binding("escape", "cancel_search", t("action.cancel_search"), show=False),
        Binding("q", "app.quit", t("action.quit")),
    )
    HELP_EXTRA: ClassVar[list[tuple[str, str]]] = [("↑ ↓ PgUp PgDn", "help.move"), ("Home, End", "help.first_last")]

    def __init__(
        self,
        pools: Awaitable[list[Pool]] | None = None,
        first_page: asyncio.Future[tuple[Query, Page[InboxItem]]] | None = None,
    ) -> None:
        """`pools`: the inboxes already asked for (the app asks at start-up, beside $whoami);
        `first_page`: the first page of the inbox it opens in, asked for as soon as they answered
        (opening.opening_page), with the query it is of."""
        super().__init__()
        self._pools_asked = pools
        self._first_asked = first_page
        self.pools: list[Pool] = []
        self.pool_index = 0
        self.query_state = Query(pool_id=None)
        self.generation = 0
        self.source: InboxSource | None = None
        self._restore_key: str | None = None  # after a refresh, put the cursor back on this item
        self.absence: Absence | None = None
        # The absence state is read once the first page is in (`_first_page_done`): asked at once,
        # it made the portal answer it beside the first page, which the first row waits for.
        self._absence_asked = False
        self.marks = Marks()  # items marked for one batch action (screens/batch.py)

    @property
    def happ(self) -> AppHost:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(t("app.offline"), id="offline")
        yield Static("", id="away")
        yield Static(Text(t("app.loading")), id="pools")
        yield StatusLine("", id="filters")
        yield VirtualList(None, columns(), id="list")
        yield Static(Text(t("app.no_items")), id="empty")
        yield Input(placeholder=t("search.placeholder"), id="search")
        yield Footer()

    def on_mount(self) -> None:
        me = self.happ.me
        self.sub_title = me.display if me else ""
        self.load_pools()
        self.query_one(VirtualList).focus()

    def on_unmount(self) -> None:
        if self._first_asked is not None:  # never taken (the inboxes failed): not reported twice
            drop_request(self._first_asked)
            self._first_asked = None

    # -- pools --------------------------------------------------------------------------------
    @work(exclusive=True, group="pools", exit_on_error=False)
    async def load_pools(self) -> None:
        asked, self._pools_asked = self._pools_asked, None
        pools = await (asked if asked is not None else self.happ.client.pools())
        # Taken here at once, not queued behind the screen's own messages (at start-up its mount
        # and first layout): the list's first page is asked for as soon as the inboxes are known.
        if self.is_attached:
            self._pools_arrived(pools)

    def _pools_arrived(self, pools: list[Pool]) -> None:
        first = not self.pools
        self.pools = pools
        if first:
            # Start in the fullest shared inbox with items waiting, else the personal list.
            self.pool_index = opening_pool(self.pools)
            self.switch_pool()
        self.render_pools()

    def current_pool(self) -> Pool | None:
        return self.pools[self.pool_index] if 0 <= self.pool_index < len(self.pools) else None

    def render_pools(self) -> None:
        pool = self.current_pool()
        self.query_one("#pools", Static).update(pools_text(self.pools, pool))
        if pool is not None:
            self.title = f"{t('app.title')} – {t('inbox.mine') if not pool.id else pool.name}"
            self._summary = pool_summary(pool)
        self.render_filters()

    def switch_pool(self) -> None:
        self.query_state = pool_query(self.current_pool(), self.query_state)
        self.reload()

    def action_next_pool(self) -> None:
        if self.pools:
            self.pool_index = (self.pool_index + 1) % len(self.pools)
            self.switch_pool()
            self.render_pools()

    def action_pick_pool(self) -> None:
        from .pools import PoolPicker

        def chosen(index: int | None) -> None:
            if index is not None:
                self.pool_index = index
                self.switch_pool()
                self.render_pools()

        self.app.push_screen(PoolPicker(self.pools, self.pool_index), chosen)

    # -- the list -----------------------------------------------------------------------------
    def catch_up(self) -> None:
        """Fetch the list again (e.g. after the lock, when live events were not fetched), keeping
        the cursor on the item it was on."""
        self._restore_key = self.query_one(VirtualList).cursor_key
        self.load_pools()
        self.reload(keep_cursor=True)

    def reload(self, keep_cursor: bool = False) -> None:
        if not keep_cursor:
            self._restore_key = None
        self.generation += 1
        me = self.happ.me
        self.source = InboxSource(self.query_state, me.resource if me else "", self._want_page, self.happ.now)
        self.source.marks = self.marks
        lst = self.query_one(VirtualList)
        lst.set_source(self.source)
        self.fetch_page(self.generation, None)
        self.render_filters()

    def _want_page(self) -> None:
        if self.source is not None:
            self.fetch_page(self.generation, self.source.next_url)

    def worker_failed(self, worker: Worker[Any]) -> None:
        if worker.group == "pages" and self.source is not None:  # the list may ask for the page again
            self.source.loading = False

    @work(exclusive=False, group="pages", exit_on_error=False)
    async def fetch_page(self, generation: int, cursor_url: str | None) -> None:
        q = self.query_state
        early, self._first_asked = self._first_asked, None
        try:
            page: Page[InboxItem] | None = None
            if early is not None:  # the first page, asked for at start-up: taken if it is of this list
                asked_for, page = await early
                if cursor_url is not None or asked_for != q:
                    page = None
            if page is None:
                rows = self._first_page_rows() if cursor_url is None else 0
                page = await ask_page(self.happ.client, q, rows=rows, cursor_url=cursor_url, now=self.happ.now())
        except ClientError as e:
            if self.source is not None:
                self.source.loading = False
            self.happ.report(e)
            self._first_page_done()
            return
        self.happ.mark_online(True)
        if self.is_attached:  # shown at once, as the inboxes are (load_pools); then told (intake's preview)
            self._page_arrived(generation, page)
            self.post_message(PageLoaded(generation, page))

    def _page_arrived(self, generation: int, page: Page[InboxItem]) -> None:
        if generation != self.generation or self.source is None:
            return
        self._first_page_done()
        before = len(self.source)
        self.source.add_page(page.items, page.next_url, page.total)
        lst = self.query_one(VirtualList)
        if len(self.source) != before:
            lst.set_source(self.source) if before == 0 else lst.rows_inserted(before, len(self.source) - before)
        lst.refresh_rows()
        if self._restore_key is not None and (lst.move_cursor_to_key(self._restore_key) or not self.source.next_url):
            self._restore_key = None
        self.query_one("#empty").set_class(len(self.source) == 0, "shown")
        self.render_filters()

    def current_item(self) -> InboxItem | None:
        if self.source is None:
            return None
        return self.source.item(self.query_one(VirtualList).cursor_index)

    @on(VirtualList.Highlighted)
    def _moved(self) -> None:
        self.render_filters()

    @on(VirtualList.Selected)
    def _selected(self) -> None:
        self.action_open()

    # -- live updates -------------------------------------------------------------------------
    def on_item_changed(self, message: ItemChanged) -> None:
        self.marks.update(message.item)
        if self.source is None:
            return
        what, index = self.source.upsert(message.item)
        lst = self.query_one(VirtualList)
        if what == "inserted":
            lst.rows_inserted(index, 1)
        elif what == "removed":
            lst.rows_removed(index, 1)
        elif what == "counted" or what == "updated":
            lst.refresh_rows()
        self.render_filters()
        self.load_pools()  # every change can change a count (decisions, hand-overs, escalations too)

    def on_item_gone(self, message: ItemGone) -> None:
        self.marks.discard(message.item_id)
        if self.source is None:
            return
        idx = self.source.by_id.get(message.item_id)
        if idx is not None:
            del self.source.items[idx]
            self.source._reindex(idx)
            if self.source.total is not None:
                self.source.total -= 1
            self.query_one(VirtualList).rows_removed(idx, 1)
        self.load_pools()

    def on_connection_state(self, message: ConnectionState) -> None:
        self.query_one("#offline").set_class(not message.online, "shown")
        if message.online:
            self.load_pools()

    # -- the next item (send, complete and go on) -----------------------------------------------
    def item_after(self, item_id: str) -> InboxItem | None:
        """The open item after this one in the list (the one to work on next), if loaded."""
        if self.source is None:
            return None
        idx = self.source.by_id.get(item_id)
        if idx is None:
            return None
        for it in self.source.items[idx + 1 :]:
            if it.is_open:
                return it
        return None

    def open_next(self, following: InboxItem | None) -> None:
        """Close the item screens on top and open `following` (the cursor goes to it)."""
        from . import item_screen
        from .item import ItemScreen
        from .reply import ReplyScreen

        while isinstance(self.app.screen, (ItemScreen, ReplyScreen)):
            self.app.pop_screen()
        if following is None:
            self.notify(t("inbox.no_next"), timeout=4)
            return
        lst = self.query_one(VirtualList)
        if self.source is not None and following.id in self.source.by_id:
            lst.move_cursor(self.source.by_id[following.id])
        self.app.push_screen(item_screen(following))

    # -- actions ------------------------------------------------------------------------------
    def action_open(self) -> None:
        from . import item_screen

        item = self.current_item()
        if item is not None:
            self.app.push_screen(item_screen(item))  # a decision screen for renewals, results, ...

    def _act(self, op: str, call: ItemCall) -> None:
        item = self.current_item()
        if item is not None:
            self.happ.item_action(self, op, item, call)

    def action_claim(self) -> None:
        self._act("claim", self.happ.client.claim)

    def action_claim_next(self) -> None:
        if not self.query_state.pool_id:
            self.notify(t("inbox.claim_next_pool"), timeout=4)
            return
        self.claim_next(self.query_state.pool_id)

    @work(exclusive=True, group="claim-next", exit_on_error=False)
    async def claim_next(self, pool_id: str) -> None:
        """The portal hands over the next waiting item of the inbox; it opens at once."""
        from . import item_screen

        item = await self.happ.client.claim_next(pool_id, now=self.happ.now())
        if item is None:
            self.notify(t("inbox.nothing_waiting"), timeout=4)
            return
        self.happ.mark_online(True)
        self.happ.announce_item_changed(item, "claim")
        self.app.push_screen(item_screen(item))

    def action_unclaim(self) -> None:
        self._act("unclaim", self.happ.client.unclaim)

    def action_complete(self) -> None:
        from .confirm import complete_with_care

        item = self.current_item()
        if item is not None:
            complete_with_care(self, item)  # asks first when the patient got no answer

    def action_forward(self) -> None:
        from .forward import ForwardScreen

        item = self.current_item()
        if item is not None:
            self.app.push_screen(ForwardScreen(item))

    def action_reply(self) -> None:
        from .item import ItemScreen

        item = self.current_item()
        if item is not None:
            self.app.push_screen(ItemScreen(item, start_reply=True))

    # -- marking (screens/inbox_marks.py), filters and search (screens/inbox_query.py) -------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("batch", "clear_marks"):
            return len(self.marks) > 0  # in the footer only while items are marked (always in the help)
        return True

    def action_reload(self) -> None:
        self.load_pools()
        self.reload()

    @on(Input.Submitted, "#search")
    def _search(self, event: Input.Submitted) -> None:
        box = self.query_one("#search", Input)
        box.remove_class("shown")
        self._requery(text=event.value.strip() or None)
        self.query_one(VirtualList).focus()

    def retranslate(self) -> None:
        if self.absence is not None:
            self.show_absence(self.absence)
        self.query_one(VirtualList).set_columns(columns())
        if self.source is not None:
            self.source._rows.clear()
            self.query_one(VirtualList).refresh_rows()
        self.render_pools()
