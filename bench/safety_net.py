"""Cost of a safety-net run on a seeded database (e.g. 1,000,000 tasks on PostgreSQL).

    python bench/safety_net.py --db postgresql://postgres@127.0.0.1:5432/DB [--due 1000]

Times (1) a run with nothing due (the steady state, every minute), then (2) a run after `--due`
unopened items have been made due (their last change set back a month), then prints the plan
of one candidate query. Changes the database: use a copy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time

import sqlalchemy as sa

from helsami_portal.fhir import timeutil
from helsami_portal.store.db import make_engine
from helsami_portal.store.schema import task
from helsami_portal.store.store import Store
from helsami_portal.workflow import safety_net


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--due", type=int, default=1000)
    args = ap.parse_args()
    store = Store(make_engine(args.db))
    store.create_schema()
    with store.read() as tx:
        n = tx.conn.execute(sa.select(sa.func.count()).select_from(task)).scalar_one()
    print(f"tasks: {n:,}")
    now = timeutil.utcnow()
    for i in range(3):
        t0 = time.perf_counter()
        moved = safety_net.run_once(store, now)
        print(f"run {i + 1}, nothing due: {moved} moved in {(time.perf_counter() - t0) * 1000:.1f} ms")
    old = timeutil.instant(now - dt.timedelta(days=30))
    with store.write() as tx:
        ids = [
            r[0]
            for r in tx.conn.execute(
                sa.select(task.c.id)
                .where(
                    task.c.status == "requested",
                    task.c.business_status == "new",
                    task.c.owner.like("HealthcareService/%"),
                )
                .limit(args.due)
            )
        ]
        for tid, content in tx.conn.execute(sa.select(task.c.id, task.c.content).where(task.c.id.in_(ids))).all():
            r = json.loads(content)
            r["meta"]["lastUpdated"] = old
            tx.conn.execute(task.update().where(task.c.id == tid).values(last_updated=old, content=json.dumps(r)))
    with store.engine.connect() as conn:
        if not store.sqlite:
            conn.exec_driver_sql("ANALYZE task")
            conn.commit()
    t0 = time.perf_counter()
    moved = safety_net.run_once(store, now)
    print(f"{len(ids)} made due: {moved} moved in {(time.perf_counter() - t0) * 1000:.1f} ms")
    rule = safety_net.InboxRule("hs-fjordvik-legesenter", "", "x", 2880, True)
    q = safety_net._candidates(rule.id, rule.cutoff(now)).limit(safety_net.BATCH)
    with store.engine.connect() as conn:
        sql = str(q.compile(conn, compile_kwargs={"literal_binds": True}))
        prefix = "EXPLAIN QUERY PLAN " if store.sqlite else "EXPLAIN ANALYZE "
        for row in conn.exec_driver_sql(prefix + sql):
            print("  ", row[-1] if store.sqlite else row[0])


if __name__ == "__main__":
    main()
