"""Mark oneself away (with a delegate who gets one's items, or none) or back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker

from ..actions import with_ids
from ..client.errors import ClientError
from ..client.models import Absence, Target
from ..host import ReportsFailures
from ..i18n import short_datetime, t
from ..safetext import safe_text
from ..widgets.footer import Footer
from .dialogs import Dialog

if TYPE_CHECKING:
    from ..host import AppHost


class AbsenceScreen(ReportsFailures, Dialog["Absence | None"]):
    """Dismissed with the new state, or None when nothing changed."""

    CSS = """
    #people { height: 1fr; }
    #people.hidden, #filter.hidden { display: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = with_ids(
        Binding("escape", "cancel", t("action.cancel"), priority=True),
        Binding("f5", "confirm", t("action.confirm"), priority=True),
    )

    def __init__(self, current: Absence | None) -> None:
        super().__init__()
        self.current = current
        self.people: list[Target] = []
        self.shown: list[Target | None] = []
        self.busy = False

    @property
    def happ(self) -> AppHost:
        return self.app  # type: ignore[return-value]

    @property
    def away(self) -> bool:
        return self.current is not None and self.current.away

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(t("absence.title"), style="bold"))
            yield Static(self._intro(), id="intro")
            yield Input(placeholder=t("forward.filter"), id="filter", classes="hidden" if self.away else "")
            yield OptionList(id="people", classes="hidden" if self.away else "")
            yield Footer()

    def _intro(self) -> Text:
        cur = self.current
        if cur is None or not cur.away:
            return Text(t("absence.explain"))
        since = short_datetime(self.happ.local(cur.since), self.happ.tz) if cur.since else "–"
        out = Text(t("absence.is_away", since=since) + "\n")
        if cur.delegate_ref:
            before, _, after = t("absence.delegate", name="{name}").partition("{name}")
            out.append_text(
                Text.assemble(before, safe_text(cur.delegate_display or cur.delegate_ref, multiline=False), after, "\n")
            )
        out.append(t("absence.back_prompt"))
        return out

    def on_mount(self) -> None:
        if not self.away:
            self.query_one("#filter", Input).focus()
            self.load()

    @work(exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        targets = await self.happ.client.forward_targets()
        me = self.happ.me.resource if self.happ.me else ""
        self.people = [x for x in targets if x.kind == "person" and x.ref != me]
        try:
            self.show(self.query_one("#filter", Input).value)
        except NoMatches:
            pass

    def show(self, text: str) -> None:
        words = text.lower().split()
        matches = [x for x in self.people if all(w in x.name.lower() for w in words)]
        self.shown = [None, *matches] if not words else list(matches)
        box = self.query_one("#people", OptionList)
        box.clear_options()
        box.add_options(
            [
                Option(Text(t("absence.no_delegate"), style="italic"))
                if x is None
                else Option(safe_text(x.name, multiline=False))
                for x in self.shown
            ]
        )
        if self.shown:
            box.highlighted = 0

    @on(Input.Changed, "#filter")
    def _filter(self, event: Input.Changed) -> None:
        self.show(event.value)

    def on_key(self, event: object) -> None:
        # Up and down move in the list while typing in the filter.
        key = getattr(event, "key", "")
        box = self.query_one("#people", OptionList)
        if key in ("up", "down") and self.query_one("#filter", Input).has_focus and box.option_count:
            box.highlighted = max(0, min(box.option_count - 1, (box.highlighted or 0) + (1 if key == "down" else -1)))
            event.stop()  # type: ignore[attr-defined]
        elif key == "enter" and self.away:
            self.action_confirm()
            event.stop()  # type: ignore[attr-defined]

    @on(Input.Submitted, "#filter")
    def _submitted(self) -> None:
        self.action_confirm()

    @on(OptionList.OptionSelected, "#people")
    def _chosen(self) -> None:
        self.action_confirm()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_confirm(self) -> None:
        if self.busy:
            return
        if self.away:
            self.apply(False, None)
            return
        box = self.query_one("#people", OptionList)
        if box.highlighted is None or not (0 <= box.highlighted < len(self.shown)):
            self.notify(t("phone.choose_target"), severity="warning")
            return
        person = self.shown[box.highlighted]
        self.apply(True, person.ref if person is not None else None)

    def worker_failed(self, worker: Worker[Any]) -> None:
        if worker.group == "apply":
            self.busy = False

    @work(exclusive=True, group="apply", exit_on_error=False)
    async def apply(self, away: bool, delegate_ref: str | None) -> None:
        self.busy = True
        try:
            state, moved = await self.happ.client.set_absence(away, delegate_ref)
        except ClientError as e:
            self.busy = False
            self.happ.report(e)
            return
        self.notify(t("absence.now_away", n=moved) if state.away else t("absence.now_back"), timeout=5)
        self.dismiss(state)
