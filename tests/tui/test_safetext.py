"""safe_text: the one function that makes untrusted text safe to show (docs/architecture.md, "Safe text")."""

from __future__ import annotations

import re
import unicodedata

import pytest
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.content import Content
from textual.widgets import Label, Static

from helsami_tui.safetext import (
    MAX_CHARS,
    MAX_COMBINING,
    is_safe,
    safe_cell,
    safe_str,
    safe_text,
)
from helsami_tui.theme import (
    DEFAULT_THEME,
    HIGH_CONTRAST_THEME,
    choose_theme,
    no_color_requested,
    priority_marker,
    register_themes,
)
from helsami_tui.widgets.safe import safe_content
from tests.conftest import blns_strings

HOSTILE_MARKUP = [
    "[link=http://x]y",
    "[/]",
    "[@click=app.quit]x[/]",
    "[bold",
    "[bold]unclosed",
    "closing only[/bold]",
    "[red][/blue]",
    "[link=javascript:alert(1)]click me[/link]",
    "\\[escaped?]",
    "[$accent]var[/]",
    "[on red",
]
ESCAPES = [
    "\x1b[2J",  # clear screen
    "\x1b]0;title\x07",  # retitle window
    "\x1b]52;c;SGVsbG8=\x07",  # OSC 52: set the clipboard
    "\x1b[10;10H",  # move the cursor
    "\x9b2J",  # 8-bit CSI
    "\x9d0;title\x9c",  # 8-bit OSC ... ST
    "a\rb",  # carriage return overwrites
    "bell\x07\x08\x7f",
    "\x1bP+q\x1b\\",  # DCS
    "\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\",  # OSC 8 hyperlink
]
BIDI = [
    "\u202egnp.exe",
    "abc\u202adef\u202bghi\u202c\u202d",
    "\u2066x\u2067y\u2068z\u2069",
    "\u200eleft\u200fright\u061c",
]
HOSTILE = HOSTILE_MARKUP + ESCAPES + BIDI

BIDI_CONTROLS = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}


def _is_pictograph(ch: str) -> bool:
    cp = ord(ch)
    return 0x1F000 <= cp <= 0x1FAFF or 0x2300 <= cp <= 0x27BF or 0x2B00 <= cp <= 0x2BFF or cp in (0xFE0F, 0x20E3)


def assert_neutral(out: str, *, multiline: bool = True) -> None:
    """No character in `out` can control the terminal, hide, or reorder text."""
    for i, ch in enumerate(out):
        cp = ord(ch)
        cat = unicodedata.category(ch)
        where = f"U+{cp:04X} at {i} in {out[:80]!r}"
        if ch == "\n":
            assert multiline, f"newline in single-line output: {where}"
            continue
        assert cp >= 0x20, f"C0 control {where}"
        assert not 0x7F <= cp <= 0x9F, f"DEL/C1 control {where}"
        assert cat != "Cs", f"lone surrogate {where}"
        assert cp not in BIDI_CONTROLS, f"bidi control {where}"
        assert cp not in (0x2028, 0x2029), f"line separator {where}"
        if cat == "Cf":
            # the only format character kept: ZWJ inside an emoji sequence
            assert cp == 0x200D, f"format character {where}"
            assert 0 < i < len(out) - 1 and _is_pictograph(out[i - 1]) and _is_pictograph(out[i + 1]), where
    out.encode("utf-8")  # always encodable


def visible_part(s: str) -> str:
    """The characters of `s` that must survive literally (all but those neutralised)."""
    return "".join(
        ch
        for ch in s.replace("\t", " ")
        if not (
            ord(ch) < 0x20
            or 0x7F <= ord(ch) <= 0x9F
            or unicodedata.category(ch) in ("Cf", "Cs", "Zl", "Zp")
            or ord(ch) in (0x3164, 0xFFA0)
        )
    )


def is_subsequence(needle: str, haystack: str) -> bool:
    it = iter(haystack)
    return all(ch in it for ch in needle)


# ---------------------------------------------------------------------- pure function


@pytest.mark.parametrize("multiline", [True, False])
def test_blns_every_string_is_neutralised_and_preserved(multiline: bool) -> None:
    for s in blns_strings():
        text = safe_text(s, multiline=multiline)
        assert isinstance(text, Text)
        out = text.plain
        assert out == safe_str(s, multiline=multiline)
        assert_neutral(out, multiline=multiline)
        if is_safe(s):
            assert out == s.replace("\t", "    ") or not multiline
        if not re.search(f"[\u0300-\u036f]{{{MAX_COMBINING + 1}}}", s):
            assert is_subsequence(visible_part(s), out), repr(s)
        assert safe_str(out, multiline=multiline) == out or "\ufeff" in s, "idempotent on its own output"


