"""The switchboard's intake view, built for speed: the intake pool on top, the selected item's
message below; `f` opens the route picker (type to filter inboxes and staff, Enter routes, with an
optional internal note) and the cursor is already on the next item.

It is the inbox (same list, filters, live updates, keys) with a different start: it shows only
what still waits unrouted in the pool (owner the pool), so a routed item leaves the list at once.
The switchboard sees message text, never clinical data (the portal refuses it; the item screen
says so)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.widgets import Input, OptionList, Static

from ..actions import with_ids
from ..client.errors import ClientError, NotFound, NotSupported
from ..client.models import InboxItem, Target, order_targets
from ..host import ReportsFailures
from ..i18n import t
from ..refusals import error_text
from ..safetext import safe_text
from ..sources import Query
from ..widgets.footer import Footer
from ..widgets.virtual_list import VirtualList
from .dialogs import Dialog
from .forward import targets_for
from .inbox import InboxScreen
from .targets import fill_targets, filter_targets

if TYPE_CHECKING:
    from ..host import AppHost

PREVIEW_DELAY = 0.12  # seconds the cursor rests on an item before its thread is fetched


class RouteScreen(ReportsFailures, Dialog["tuple[Target, str] | None"]):
    """Type to filter inboxes and staff (the routing table's suggestion first, then shared inboxes,
    then personal ones); ↑/↓ move; Enter chooses the highlighted target, and a second Enter (from the
    filter or the note) routes to the chosen one; Tab moves to the optional internal note. Typing or
    moving after a choice asks for a new choice. Dismissed with (target, note) or None."""

    CSS = """
    #targets { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = with_ids(
        Binding("escape", "cancel", t("action.cancel"), priority=True),
        Binding("f5", "route", t("action.route"), priority=True),
    )

    def __init__(self, item: InboxItem, targets: list[Target] | None = None) -> None:
        super().__init__()
        self.item = item
        self.targets = order_targets(targets or [])
        self.shown: list[Target] = []
        self.chosen: Target | None = None

    @property
    def happ(self) -> AppHost:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(
                Text.assemble(
                    Text(t("route.title") + ": ", style="bold"), safe_text(self.item.subject, multiline=False)
                )
            )
            yield Input(placeholder=t("route.filter"), id="filter")
            yield OptionList(id="targets")
            yield Static(t("route.choose_hint"), id="chosen")
            yield Input(placeholder=t("route.note"), id="note")
            yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).focus()
        # Tab goes from the filter straight to the note; ↑/↓ move in the list while typing.
        self.query_one("#targets", OptionList).can_focus = False
        if self.targets:
            self.show("")
        self.load()

    @work(exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        try:
            if self.targets:
                suggestions = await self.happ.client.route_suggestions(self.item)
                targets = order_targets(self.targets, suggestions)
            else:
                targets = await targets_for(self.happ.client, self.item)
        except (NotFound, NotSupported):
            return  # no suggestions from this portal: the targets shown stay
        try:
            box = self.query_one("#targets", OptionList)
            was = self.shown[box.highlighted] if box.highlighted is not None and self.shown else None
            self.targets = targets
            self.show(self.query_one("#filter", Input).value, keep=self.chosen or (was if box.highlighted else None))
        except NoMatches:
            pass

    def show(self, text: str, keep: Target | None = None) -> None:
        self.shown = filter_targets(self.targets, text, self.item.owner_ref)
        box = self.query_one("#targets", OptionList)
        fill_targets(box, self.shown, highlight_first=True)
        if keep is not None:
            for i, x in enumerate(self.shown):
                if x.ref == keep.ref:
                    box.highlighted = i

    def highlighted(self) -> Target | None:
        box = self.query_one("#targets", OptionList)
        if box.highlighted is None or not (0 <= box.highlighted < len(self.shown)):
            return None
        return self.shown[box.highlighted]

    def choose(self, target: Target | None) -> None:
        self.chosen = target
        line = (
            Text(t("route.choose_hint"))
            if target is None
            else Text.assemble(
                Text(t("forward.to") + ": ", style="bold"),
                safe_text(target.name, multiline=False),
                Text("  " + t("route.enter_again")),
            )
        )
        self.query_one("#chosen", Static).update(line)

    @on(Input.Changed, "#filter")
    def _filter(self, event: Input.Changed) -> None:
        self.show(event.value)
        if self.chosen is not None:
            self.choose(None)

    def on_key(self, event: Any) -> None:
        box = self.query_one("#targets", OptionList)
        if event.key in ("up", "down") and box.option_count:
            step = 1 if event.key == "down" else -1
            box.highlighted = max(0, min(box.option_count - 1, (box.highlighted or 0) + step))
            event.stop()
            if self.chosen is not None and self.highlighted() != self.chosen:
                self.choose(None)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_route()

    @on(OptionList.OptionSelected, "#targets")
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        self.choose(self.shown[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_route(self) -> None:
        """Enter (or F5): the first press chooses the highlighted target, the next one routes to it."""
        here = self.highlighted()
        if here is None:
            self.notify(t("route.no_match") if self.targets else t("app.loading"), severity="warning")
            return
        if self.chosen is None or self.chosen.ref != here.ref:
            self.choose(here)
            return
        self.dismiss((self.chosen, self.query_one("#note", Input).value.strip()))


class IntakeScreen(InboxScreen):
    CSS = (
        InboxScreen.CSS
        + """
    IntakeScreen VirtualList { height: 3fr; }
    #preview { height: 2fr; border-top: solid $primary; padding: 0 1; }
    """
    )
    BINDINGS: ClassVar[list[BindingType]] = with_ids(
        Binding("f", "forward", t("action.route")),
        Binding("g", "forward", t("action.route"), show=False),
    )

    def __init__(self) -> None:
        super().__init__()
        self.query_state = Query(pool_id=None, status="requested", owner="unclaimed")
        self.targets: list[Target] = []
        self._preview_for: str | None = None
        self._preview_timer: Any = None

    def compose(self) -> ComposeResult:
        for w in super().compose():
            if isinstance(w, Footer):
                yield VerticalScroll(Static(Text(t("intake.preview_empty")), id="preview-text"), id="preview")
            yield w

    def on_mount(self) -> None:
        # InboxScreen.on_mount runs too (Textual calls the handler of every class in the MRO).
        self.load_targets()

    @work(exclusive=True, group="targets", exit_on_error=False)
    async def load_targets(self) -> None:
        try:
            self.targets = await self.happ.client.forward_targets()
        except ClientError:  # the picker fetches them itself then
            return

    def switch_pool(self) -> None:
        # The personal list shows what is mine (any status open); a pool what waits unrouted in it.
        pool = self.current_pool()
        if pool is not None and pool.id:
            self.query_state = Query(
                pool_id=pool.id,
                status="requested",
                owner="unclaimed",
                code=self.query_state.code,
                sort=self.query_state.sort,
                text=self.query_state.text,
            )
        else:
            self.query_state = Query(
                pool_id=None, code=self.query_state.code, sort=self.query_state.sort, text=self.query_state.text
            )
        self.reload()

    # -- the preview of the selected item's message -------------------------------------------
    # (InboxScreen's handlers of the same messages run as well: Textual calls each class's.)
    def on_page_loaded(self, message: Any) -> None:
        self.call_after_refresh(self.schedule_preview)

    @on(VirtualList.Highlighted)
    def _moved_preview(self) -> None:
        self.schedule_preview()

    def on_item_changed(self, message: Any) -> None:
        self.call_after_refresh(self.schedule_preview)

    def schedule_preview(self) -> None:
        item = self.current_item()
        key = f"{item.id}/{item.version}" if item is not None else None
        if key == self._preview_for:
            return
        self._preview_for = key
        if self._preview_timer is not None:
            self._preview_timer.stop()
        if item is None:
            self.query_one("#preview-text", Static).update(Text(t("intake.preview_empty")))
            return
        self._preview_timer = self.set_timer(PREVIEW_DELAY, lambda: self.load_preview(item))

    @work(exclusive=True, group="preview", exit_on_error=False)
    async def load_preview(self, item: InboxItem) -> None:
        from .item_text import message_block

        head = Text.assemble(
            safe_text(item.subject, multiline=False, style="bold"),
            "\n",
            safe_text(item.patient_name or t("patient.unknown"), multiline=False),
            "\n",
        )
        body = Text()
        if item.has_thread:
            try:
                thread = await self.happ.client.thread(item.focus_ref)
            except ClientError as e:
                body = safe_text(error_text(e))
            else:
                for m in thread.messages:
                    body.append_text(message_block(m, self.happ.tz, item.patient_name))
                    body.append("\n\n")
        else:
            body = Text(t("item.no_thread"))
        cur = self.current_item()
        if cur is None or cur.id != item.id:
            return
        try:
            self.query_one("#preview-text", Static).update(Text.assemble(head, "\n", body))
            self.query_one("#preview", VerticalScroll).scroll_home(animate=False)
        except NoMatches:
            return

    # -- routing ------------------------------------------------------------------------------
    def action_forward(self) -> None:
        item = self.current_item()
        if item is None:
            return

        def chosen(result: tuple[Target, str] | None) -> None:
            if result is None:
                return
            target, note = result
            self.route(item, target, note)

        self.app.push_screen(RouteScreen(item, self.targets), chosen)

    def route(self, item: InboxItem, target: Target, note: str) -> None:
        """Send the item on and put the cursor on the next one at once (the routed item leaves
        the list when the portal confirms; the cursor stays on the next item)."""
        lst = self.query_one(VirtualList)
        if self.current_item() is item or (self.current_item() and self.current_item().id == item.id):  # type: ignore[union-attr]
            lst.move_cursor(lst.cursor_index + 1)
        self.happ.item_action(self, "forward", item, lambda i: self.happ.client.forward(i, target.ref, note))
