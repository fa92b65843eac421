"""The terminal app's core imports without Textual (the `tui-core-without-textual` contract,
checked here at run time as well: a lazy import inside a function escapes no one here)."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "helsami_tui.client",
    "helsami_tui.client.models",
    "helsami_tui.i18n",
    "helsami_tui.config",
    "helsami_tui.safetext",
    "helsami_tui.sources",
    "helsami_tui.rows",
    "helsami_tui.marks",
    "helsami_tui.client.batch",
    "helsami_tui.opening",
    "helsami_tui.startup",
]


def test_the_core_imports_and_works_without_textual() -> None:
    program = f"""
import sys
for name in {CORE!r}:
    __import__(name)
from helsami_tui.rows import Column, layout_columns, priority_marker
from helsami_tui.safetext import safe_text
assert safe_text("\\x1b[2J").plain == "\\u241b[2J"
assert layout_columns([Column("a", "A", width=3), Column("b", "B")], 10) == [3, 6]
assert priority_marker("stat") == "!!!"
loaded = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
print(",".join(loaded))
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    loaded = done.stdout.strip().split(",") if done.stdout.strip() else []
    assert loaded == [], f"the core loaded {len(loaded)} Textual modules: {', '.join(loaded[:5])} ..."


def test_the_widget_list_still_offers_the_row_types() -> None:
    from helsami_tui import rows
    from helsami_tui.widgets import virtual_list

    assert virtual_list.Row is rows.Row
    assert virtual_list.Column is rows.Column
    assert virtual_list.RowSource is rows.RowSource


def test_start_up_imports_only_what_it_needs() -> None:
    """The command's own module loads no HTTP client and no models (they come when the app needs
    them); the HTTP client does not bring its command-line tool (click, pygments); the client
    package's error types come without httpx; the key map imports no screens when no key moves."""
    program = """
import sys
import helsami_tui.cli
first = {m for m in ("httpx", "pydantic", "textual") if m in sys.modules}
import helsami_tui.client.errors, helsami_tui.refusals
errors = {m for m in ("httpx", "pydantic") if m in sys.modules}
import helsami_tui.client.api
cli_tool = {m for m in ("click", "pygments", "rich.progress", "rich.syntax") if m in sys.modules}
from helsami_tui.client import PortalClient, Offline
from helsami_tui.keys import apply_keymap
assert apply_keymap(None, {}) == []
screens = sorted(m for m in sys.modules if m.startswith("helsami_tui.screens."))
print(sorted(first), sorted(errors), sorted(cli_tool), screens)
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[] [] [] []", done.stdout
