"""Counts and the app's own list page: `$pools`, and the 100-row first and next pages the terminal app
asks for (whole pool, requested + in-progress, sorted by priority then arrival, with the total on
the first page), over HTTP, beside the SQL the portal used to run for the same answers.

    python bench/counts.py --tasks 10000 --tasks 100000 [--db sqlite --db postgres] [--requests 100]

Each size is seeded once into a database of its own (bench/data/counts-<n>.sqlite3, PostgreSQL
database helsami_bench_counts_<n>) and kept. Columns (ms, median / p99 over the requests):

  $pools          GET /fhir/$pools over HTTP (from the counters, store.tally)
  $pools SQL      the counter reads behind it (store.tally.pool_counts + owner_counts), raw
  old $pools SQL  the grouped count over the pools' open items that $pools ran before, raw
  first page      GET /fhir/Task as the app asks for its first page (100 rows, _total=accurate, includes)
  next page       following its `next` link
  page SQL        the page's own statement now (one ordered query per status, merged), raw
  old sort SQL    the single `status IN (...) ORDER BY ...` statement the page stood on before, raw
  old total SQL   the count(*) over the pool's open items every page asked for before, raw
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
INCLUDES = [("_include", "Task:focus"), ("_include", "Task:patient")]


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def ms(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values) * 1e3, 2), "p99": round(pct(values, 99) * 1e3, 2)}


def db_url(kind: str, tasks: int) -> str:
    if kind == "sqlite":
        (HERE / "data").mkdir(exist_ok=True)
        return f"sqlite:///{HERE / 'data' / f'counts-{tasks}.sqlite3'}"
    import psycopg

    name = f"helsami_bench_counts_{tasks}"
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
        store.engine.dispose()
        return None
    if have:
        store.drop_schema()
        store.create_schema()
    started = time.perf_counter()
    seed(
        store,
        patients=max(200, tasks // 10),
        tasks=tasks,
        progress=lambda m: print(f"  seeding: {m}", file=sys.stderr, flush=True),
    )
    if not store.sqlite:
        with store.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    store.engine.dispose()
    return time.perf_counter() - started


def measure(url: str, requests: int) -> dict[str, Any]:
    from helsami_portal.embedded import EmbeddedPortal
    from helsami_portal.fhir import conventions as c, timeutil
    from helsami_portal.store.schema import task

    portal = EmbeddedPortal(url, demo=True, seed=False, run_jobs=False).start()
    try:
        http = httpx.Client(base_url=portal.base_url, timeout=120)
        tok = http.post("/auth/demo-login", data={"username": "lege"}).json()["access_token"]
        h = {"Authorization": f"Bearer {tok}"}
        me = http.get("/fhir/$whoami", headers=h).json()
        pools = http.get("/fhir/$pools", headers=h).json()["pools"]
        pool = max((p for p in pools if p.get("id")), key=lambda p: p["waiting"])
        with portal.store.read() as tx:
            n_pool = tx.count("Task", [task.c.pool == pool["id"]])
            n_open = tx.count("Task", [task.c.pool == pool["id"], task.c.status.in_(c.OPEN_STATUSES)])
        counts: list[float] = []
        for _ in range(requests):
            t0 = time.perf_counter()
            http.get("/fhir/$pools", headers=h).raise_for_status()
            counts.append(time.perf_counter() - t0)
        params = [
            ("pool", f"HealthcareService/{pool['id']}"),
            ("status", "requested,in-progress"),
            ("_sort", "priority,authored-on"),
            ("_count", "100"),
            ("_total", "accurate"),
            *INCLUDES,
        ]
        first: list[float] = []
        nexts: list[float] = []
        for _ in range(requests):
            t0 = time.perf_counter()
            r = http.get("/fhir/Task", params=params, headers=h)
            first.append(time.perf_counter() - t0)
            r.raise_for_status()
            link = next((lk["url"] for lk in r.json()["link"] if lk["relation"] == "next"), None)
            if link:
                t0 = time.perf_counter()
                http.get(link, headers=h).raise_for_status()
                nexts.append(time.perf_counter() - t0)
        # What the portal ran before, on the same database (raw SQL through the store's engine).
        ids = sorted(me["pools"])
        is_open = task.c.status.in_(c.OPEN_STATUSES)
        now = timeutil.instant()
        old_pools = (
            sa.select(
                task.c.pool,
                sa.func.sum(
                    sa.case(
                        (
                            sa.and_(
                                task.c.status == c.STATUS_WAITING,
                                task.c.owner == sa.literal("HealthcareService/") + task.c.pool,
                            ),
                            1,
                        ),
                        else_=0,
                    )
                ),
                sa.func.sum(sa.case((task.c.priority_rank <= 2, 1), else_=0)),
                sa.func.sum(sa.case((sa.and_(task.c.deadline != "", task.c.deadline < now), 1), else_=0)),
            )
            .where(task.c.pool.in_(ids), is_open)
            .group_by(task.c.pool)
        )
        scope = [task.c.pool == pool["id"], is_open, sa.or_(task.c.pool.in_(ids), task.c.owner == me["resource"])]
        old_sort = (
            sa.select(task.c.priority_rank, task.c.authored, task.c.id, task.c.content)
            .where(*scope)
            .order_by(task.c.priority_rank, task.c.authored, task.c.id)
            .limit(101)
        )
        old_total = sa.select(sa.func.count()).select_from(task).where(*scope)
        from helsami_portal.store import tally

        arms = [
            sa.select(task.c.priority_rank, task.c.authored, task.c.id, task.c.content).where(
                *scope, task.c.status == s
            )
            for s in sorted(c.OPEN_STATUSES)
        ]
        if not portal.store.sqlite:
            arms = [a.order_by(task.c.priority_rank, task.c.authored, task.c.id).limit(101) for a in arms]
        page_sql = (
            sa.union_all(*arms)
            .order_by(sa.literal_column("priority_rank"), sa.literal_column("authored"), sa.literal_column("id"))
            .limit(101)
        )
        raw: dict[str, list[float]] = {
            "pools_sql": [],
            "page_sql": [],
            "old_pools": [],
            "old_sort": [],
            "old_total": [],
        }
        with portal.store.engine.connect() as conn:
            for _ in range(max(5, requests // 5)):
                t0 = time.perf_counter()
                tally.pool_counts(conn, ids, now)
                tally.owner_counts(conn, me["resource"], now)
                raw["pools_sql"].append(time.perf_counter() - t0)
                for name, q in (
                    ("page_sql", page_sql),
                    ("old_pools", old_pools),
                    ("old_sort", old_sort),
                    ("old_total", old_total),
                ):
                    t0 = time.perf_counter()
                    conn.execute(q).all()
                    raw[name].append(time.perf_counter() - t0)
        return {
            "pool": pool["id"],
            "pool_tasks": n_pool,
            "pool_open": n_open,
            "pools_ms": ms(counts),
            "first_page_ms": ms(first),
            "next_page_ms": ms(nexts),
            "old_pools_sql_ms": ms(raw["old_pools"]),
            "pools_sql_ms": ms(raw["pools_sql"]),
            "page_sql_ms": ms(raw["page_sql"]),
            "old_sort_sql_ms": ms(raw["old_sort"]),
            "old_total_sql_ms": ms(raw["old_total"]),
        }
    finally:
        portal.stop()


COLUMNS = [
    "pools_ms",
    "pools_sql_ms",
    "old_pools_sql_ms",
    "first_page_ms",
    "next_page_ms",
    "page_sql_ms",
    "old_sort_sql_ms",
    "old_total_sql_ms",
]


def _cell(m: dict[str, Any], k: str) -> str:
    return f"{m[k]['median']:>6.2f} / {m[k]['p99']:>6.2f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", type=int, action="append", help="database sizes (repeatable); default 10000, 100000")
    ap.add_argument("--db", choices=["sqlite", "postgres"], action="append")
    ap.add_argument("--requests", type=int, default=100)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    sizes = args.tasks or [10_000, 100_000]
    kinds = args.db or ["sqlite", "postgres"]
    load = os.getloadavg()[0]
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, load average {load:.1f}, "
        f"Python {platform.python_version()}"
    )
    print(
        f"{'db':8} {'tasks':>9} {'pool':>7} {'open':>6}  "
        + "  ".join(
            f"{h:>15}"
            for h in (
                "$pools",
                "$pools SQL",
                "old $pools SQL",
                "first page",
                "next page",
                "page SQL",
                "old sort SQL",
                "old total SQL",
            )
        )
        + "   (ms, median / p99)"
    )
    out = []
    for kind in kinds:
        for n in sizes:
            url = db_url(kind, n)
            took = ensure_seeded(url, n)
            if took is not None:
                print(f"  seeded {n:,} tasks on {kind} in {took:.0f} s", file=sys.stderr, flush=True)
            m = measure(url, args.requests)
            out.append({"db": kind, "tasks": n, "seed_seconds": took, **m})

            print(
                f"{kind:8} {n:>9,} {m['pool_tasks']:>7,} {m['pool_open']:>6,}  "
                + "  ".join(_cell(m, k) for k in COLUMNS),
                flush=True,
            )
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
