"""Start → first row, paired: the terminal app of two trees started alternately against one portal.

    python bench/start.py [--pool 10000] [--pool 100000] [--rounds 5] [--before BASE/src] [--mode both]

For each pool size (the pools of bench/tui.py, seeded once under bench/data/) one portal runs in a
process of its own (this tree's portal code, SQLite). Then, `--rounds` times, each tree's app is
started as a new Python process (the tree's `src` first on PYTHONPATH; "before" is `--before`,
"after" is this tree), the two in alternating order, each with a session of its own (a fresh demo
sign-in of "lege", not timed), opening in the fullest pool:

* pty: the command as a user starts it (the console script `helsami-tui --portal URL`, the
  session in the keyring: here a keyring backend holding the bench's tokens) with Textual's real
  Linux driver on a pseudo-terminal (bench/ptyrun.py): wall time from spawning the process until
  the status line says "1 of N" (the first page in and painted), and the app process's CPU time
  (user + system) then;
* headless: `App.run_test(size=(120, 40))` in a new process: wall time from spawning it until the
  list's first row is loaded and the next frame processed, with the process's CPU time then and
  the time of its imports (the start-up requests sent before the app's modules load, as the
  command sends them, in a tree that has `helsami_tui.startup`).

Beside each start: the portal process's CPU time for the start (from before the spawn until the
first row; it answers `$whoami`, `$pools`, the first page and `$events`). Medians per tree and
mode, with the load average at the start of each pool's run. Timing belongs here, never in tests.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SIZE = (120, 40)
TICK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (and of its finished children, none here)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


# -- the started app (a child process) ---------------------------------------------------------------


# The user's keyring, as the started command finds it (PYTHON_KEYRING_BACKEND): one that holds the
# bench's session (a file) for every portal.
KEYRING_MODULE = """
import os
from pathlib import Path

from keyring.backend import KeyringBackend


class TokensFile(KeyringBackend):
    priority = 1

    def get_password(self, service, username):
        return Path(os.environ["BENCH_TOKENS_FILE"]).read_text()

    def set_password(self, service, username, password):
        Path(os.environ["BENCH_TOKENS_FILE"]).write_text(password)

    def delete_password(self, service, username):
        pass