@pytest.mark.parametrize("s", HOSTILE)
def test_hostile_strings(s: str) -> None:
    for multiline in (True, False):
        out = safe_str(s, multiline=multiline)
        assert_neutral(out, multiline=multiline)
        assert is_subsequence(visible_part(s), out)


@pytest.mark.parametrize("s", HOSTILE_MARKUP)
def test_markup_is_kept_literally(s: str) -> None:
    text = safe_text(s)
    assert text.plain == s
    assert not text.spans
    assert Content.from_rich_text(text).plain == s
    assert safe_content(s).plain == s


def test_escape_sequences_become_visible() -> None:
    assert safe_str("\x1b[2J") == "␛[2J"
    assert safe_str("\x1b]0;title\x07") == "␛]0;title␇"
    assert safe_str("\x1b]52;c;SGVsbG8=\x07") == "␛]52;c;SGVsbG8=␇"
    assert safe_str("\x9b2J") == "⟨U+009B⟩2J"
    assert safe_str("\x00\x7f") == "␀␡"
    assert safe_str("a\rb") == "a␍b"
    assert safe_str("a\r\nb") == "a\nb"
    assert safe_str("a\tb") == "a    b"
    assert safe_str("l1\nl2\u2028l3", multiline=False) == "l1⏎ l2⏎ l3"
    assert safe_str("l1\nl2") == "l1\nl2"


def test_bidi_and_invisible_characters() -> None:
    assert safe_str("\u202egnp.exe") == "⟨U+202E⟩gnp.exe"
    assert safe_str("pay\u200bpal") == "pay⟨U+200B⟩pal"
    assert safe_str("\ufeffstart\ufeff") == "start⟨U+FEFF⟩"  # leading BOM stripped
    assert safe_str("hy\u00adphen") == "hyphen"  # soft hyphen stripped
    assert safe_str("a\u200db") == "a⟨U+200D⟩b"
    assert safe_str("\U0001f469\u200d\u2695\ufe0f") == "\U0001f469\u200d\u2695\ufe0f"  # emoji ZWJ kept
    assert safe_str("x\U000e0041") == "x⟨U+E0041⟩"  # tag characters (ASCII smuggling)
    assert safe_str("e\ufe0f") == "e\ufe0f"  # variation selectors kept
    text = safe_text("\u202eabc")
    assert text.spans and text.spans[0].style == Style(dim=True)  # placeholders stand apart


def test_non_str_input() -> None:
    assert safe_str(None) == ""
    assert safe_str(b"ok\xff\x1b") == "ok\ufffd␛"
    assert safe_str(bytearray(b"x")) == "x"
    assert safe_str(42) == "42"
    assert safe_str("\ud800lone") == "\ufffdlone"
    assert safe_str(Text("[b]x[/b]\x1b", style="link http://x")) == "[b]x[/b]␛"
    assert safe_text(Text("x", style="link http://x")).style == ""

    class Bad:
        def __str__(self) -> str:
            raise RuntimeError("boom")

    assert safe_str(Bad()) == "<Bad>"


def test_length_cap_and_combining_flood() -> None:
    long = "a" * (MAX_CHARS * 2)
    out = safe_str(long)
    assert len(out) == MAX_CHARS and out.endswith("…")
    expanding = "\U000e0041" * MAX_CHARS  # each becomes 9 characters
    out = safe_str(expanding)
    assert len(out) <= MAX_CHARS and out.endswith("…")
    assert len(safe_text(expanding).plain) == len(out)
    zalgo = "Z" + "\u0301" * 50 + "a"
    assert safe_str(zalgo) == "Z" + "\u0301" * MAX_COMBINING + "a"
    assert safe_str("e\u0301") == "e\u0301"


def test_style_is_applied_but_links_and_actions_refused() -> None:
    assert safe_text("x", style="bold").style == Style(bold=True)
    assert safe_text("x", style=Style(italic=True)).style == Style(italic=True)
    with pytest.raises(ValueError):
        safe_text("x", style="link http://evil")
    with pytest.raises(ValueError):
        safe_text("x", style=Style(link="http://evil"))
    with pytest.raises(ValueError):
        safe_text("x", style=Style.from_meta({"@click": "app.quit"}))


def test_safe_cell() -> None:
    cell = safe_cell("hello\nworld", 8)
    assert cell.plain == "hello⏎ …" and cell.cell_len == 8
    assert safe_cell("hi", 5, justify="right").plain == "   hi"
    assert safe_cell("x", 0).plain == ""
    assert safe_cell("[link=http://x]y", 20).plain.rstrip() == "[link=http://x]y"


