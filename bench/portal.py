"""Portal benchmark: latency of a 50-row inbox page through the API beside the raw SQL behind it.

    python bench/portal.py --tasks 100000 --tasks 1000000 [--db sqlite|postgres] [--requests 200]

Seeds each size once into its own database (kept between runs under bench/data/ for SQLite, or a
PostgreSQL database named helsami_bench_<tasks>), starts the portal in-process over real HTTP,
and prints median and p99 for: first page, following pages (keyset `next` links), and the raw SQL.
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
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


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
    seed(store, patients=max(200, tasks // 10), tasks=tasks,
         progress=lambda m: print(f"  seeding: {m}", file=sys.stderr, flush=True))
    return time.perf_counter() - started


def measure(url: str, requests: int) -> dict[str, Any]:
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
        params = [("owner", f"HealthcareService/{pool['id']}"), ("status", "requested"), ("_count", "50"),
                  ("_include", "Task:focus"), ("_include", "Task:patient")]
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
        sql = sa.select(task.c.priority_rank, task.c.authored, task.c.id, task.c.focus, task.c.patient,
                        task.c.content).where(
            task.c.owner == f"HealthcareService/{pool['id']}", task.c.status == "requested",
            sa.or_(task.c.pool.in_(me["pools"]), task.c.owner == me["resource"]),
        ).order_by(task.c.priority_rank, task.c.authored, task.c.id).limit(51)
        from helsami_portal.store.schema import resource
        with portal.store.engine.connect() as conn:
            for _ in range(requests):
                t0 = time.perf_counter()
                rows = conn.execute(sql).all()
                raw.append(time.perf_counter() - t0)
                focus = sorted({r.focus.split("/", 1)[1] for r in rows})
                pats = sorted({r.patient for r in rows})
                conn.execute(sa.select(resource.c.content).where(resource.c.rtype == "Communication",
                                                                 resource.c.id.in_(focus))).all()
                conn.execute(sa.select(resource.c.content).where(resource.c.rtype == "Patient",
                                                                 resource.c.id.in_(pats))).all()
                raw_all.append(time.perf_counter() - t0)
        # The same reads plus what the API also must do: write one access-log entry per patient shown,
        # in one transaction with the read (DESIGN.md: every staff read of patient data is logged).
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
                tx.conn.execute(sa.select(resource.c.content).where(resource.c.rtype == "Communication",
                                                                    resource.c.id.in_(focus))).all()
                tx.conn.execute(sa.select(resource.c.content).where(resource.c.rtype == "Patient",
                                                                    resource.c.id.in_(pats))).all()
                access.audit_many(tx, who, [(pid, "bench", "inbox list of own pools") for pid in pats],
                                  interaction="search-type")
            raw_logged.append(time.perf_counter() - t0)
        return {
            "pool_waiting": pool["waiting"],
            "first_page_ms": {"median": statistics.median(first) * 1e3, "p99": pct(first, 99) * 1e3},
            "next_page_ms": {"median": statistics.median(nexts) * 1e3, "p99": pct(nexts, 99) * 1e3},
            "raw_sql_ms": {"median": statistics.median(raw) * 1e3, "p99": pct(raw, 99) * 1e3},
            "raw_sql_with_includes_ms": {"median": statistics.median(raw_all) * 1e3, "p99": pct(raw_all, 99) * 1e3},
            "sql_with_access_log_ms": {"median": statistics.median(raw_logged) * 1e3,
                                       "p99": pct(raw_logged, 99) * 1e3},
        }
    finally:
        portal.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", type=int, action="append", help="pool sizes (repeatable); default 100000 and 1000000")
    ap.add_argument("--db", choices=["sqlite", "postgres"], action="append")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args(argv)
    sizes = args.tasks or [100_000, 1_000_000]
    kinds = args.db or ["sqlite", "postgres"]
    results = []
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'db':8} {'tasks':>10} {'pool':>8}  {'first page med/p99 ms':>22}  {'next page med/p99 ms':>21}  "
          f"{'raw SQL med/p99 ms':>19}  {'+includes med/p99':>18}  {'+access log med/p99':>20}")
    for kind in kinds:
        for n in sizes:
            url = db_url(kind, n)
            took = ensure_seeded(url, n)
            if took is not None:
                print(f"  seeded {n:,} tasks on {kind} in {took:.0f} s", file=sys.stderr)
            m = measure(url, args.requests)
            results.append({"db": kind, "tasks": n, "seed_seconds": took, **m})
            f, nx, raw = m["first_page_ms"], m["next_page_ms"], m["raw_sql_ms"]
            print(f"{kind:8} {n:>10,} {m['pool_waiting']:>8,}  {f['median']:>10.1f} / {f['p99']:>8.1f}  "
                  f"{nx['median']:>10.1f} / {nx['p99']:>7.1f}  {raw['median']:>8.2f} / {raw['p99']:>7.2f}  "
                  f"{m['raw_sql_with_includes_ms']['median']:>8.2f} / {m['raw_sql_with_includes_ms']['p99']:>7.2f}  "
                  f"{m['sql_with_access_log_ms']['median']:>9.2f} / {m['sql_with_access_log_ms']['p99']:>8.2f}",
                  flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
