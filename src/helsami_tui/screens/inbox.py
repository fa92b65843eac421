"""The inbox: the user's pools with counts, and a fast list of items."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from ..client.models import Absence, InboxItem, Pool
from ..i18n import t, tn
from ..messages import ConnectionState, ItemChanged, ItemGone, PageLoaded, PoolsLoaded
from ..safetext import safe_text
from ..sources import InboxSource, Query, columns
from ..widgets.virtual_list import VirtualList

if TYPE_CHECKING:
    from ..app import HelsamiApp

TYPE_FILTERS: list[str | None] = [None, "message", "renewal", "result", "questionnaire", "appointment", "phone-message"]
STATUS_FILTERS: list[str | None] = ["requested,in-progress", "requested", "in-progress", "completed"]
OWNER_FILTERS: list[str | None] = [None, "unclaimed", "mine"]
SORTS = ["priority,authored-on", "authored-on", "-authored-on"]
PAGE = 100


class InboxScreen(Screen[None]):
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
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", t("action.open")),
        Binding("c", "claim", t("action.claim")),
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
        Binding("f5", "reload", t("action.refresh"), show=False),
        Binding("escape", "cancel_search", t("action.cancel_search"), show=False),
        Binding("q", "app.quit", t("action.quit")),
    ]
    HELP_EXTRA: ClassVar[list[tuple[str, str]]] = [("↑ ↓ PgUp PgDn", "help.move"), ("Home, End", "help.first_last")]

    def __init__(self) -> None:
        super().__init__()
        self.pools: list[Pool] = []
        self.pool_index = 0
        self.query_state = Query(pool_id=None)
        self.generation = 0
        self.source: InboxSource | None = None
        self._restore_key: str | None = None  # after a refresh, put the cursor back on this item
        self.absence: Absence | None = None

    @property
    def happ(self) -> HelsamiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(t("app.offline"), id="offline")
        yield Static("", id="away")
        yield Static(Text(t("app.loading")), id="pools")
        yield Static("", id="filters")
        yield VirtualList(None, columns(), id="list")
        yield Static(Text(t("app.no_items")), id="empty")
        yield Input(placeholder=t("search.placeholder"), id="search")
        yield Footer()

    def on_mount(self) -> None:
        me = self.happ.me
        self.sub_title = me.display if me else ""
        self.load_pools()
        self.load_absence()
        self.query_one(VirtualList).focus()

    # -- pools --------------------------------------------------------------------------------
    @work(exclusive=True, group="pools")
    async def load_pools(self) -> None:
        try:
            pools = await self.happ.client.pools()
        except Exception as e:  # noqa: BLE001
            self.happ.report(e)
            return
        self.post_message(PoolsLoaded(pools))

    def on_pools_loaded(self, message: PoolsLoaded) -> None:
        first = not self.pools
        self.pools = message.pools
        if first:
            # Start in the first shared inbox with items waiting, else the personal list.
            shared = [i for i, p in enumerate(self.pools) if p.id]
            waiting = sorted((i for i in shared if self.pools[i].waiting), key=lambda i: -self.pools[i].waiting)
            self.pool_index = (waiting or shared or [0])[0] if self.pools else 0
            self.switch_pool()
        self.render_pools()

    def current_pool(self) -> Pool | None:
        return self.pools[self.pool_index] if 0 <= self.pool_index < len(self.pools) else None

    def render_pools(self) -> None:
        pool = self.current_pool()
        parts: list[Text | str] = []
        for i, p in enumerate(self.pools):
            name = t("inbox.mine") if not p.id else p.name
            label = safe_text(name, multiline=False)
            counts = f" {p.waiting}"
            if p.urgent:
                counts += f" !{p.urgent}"
            if p.overdue:
                counts += f" ⏰{p.overdue}"
            style = "reverse bold" if p is pool else ""
            mark = "▶" if p is pool else " "
            parts.append(Text.assemble(Text(mark), Text.assemble(label, counts, style=style), "  "))
        self.query_one("#pools", Static).update(Text.assemble(*parts) if parts else Text(t("inbox.no_pools")))
        if pool is not None:
            summary = ", ".join(x for x in (tn("count.new", pool.waiting), tn("count.urgent", pool.urgent),
                                            tn("count.overdue", pool.overdue)))
            self.title = f"{t('app.title')} – {t('inbox.mine') if not pool.id else pool.name}"
            self._summary = summary
        self.render_filters()

    def render_filters(self) -> None:
        q = self.query_state
        bits = [getattr(self, "_summary", "")]
        if q.code:
            bits.append(f"{t('filter.type')}: {t('type.' + q.code.replace('-', '_'))}")
        if q.status != STATUS_FILTERS[0]:
            bits.append(f"{t('filter.status')}: {t('filter.status.' + (q.status or 'all').replace(',', '_'))}")
        if q.owner:
            bits.append(f"{t('filter.owner')}: {t('filter.owner.' + q.owner)}")
        if q.sort != SORTS[0]:
            bits.append(f"{t('action.sort')}: {t('sort.' + q.sort.lstrip('-') + ('.desc' if q.sort.startswith('-') else ''))}")
        if q.text:
            bits.append(f"{t('action.search')}: ")
        line = Text(" · ".join(b for b in bits if b))
        if q.text:
            line.append_text(safe_text(q.text, multiline=False))
        if self.source is not None:
            line.append(f"   {t('inbox.position', index=self.query_one(VirtualList).cursor_index + 1, total=len(self.source))}")
        self.query_one("#filters", Static).update(line)

    def switch_pool(self) -> None:
        pool = self.current_pool()
        self.query_state = Query(pool_id=(pool.id or None) if pool else None, status=self.query_state.status,
                                 code=self.query_state.code, owner=self.query_state.owner,
                                 sort=self.query_state.sort, text=self.query_state.text)
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
        lst = self.query_one(VirtualList)
        lst.set_source(self.source)
        self.fetch_page(self.generation, None)
        self.render_filters()

    def _want_page(self) -> None:
        if self.source is not None:
            self.fetch_page(self.generation, self.source.next_url)

    @work(exclusive=False, group="pages")
    async def fetch_page(self, generation: int, cursor_url: str | None) -> None:
        q = self.query_state
        client = self.happ.client
        try:
            page = await client.inbox_page(
                q.pool_id, status=q.status, code=q.code, sort=q.sort, count=PAGE, cursor_url=cursor_url,
                whole_pool=q.pool_id is not None, total=cursor_url is None, now=self.happ.now(),
                owner="mine" if q.owner == "mine" else ("pool" if q.owner == "unclaimed" else None), text=q.text)
        except Exception as e:  # noqa: BLE001
            if self.source is not None:
                self.source.loading = False
            self.happ.report(e)
            return
        self.happ._set_online(True)
        self.post_message(PageLoaded(generation, page))

    def on_page_loaded(self, message: PageLoaded) -> None:
        if message.generation != self.generation or self.source is None:
            return
        before = len(self.source)
        self.source.add_page(message.page.items, message.page.next_url, message.page.total)
        lst = self.query_one(VirtualList)
        if len(self.source) != before:
            lst.set_source(self.source) if before == 0 else lst.rows_inserted(before, len(self.source) - before)
        lst.refresh_rows()
        if self._restore_key is not None:
            if lst.move_cursor_to_key(self._restore_key) or not self.source.next_url:
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
        if self.source is None:
            return
        what, index = self.source.upsert(message.item)
        lst = self.query_one(VirtualList)
        if what == "inserted":
            lst.rows_inserted(index, 1)
        elif what == "removed":
            lst.rows_removed(index, 1)
        elif what == "counted":
            lst.refresh_rows()
        elif what == "updated":
            lst.refresh_rows()
        self.render_filters()
        if message.action in ("new", "claim", "unclaim", "forward", "complete", "patient-message"):
            self.load_pools()

    def on_item_gone(self, message: ItemGone) -> None:
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

    # -- actions ------------------------------------------------------------------------------
    def action_open(self) -> None:
        from . import item_screen

        item = self.current_item()
        if item is not None:
            self.app.push_screen(item_screen(item))  # a decision screen for renewals, results, ...

    def _act(self, op: str, **kw: Any) -> None:
        item = self.current_item()
        if item is not None:
            self.happ.item_action(self, op, item, **kw)

    def action_claim(self) -> None:
        self._act("claim")

    def action_unclaim(self) -> None:
        self._act("unclaim")

    def action_complete(self) -> None:
        self._act("complete")

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

    def _cycle(self, options: list[Any], current: Any) -> Any:
        i = options.index(current) if current in options else -1
        return options[(i + 1) % len(options)]

    def _requery(self, **changes: Any) -> None:
        q = self.query_state
        data = {"pool_id": q.pool_id, "status": q.status, "code": q.code, "owner": q.owner, "sort": q.sort,
                "text": q.text, **changes}
        self.query_state = Query(**data)
        self.reload()

    def action_filter_type(self) -> None:
        self._requery(code=self._cycle(TYPE_FILTERS, self.query_state.code))

    def action_filter_status(self) -> None:
        self._requery(status=self._cycle(STATUS_FILTERS, self.query_state.status))

    def action_filter_owner(self) -> None:
        self._requery(owner=self._cycle(OWNER_FILTERS, self.query_state.owner))

    def action_sort(self) -> None:
        self._requery(sort=self._cycle(SORTS, self.query_state.sort))

    def action_reload(self) -> None:
        self.load_pools()
        self.reload()

    def action_search(self) -> None:
        box = self.query_one("#search", Input)
        box.add_class("shown")
        box.value = self.query_state.text or ""
        box.focus()

    @on(Input.Submitted, "#search")
    def _search(self, event: Input.Submitted) -> None:
        box = self.query_one("#search", Input)
        box.remove_class("shown")
        self._requery(text=event.value.strip() or None)
        self.query_one(VirtualList).focus()

    def action_cancel_search(self) -> None:
        box = self.query_one("#search", Input)
        if box.has_class("shown"):
            box.remove_class("shown")
            self.query_one(VirtualList).focus()
        elif self.query_state.text:
            self._requery(text=None)

    # -- phone messages and absence -------------------------------------------------------------
    def action_phone_message(self) -> None:
        from .phone import PhoneMessageScreen

        pool = self.current_pool()
        self.app.push_screen(PhoneMessageScreen(default_target=pool.ref if pool is not None and pool.id else None))

    def action_absence(self) -> None:
        from .absence import AbsenceScreen

        def done(state: Absence | None) -> None:
            if state is not None:
                self.show_absence(state)

        self.app.push_screen(AbsenceScreen(self.absence), done)

    @work(exclusive=True, group="absence")
    async def load_absence(self) -> None:
        try:
            state = await self.happ.client.absence()
        except Exception:  # noqa: BLE001 - a portal without absence: nothing to show
            return
        self.show_absence(state)

    def show_absence(self, state: Absence) -> None:
        self.absence = state
        banner = self.query_one("#away", Static)
        banner.set_class(state.away, "shown")
        if state.away:
            line = (t("absence.banner", name="{name}") if state.delegate_ref else t("absence.banner_none"))
            before, _, after = line.partition("{name}")
            banner.update(Text.assemble(before, safe_text(state.delegate_display or state.delegate_ref,
                                                          multiline=False) if state.delegate_ref else "", after))
        else:
            banner.update("")

    def retranslate(self) -> None:
        if self.absence is not None:
            self.show_absence(self.absence)
        self.query_one(VirtualList).set_columns(columns())
        if self.source is not None:
            self.source._rows.clear()
            self.query_one(VirtualList).refresh_rows()
        self.render_pools()
