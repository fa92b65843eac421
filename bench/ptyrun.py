"""Drive a full-screen terminal program in a real pseudo-terminal and record what it writes.

Used by bench/tui.py for the figures a user sees on a real terminal: the bytes written per key and
the time from a key to the last byte of the screen update it caused, for the terminal app (with
Textual's real Linux driver) and for neomutt (the anchor), measured the same way.

    with PtyProgram(cmd, env, cols=120, rows=40) as p:
        p.wait_for(rb"Msgs:", timeout=30)     # start -> first screen (p.first_seen)
        p.settle()
        burst = p.key(b"\\x1b[B")              # bytes and key -> last byte, in seconds

`key()` writes the key, then reads until the program has written nothing for `quiet` seconds;
the burst's end is the time of its last byte (so the quiet wait itself is not counted).
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Sequence

ANSI = re.compile(
    rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78cDEHMNOPZ]"
)


def plain(data: bytes) -> bytes:
    """`data` without escape sequences (to look for text the program drew)."""
    return ANSI.sub(b"", data)


@dataclasses.dataclass
class Burst:
    nbytes: int
    seconds: float  # key written -> last byte of the update
    chunks: int


class PtyProgram:
    def __init__(
        self, cmd: Sequence[str], env: dict[str, str], *, cols: int = 120, rows: int = 40, cwd: str | None = None
    ) -> None:
        self.cmd, self.env, self.cols, self.rows, self.cwd = list(cmd), env, cols, rows, cwd
        self.output = bytearray()
        self.started = 0.0

    def __enter__(self) -> PtyProgram:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", self.rows, self.cols, 0, 0))
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            self.cmd,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=self.env,
            cwd=self.cwd,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self.fd = master
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=10)
        finally:
            os.close(self.fd)

    def _read(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        if not ready:
            return b""
        try:
            data = os.read(self.fd, 1 << 16)
        except OSError:
            return b""
        self.output += data
        return data

    def wait_for(self, pattern: bytes, timeout: float) -> float:
        """Seconds from the start until the program's output (without escapes) matched `pattern`."""
        rx = re.compile(pattern)
        deadline = time.perf_counter() + timeout
        seen = bytearray()
        while time.perf_counter() < deadline:
            data = self._read(0.05)
            if data:
                seen += data
                if rx.search(plain(bytes(seen[-200_000:]))):
                    return time.perf_counter() - self.started
            elif self.proc.poll() is not None:
                break
        tail = plain(bytes(self.output[-2000:])).decode(errors="replace")
        raise RuntimeError(f"{self.cmd[0]}: {pattern!r} not seen within {timeout} s; last output: {tail!r}")

    def settle(self, quiet: float = 0.5, limit: float = 30.0) -> None:
        """Read until nothing came for `quiet` seconds."""
        deadline = time.perf_counter() + limit
        last = time.perf_counter()
        while time.perf_counter() < deadline and time.perf_counter() - last < quiet:
            if self._read(quiet / 5):
                last = time.perf_counter()

    def key(self, data: bytes, *, quiet: float = 0.12, limit: float = 5.0) -> Burst:
        os.write(self.fd, data)
        sent = time.perf_counter()
        nbytes = chunks = 0
        last = sent
        while True:
            now = time.perf_counter()
            if now - sent > limit or (chunks and now - last >= quiet) or (not chunks and now - sent > limit / 2):
                break
            got = self._read(quiet / 4)
            if got:
                nbytes += len(got)
                chunks += 1
                last = time.perf_counter()
        return Burst(nbytes, last - sent, chunks)
