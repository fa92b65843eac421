"""Crash reports without patient data.

Textual's own crash output is a Rich traceback with local variables, and an exception's message
may quote what was on screen (a name, a national id, message text). The report written here holds
exception types and code places only: no messages, no locals, no screen content.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import traceback
from pathlib import Path

import platformdirs

APP_NAME = "helsami-tui"


def safe_report(error: BaseException) -> str:
    """Types and places of an exception and its causes: never messages or values."""
    chain: list[BaseException] = []
    seen: set[int] = set()
    e: BaseException | None = error
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        chain.append(e)
        e = e.__cause__ or e.__context__
    lines = []
    for exc in reversed(chain):
        for frame in traceback.extract_tb(exc.__traceback__):
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
        lines.append(f"{type(exc).__module__}.{type(exc).__qualname__}")
    return "\n".join(lines)


def crash_dir() -> Path:
    return Path(platformdirs.user_state_dir(APP_NAME, appauthor=False)) / "crashes"


def write_report(error: BaseException) -> Path | None:
    """Write the report to the user's state directory (readable by the user only); its path, or
    None if it could not be written."""

    now = dt.datetime.now(dt.UTC)
    body = (
        f"HelsaMi Innboks crash report {now.isoformat(timespec='seconds')}\n"
        f"python {platform.python_version()} on {platform.system()}\n"
        "(exception types and code places only; messages, values and screen content are never kept)\n\n"
        + safe_report(error)
        + "\n"
    )
    try:
        d = crash_dir()
        d.mkdir(parents=True, exist_ok=True)
        path = d / f"crash-{now.strftime('%Y%m%dT%H%M%SZ')}-{os.getpid()}.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(body)
        return path
    except OSError:
        return None
