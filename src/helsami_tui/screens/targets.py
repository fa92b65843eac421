"""Choosing where an item goes: the list of targets (inboxes and staff) filtered by what is typed,
and the one target picker the screens share (a staff member for the access log, a forward target
for a batch, a physician with a note for a pended renewal)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ..client.models import Target
from ..host import ReportsFailures
from ..i18n import t
from ..safetext import safe_text
from ..widgets.footer import Footer
from .dialogs import Dialog

if TYPE_CHECKING:
    from ..client.api import PortalClient
    from ..host import AppHost


def filter_targets(targets: list[Target], text: str, exclude: str = "") -> list[Target]:
    """The targets whose name contains every typed word (and that are not `exclude`)."""
    words = text.lower().split()
    return [x for x in targets if x.ref != exclude and all(w in x.name.lower() for w in words)]


def target_kind(x: Target) -> str:
    """ "Innboks" / "Personlig innboks" / "Person", and "Forslag" first when the routing table suggests it."""
    kind = t("forward.kind.direct") if x.kind == "service" and x.personal else t("forward.kind." + x.kind)
    return f"{t('forward.suggested')} · {kind}" if x.suggested else kind


def fill_targets(box: OptionList, shown: list[Target], *, highlight_first: bool = False) -> None:
    """Show targets in a list as "Innboks: name" / "Person: name" (names are untrusted text)."""
    box.clear_options()
    box.add_options(
        [
            Option(Text.assemble(Text(target_kind(x) + ": ", style="bold"), safe_text(x.name, multiline=False)))
            for x in shown
        ]
    )
    if highlight_first and shown:
        box.highlighted = 0


Picked = tuple[Target, str]
"""A chosen target and the internal note written with it ("" without a note field)."""


class TargetPicker(ReportsFailures, Dialog["Picked | None"]):
    """Type to filter the targets; ↑/↓ move; Enter chooses the highlighted one. With a note field
    (`note_key`), Enter moves to the list, Enter there chooses, and Enter in the note (or F5) sends.
    Dismissed with (target, note) or None. The catalog keys are kept so F9 can switch language."""

    # Ids given here (keys.py gives them only to classes of the modules it lists): the user's keymap
    # reaches the pickers that inherit these.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "send", t("action.send"), priority=True, id="send"),
        Binding("escape", "cancel", t("action.cancel"), priority=True, id="cancel"),
        # A modal screen hides the app's own (non-priority) keys: F9 switches the language here too.
        Binding("f9", "app.toggle_language", t("action.language"), show=False, id="toggle_language"),
    ]

    def __init__(
        self,
        title_key: str,
        filter_key: str,
        load: Callable[[PortalClient], Awaitable[list[Target]]],
        *,
        exclude: str = "",
        kinds: bool = True,
        note_key: str | None = None,
        to_key: str = "pend.to",
        choose_key: str = "pend.choose",
    ) -> None:
        """`load` reads the targets from the portal; `exclude` is left out (the item's owner);
        `kinds` shows each target's kind before its name; `note_key` asks for a note."""
        super().__init__()
        self.title_key = title_key
        self.filter_key = filter_key
        self._load = load
        self.exclude = exclude
        self.kinds = kinds
        self.note_key = note_key
        self.to_key = to_key
        self.choose_key = choose_key
        self.targets: list[Target] = []
        self.shown: list[Target] = []
        self.chosen: Target | None = None

    @property
    def happ(self) -> AppHost:
        return self.app  # type: ignore[return-value]

    @property
    def people(self) -> list[Target]:
        """The targets loaded (staff members, for the pickers of people)."""
        return self.targets

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(t(self.title_key), style="bold"), id="title")
            yield Input(placeholder=t(self.filter_key), id="filter")
            yield OptionList(id="people")
            if self.note_key is not None:
                yield Static("", id="chosen")
                yield Input(placeholder=t(self.note_key), id="note")
            yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).focus()
        # Without a note, ↑/↓ move in the list while typing and Enter chooses from the filter.
        self.query_one("#people", OptionList).can_focus = self.note_key is not None
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "send":
            return self.note_key is not None  # F5 sends the choice and its note
        return True

    def retranslate(self) -> None:
        self.query_one("#title", Static).update(Text(t(self.title_key), style="bold"))
        self.query_one("#filter", Input).placeholder = t(self.filter_key)
        if self.note_key is not None:
            self.query_one("#note", Input).placeholder = t(self.note_key)
        self.show(self.query_one("#filter", Input).value)

    @work(exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        self.targets = await self._load(self.happ.client)
        try:
            self.show(self.query_one("#filter", Input).value)  # what was typed while loading counts
        except NoMatches:
            return  # closed meanwhile

    def show(self, text: str) -> None:
        self.shown = filter_targets(self.targets, text, self.exclude)
        box = self.query_one("#people", OptionList)
        if self.kinds:
            fill_targets(box, self.shown, highlight_first=self.note_key is None)
        else:
            box.clear_options()
            box.add_options([Option(safe_text(p.name, multiline=False)) for p in self.shown])

    @on(Input.Changed, "#filter")
    def _filter(self, event: Input.Changed) -> None:
        self.show(event.value)

    def on_key(self, event: events.Key) -> None:
        if self.note_key is not None:
            return
        box = self.query_one("#people", OptionList)
        if event.key in ("up", "down") and box.option_count:
            step = 1 if event.key == "down" else -1
            box.highlighted = max(0, min(box.option_count - 1, (box.highlighted or 0) + step))
            event.stop()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        box = self.query_one("#people", OptionList)
        if self.note_key is not None:
            if box.option_count and box.highlighted is None:
                box.highlighted = 0  # Enter again chooses the first match
            box.focus()
            return
        if box.highlighted is None or not 0 <= box.highlighted < len(self.shown):
            self.notify(t("route.no_match"), severity="warning")
            return
        self.dismiss((self.shown[box.highlighted], ""))

    @on(OptionList.OptionSelected, "#people")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if not 0 <= event.option_index < len(self.shown):
            return
        if self.note_key is None:
            self.dismiss((self.shown[event.option_index], ""))
            return
        self.chosen = self.shown[event.option_index]
        self.query_one("#chosen", Static).update(
            Text.assemble(Text(t(self.to_key) + ": ", style="bold"), safe_text(self.chosen.name, multiline=False))
        )
        self.query_one("#note", Input).focus()

    @on(Input.Submitted, "#note")
    def _note_done(self) -> None:
        self.action_send()

    def action_send(self) -> None:
        if self.chosen is None:
            self.notify(t(self.choose_key), severity="warning")
            return
        self.dismiss((self.chosen, self.query_one("#note", Input).value.strip()))

    def action_cancel(self) -> None:
        self.dismiss(None)


async def staff_members(client: Any) -> list[Target]:
    """The staff in the directory (the forward targets that are people)."""
    return [x for x in await client.forward_targets() if x.kind == "person"]


async def forward_targets(client: Any) -> list[Target]:
    return list(await client.forward_targets())


async def physicians(client: Any) -> list[Target]:
    return list(await client.physicians())


class StaffPicker(TargetPicker):
    """A staff member, for the access log's filter by staff."""

    def __init__(self) -> None:
        super().__init__("log.by_staff", "log.staff_filter", staff_members)


class BatchTargetPicker(TargetPicker):
    """Where a batch of items is forwarded."""

    def __init__(self) -> None:
        super().__init__("batch.target.title", "batch.target.search", forward_targets)


class PhysicianPicker(TargetPicker):
    """A physician to pend a renewal to, with an optional internal note."""

    def __init__(self, exclude: str = "") -> None:
        super().__init__("pend.title", "pend.filter", physicians, exclude=exclude, kinds=False, note_key="pend.note")
