"""Waiting for a condition, never for a fixed time.

A loaded machine makes a test slower, not red: every wait polls its condition until a deadline
(HELSAMI_TEST_WAIT seconds, 60 by default) and fails naming what it waited for.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

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


async def async_wait_until(cond: Callable[[], Any], what: str = "", timeout: float | None = None) -> Any:
    """The same for code on an event loop without a pilot; returns the first true value."""
    return await _until(cond, lambda: asyncio.sleep(POLL), what, timeout)


def wait_until(cond: Callable[[], Any], what: str = "", timeout: float | None = None) -> Any:
    """Poll `cond()` from plain (non-async) code, even while an event loop runs in this thread's
    caller; returns its first true value."""
    deadline = time.monotonic() + (timeout if timeout is not None else WAIT)
    while not (got := cond()):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in time: {what or cond}")
        time.sleep(POLL)
    return got
