"""Waiting for a condition, never for a fixed time.

A loaded machine makes a test slower, not red: every wait polls its condition until a deadline
(HELSAMI_TEST_WAIT seconds, 60 by default) and fails naming what it waited for.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")

WAIT = float(os.environ.get("HELSAMI_TEST_WAIT", "60"))
POLL = 0.05


async def _until(cond: Callable[[], Any], pause: Callable[[], Awaitable[Any]], what: str, timeout: float | None) -> Any:
    deadline = time.monotonic() + (timeout if timeout is not None else WAIT)
    while not (got := cond()):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in time: {what or cond}")
        await pause()
    return got


async def wait_for(
    pilot: Any, cond: Callable[[], Any], tries: int | None = None, what: str = "", timeout: float | None = None
) -> None:
    """Let the app run until `cond()` is true. (`tries` is accepted from older callers; the wait
    is bounded by time, never by a count of polls.)"""
    await _until(cond, lambda: pilot.pause(POLL), what, timeout)


async def wait_for_answer(
    pilot: Any, ask: Callable[[], Awaitable[T]], ok: Callable[[T], Any], what: str = "", timeout: float | None = None
) -> T:
    """Ask (an async call, e.g. of the portal's client) again while the app runs, until `ok` holds
    for its answer; returns that answer."""
    deadline = time.monotonic() + (timeout if timeout is not None else WAIT)
    while not ok(answer := await ask()):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in time: {what or ok}; last answer: {answer!r}")
        await pilot.pause(POLL)
    return answer


async def async_wait_until(cond: Callable[[], Any], what: str = "", timeout: float | None = None) -> Any:
    """The same for code on an event loop without a pilot; returns the first true value."""
    return await _until(cond, lambda: asyncio.sleep(POLL), what, timeout)


def wait_until(
    cond: Callable[[], Any],
    what: str = "",
    timeout: float | None = None,
    detail: Callable[[], str] | None = None,
) -> Any:
    """Poll `cond()` from plain (non-async) code, even while an event loop runs in this thread's
    caller; returns its first true value. `detail()` adds what was seen last to the failure."""
    deadline = time.monotonic() + (timeout if timeout is not None else WAIT)
    while not (got := cond()):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in time: {what or cond}" + (f"\n{detail()}" if detail else ""))
        time.sleep(POLL)
    return got


async def settled(pilot: Any) -> None:
    """Let the app come to rest: every worker has finished (the portal's answers it waited for are
    handled), the scheduled animations have run and the screen has been refreshed after them. Wait
    for the screen's own loaded condition first; this covers the late answers after it."""
    app = pilot.app

    def idle() -> bool:
        return all(w.is_finished for w in app.workers)

    await wait_for(pilot, idle, what="the app's workers finished")
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
    await wait_for(pilot, idle, what="the app's workers finished after the last refresh")
