"""VirtualList over a synthetic 100,000-row source: cursor, paging, live inserts, placeholders."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from helsami_tui.widgets.virtual_list import Column, Row, RowSource, VirtualList, layout_columns

ROWS = 100_000
SIZE = (80, 24)
VISIBLE_ROWS = SIZE[1] - 1  # one line is the header


class SyntheticSource:
    """In-test data: rows computed on demand; `loaded` decides which are 'loaded'."""

    def __init__(self, count: int = ROWS, *, loaded_below: int | None = None) -> None:
        self.keys: list[str] = [f"task-{i}" for i in range(count)]
        self.loaded_below = loaded_below  # rows >= this index are not loaded yet
        self.row_calls: list[int] = []
        self.want_calls: list[tuple[int, int]] = []

    def __len__(self) -> int:
        return len(self.keys)

    def row(self, index: int) -> Row | None:
        self.row_calls.append(index)
        if self.loaded_below is not None and index >= self.loaded_below:
            return None
        key = self.keys[index]
        return Row(
            cells=(Text(key), Text(f"subject of {key}"), Text("waiting")),
            key=key,
            marker=Text("!!") if index % 7 == 0 else None,
        )

    def want(self, start: int, stop: int) -> None:
        self.want_calls.append((start, stop))

    def insert(self, at: int, keys: list[str]) -> None:
        self.keys[at:at] = keys


COLUMNS = [
    Column("id", "ID", width=12),
    Column("subject", "Emne", ratio=2, min_width=10),
    Column("status", "Status", width=10, justify="right"),
]


class ListApp(App[None]):
    def __init__(self, source: SyntheticSource) -> None:
        super().__init__()
        self.source = source
        self.selected: list[tuple[int, str | None]] = []
        self.highlighted: list[tuple[int, str | None]] = []

    def compose(self) -> ComposeResult:
        yield VirtualList(self.source, COLUMNS, id="list")

    def on_virtual_list_selected(self, message: VirtualList.Selected) -> None:
        self.selected.append((message.index, message.key))

    def on_virtual_list_highlighted(self, message: VirtualList.Highlighted) -> None:
        self.highlighted.append((message.index, message.key))


def screen_lines(app: App[None]) -> list[str]:
    vl = app.query_one(VirtualList)
    return [vl.render_line(y).text for y in range(vl.scrollable_content_region.height)]


def test_source_protocol_and_layout() -> None:
    assert isinstance(SyntheticSource(10), RowSource)
    widths = layout_columns(COLUMNS, 80)
    assert widths[0] == 12 and widths[2] == 10
    assert sum(widths) + len(widths) - 1 == 80
    assert layout_columns([Column("a", "A"), Column("b", "B")], 11) == [5, 5]


async def test_cursor_moves_and_only_visible_rows_are_asked() -> None:
    source = SyntheticSource()
    app = ListApp(source)
    async with app.run_test(size=SIZE) as pilot:
        vl = app.query_one(VirtualList)
        await pilot.pause()
        assert vl.row_count == ROWS
        assert vl.virtual_size.height == ROWS + 1
        # first paint touched only the visible rows
        assert source.row_calls and max(source.row_calls) < VISIBLE_ROWS
        assert len(set(source.row_calls)) <= VISIBLE_ROWS
        assert source.want_calls[0] == (0, VISIBLE_ROWS)
        lines = screen_lines(app)
        assert "ID" in lines[0] and "Emne" in lines[0]
        assert lines[1].startswith("▶ ") and "task-0" in lines[1]
        assert "!!" in lines[1]  # marker for index 0
        assert vl.cursor_key == "task-0"

        await pilot.press("down", "down")
        assert vl.cursor_index == 2 and vl.cursor_key == "task-2"
        assert app.highlighted[-1] == (2, "task-2")

        source.row_calls.clear()
        await pilot.press("end")
        await pilot.pause()
        assert vl.cursor_index == ROWS - 1
        assert vl.cursor_key == f"task-{ROWS - 1}"
        assert vl.scroll_offset.y == ROWS - VISIBLE_ROWS
        # jumping to the end asked only for the rows now on screen (no scan)
        assert source.row_calls and min(source.row_calls) >= ROWS - VISIBLE_ROWS
        assert len(set(source.row_calls)) <= VISIBLE_ROWS
        assert screen_lines(app)[-1].startswith("▶ ")

        await pilot.press("pageup")
        assert vl.cursor_index == ROWS - 1 - VISIBLE_ROWS
        await pilot.press("home")
        await pilot.pause()
        assert vl.cursor_index == 0 and vl.scroll_offset.y == 0
        await pilot.press("up")  # clamped at the top
        assert vl.cursor_index == 0
        await pilot.press("pagedown")
        assert vl.cursor_index == VISIBLE_ROWS


async def test_enter_and_double_click_post_selected() -> None:
    source = SyntheticSource()
    app = ListApp(source)
    async with app.run_test(size=SIZE) as pilot:
        vl = app.query_one(VirtualList)
        vl.focus()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.selected == [(1, "task-1")]
        # single click on the 5th row line (header is line 0) moves the cursor
        await pilot.click(VirtualList, offset=(20, 5))
        await pilot.pause()
        assert vl.cursor_index == 4 and vl.cursor_key == "task-4"
        assert len(app.selected) == 1
        await pilot.double_click(VirtualList, offset=(20, 6))
        await pilot.pause()
        assert vl.cursor_index == 5
        assert app.selected[-1] == (5, "task-5")


async def test_header_click_posts_column_key() -> None:
    clicked: list[str] = []

    class HeaderApp(ListApp):
        def on_virtual_list_header_clicked(self, message: VirtualList.HeaderClicked) -> None:
            clicked.append(message.column_key)

    app = HeaderApp(SyntheticSource(50))
    async with app.run_test(size=SIZE) as pilot:
        vl = app.query_one(VirtualList)
        await pilot.click(VirtualList, offset=(8, 0))  # gutter 2 + marker 3 + space -> "id" column
        await pilot.click(VirtualList, offset=(30, 0))  # the "subject" column
        await pilot.pause()
        assert vl.cursor_index == 0
    assert clicked == ["id", "subject"]


async def test_rows_inserted_above_keeps_cursor_on_same_key() -> None:
    source = SyntheticSource()
    app = ListApp(source)
    async with app.run_test(size=SIZE) as pilot:
        vl = app.query_one(VirtualList)
        vl.move_cursor(500)
        await pilot.pause()
        assert vl.cursor_key == "task-500"
        top_before = vl.scroll_offset.y
        highlighted_before = len(app.highlighted)

        # 3 new rows arrive above the viewport
        source.insert(10, ["new-a", "new-b", "new-c"])
        vl.rows_inserted(10, 3)
        await pilot.pause()
        assert vl.row_count == ROWS + 3
        assert vl.cursor_index == 503 and vl.cursor_key == "task-500"
        assert vl.scroll_offset.y == top_before + 3  # the viewport stays on the same items
        assert len(app.highlighted) == highlighted_before  # the highlighted item did not change
        cursor_line = [line for line in screen_lines(app) if line.startswith("▶")]
        assert len(cursor_line) == 1 and "task-500" in cursor_line[0]

        # rows arriving below the cursor change nothing
        source.insert(600, ["new-d"])
        vl.rows_inserted(600, 1)
        assert vl.cursor_index == 503 and vl.cursor_key == "task-500"

        # a source that reports the wrong position: the cursor is found again by key
        source.insert(0, ["x1", "x2"])
        vl.rows_inserted(0, 1)  # says 1, really 2
        assert vl.cursor_key == "task-500" and vl.cursor_index == 505

        await pilot.press("down")
        assert vl.cursor_key == "task-501"


async def test_rows_inserted_at_top_when_scrolled_to_top_shows_them() -> None:
    source = SyntheticSource(100)
    app = ListApp(source)
    async with app.run_test(size=SIZE) as pilot:
        vl = app.query_one(VirtualList)
        vl.move_cursor(2)
        source.insert(0, ["fresh"])
        vl.rows_inserted(0, 1)
        await pilot.pause()
        assert vl.scroll_offset.y == 0
        assert vl.cursor_key == "task-2" and vl.cursor_index == 3
        assert "fresh" in screen_lines(app)[1]


async def test_rows_removed() -> None:
    source = SyntheticSource(100)
    app = ListApp(source)
    async with app.run_test(size=SIZE) as pilot:
        vl = app.query_one(VirtualList)
        vl.move_cursor(10)
        del source.keys[0:2]
        vl.rows_removed(0, 2)
        assert vl.cursor_key == "task-10" and vl.cursor_index == 8
        del source.keys[8]
        vl.rows_removed(8, 1)
        await pilot.pause()
        assert vl.cursor_index == 8 and vl.cursor_key == "task-11"


async def test_placeholders_for_unloaded_rows_then_refresh() -> None:
    source = SyntheticSource(loaded_below=5)
    app = ListApp(source)
    async with app.run_test(size=SIZE) as pilot:
        vl = app.query_one(VirtualList)
        await pilot.pause()
        lines = screen_lines(app)
        assert "task-4" in lines[5]
        assert lines[6].strip() == "…" and lines[-1].strip() == "…"
        # the placeholder is dim
        strip = vl.render_line(6)
        assert any(seg.style is not None and seg.style.dim for seg in strip if seg.text.strip())
        # the "source" loads the rest and tells the list
        source.loaded_below = None
        vl.refresh_rows()
        await pilot.pause()
        assert "task-5" in screen_lines(app)[6]


async def test_empty_source_and_hostile_cells_are_neutralised() -> None:
    class Hostile(SyntheticSource):
        def row(self, index: int) -> Row | None:
            return Row(cells=(Text("\x1b[2J"), Text("[link=http://x]y\nnext"), Text("\u202eok")), key="h")

    app = ListApp(Hostile(3))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        line = screen_lines(app)[1]
        assert "\x1b" not in line and "\n" not in line and "\u202e" not in line
        assert "␛[2J" in line and "[link=http://x]y" in line

    class Empty(SyntheticSource):
        pass

    app2 = ListApp(Empty(0))
    async with app2.run_test(size=SIZE) as pilot:
        vl = app2.query_one(VirtualList)
        await pilot.press("down", "end", "enter")
        assert vl.cursor_key is None and app2.selected == []
