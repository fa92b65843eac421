"""`helsami-portal` run as an operator runs it: a real process, its stderr kept for the test to read."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from helsami_portal.embedded import free_port

from ..waiting import wait_until


def portal_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "helsami_portal.cli", *args]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HELSAMI_", "PROMETHEUS_"))}
    env.update({"PYTHONUNBUFFERED": "1", **extra})
    return env


def run_portal(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        portal_cmd(*args),
        env=env or clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


class Served:
    def __init__(self, proc: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
        self.proc, self.base_url, self.log_path = proc, base_url, log

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for_log(self, predicate: object, timeout: float | None = None) -> str:
        def shown() -> str | None:
            text = self.log()
            return text if predicate(text) else None  # type: ignore[operator]

        return str(wait_until(shown, "the log shows what was expected", timeout, detail=lambda: self.log()[-3000:]))


@contextmanager
def served(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, port: int | None = None, timeout: float = 120
) -> Iterator[Served]:
    port = port or free_port()
    log = tmp_path / f"serve-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            portal_cmd("serve", "--port", str(port), *args),
            env=env or clean_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    s = Served(proc, f"http://127.0.0.1:{port}", log)
    try:

        def up() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"the portal exited ({proc.returncode}):\n{s.log()[-3000:]}")
            try:
                return httpx.get(f"{s.base_url}/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(up, "the portal started", timeout, detail=lambda: s.log()[-3000:])
        yield s
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
