"""Every benchmark, one command: prints each figure with its conditions and writes
bench/results/latest.json.

    python bench/run.py            # portal at 100,000 and 1,000,000 tasks (SQLite, and PostgreSQL when
                                   # it answers on 127.0.0.1:5432), terminal app with pools of 10,000 and 100,000
    python bench/run.py --quick    # 100,000 only, fewer requests and key presses, SQLite only

What each number means: bench/README.md. Data is seeded once and kept under bench/data/
(and in PostgreSQL databases helsami_bench_<n>); the first run of a size takes longer.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import clinic as clinic_bench  # noqa: E402  (bench/clinic.py)
import counts as counts_bench  # noqa: E402  (bench/counts.py)
import goals  # noqa: E402  (bench/goals.py)
import load as load_bench  # noqa: E402  (bench/load.py)

import portal as portal_bench  # noqa: E402  (bench/portal.py)
import tui as tui_bench  # noqa: E402  (bench/tui.py)


def postgres_up() -> bool:
    try:
        import psycopg

        with psycopg.connect(portal_bench.PG_ADMIN, connect_timeout=3):
            return True
    except Exception:
        return False


def run_portal(sizes: list[int], kinds: list[str], requests: int, load_seconds: float) -> list[dict[str, Any]]:
    out = []
    for kind in kinds:
        for n in sizes:
            print(f"  portal: {kind}, {n:,} tasks …", file=sys.stderr, flush=True)
            try:
                url = portal_bench.db_url(kind, n)
                took = portal_bench.ensure_seeded(url, n)
                # Pages per second under 16 connections at the largest size only (it is flat in the size).
                m = portal_bench.measure(url, requests, load_seconds=load_seconds if n == max(sizes) else 0)
                out.append({"db": kind, "tasks": n, "requests": requests, "seed_seconds": took, **m})
            except Exception as e:  # noqa: BLE001 - one failing figure must not hide the others
                traceback.print_exc()
                out.append({"db": kind, "tasks": n, "error": f"{type(e).__name__}: {e}"})
    return out


def run_counts(sizes: list[int], kinds: list[str], requests: int) -> list[dict[str, Any]]:
    out = []
    for kind in kinds:
        for n in sizes:
            print(f"  counts and the app's list page: {kind}, {n:,} tasks …", file=sys.stderr, flush=True)
            try:
                url = portal_bench.db_url(kind, n)  # the portal figures' database (the same seed)
                took = portal_bench.ensure_seeded(url, n)
                out.append({"db": kind, "tasks": n, "seed_seconds": took, **counts_bench.measure(url, requests)})
            except Exception as e:  # noqa: BLE001 - one failing figure must not hide the others
                traceback.print_exc()
                out.append({"db": kind, "tasks": n, "error": f"{type(e).__name__}: {e}"})
    return out


def run_tui(pools: list[int], moves: int, pages: int, scroll: int) -> list[dict[str, Any]]:
    out = []
    for n in pools:
        print(f"  terminal app: pool of {n:,} …", file=sys.stderr, flush=True)
        try:
            out.append(tui_bench.run(n, moves=moves, pages=pages, scroll=scroll))
        except Exception as e:  # noqa: BLE001
            traceback.print_exc()
            out.append({"pool": n, "error": f"{type(e).__name__}: {e}"})
    return out


COUNT_HEADS = ("$pools", "$pools SQL", "old $pools SQL", "first page", "next page", "page SQL", "old sort", "old total")


def ms(d: dict[str, float], a: str = "median", b: str = "p99", digits: int = 1) -> str:
    return f"{d[a]:.{digits}f} / {d[b]:.{digits}f}"


def print_report(report: dict[str, Any]) -> None:
    c = report["conditions"]
    print()
    print(
        f"HelsaMi Innboks benchmarks, {report['finished']}  ({'quick' if report['quick'] else 'full'} run, "
        f"{report['seconds']:.0f} s)"
    )
    print(
        f"machine: {c['machine']} {c['arch']} ({c['cpu']}), {c['cores']} cores, load average at start "
        f"{c['load_avg']:.1f}; Python {c['python']}, Textual {c['textual']}"
    )
    print()
    print("Portal: one 50-item inbox page (with _include of threads and patients) over HTTP, beside the SQL behind it")
    print(
        f"  {'db':8} {'tasks':>10} {'pool':>7} {'req':>4}  {'first page':>15}  {'next page':>15}  {'raw SQL':>13}  "
        f"{'SQL+includes':>13}  {'+access log':>13}   (ms, median / p99)"
    )
    for r in report["portal"]:
        if "error" in r:
            print(f"  {r['db']:8} {r['tasks']:>10,}  failed: {r['error']}")
            continue
        print(
            f"  {r['db']:8} {r['tasks']:>10,} {r['pool_waiting']:>7,} {r['requests']:>4}  "
            f"{ms(r['first_page_ms']):>15}  {ms(r['next_page_ms']):>15}  {ms(r['raw_sql_ms'], digits=2):>13}  "
            f"{ms(r['raw_sql_with_includes_ms'], digits=2):>13}  "
            f"{ms(r['sql_with_access_log_ms'], digits=2) if 'sql_with_access_log_ms' in r else '-':>13}"
        )
        if "anchor_ms" in r:  # the page's own statements replayed through the bare driver (bench/portal.py)
            print(
                f"  {'':8} {'':>10} {'':>7} {'':>4}  anchor {ms(r['anchor_ms'], digits=2)} ms "
                f"({r['anchor_statements']} statements), page / anchor {r['page_over_anchor']:.1f}x"
            )
        ld = r.get("load")
        if ld:
            print(
                f"  {'':8} {'':>10} {'':>7} {'':>4}  {ld['connections']} connections, {ld['workers']} worker(s): "
                f"{ld['pages_per_second']:.0f} pages/s, p50 {ld['p50_ms']:.1f} ms, p99 {ld['p99_ms']:.1f} ms; "
                f"/healthz on the same server {ld['transport_per_second']:.0f}/s, p50 {ld['transport_p50_ms']:.1f} ms"
            )
    for note in report.get("notes", []):
        print(f"  note: {note}")
    print()
    print("Counts and the app's own list page (100 rows, two statuses, _total=accurate), beside their SQL")
    print(
        f"  {'db':8} {'tasks':>10} {'pool':>7}  " + "  ".join(f"{h:>15}" for h in COUNT_HEADS) + "   (ms, median / p99)"
    )
    for r in report.get("counts") or []:
        if "error" in r:
            print(f"  {r['db']:8} {r['tasks']:>10,}  failed: {r['error']}")
            continue
        print(
            f"  {r['db']:8} {r['tasks']:>10,} {r['pool_tasks']:>7,}  "
            + "  ".join(counts_bench._cell(r, k) for k in counts_bench.COLUMNS)
        )
    print()
    print(
        "Terminal app: signed in as the demo physician, in a pool of N open items (headless, on a pty, neomutt beside)"
    )
    tui_bench.print_table(report["tui"], indent="  ")
    print()
    clinic = report.get("clinic") or {}
    if "error" in clinic:
        print(f"Clinical work: failed: {clinic['error']}")
    elif clinic:
        clinic_bench.print_result(clinic)
    print()
    load = report.get("load")
    if not load:
        print("Load: not run (" + ("PostgreSQL is down" if load is None else "skipped") + ").")
    elif "error" in load:
        print(f"Load: failed: {load['error']}")
    else:
        for one in report.get("loads") or [load]:
            if "error" in one:
                print(f"Load: failed: {one['error']}")
            else:
                load_bench.print_result(one)
    print()
    goals.print_goals(report)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="100,000 only, fewer requests and key presses, SQLite only")
    ap.add_argument("--postgres", action="store_true", help="with --quick: also PostgreSQL")
    ap.add_argument("--json", type=Path, default=HERE / "results" / "latest.json")
    args = ap.parse_args(argv)
    started = time.monotonic()
    cond = tui_bench.conditions()
    notes: list[str] = []
    if args.quick:
        sizes, requests, pools, moves, pages, scroll = [100_000], 50, [100_000], 100, 20, 2000
        kinds = ["sqlite"] + (["postgres"] if args.postgres else [])
    else:
        sizes, requests, pools, moves, pages, scroll = [100_000, 1_000_000], 200, [10_000, 100_000], 200, 40, 5000
        kinds = ["sqlite", "postgres"]
    if "postgres" in kinds and not postgres_up():
        kinds.remove("postgres")
        notes.append(f"PostgreSQL did not answer at {portal_bench.PG_ADMIN}: its figures are missing")
    report: dict[str, Any] = {"conditions": cond, "quick": args.quick, "notes": notes}
    report["portal"] = run_portal(sizes, kinds, requests, load_seconds=5.0 if args.quick else 20.0)
    report["counts"] = run_counts(sizes, kinds, max(20, requests // 2))
    report["tui"] = run_tui(pools, moves, pages, scroll)
    print("  clinical work: item open, reply open, send, decision, the common job …", file=sys.stderr, flush=True)
    try:
        report["clinic"] = clinic_bench.run(rounds=10 if args.quick else 30, jobs=5 if args.quick else 10)
    except Exception as e:  # noqa: BLE001 - reported with the other figures
        traceback.print_exc()
        report["clinic"] = {"error": f"{type(e).__name__}: {e}"}
    if "postgres" in kinds or not args.quick:
        staff, items = (10, 1_000) if args.quick else (50, 10_000)
        loads = []
        # Without think time (every staff member always waiting on a request: the portal's capacity) and
        # with a reading and typing time of 1 s before each request (about 3 s per item; bench/load.py).
        for think in (0.0, 1000.0):
            print(f"  load: {staff} staff claiming, think {think:g} ms …", file=sys.stderr, flush=True)
            try:
                loads.append(
                    load_bench.measure(
                        staff=staff,
                        items=items,
                        workers=2,
                        db="postgres" if "postgres" in kinds else "sqlite",
                        claim="next",
                        seconds=60.0 if args.quick else 120.0,
                        think_ms=think,
                    )
                )
            except Exception as e:  # noqa: BLE001 - reported with the other figures
                traceback.print_exc()
                loads.append({"error": f"{type(e).__name__}: {e}"})
        report["loads"] = loads
        report["load"] = loads[0]
    else:
        report["load"] = {}
    report["seconds"] = time.monotonic() - started
    report["finished"] = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    print_report(report)
    print(f"\nwritten: {args.json}")
    parts = report["portal"] + report["counts"] + report["tui"] + (report.get("loads") or []) + [report["clinic"]]
    failed = [r for r in parts if "error" in r]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