"""


def app_command() -> list[str]:
    """The installed command `helsami-tui` (its console script beside this Python), else the same
    through the module."""
    script = Path(sys.executable).parent / "helsami-tui"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from helsami_tui.cli import main; sys.exit(main())"]


def headless_main(url: str, tokens_file: str, spawned: float) -> int:
    """run_test until the first row is loaded and painted; prints the figures as JSON."""
    t_import = time.perf_counter()
    from helsami_tui.client.api import PortalClient
    from helsami_tui.client.auth import Tokens, TokenSession
    from helsami_tui.config import Settings

    tokens = Tokens(**json.loads(Path(tokens_file).read_text()))
    try:  # the start-up requests sent before the app's modules load, as cli.run_portal sends them
        from helsami_tui.startup import send_early
    except ImportError:  # a tree without it: the app sends them when it loads
        early: dict[str, Any] = {}
    else:
        early = {"early": send_early(url, tokens, SIZE[1])}
    from helsami_tui.app import HelsamiApp

    import_s = time.perf_counter() - t_import

    async def go() -> dict[str, Any]:
        app = HelsamiApp(
            PortalClient(url, TokenSession(url, tokens)),
            Settings(portal=url, idle_lock_minutes=0, language="en"),
            demo_user="lege",
            **early,
        )
        async with app.run_test(size=SIZE) as pilot:
            from helsami_tui.screens.inbox import InboxScreen
            from helsami_tui.widgets.virtual_list import VirtualList

            deadline = time.monotonic() + 60
            while True:
                screen = app.screen
                if (
                    isinstance(screen, InboxScreen)
                    and screen.source is not None
                    and screen.source.item(0) is not None
                    and screen.query_one(VirtualList).row_count > 0
                ):
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError("no rows within 60 s")
                await asyncio.sleep(0.001)
            first_row = time.time() - spawned
            await pilot.pause()
            return {
                "first_row_s": first_row,
                "painted_s": time.time() - spawned,
                "cpu_s": time.process_time(),
                "import_s": import_s,
                "pool_total": len(screen.source),
            }

    print(json.dumps(asyncio.run(go())))
    return 0


# -- the portal (a process of its own) ------------------------------------------------------------------


def _portal_main(url: str, conn: Any) -> None:
    from helsami_portal.embedded import EmbeddedPortal

    portal = EmbeddedPortal(url, demo=True, seed=False, run_jobs=False).start()
    conn.send((portal.base_url, os.getpid()))
    conn.recv()
    portal.stop()


def env_for(src: Path, home: Path) -> dict[str, str]:
    sys.path.insert(0, str(HERE))
    from tui import pty_env

    env = pty_env(home)
    env["PYTHONPATH"] = str(src)
    return env


def one_start(mode: str, src: Path, base_url: str, portal_pid: int) -> dict[str, Any]:
    from ptyrun import PtyProgram

    from helsami_tui.client.auth import demo_login

    tokens = asyncio.run(demo_login(base_url, "lege"))
    with tempfile.TemporaryDirectory() as home:
        tok = Path(home) / "tokens.json"
        tok.write_text(json.dumps(dataclasses.asdict(tokens)))
        env = env_for(src, Path(home))
        portal_cpu = proc_cpu(portal_pid)
        if mode == "pty":  # the command as a user starts it, the session in the keyring
            (Path(home) / "bench_keyring.py").write_text(KEYRING_MODULE)
            env["PYTHONPATH"] = f"{src}{os.pathsep}{home}"
            env["PYTHON_KEYRING_BACKEND"] = "bench_keyring.TokensFile"
            env["BENCH_TOKENS_FILE"] = str(tok)
            cmd = [*app_command(), "--portal", base_url]
            with PtyProgram(cmd, env, cols=SIZE[0], rows=SIZE[1], cwd=str(HERE.parent)) as p:
                wall = p.wait_for(rb"\b1 of [0-9]", timeout=120)
                cpu = proc_cpu(p.proc.pid)
                portal = proc_cpu(portal_pid) - portal_cpu
                p.settle(0.3)
            return {"wall_s": wall, "cpu_s": cpu, "portal_cpu_s": portal}
        spawned = time.time()
        cmd = [sys.executable, str(Path(__file__).resolve()), "--headless", base_url, str(tok), repr(spawned)]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, cwd=str(HERE.parent))
        portal = proc_cpu(portal_pid) - portal_cpu
        if out.returncode != 0:
            raise RuntimeError(out.stderr[-3000:])
        r = json.loads(out.stdout.strip().splitlines()[-1])
        return {
            "wall_s": r["painted_s"],
            "first_row_s": r["first_row_s"],
            "cpu_s": r["cpu_s"],
            "import_s": r["import_s"],
            "portal_cpu_s": portal,
        }


def run_pool(pool: int, trees: dict[str, Path], rounds: int, modes: list[str]) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from tui import db_url, ensure_pool

    url = db_url(pool)
    ensure_pool(url, pool)
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_portal_main, args=(url, child), daemon=True)
    proc.start()
    load = os.getloadavg()
    results: dict[str, dict[str, list[dict[str, Any]]]] = {m: {name: [] for name in trees} for m in modes}
    try:
        base_url, portal_pid = parent.recv()
        for src in trees.values():  # one start each to warm the portal and the page cache
            for mode in modes:
                one_start(mode, src, base_url, portal_pid)
        names = list(trees)
        for i in range(rounds):
            order = names if i % 2 == 0 else names[::-1]
            for mode in modes:
                for name in order:
                    r = one_start(mode, trees[name], base_url, portal_pid)
                    results[mode][name].append(r)
                    print(
                        f"  {pool:>7,} {mode:<8} {name:<6} wall {r['wall_s']:.3f} s  cpu {r['cpu_s']:.3f} s  "
                        f"portal cpu {r['portal_cpu_s']:.3f} s",
                        file=sys.stderr,
                        flush=True,
                    )
    finally:
        parent.send("stop")
        proc.join(timeout=15)
        if proc.is_alive():
            proc.kill()
    return {"pool": pool, "load_avg": load, "load_avg_end": os.getloadavg(), "results": results}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pool", type=int, action="append", help="pool sizes (repeatable); default 10000 and 100000")
    ap.add_argument("--rounds", type=int, default=5, help="starts per tree and mode (default 5)")
    ap.add_argument("--before", type=Path, help="the src folder of the tree to compare with (e.g. a worktree of main)")
    ap.add_argument("--mode", choices=["pty", "headless", "both"], default="both")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--headless", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.headless:
        return headless_main(args.headless[0], args.headless[1], float(args.headless[2]))
    import compileall

    trees = {"after": HERE.parent / "src"}
    if args.before:
        trees = {"before": args.before.resolve(), **trees}
    for src in trees.values():  # compiled once, as an installed app has them
        compileall.compile_dir(str(src), quiet=1, force=False)
    modes = ["pty", "headless"] if args.mode == "both" else [args.mode]
    out = [run_pool(n, trees, args.rounds, modes) for n in (args.pool or [10_000, 100_000])]
    print(f"start → first row, medians of {args.rounds} starts per tree and mode (wall / CPU of the app / portal CPU)")
    for r in out:
        la = r["load_avg"]
        print(
            f"pool of {r['pool']:,} (load average {la[0]:.1f} {la[1]:.1f} {la[2]:.1f} at start, {r['load_avg_end'][0]:.1f} at end)"
        )
        for mode, by_tree in r["results"].items():
            for name, rows in by_tree.items():
                med = {k: statistics.median(x[k] for x in rows) for k in rows[0]}
                lo, hi = min(x["wall_s"] for x in rows), max(x["wall_s"] for x in rows)
                extra = f"  imports {med['import_s']:.3f} s" if "import_s" in med else ""
                print(
                    f"  {mode:<8} {name:<6} wall {med['wall_s']:.3f} s ({lo:.3f}-{hi:.3f})  "
                    f"app CPU {med['cpu_s']:.3f} s  portal CPU {med['portal_cpu_s']:.3f} s{extra}"
                )
            if set(by_tree) == {"before", "after"}:  # the starts of one round, side by side
                pairs = list(zip(by_tree["before"], by_tree["after"], strict=True))
                wall = [a["wall_s"] / b["wall_s"] for b, a in pairs]
                cpu = [a["cpu_s"] / b["cpu_s"] for b, a in pairs]
                print(
                    f"  {mode:<8} paired after/before: wall {statistics.median(wall):.3f} "
                    f"({sum(x < 1 for x in wall)} of {len(wall)} faster), app CPU {statistics.median(cpu):.3f}"
                )
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