# ---------------------------------------------------------------------- in a Textual app

DANGEROUS_OUTPUT = ["\x1b[2J", "\x1b]52", "\x1b]0;", "\x1b]8;", "\x9b", "\x9d", "\x07", "\x1bP", "\u202e"]


class ShowApp(App[None]):
    def __init__(self, values: list[str]) -> None:
        super().__init__()
        self.values = values

    def compose(self) -> ComposeResult:
        for i, value in enumerate(self.values):
            widget_type = Static if i % 2 else Label
            yield widget_type(safe_text(value, multiline=False), id=f"w{i}")


async def test_textual_shows_hostile_text_literally_and_never_emits_it() -> None:
    app = ShowApp(HOSTILE)
    async with app.run_test(size=(120, len(HOSTILE) + 2)) as pilot:
        await pilot.pause()
        assert app.is_running
        lines = [strip.text for strip in app.screen._compositor.render_strips()]
        screen = "\n".join(lines)
        for value in HOSTILE:
            expected = safe_str(value, multiline=False)
            assert any(expected in line for line in lines), expected
        assert "[link=http://x]y" in screen
        assert "[@click=app.quit]x[/]" in screen
        assert "␛[2J" in screen and "⟨U+202E⟩gnp.exe" in screen
        for line in lines:
            assert_neutral(line, multiline=False)
        # the exact bytes Textual would write to the terminal
        written = app.screen._compositor.render_full_update().render_segments(app.console)
        for danger in DANGEROUS_OUTPUT:
            assert danger not in written, repr(danger)
        # a widget's visual is plain Content built from our Text (no markup parsed, no links)
        label = app.query_one("#w0", Label)
        assert isinstance(label.visual, Content)
        assert label.visual.plain == "[link=http://x]y"
        assert not any(
            span.style.link or span.style.meta for span in label.visual.spans if not isinstance(span.style, str)
        )
        # clicking the text triggers nothing
        await pilot.click("#w2")
        await pilot.pause()
        assert app.is_running


async def test_measured_dangers_still_hold_without_safe_text() -> None:
    """Guards the reason safe_text exists (docs/architecture.md): if Textual changes, revisit safetext."""

    class Raw(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("A\x1b[2JB\x1b]52;c;SGVsbG8=\x07C", markup=False)

    app = Raw()
    async with app.run_test() as pilot:
        await pilot.pause()
        written = app.screen._compositor.render_full_update().render_segments(app.console)
        assert "\x1b[2J" in written and "\x1b]52;c;SGVsbG8=" in written


def test_markup_parsing_of_raw_str_is_the_danger() -> None:
    from textual.markup import MarkupError

    with pytest.raises(MarkupError):
        Content.from_markup("[link=http://x]y")
    assert Content.from_rich_text(safe_text("[link=http://x]y")).plain == "[link=http://x]y"


# ---------------------------------------------------------------------- themes (meaning never colour-only)


def test_choose_theme() -> None:
    assert choose_theme(None) == DEFAULT_THEME
    assert choose_theme("") == DEFAULT_THEME
    assert choose_theme("helsami-high-contrast") == HIGH_CONTRAST_THEME
    assert choose_theme("HC") == HIGH_CONTRAST_THEME
    assert choose_theme("høykontrast") == HIGH_CONTRAST_THEME
    assert choose_theme("nord") == "nord"
    assert choose_theme("no-such-theme") == DEFAULT_THEME


def test_priority_markers_are_text() -> None:
    assert priority_marker("routine") == ""
    assert priority_marker("urgent") == "!"
    assert priority_marker("asap") == "!!"
    assert priority_marker("STAT") == "!!!"
    assert priority_marker(None) == ""
    assert no_color_requested({"NO_COLOR": ""}) is True
    assert no_color_requested({}) is False


class ThemedApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Label(Text("!! HASTER"))

    def on_mount(self) -> None:
        register_themes(self)


@pytest.mark.parametrize("name", [DEFAULT_THEME, HIGH_CONTRAST_THEME])
async def test_themes_apply(name: str) -> None:
    app = ThemedApp()
    async with app.run_test() as pilot:
        app.theme = choose_theme(name)
        await pilot.pause()
        assert app.theme == name
        assert app.current_theme.name == name


async def test_app_works_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = ThemedApp()
    async with app.run_test() as pilot:
        app.theme = HIGH_CONTRAST_THEME
        await pilot.pause()
        assert app.no_color
        lines = [strip.text for strip in app.screen._compositor.render_strips()]
        assert any("!! HASTER" in line for line in lines)
