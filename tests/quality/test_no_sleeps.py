"""No test waits by sleeping (CONTRIBUTING.md, "Tests"): a test waits for the condition it needs with
tests/waiting.py, so a loaded machine makes it slower, not red.

The test files are read with `ast` and every call of `time.sleep(...)` (also as `sleep(...)` after
`from time import sleep`), `asyncio.sleep(<a number>)` and `pilot.pause(<a number>)` is a finding,
outside tests/waiting.py, which holds the polling itself. `pilot.pause()` without a duration (one
turn of the event loop) and `asyncio.sleep(0)` (a yield) are not waits for a time.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]

# path (relative to tests/) -> why it may pause for a time. Keep it short.
ALLOWED: dict[str, str] = {
    "waiting.py": "the polling of every wait for a condition",
    "quality/proxy.py": "a deliberately slow network: the fault proxy delays what it forwards",
}


def _number(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp):
        node = node.operand
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool)


def findings(source: str, name: str = "<test>") -> list[str]:
    """The sleeping calls in one file's source, as 'line: call'."""
    tree = ast.parse(source, filename=name)
    sleep_names = {"time.sleep"}  # what the name of time.sleep is in this file
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "time":
            sleep_names |= {a.asname or a.name for a in node.names if a.name == "sleep"}
        elif isinstance(node, ast.Import):
            sleep_names |= {f"{a.asname}.sleep" for a in node.names if a.name == "time" and a.asname}
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = ast.unparse(node.func)
        duration = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "delay"), None)
        if called in sleep_names:
            found.append((node.lineno, f"{called}(...)"))
        elif called.endswith("asyncio.sleep") and duration is not None and _number(duration):
            if not (isinstance(duration, ast.Constant) and duration.value == 0):
                found.append((node.lineno, f"{called}({ast.unparse(duration)})"))
        elif called.endswith(".pause") and duration is not None and _number(duration):
            found.append((node.lineno, f"{called}({ast.unparse(duration)})"))
    return [f"{line}: {call}" for line, call in sorted(found)]


def test_no_test_waits_by_sleeping() -> None:
    bad = {}
    for path in sorted(TESTS.rglob("*.py")):
        rel = path.relative_to(TESTS).as_posix()
        if rel in ALLOWED:
            continue
        if hits := findings(path.read_text(encoding="utf-8"), rel):
            bad[rel] = hits
    assert not bad, f"tests that wait by sleeping (wait for a condition with tests/waiting.py): {bad}"


def test_the_allowed_files_exist_and_say_why() -> None:
    for rel, why in ALLOWED.items():
        assert (TESTS / rel).is_file(), f"{rel} is allowed to sleep but no longer exists"
        assert why.strip()


def test_the_check_finds_each_kind_of_sleep() -> None:
    source = """
import asyncio, time
from time import sleep as nap
import time as t

async def f(pilot):
    time.sleep(0.1)
    nap(1)
    t.sleep(2)
    await asyncio.sleep(0.05)
    await pilot.pause(0.2)
    await pilot.pause(delay=0.3)
    await pilot.pause()
    await asyncio.sleep(0)
    await asyncio.sleep(seconds)
"""
    assert findings(source) == [
        "7: time.sleep(...)",
        "8: nap(...)",
        "9: t.sleep(...)",
        "10: asyncio.sleep(0.05)",
        "11: pilot.pause(0.2)",
        "12: pilot.pause(0.3)",
    ]
