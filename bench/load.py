"""Load benchmark: 50 staff triage one pool of 10,000 items through the API at once, with
several portal processes on PostgreSQL, while the simulator sends new patient messages.

    python bench/load.py [--staff 50] [--items 10000] [--workers 2] [--db postgres|sqlite]
                         [--claim list|next|both] [--seconds 60] [--think-ms 0]

`--claim list`: each lists the pool and claims one of its first 20 rows with `$claim` (and may lose
it to a colleague: a wasted claim); `--claim next`: each takes the next item with `$claim-next`
(the server picks it); `both` runs one after the other, each on a fresh database. Prints
throughput, latency percentiles per operation, the share of wasted claims, and the correctness
counts (which must all be zero: double claims, lost or duplicated replies, items in no final state).

`--think-ms`: each staff member's mean reading and typing time before each of their requests (three
per item: before the claim, the reply and the complete), uniform between half and one and a half
times it, drawn from a seed per staff member (loadtest.staff.Thinking). Without it the bench is a
closed loop in which everyone always waits on a request: 50 staff then make the mean latency
50 / (3 × items/s) by Little's law, whatever the server does. With it, the staff bound the
throughput at 50 / (3 × think + 3 × latency) items/s: 40 items/s needs under 1.25 s per item.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

PG_ADMIN = os.environ.get("HELSAMI_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    """CPU (user + system) of a process and its live descendants (uvicorn's workers), so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    total = sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            total += sum(_cpu_seconds(int(c)) for c in children.read_text().split())
        except OSError:
            pass
    return total


def measure(
    *,
    staff: int = 50,
    items: int = 10_000,
    workers: int = 2,
    db: str = "postgres",
    patient_rate: float = 5.0,
    claim: str = "list",
    seconds: float = 3600.0,
    think_ms: float = 0.0,
    server_src: str | None = None,
) -> dict[str, Any]:
    from helsami_portal import loadtest, simulate
    from helsami_portal.seed import seed
    from helsami_portal.store.db import make_engine
    from helsami_portal.store.store import Store

    name = None
    if db == "postgres":
        import psycopg

        name = f"helsami_bench_load_{os.getpid()}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/load.sqlite3"
        workers = 1
    store = Store(make_engine(url))
    seed(store)
    loadtest.prepare(store, staff=staff, items=items)
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "helsami_portal.cli",
            "serve",
            "--db",
            url,
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": server_src} if server_src else None,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/fhir/metadata", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        stats: dict[str, int] = {}
        stop = threading.Event()
        writer = threading.Thread(
            target=simulate.run,
            args=(base,),
            kwargs=dict(rate=patient_rate, duration=0, patients=3, password="demo", stats=stats, stop=stop, quiet=True),
            daemon=True,
        )
        writer.start()
        cpu0, client0 = _cpu_seconds(proc.pid), time.process_time()
        try:
            result = loadtest.run(base, staff=staff, max_seconds=seconds, claim_next=claim == "next", think_ms=think_ms)
        finally:
            stop.set()
            writer.join(30)
        server_cpu = _cpu_seconds(proc.pid) - cpu0  # the staff's and the simulator's requests
        client_cpu = time.process_time() - client0  # this process: the staff and the simulator
        counts = loadtest.verify(store, result)
        tried = result.outcomes.get("claims tried", 0)
        wasted = result.outcomes.get("claims wasted", 0)
        return {
            "db": db,
            "portal_processes": workers,
            "staff": staff,
            "items": items,
            "claim": claim,
            "think_ms": think_ms,
            **result.summary(),
            "wasted_claims_pct": round(100 * wasted / tried, 1) if tried else 0.0,
            "server_cpu_s": round(server_cpu, 2),
            "client_cpu_s": round(client_cpu, 2),
            "server_cpu_ms_per_item": round(1e3 * server_cpu / result.completed, 1) if result.completed else None,
            "patient_traffic": dict(stats),
            "verify": counts,
        }
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        store.engine.dispose()
        if name:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def print_result(r: dict[str, Any]) -> None:
    how = "$claim-next" if r.get("claim") == "next" else "list + $claim"
    print(
        f"load ({how}, think {r.get('think_ms', 0):g} ms per request): {r['staff']} staff, {r['items']:,} items, "
        f"{r['portal_processes']} portal process(es) on "
        f"{r['db']}: {r['completed']:,} completed in {r['seconds']:.1f} s = {r['items_per_second']} items/s; "
        f"wasted claims {r['wasted_claims_pct']} %; portal CPU {r['server_cpu_s']} s, "
        f"{r['server_cpu_ms_per_item']} ms per item (with the simulator's requests); "
        f"the staff's and simulator's own CPU {r['client_cpu_s']} s"
    )
    for op, lat in r["latency_ms"].items():
        print(
            f"  {op:>9}: n={lat['n']:>6}  p50 {lat['p50']:>7.1f} ms  p95 {lat['p95']:>7.1f} ms  p99 {lat['p99']:>7.1f} ms"
        )
    v = r["verify"]
    print(
        "  must be zero: "
        + ", ".join(
            f"{k} {v[k]}"
            for k in (
                "double claims",
                "duplicated replies",
                "lost replies",
                "items in an unknown state",
                "completed without exactly one reply",
            )
        )
    )
    print(f"  outcomes: {r['outcomes']}; patient traffic meanwhile: {r['patient_traffic']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--staff", type=int, default=50)
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=2, help="portal processes (PostgreSQL)")
    ap.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    ap.add_argument("--claim", choices=["list", "next", "both"], default="both")
    ap.add_argument("--seconds", type=float, default=60.0, help="stop each run after this long")
    ap.add_argument(
        "--think-ms", type=float, default=0.0, help="mean reading/typing time before each request (0: none)"
    )
    ap.add_argument(
        "--server-src",
        help="the portal server's code from this src directory (PYTHONPATH), e.g. a tree before a change; "
        "the staff, the simulator and the checks stay this tree's",
    )
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, server code "
        f"{args.server_src or 'this tree'}, "
        f"load average {os.getloadavg()[0]:.1f}, Python {platform.python_version()}"
    )
    results = []
    for claim in ["list", "next"] if args.claim == "both" else [args.claim]:
        r = measure(
            staff=args.staff,
            items=args.items,
            workers=args.workers,
            db=args.db,
            claim=claim,
            seconds=args.seconds,
            think_ms=args.think_ms,
            server_src=args.server_src,
        )
        print_result(r)
        results.append(r)
    if args.json:
        args.json.write_text(json.dumps(results if len(results) > 1 else results[0], indent=2))
    return (
        0
        if all(r["verify"][k] == 0 for r in results for k in ("double claims", "duplicated replies", "lost replies"))
        else 1
    )


if __name__ == "__main__":
    sys.exit(main())
