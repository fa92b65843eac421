"""The footer of keys (helsami_tui.widgets.footer): it shows what Textual's own footer shows, in the
same style, and is rebuilt only when what it shows changed; a rebuild styles each key once (its
compact look set before it is mounted, not changed after), and every screen of the app uses it."""

from __future__ import annotations

import ast
import collections
from pathlib import Path
from typing import Any, ClassVar

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer as TextualFooter, Static
from textual.widgets._footer import FooterKey

from helsami_tui.widgets.footer import Footer

SRC = Path(__file__).resolve().parents[2] / "src" / "helsami_tui"


class Marking(Screen[None]):
    """A list-like screen: the act-on-marked key is offered only while something is marked."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "open", "Open"),
        Binding("b", "batch", "Act on marked"),
        Binding("c", "claim", "Claim"),
        Binding("m", "mark", "Mark"),
    ]

    def __init__(self, footer: type[TextualFooter], **footer_args: Any) -> None:
        super().__init__()
        self.footer_type, self.footer_args = footer, footer_args
        self.marked = 0

    def compose(self) -> ComposeResult:
        yield Static("rows")
        yield self.footer_type(**self.footer_args)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.marked > 0 if action == "batch" else True

    def action_mark(self) -> None:
        self.marked += 1
        self.refresh_bindings()


class Host(App[None]):
    ENABLE_COMMAND_PALETTE = True
    COMMAND_PALETTE_BINDING = "f1"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("f1", "command_palette", "More (help)", show=False)]

    def __init__(self, footer: type[TextualFooter], **footer_args: Any) -> None:
        super().__init__()
        self.footer_type, self.footer_args = footer, footer_args

    def on_mount(self) -> None:
        self.push_screen(Marking(self.footer_type, **self.footer_args))


def bottom_line(app: App[None]) -> list[tuple[str, Any]]:
    """The footer's line on the terminal: its text and styles, segment by segment."""
    strips = app.screen._compositor.render_strips()  # noqa: SLF001 - what the terminal gets
    return [(seg.text, seg.style) for seg in strips[app.size.height - 1]]


def text(line: list[tuple[str, Any]]) -> str:
    return "".join(t for t, _ in line)


async def settle(pilot: Any) -> None:
    for _ in range(4):
        await pilot.pause()


async def footer_after_marking(footer: type[TextualFooter], **footer_args: Any) -> tuple[str, list[Any], list[Any]]:
    app = Host(footer, **footer_args)
    async with app.run_test(size=(100, 10)) as pilot:
        await settle(pilot)
        before = bottom_line(app)
        await pilot.press("m")
        await settle(pilot)
        return text(before), before, bottom_line(app)


@pytest.mark.parametrize("compact", [False, True])
async def test_it_shows_what_textuals_footer_shows(compact: bool) -> None:
    theirs = await footer_after_marking(TextualFooter, compact=compact)
    ours = await footer_after_marking(Footer, compact=compact)
    assert "Act on marked" not in theirs[0]
    assert "Act on marked" in text(theirs[2])  # marking offers the batch key
    assert ours == theirs  # the same keys in the same styles, before and after


async def test_not_rebuilt_when_nothing_changed_and_each_key_styled_once_when_it_did() -> None:
    app = Host(Footer)
    async with app.run_test(size=(100, 10)) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(Footer)
        composed = collections.Counter[str]()
        compose = footer.compose

        def counted_compose() -> ComposeResult:
            composed["compose"] += 1
            yield from compose()

        footer.compose = counted_compose  # type: ignore[method-assign]
        keys_before = list(footer.query(FooterKey))
        for _ in range(3):  # bindings refreshed, nothing different to show
            app.screen.refresh_bindings()
            await settle(pilot)
        assert composed["compose"] == 0
        assert list(footer.query(FooterKey)) == keys_before  # the same widgets, not rebuilt

        styled = collections.Counter[int]()
        apply = app.stylesheet.apply

        def counted_apply(node: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(node, FooterKey):
                styled[id(node)] += 1
            return apply(node, *args, **kwargs)

        app.stylesheet.apply = counted_apply  # type: ignore[method-assign]
        await pilot.press("m")  # the batch key appears
        await settle(pilot)
        assert composed["compose"] == 1
        keys = list(footer.query(FooterKey))
        assert "Act on marked" in [k.description for k in keys]
        assert [styled[id(k)] for k in keys] == [1] * len(keys)  # styled once each, at mount
        await pilot.press("m")  # more marked: the same keys shown, no rebuild
        await settle(pilot)
        assert composed["compose"] == 1


def test_every_screen_uses_the_footer_that_rebuilds_only_on_change() -> None:
    """No screen yields Textual's footer directly (it rebuilds every key at every bindings refresh)."""
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path == SRC / "widgets" / "footer.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module in ("textual.widgets", "textual.widgets._footer")
                and any(alias.name == "Footer" for alias in node.names)
            ):
                offenders.append(str(path.relative_to(SRC)))
    assert offenders == []
