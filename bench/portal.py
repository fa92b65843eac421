"""Portal benchmark: latency of a 50-row inbox page through the API beside the raw SQL behind it.

    python bench/portal.py --tasks 100000 --tasks 1000000 [--db sqlite|postgres] [--requests 200]
                           [--load-seconds 10] [--connections 16] [--workers 2]

Seeds each size once into its own database (kept between runs under bench/data/ for SQLite, or a
PostgreSQL database named helsami_bench_<tasks>), starts the portal in-process over real HTTP,
and prints median and p99 for: first page, following pages (keyset `next` links), and the raw SQL.

Beside the page it prints its anchor, measured in the same run: every SQL statement the portal ran
for one such page (captured from the engine: the sign-in check, the page query, the includes, the
access decision's look-ups, the access-log insert, with their transactions), replayed through the
bare database driver, and the ratio page / anchor. Then pages per second with `--connections`
concurrent connections to `helsami-portal serve --workers N` (a separate server process).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
PG_ADMIN = os.environ.get("HELSAMI_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def db_url(kind: str, tasks: int) -> str:
    if kind == "sqlite":
        (HERE / "data").mkdir(exist_ok=True)
        return f"sqlite:///{HERE / 'data' / f'portal-{tasks}.sqlite3'}"
    import psycopg

    name = f"helsami_bench_{tasks}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def ensure_seeded(url: str, tasks: int) -> float | None:
    from helsami_portal.seed import seed
    from helsami_portal.store.db import make_engine
    from helsami_portal.store.schema import task
    from helsami_portal.store.store import Store

    store = Store(make_engine(url))
    store.create_schema()
    with store.read() as tx:
        have = tx.conn.execute(sa.select(sa.func.count()).select_from(task)).scalar_one()
    if have >= tasks:
        return None
    if have:
        store.drop_schema()
    started = time.perf_counter()
    seed(
        store,
        patients=max(200, tasks // 10),
        tasks=tasks,
        progress=lambda m: print(f"  seeding: {m}", file=sys.stderr, flush=True),
    )
    return time.perf_counter() - started


def capture(engine: Any, do: Any) -> list[tuple[str, Any, bool]]:
    """The SQL statements (with their parameters, and whether run as executemany) and transaction
    ends `do()` runs on `engine`."""
    from sqlalchemy import event

    seen: list[tuple[str, Any, bool]] = []

    def on_execute(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        seen.append((statement, parameters, many))

    def on_commit(conn: Any) -> None:
        seen.append(("COMMIT", None, False))

    def on_rollback(conn: Any) -> None:
        seen.append(("ROLLBACK", None, False))

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    event.listen(engine, "rollback", on_rollback)
    try:
        do()
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)
        event.remove(engine, "rollback", on_rollback)
    return seen


_NEW_ID = __import__("re").compile(r"^[0-9a-f]{32}$")


def _fresh_id(v: Any) -> Any:
    """A fresh id of the same kind for a generated one (32 hex digits): time-ordered (microseconds
    first, as the access log's) or random (uuid4); anything else as it is."""
    import secrets
    import uuid

    if not (isinstance(v, str) and _NEW_ID.match(v)):
        return v
    now = time.time_ns() // 1000
    if abs(int(v[:14], 16) - now) < 86_400_000_000:
        return f"{now:014x}{secrets.token_hex(9)}"
    return uuid.uuid4().hex


def _fresh_value(v: Any) -> Any:
    """`v` with fresh ids: a generated id itself, or the ids in rows passed as one JSON array (the
    access log's rows on PostgreSQL: `INSERT ... SELECT ... FROM jsonb_array_elements(%s)`)."""
    if isinstance(v, str) and v.startswith("[["):
        try:
            rows = json.loads(v)
        except ValueError:
            return v
        return json.dumps([[_fresh_id(x) for x in row] for row in rows])
    return _fresh_id(v)


def _fresh(params: Any) -> Any:
    """The parameters with a fresh id for each generated one, for an INSERT."""
    if isinstance(params, dict):
        return {k: _fresh_value(v) for k, v in params.items()}
    return tuple(_fresh_value(v) for v in params)


def replay(engine: Any, statements: list[tuple[str, Any, bool]], requests: int) -> list[float]:
    """Run the captured statements through the bare driver (one DBAPI connection, no SQLAlchemy),
    `requests` times; fresh ids for the rows an INSERT adds. Seconds per run."""
    raw = engine.raw_connection()
    dbapi = raw.driver_connection
    times: list[float] = []
    try:
        cur = dbapi.cursor()
        for _ in range(requests):
            t0 = time.perf_counter()
            for stmt, params, many in statements:
                if stmt == "COMMIT":
                    dbapi.commit()
                    continue
                if stmt == "ROLLBACK":
                    dbapi.rollback()
                    continue
                insert = stmt.lstrip().upper().startswith("INSERT") and params is not None
                if many:
                    cur.executemany(stmt, [_fresh(p) for p in params] if insert else params)
                    continue
                cur.execute(stmt, (_fresh(params) if insert else params) if params is not None else ())
                if cur.description is not None:
                    cur.fetchall()
            times.append(time.perf_counter() - t0)
        cur.close()
    finally:
        raw.close()
    return times


def throughput(
    url: str, token_user: str, params: list[tuple[str, str]], *, seconds: float, connections: int, workers: int
) -> dict[str, Any]:
    """Pages per second with `connections` concurrent keep-alive connections to `serve --workers N`."""
    import asyncio
    import socket
    import subprocess

    if not url.startswith("postgres"):
        workers = 1  # SQLite has one writer: `serve` runs one process on it
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {**os.environ, "HELSAMI_LOG_LEVEL": "WARNING"}
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
            "--log-level",
            "WARNING",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        with httpx.Client(base_url=base, timeout=30) as http:
            dev = http.post("/oauth/device_authorization", data={"client_id": "bench"}).json()
            http.post(
                "/device",
                data={"user_code": dev["user_code"], "username": token_user, "password": "demo", "decision": "approve"},
            ).raise_for_status()
            tok = http.post(
                "/oauth/token",
                data={
                    "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                    "device_code": dev["device_code"],
                    "client_id": "bench",
                },
            ).json()
        h = {"Authorization": f"Bearer {tok['access_token']}"}

        async def run(path: str, query: list[tuple[str, str]] | None, for_seconds: float) -> tuple[list[float], int]:
            lat: list[float] = []
            errors = 0
            limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
            async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits, headers=h) as client:
                for _ in range(connections):  # warm every connection and worker
                    await client.get(path, params=query)
                stop_at = time.perf_counter() + for_seconds

                async def one() -> None:
                    nonlocal errors
                    while time.perf_counter() < stop_at:
                        t0 = time.perf_counter()
                        r = await client.get(path, params=query)
                        if r.status_code != 200:
                            errors += 1
                        lat.append(time.perf_counter() - t0)

                await asyncio.gather(*[one() for _ in range(connections)])
            return lat, errors

        # The anchor: the same server, connections and client answering /healthz (no database, no
        # sign-in): what the transport, the framework and the load generator cost on this machine.
        started = time.perf_counter()
        bare, _ = asyncio.run(run("/healthz", None, min(5.0, seconds)))
        bare_took = time.perf_counter() - started
        started = time.perf_counter()
        lat, errors = asyncio.run(run("/fhir/Task", params, seconds))
        took = time.perf_counter() - started
        return {
            "connections": connections,
            "workers": workers,
            "seconds": round(took, 1),
            "pages": len(lat),
            "errors": errors,
            "pages_per_second": round(len(lat) / took, 1),
            "p50_ms": statistics.median(lat) * 1e3,
            "p99_ms": pct(lat, 99) * 1e3,
            "transport_per_second": round(len(bare) / bare_took, 1),
            "transport_p50_ms": statistics.median(bare) * 1e3,
        }
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def measure(
    url: str, requests: int, *, load_seconds: float = 0, connections: int = 16, workers: int = 2
) -> dict[str, Any]:
    from helsami_portal.embedded import EmbeddedPortal
    from helsami_portal.store.schema import task

    portal = EmbeddedPortal(url, demo=True, seed=False, run_jobs=False).start()
    try:
        http = httpx.Client(base_url=portal.base_url, timeout=60)
        tok = http.post("/auth/demo-login", data={"username": "lege"}).json()["access_token"]
        h = {"Authorization": f"Bearer {tok}"}
        me = http.get("/fhir/$whoami", headers=h).json()
        pools = http.get("/fhir/$pools", headers=h).json()["pools"]
        pool = max((p for p in pools if p.get("id")), key=lambda p: p["waiting"])
        params = [
            ("owner", f"HealthcareService/{pool['id']}"),
            ("status", "requested"),
            ("_count", "50"),
            ("_include", "Task:focus"),
            ("_include", "Task:patient"),
        ]
        first: list[float] = []
        nexts: list[float] = []
        url_next = None
        for i in range(requests):
            t0 = time.perf_counter()
            if i % 2 == 0 or url_next is None:
                r = http.get("/fhir/Task", params=params, headers=h)
                first.append(time.perf_counter() - t0)
            else:
                r = http.get(url_next, headers=h)
                nexts.append(time.perf_counter() - t0)
            r.raise_for_status()
            b = r.json()
            url_next = next((lk["url"] for lk in b["link"] if lk["relation"] == "next"), None)
        # The raw SQL the first page stands on.
        raw: list[float] = []
        raw_all: list[float] = []
        sql = (
            sa.select(task.c.priority_rank, task.c.authored, task.c.id, task.c.focus, task.c.patient, task.c.content)
            .where(
                task.c.owner == f"HealthcareService/{pool['id']}",
                task.c.status == "requested",
                sa.or_(task.c.pool.in_(me["pools"]), task.c.owner == me["resource"]),
            )
            .order_by(task.c.priority_rank, task.c.authored, task.c.id)
            .limit(51)
        )
        from helsami_portal.store.schema import resource

        with portal.store.engine.connect() as conn:
            for _ in range(requests):
                t0 = time.perf_counter()
                rows = conn.execute(sql).all()
                raw.append(time.perf_counter() - t0)
                focus = sorted({r.focus.split("/", 1)[1] for r in rows})
                pats = sorted({r.patient for r in rows})
                conn.execute(
                    sa.select(resource.c.content).where(resource.c.rtype == "Communication", resource.c.id.in_(focus))
                ).all()
                conn.execute(
                    sa.select(resource.c.content).where(resource.c.rtype == "Patient", resource.c.id.in_(pats))
                ).all()
                raw_all.append(time.perf_counter() - t0)
        # The same reads plus what the API also must do: write one access-log entry per patient shown,
        # in one transaction with the read (docs/architecture.md: every staff read of patient data is logged).
        from helsami_portal.auth.principal import load_staff
        from helsami_portal.workflow import access

        raw_logged: list[float] = []
        with portal.store.read() as tx:
            who = load_staff(tx, me["resource"].split("/", 1)[1], username="lege", session_id=None)
        for _ in range(requests):
            t0 = time.perf_counter()
            with portal.store.write() as tx:
                rows = tx.conn.execute(sql).all()
                focus = sorted({r.focus.split("/", 1)[1] for r in rows})
                pats = sorted({r.patient for r in rows})
                tx.conn.execute(
                    sa.select(resource.c.content).where(resource.c.rtype == "Communication", resource.c.id.in_(focus))
                ).all()
                tx.conn.execute(
                    sa.select(resource.c.content).where(resource.c.rtype == "Patient", resource.c.id.in_(pats))
                ).all()
                access.audit_many(
                    tx, who, [(pid, "bench", "inbox list of own pools") for pid in pats], interaction="search-type"
                )
            raw_logged.append(time.perf_counter() - t0)
        # The anchor: every statement the portal ran for one first page, replayed through the bare driver.
        statements = capture(
            portal.store.engine, lambda: http.get("/fhir/Task", params=params, headers=h).raise_for_status()
        )
        anchor = replay(portal.store.engine, statements, requests)
        load = None
        if load_seconds:
            load = throughput(url, "lege", params, seconds=load_seconds, connections=connections, workers=workers)
        first_med = statistics.median(first) * 1e3
        return {
            "pool_waiting": pool["waiting"],
            "first_page_ms": {"median": statistics.median(first) * 1e3, "p99": pct(first, 99) * 1e3},
            "next_page_ms": {"median": statistics.median(nexts) * 1e3, "p99": pct(nexts, 99) * 1e3},
            "raw_sql_ms": {"median": statistics.median(raw) * 1e3, "p99": pct(raw, 99) * 1e3},
            "raw_sql_with_includes_ms": {"median": statistics.median(raw_all) * 1e3, "p99": pct(raw_all, 99) * 1e3},
            "sql_with_access_log_ms": {"median": statistics.median(raw_logged) * 1e3, "p99": pct(raw_logged, 99) * 1e3},
            "anchor_statements": sum(1 for st, _, _ in statements if st not in ("COMMIT", "ROLLBACK")),
            "anchor_transactions": sum(1 for st, _, _ in statements if st in ("COMMIT", "ROLLBACK")),
            "anchor_ms": {"median": statistics.median(anchor) * 1e3, "p99": pct(anchor, 99) * 1e3},
            "page_over_anchor": first_med / (statistics.median(anchor) * 1e3),
            "load": load,
        }
    finally:
        portal.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", type=int, action="append", help="pool sizes (repeatable); default 100000 and 1000000")
    ap.add_argument("--db", choices=["sqlite", "postgres"], action="append")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    ap.add_argument(
        "--load-seconds",
        type=float,
        default=10.0,
        help="seconds of the concurrent run against a served portal (0: leave it out)",
    )
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2, help="portal processes of the concurrent run")
    args = ap.parse_args(argv)
    sizes = args.tasks or [100_000, 1_000_000]
    kinds = args.db or ["sqlite", "postgres"]
    results = []
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(
        f"{'db':8} {'tasks':>10} {'pool':>8}  {'first page med/p99 ms':>22}  {'next page med/p99 ms':>21}  "
        f"{'raw SQL med/p99 ms':>19}  {'+includes med/p99':>18}  {'+access log med/p99':>20}"
    )
    for kind in kinds:
        for n in sizes:
            url = db_url(kind, n)
            took = ensure_seeded(url, n)
            if took is not None:
                print(f"  seeded {n:,} tasks on {kind} in {took:.0f} s", file=sys.stderr)
            m = measure(
                url, args.requests, load_seconds=args.load_seconds, connections=args.connections, workers=args.workers
            )
            results.append({"db": kind, "tasks": n, "seed_seconds": took, **m})
            f, nx, raw = m["first_page_ms"], m["next_page_ms"], m["raw_sql_ms"]
            print(
                f"{kind:8} {n:>10,} {m['pool_waiting']:>8,}  {f['median']:>10.1f} / {f['p99']:>8.1f}  "
                f"{nx['median']:>10.1f} / {nx['p99']:>7.1f}  {raw['median']:>8.2f} / {raw['p99']:>7.2f}  "
                f"{m['raw_sql_with_includes_ms']['median']:>8.2f} / {m['raw_sql_with_includes_ms']['p99']:>7.2f}  "
                f"{m['sql_with_access_log_ms']['median']:>9.2f} / {m['sql_with_access_log_ms']['p99']:>8.2f}",
                flush=True,
            )
            a = m["anchor_ms"]
            print(
                f"{'':8} {'':>10} {'':>8}  anchor (the page's {m['anchor_statements']} statements in "
                f"{m['anchor_transactions']} transactions, bare driver): {a['median']:.2f} / {a['p99']:.2f} ms; "
                f"page / anchor = {m['page_over_anchor']:.1f}x",
                flush=True,
            )
            if m["load"]:
                ld = m["load"]
                print(
                    f"{'':8} {'':>10} {'':>8}  {ld['connections']} connections, {ld['workers']} workers: "
                    f"{ld['pages_per_second']:.0f} pages/s, p50 {ld['p50_ms']:.1f} ms, p99 {ld['p99_ms']:.1f} ms "
                    f"({ld['pages']:,} pages in {ld['seconds']} s, {ld['errors']} errors); "
                    f"anchor /healthz on the same server: {ld['transport_per_second']:.0f}/s, "
                    f"p50 {ld['transport_p50_ms']:.1f} ms",
                    flush=True,
                )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
