"""The inbox pages' answers, normalised, for comparing two trees byte for byte.

    python bench/page_answers.py [--db sqlite|postgres] [--tasks 20000] > after.json
    PYTHONPATH=<old tree>/src python bench/page_answers.py > before.json && cmp before.json after.json
    (--url: a database of each tree's own, when their schemas differ: a copy upgraded by the new tree)

bench/portal.py's database (seeded there once). Signed in as three demo users (physician, nurse,
switchboard), every pool of each, `status=requested` and `status=requested,in-progress`, 50 rows
with the two includes, as bench/page_profile.py asks; the Bundle's id and timestamp and the
OperationOutcome's id (new per answer) are left out, keys sorted. `--pages N`: each search's next
pages too, by its `next` link, up to N pages in all; `--sorts`: each search also sorted by
`-authored-on` (the keys one way, descending) and by `-priority,authored-on` (both ways).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, os.path.dirname(__file__))
import page_profile

import portal as bench_portal


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", type=int, default=20_000)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--url", help="this database instead (already seeded), e.g. a copy for the code before a change")
    ap.add_argument("--pages", type=int, default=1, help="pages of each search, by its next links")
    ap.add_argument("--sorts", action="store_true", help="also each search in two other orders")
    args = ap.parse_args(argv)

    import orjson

    from helsami_portal.api.app import create_app
    from helsami_portal.api.settings import Settings
    from helsami_portal.store.db import make_engine
    from helsami_portal.store.store import Store

    url = args.url or bench_portal.db_url(args.db, args.tasks)
    if not args.url:
        bench_portal.ensure_seeded(url, args.tasks)
    app = create_app(Store(make_engine(url)), Settings(issuer="http://127.0.0.1", embedded_demo=True, run_jobs=False))
    app.state.portal.tokens.keys.ensure()

    async def run() -> list[Any]:
        form = [(b"content-type", b"application/x-www-form-urlencoded")]
        out: list[Any] = []
        for user in ("lege", "sykepleier", "sentralbord"):
            st, body = await page_profile.call(app, "POST", "/auth/demo-login", "", form, f"username={user}".encode())
            if st != 200:
                out.append([user, st])
                continue
            h = [(b"authorization", f"Bearer {orjson.loads(body)['access_token']}".encode())]
            st, body = await page_profile.call(app, "GET", "/fhir/$pools", "", h)
            for pool in orjson.loads(body).get("pools", []):
                if not pool.get("id"):
                    continue
                for status in ("requested", "requested,in-progress"):
                    for sort in ([], [("_sort", "-authored-on")], [("_sort", "-priority,authored-on")])[
                        : 3 if args.sorts else 1
                    ]:
                        query = urlencode(
                            [
                                ("owner", f"HealthcareService/{pool['id']}"),
                                ("status", status),
                                ("_count", "50"),
                                ("_include", "Task:focus"),
                                ("_include", "Task:patient"),
                                *sort,
                            ]
                        )
                        for n in range(args.pages):
                            st, body = await page_profile.call(app, "GET", "/fhir/Task", query, h)
                            b = orjson.loads(body)
                            b.pop("id", None)
                            b.pop("timestamp", None)
                            for e in b.get("entry", []):
                                if e["resource"]["resourceType"] == "OperationOutcome":
                                    e["resource"].pop("id", None)
                            key = [user, pool["id"], status, *(v for _, v in sort), *([n] if n else [])]
                            out.append([*key, st, b])
                            nxt = [x["url"] for x in b.get("link", []) if x.get("relation") == "next"]
                            if not nxt:
                                break
                            query = urlsplit(nxt[0]).query
        return out

    sys.stdout.write(orjson.dumps(asyncio.run(run()), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
