"""What the decision screens (renewal, result, questionnaire, appointment request) share: the
patient banner, the item's state, the review in the main column and the conversation with the
patient beside it; a worker that sends a decision and shows the portal's answer in plain words;
and the small dialogs (a text prompt, a physician picker)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from ..client.errors import AccessDenied, Conflict, PortalError
from ..client.models import InboxItem, Target
from ..i18n import t
from ..messages import ItemChanged
from ..safetext import safe_text
from .item import ItemScreen, when

SPARKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float]) -> str:
    """A small trend in the terminal: one block per value, lowest ▁ to highest █."""
    if not values:
        return ""
    lo, hi = min(values), max(values)
    if hi == lo:
        return SPARKS[3] * len(values)
    return "".join(SPARKS[round((v - lo) / (hi - lo) * (len(SPARKS) - 1))] for v in values)


def heading(out: Text, title: str) -> None:
    out.append(title + "\n", style="bold underline")


def decided_text(item: InboxItem) -> str:
    key = f"bstatus.{item.business_status}"
    word = t(key)
    return t("decision.decided", status=word) if word != key else ""


class DecisionScreen(ItemScreen):
    """An item whose decision has its own review (subclasses: `fetch_review` and `render_review`)."""

    CSS = ItemScreen.CSS + """
    #review { width: 2fr; padding: 0 1; }
    #thread { width: 1fr; border-left: solid $primary; }
    """

    def __init__(self, item: InboxItem, **kw: Any) -> None:
        super().__init__(item, **kw)
        self.review: Any = None
        self.review_error: str | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Static(t("app.offline"), id="offline")
        yield Static(Text(t("app.loading")), id="banner")
        yield Static("", id="state")
        with Horizontal(id="body"):
            yield VerticalScroll(Static(Text(t("app.loading")), id="review-text"), id="review")
            yield VerticalScroll(id="thread")
        yield Footer()

    async def fetch_review(self) -> Any:
        raise NotImplementedError

    def render_review(self, out: Text) -> None:
        raise NotImplementedError

    async def _load(self) -> None:
        client = self.happ.client
        await self._load_patient()
        try:
            self.review = await self.fetch_review()
            self.review_error = None
        except (AccessDenied, Conflict, PortalError) as e:
            self.review_error = str(e)
        except Exception as e:  # noqa: BLE001
            self.happ.report(e)
        self.render_context()
        try:
            self.thread = await client.decision_thread(self.item)
        except Exception as e:  # noqa: BLE001
            self.happ.report(e)
        self.render_thread()

    def render_context(self) -> None:
        """The review (in place of the generic clinical panel)."""
        out = Text()
        extra = decided_text(self.item)
        if extra:
            out.append(extra + "\n\n", style="bold reverse")
        if self.review_error:
            out.append_text(safe_text(self.review_error))
        elif self.review is None:
            out.append(t("app.loading"))
        else:
            self.render_review(out)
        try:
            self.query_one("#review-text", Static).update(out)
        except NoMatches:
            return

    def render_thread(self) -> None:
        box = self.query_one("#thread", VerticalScroll)
        if self.thread is None:
            box.remove_children()
            box.mount(Static(Text.assemble(Text(t("decision.thread") + "\n", style="bold"),
                                           t("decision.no_thread"))))
            return
        super().render_thread()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("reply", "complete"):
            return False  # a decision item is answered and closed by its decisions, not here
        return super().check_action(action, parameters)

    def on_item_changed(self, message: ItemChanged) -> None:
        if self._gone() or message.item.id != self.item.id:
            return
        self.item = message.item
        self.render_state()
        self.render_context()

    # -- sending a decision -------------------------------------------------------------------
    def prompt(self, title: str, explain: str, then: Callable[[str], None], *, required: bool = True) -> None:
        """Ask for a text (a reason, a question, a comment), then call `then` with it."""
        def done(value: str | None) -> None:
            if value is not None:
                then(value)

        self.app.push_screen(TextPrompt(title, explain, required=required), done)

    @work(exclusive=True, group="decision")
    async def decide(self, op: str, done_text: str, **kw: Any) -> None:
        """Send a decision; on success the item and the review are read again. A refusal is
        shown in the portal's own plain words (which warning, which role, which category)."""
        if self.busy:
            return
        self.busy = True
        try:
            new = await getattr(self.happ.client, op)(self.item, **kw)
        except Conflict as c:
            if c.current is not None:
                self.item = c.current
                self.render_state()
                self.render_context()
            self._refused(c)
            return
        except (AccessDenied, PortalError) as e:
            self._refused(e)
            return
        except Exception as e:  # noqa: BLE001
            self.happ.report(e)
            return
        finally:
            self.busy = False
        self.happ._set_online(True)  # noqa: SLF001 - the portal answered
        self.item = new
        self.happ._broadcast(ItemChanged(new, op))  # noqa: SLF001 - every screen learns of the change
        self.notify(done_text, timeout=6, markup=False)
        if not self._gone():
            self.render_state()
            self.load()

    def _refused(self, e: Exception) -> None:
        self.notify(t("decision.refused", reason=str(e)), severity="warning", timeout=12, markup=False)


