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
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, OptionList, Static

from ..client.models import InboxItem, Target
from ..i18n import t
from ..safetext import safe_text
from ..sources import Query
from ..widgets.virtual_list import VirtualList
from .forward import fill_targets, filter_targets
from .inbox import InboxScreen

if TYPE_CHECKING:
    from ..app import HelsamiApp

PREVIEW_DELAY = 0.12  # seconds the cursor rests on an item before its thread is fetched


class RouteScreen(ModalScreen["tuple[Target, str] | None"]):
    """Type to filter inboxes and staff; ↑/↓ choose; Enter routes (from the filter or the note);
    Tab moves to the optional internal note. Dismissed with (target, note) or None."""

    CSS = """
    RouteScreen { align: center middle; }
    #dialog { width: 90%; height: 85%; border: thick $primary; background: $surface; padding: 0 1; }
    #targets { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", t("action.cancel"), priority=True),
        Binding("f5", "route", t("action.route"), priority=True),
    ]

    def __init__(self, item: InboxItem, targets: list[Target] | None = None) -> None:
        super().__init__()
        self.item = item
        self.targets = targets or []
        self.shown: list[Target] = []

    @property
    def happ(self) -> HelsamiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text.assemble(Text(t("route.title") + ": ", style="bold"),
                                       safe_text(self.item.subject, multiline=False)))
            yield Input(placeholder=t("route.filter"), id="filter")
            yield OptionList(id="targets")
            yield Input(placeholder=t("route.note"), id="note")
            yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).focus()
        # Tab goes from the filter straight to the note; ↑/↓ move in the list while typing.
        self.query_one("#targets", OptionList).can_focus = False
        if self.targets:
            self.show("")
        else:
            self.load()

    @work(exclusive=True)
    async def load(self) -> None:
        try:
            self.targets = await self.happ.client.forward_targets()
        except Exception as e:  # noqa: BLE001
            self.happ.report(e)
            return
        try:
            self.show(self.query_one("#filter", Input).value)
        except NoMatches:
            pass

    def show(self, text: str) -> None:
        self.shown = filter_targets(self.targets, text, self.item.owner_ref)
        fill_targets(self.query_one("#targets", OptionList), self.shown, highlight_first=True)

    @on(Input.Changed, "#filter")
    def _filter(self, event: Input.Changed) -> None:
        self.show(event.value)

    def on_key(self, event: Any) -> None:
        box = self.query_one("#targets", OptionList)
        if event.key in ("up", "down") and box.option_count:
            step = 1 if event.key == "down" else -1
            box.highlighted = max(0, min(box.option_count - 1, (box.highlighted or 0) + step))
            event.stop()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_route()

    @on(OptionList.OptionSelected, "#targets")
    def _chosen(self) -> None:
        self.action_route()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_route(self) -> None:
        box = self.query_one("#targets", OptionList)
        if box.highlighted is None or not (0 <= box.highlighted < len(self.shown)):
            self.notify(t("route.no_match") if self.targets else t("app.loading"), severity="warning")
            return
        self.dismiss((self.shown[box.highlighted], self.query_one("#note", Input).value.strip()))


class IntakeScreen(InboxScreen):
    CSS = InboxScreen.CSS + """
    IntakeScreen VirtualList { height: 3fr; }
    #preview { height: 2fr; border-top: solid $primary; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "forward", t("action.route")),
        Binding("g", "forward", t("action.route"), show=False),
    ]

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

    @work(exclusive=True, group="targets")
    async def load_targets(self) -> None:
        try:
            self.targets = await self.happ.client.forward_targets()
        except Exception:  # noqa: BLE001 - the picker fetches them itself then
            return

    def switch_pool(self) -> None:
        # The personal list shows what is mine (any status open); a pool what waits unrouted in it.
        pool = self.current_pool()
        if pool is not None and pool.id:
            self.query_state = Query(pool_id=pool.id, status="requested", owner="unclaimed",
                                     code=self.query_state.code, sort=self.query_state.sort,
                                     text=self.query_state.text)
        else:
            self.query_state = Query(pool_id=None, code=self.query_state.code, sort=self.query_state.sort,
                                     text=self.query_state.text)
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

    @work(exclusive=True, group="preview")
    async def load_preview(self, item: InboxItem) -> None:
        from .item import message_block

        head = Text.assemble(safe_text(item.subject, multiline=False, style="bold"), "\n",
                             safe_text(item.patient_name or t("patient.unknown"), multiline=False), "\n")
        body = Text()
        if item.has_thread:
            try:
                thread = await self.happ.client.thread(item.focus_ref)
            except Exception as e:  # noqa: BLE001
                body = safe_text(str(e))
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
        self.happ.item_action(self, "forward", item, target_ref=target.ref, note=note)
