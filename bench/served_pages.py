"""Pages per second of a served portal alone: bench/portal.py's concurrent run (`serve --workers N`,
16 keep-alive connections, the inbox page of the fullest pool), without the in-process figures.

    python bench/served_pages.py [--db postgres] [--tasks 100000] [--seconds 15] [--workers 2]

The server runs with this Python (`sys.executable`): to compare two environments (e.g. with and
without `uvicorn[standard]`), run it alternately with each venv's python. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import portal as bench_portal


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    ap.add_argument("--tasks", type=int, default=100_000)
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)

    import sqlalchemy as sa

    from helsami_portal.store.db import make_engine
    from helsami_portal.store.schema import task

    url = bench_portal.db_url(args.db, args.tasks)
    bench_portal.ensure_seeded(url, args.tasks)
    engine = make_engine(url, pool_size=1)
    with engine.connect() as conn:  # the fullest pool of waiting items (the demo physician's, as bench/portal.py)
        pool = conn.execute(
            sa.select(task.c.pool)
            .where(task.c.status == "requested")
            .group_by(task.c.pool)
            .order_by(sa.func.count().desc())
            .limit(1)
        ).scalar_one()
    engine.dispose()
    params = [
        ("owner", f"HealthcareService/{pool}"),
        ("status", "requested"),
        ("_count", "50"),
        ("_include", "Task:focus"),
        ("_include", "Task:patient"),
    ]
    r = bench_portal.throughput(
        url, "lege", params, seconds=args.seconds, connections=args.connections, workers=args.workers
    )
    print(json.dumps({k: round(v, 1) if isinstance(v, float) else v for k, v in r.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