# -- dialogs ------------------------------------------------------------------------------------

class TextPrompt(ModalScreen["str | None"]):
    """One line of text (Enter or F5 sends, Esc cancels)."""

    CSS = """
    TextPrompt { align: center middle; }
    #dialog { width: 80%; height: auto; border: thick $primary; background: $surface; padding: 1 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "send", t("action.send"), priority=True),
        Binding("escape", "cancel", t("action.cancel"), priority=True),
    ]

    def __init__(self, title: str, explain: str, *, required: bool = True, value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.explain = explain
        self.required = required
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self.title_text, style="bold"))
            yield Static(Text(self.explain))
            yield Input(value=self.value, id="text")
            yield Footer()

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_send()

    def action_send(self) -> None:
        value = self.query_one(Input).value.strip()
        if self.required and not value:
            self.notify(t("decision.empty"), severity="warning")
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PhysicianPicker(ModalScreen["tuple[Target, str] | None"]):
    """Choose a physician to pend a renewal to, with an optional internal note."""

    CSS = """
    PhysicianPicker { align: center middle; }
    #dialog { width: 80%; height: 80%; border: thick $primary; background: $surface; padding: 0 1; }
    #people { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "send", t("action.send"), priority=True),
        Binding("escape", "cancel", t("action.cancel"), priority=True),
    ]

    def __init__(self, exclude: str = "") -> None:
        super().__init__()
        self.exclude = exclude
        self.people: list[Target] = []
        self.shown: list[Target] = []
        self.chosen: Target | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(t("pend.title"), style="bold"))
            yield Input(placeholder=t("pend.filter"), id="filter")
            yield OptionList(id="people")
            yield Static("", id="chosen")
            yield Input(placeholder=t("pend.note"), id="note")
            yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).focus()
        self.load()

    @work(exclusive=True)
    async def load(self) -> None:
        try:
            self.people = await self.app.client.physicians()  # type: ignore[attr-defined]
        except Exception as e:  # noqa: BLE001
            self.app.report(e)  # type: ignore[attr-defined]
            return
        try:
            self.show(self.query_one("#filter", Input).value)
        except NoMatches:
            pass

    def show(self, text: str) -> None:
        words = text.lower().split()
        self.shown = [p for p in self.people if p.ref != self.exclude and all(w in p.name.lower() for w in words)]
        box = self.query_one("#people", OptionList)
        box.clear_options()
        box.add_options([Option(safe_text(p.name, multiline=False)) for p in self.shown])

    @on(Input.Changed, "#filter")
    def _filter(self, event: Input.Changed) -> None:
        self.show(event.value)

    @on(Input.Submitted, "#filter")
    def _to_list(self) -> None:
        box = self.query_one("#people", OptionList)
        if box.option_count and box.highlighted is None:
            box.highlighted = 0
        box.focus()

    @on(OptionList.OptionSelected, "#people")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.chosen = self.shown[event.option_index]
        self.query_one("#chosen", Static).update(Text.assemble(Text(t("pend.to") + ": ", style="bold"),
                                                               safe_text(self.chosen.name, multiline=False)))
        self.query_one("#note", Input).focus()

    @on(Input.Submitted, "#note")
    def _note_done(self) -> None:
        self.action_send()

    def action_send(self) -> None:
        if self.chosen is None:
            self.notify(t("pend.choose"), severity="warning")
            return
        self.dismiss((self.chosen, self.query_one("#note", Input).value.strip()))

    def action_cancel(self) -> None:
        self.dismiss(None)


def date_text(value: dt.datetime | dt.date | None, tz: dt.tzinfo | None = None) -> str:
    if value is None:
        return "–"
    if isinstance(value, dt.datetime):
        return value.astimezone(tz).strftime("%d.%m.%Y")
    return value.strftime("%d.%m.%Y")


__all__ = ["DecisionScreen", "PhysicianPicker", "TextPrompt", "date_text", "decided_text", "heading", "sparkline",
           "when"]
