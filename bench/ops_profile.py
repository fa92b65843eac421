"""Where the CPU of one claimed item goes: `$claim-next`, `$reply` and `$complete` through the ASGI
app in-process, profiled one operation at a time.

    python bench/ops_profile.py [--db sqlite|postgres] [--items 3000] [--rounds 300] [--top 30] [--cpu]
    python bench/ops_profile.py --answers out.json   # the answers and what was stored, normalised

A fresh database each run (the load test's world: `seed` and `loadtest.prepare`, 50 staff and
`--items` waiting items in one pool; kept as a template under bench/data/ for SQLite, a PostgreSQL
template database for postgres, then copied). The staff sign in with the demo sign-in and take turns:
each round one of them claims the next item, replies once and completes it, as bench/load.py's staff
do. The app's worker-thread hops run inline so that cProfile sees the whole request (as
bench/page_profile.py). Prints per operation the wall median and the CPU per request (unprofiled,
inline), then each operation's profile (by cumulative and by own time).

`--answers FILE`: no timing; writes every answer of a scripted sequence (claims, replies, a retried
reply, completes, and refusals: a second reply, a stale If-Match, another's item, an empty pool) and
every table's rows afterwards, with the ids and instants the run made replaced by their order of first
appearance, so that two trees' files compare byte for byte (`cmp`).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))
from page_profile import call, inline_threads

HERE = Path(__file__).resolve().parent
PG_ADMIN = os.environ.get("HELSAMI_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
OPS = ("claim", "reply", "complete")


def _seed(url: str, staff: int, items: int) -> None:
    from helsami_portal import loadtest
    from helsami_portal.seed import seed
    from helsami_portal.store.db import make_engine
    from helsami_portal.store.store import Store

    store = Store(make_engine(url))
    seed(store)
    loadtest.prepare(store, staff=staff, items=items)
    store.engine.dispose()


def fresh_db(kind: str, staff: int, items: int, tag: str) -> tuple[str, Any]:
    """A database of the load test's world, fresh from a template; (url, drop function)."""
    if kind == "sqlite":
        (HERE / "data").mkdir(exist_ok=True)
        template = HERE / "data" / f"ops-{staff}-{items}-{tag}.sqlite3"
        if not template.exists():
            tmp = template.with_suffix(".building")
            tmp.unlink(missing_ok=True)
            _seed(f"sqlite:///{tmp}", staff, items)
            tmp.rename(template)
        d = tempfile.mkdtemp(prefix="ops-")
        shutil.copy(template, f"{d}/db.sqlite3")
        return f"sqlite:///{d}/db.sqlite3", lambda: shutil.rmtree(d, ignore_errors=True)
    import psycopg

    template = f"helsami_ops_{staff}_{items}_{tag}"
    name = f"helsami_ops_run_{os.getpid()}"
    base = PG_ADMIN.rsplit("/", 1)[0]
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (template,)).fetchone():
            conn.execute(f'CREATE DATABASE "{template}"')
            _seed(f"{base}/{template}", staff, items)
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')

    def drop() -> None:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{base}/{name}", drop


class Portal:
    """The app in-process and the signed-in staff."""

    def __init__(self, url: str) -> None:
        from helsami_portal.api.app import create_app
        from helsami_portal.api.settings import Settings
        from helsami_portal.store.db import make_engine
        from helsami_portal.store.store import Store

        self.store = Store(make_engine(url))
        self.app = create_app(self.store, Settings(issuer="http://127.0.0.1", embedded_demo=True, run_jobs=False))
        self.app.state.portal.tokens.keys.ensure()
        self.headers: list[list[tuple[bytes, bytes]]] = []

    async def sign_in(self, staff: int) -> None:
        import orjson

        from helsami_portal.loadtest import staff_username

        form = [(b"content-type", b"application/x-www-form-urlencoded")]
        for i in range(staff):
            st, body = await call(
                self.app, "POST", "/auth/demo-login", "", form, f"username={staff_username(i)}".encode()
            )
            assert st == 200, (st, body[:200])
            self.headers.append([(b"authorization", f"Bearer {orjson.loads(body)['access_token']}".encode())])

    async def op(
        self, who: int, name: str, task_id: str | None = None, version: str | None = None, body: Any = None
    ) -> tuple[int, bytes]:
        import orjson

        from helsami_portal.loadtest import POOL_ID

        h = [*self.headers[who], (b"content-type", b"application/fhir+json")]
        if version is not None:
            h.append((b"if-match", f'W/"{version}"'.encode()))
        if name == "claim":
            body = {
                "resourceType": "Parameters",
                "parameter": [{"name": "pool", "valueReference": {"reference": f"HealthcareService/{POOL_ID}"}}],
            }
            return await call(self.app, "POST", "/fhir/Task/$claim-next", "", h, orjson.dumps(body))
        return await call(
            self.app, "POST", f"/fhir/Task/{task_id}/${name}", "", h, orjson.dumps(body) if body is not None else b""
        )


def reply_body(mid: str) -> dict[str, Any]:
    return {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "text", "valueString": "Takk for meldingen, vi ser på dette."},
            {"name": "messageId", "valueString": mid},
        ],
    }


async def one_item(
    portal: Portal, who: int, times: dict[str, list[float]], profs: dict[str, cProfile.Profile] | None
) -> None:
    """Claim the next item, reply once, complete it, as staff member `who`; each timed (and profiled)."""
    import orjson

    async def timed(name: str, *a: Any, **kw: Any) -> Any:
        prof = profs[name] if profs else None
        t0 = time.perf_counter()
        if prof:
            prof.enable()
        st, body = await portal.op(who, name, *a, **kw)
        if prof:
            prof.disable()
        times[name].append(time.perf_counter() - t0)
        assert st == 200, (name, st, body[:300])
        return orjson.loads(body)

    t = await timed("claim")
    out = await timed("reply", t["id"], t["meta"]["versionId"], reply_body(str(uuid.uuid4())))
    after = out["parameter"][0]["resource"]
    await timed("complete", t["id"], after["meta"]["versionId"])


def measure(args: argparse.Namespace) -> None:
    url, drop = fresh_db(args.db, args.staff, args.items, args.tag)
    try:
        portal = Portal(url)
        print(f"load average at start: {os.getloadavg()[0]:.2f}")

        async def run() -> None:
            await portal.sign_in(args.staff)
            who = iter(range(10**9))
            warm: dict[str, list[float]] = {op: [] for op in OPS}
            for _ in range(20):
                await one_item(portal, next(who) % args.staff, warm, None)
            hop: dict[str, list[float]] = {op: [] for op in OPS}
            for _ in range(args.rounds):
                await one_item(portal, next(who) % args.staff, hop, None)
            inline_threads()
            flat: dict[str, list[float]] = {op: [] for op in OPS}
            cpu: dict[str, float] = dict.fromkeys(OPS, 0.0)
            for _ in range(args.rounds):  # CPU per operation: each timed on its own
                for op in OPS:
                    flat[op].append(0.0)
                w = next(who) % args.staff
                t0 = time.process_time()
                t = await portal.op(w, "claim")
                cpu["claim"] += time.process_time() - t0
                import orjson

                task = orjson.loads(t[1])
                t0 = time.process_time()
                st, body = await portal.op(
                    w, "reply", task["id"], task["meta"]["versionId"], reply_body(str(uuid.uuid4()))
                )
                cpu["reply"] += time.process_time() - t0
                v = orjson.loads(body)["parameter"][0]["resource"]["meta"]["versionId"]
                t0 = time.process_time()
                st, body = await portal.op(w, "complete", task["id"], v)
                cpu["complete"] += time.process_time() - t0
                assert st == 200, body[:300]
            total = 0.0
            for op in OPS:
                c = cpu[op] / args.rounds * 1e3
                total += c
                print(
                    f"{op:>9}: p50 {statistics.median(hop[op]) * 1e3:6.2f} ms with thread hops, "
                    f"CPU {c:6.2f} ms per request inline"
                )
            print(
                f"per item: CPU {total:.2f} ms ({args.rounds} rounds, {args.db}, {args.items:,} items, "
                f"load average {os.getloadavg()[0]:.2f})"
            )
            if not args.top and not args.out:
                return
            timer = time.process_time if args.cpu else time.perf_counter
            profs = {op: cProfile.Profile(timer) for op in OPS}
            times: dict[str, list[float]] = {op: [] for op in OPS}
            for _ in range(args.rounds):
                await one_item(portal, next(who) % args.staff, times, profs)
            for op in OPS:
                if args.out:
                    profs[op].dump_stats(f"{args.out}.{op}")
                for key in ("cumulative", "tottime"):
                    s = io.StringIO()
                    pstats.Stats(profs[op], stream=s).sort_stats(key).print_stats(args.top)
                    print(f"===== {op} by {key}")
                    print(s.getvalue())

        asyncio.run(run())
        portal.store.engine.dispose()
    finally:
        drop()


# -- served: the portal's own process, over HTTP ---------------------------------------------------


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) of a process and its waited-for children so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _server_cpu(pid: int) -> float:
    """CPU seconds of a server and its worker processes (uvicorn's children)."""
    total = _cpu_of(pid)
    for child in Path(f"/proc/{pid}/task").glob("*/children"):
        for c in child.read_text().split():
            total += _server_cpu(int(c))
    return total


def served(args: argparse.Namespace) -> None:
    """CPU of the portal's server process per operation, one client, sequential, over HTTP (what the
    load test's portal spends; /proc accounting in clock ticks, so summed over many requests)."""
    import socket
    import subprocess

    import httpx

    url, drop = fresh_db(args.db, args.staff, args.items, args.tag)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    proc = subprocess.Popen(
        [sys.executable, "-m", "helsami_portal.cli", "serve", "--db", url, "--port", str(port), "--workers", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "HELSAMI_EMBEDDED_DEMO": "0"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/fhir/metadata", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        from helsami_portal.loadtest import POOL_ID, _sign_in

        async def run() -> None:
            async with httpx.AsyncClient(base_url=base, timeout=60) as http:
                sessions = [await _sign_in(http, f"last{i:03d}") for i in range(min(args.staff, 10))]
                cpu = dict.fromkeys(OPS, 0.0)
                wall: dict[str, list[float]] = {op: [] for op in OPS}
                claim = {
                    "resourceType": "Parameters",
                    "parameter": [{"name": "pool", "valueReference": {"reference": f"HealthcareService/{POOL_ID}"}}],
                }

                async def timed(op: str, n: int, *a: Any, **kw: Any) -> Any:
                    c0, t0 = _server_cpu(proc.pid), time.perf_counter()
                    r = await http.post(*a, **kw)
                    t1, c1 = time.perf_counter(), _server_cpu(proc.pid)
                    if n >= 20:  # after the warm-up
                        wall[op].append(t1 - t0)
                        cpu[op] += c1 - c0
                    assert r.status_code == 200, (op, r.status_code, r.text[:300])
                    return r.json()

                for n in range(args.rounds + 20):
                    sess = sessions[n % len(sessions)]
                    h = sess.headers()
                    t = await timed("claim", n, "/fhir/Task/$claim-next", json=claim, headers=h)
                    out = await timed(
                        "reply",
                        n,
                        f"/fhir/Task/{t['id']}/$reply",
                        json=reply_body(str(uuid.uuid4())),
                        headers={**h, "If-Match": f'W/"{t["meta"]["versionId"]}"'},
                    )
                    v = out["parameter"][0]["resource"]["meta"]["versionId"]
                    await timed("complete", n, f"/fhir/Task/{t['id']}/$complete", headers={**h, "If-Match": f'W/"{v}"'})
                total = 0.0
                for op in OPS:
                    c = cpu[op] / args.rounds * 1e3
                    total += c
                    print(
                        f"{op:>9}: p50 {statistics.median(wall[op]) * 1e3:6.2f} ms over HTTP, "
                        f"server CPU {c:6.2f} ms per request"
                    )
                print(
                    f"per item: server CPU {total:.2f} ms ({args.rounds} rounds, served, {args.db}, "
                    f"{args.items:,} items, load average {os.getloadavg()[0]:.2f})"
                )

        print(f"load average at start: {os.getloadavg()[0]:.2f}")
        asyncio.run(run())
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        drop()


# -- answers, normalised ---------------------------------------------------------------------------

_INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?")
_HTTPDATE = re.compile(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT")
_MINUTE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC")
_UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}|[0-9a-f]{32}")


def _collapse(s: str) -> str:
    return _INSTANT.sub("<t>", _UUID.sub("<id>", s))


class Normaliser:
    """Ids and instants the run made, replaced by their order of first appearance (same value, same
    name): the answers of two trees compare byte for byte when they agree on everything else."""

    def __init__(self, known_instants: set[str]) -> None:
        self.known = known_instants
        self.names: dict[str, str] = {}

    def _name(self, kind: str, v: str) -> str:
        if v not in self.names:
            self.names[v] = f"<{kind}{len(self.names)}>"
        return self.names[v]

    def text(self, s: str) -> str:
        s = _UUID.sub(lambda m: self._name("id", m.group(0)), s)
        s = _HTTPDATE.sub("<http-date>", s)
        s = _MINUTE.sub("<minute> UTC", s)  # the time of day in a refusal's text
        return _INSTANT.sub(self._instant, s)

    def _instant(self, m: re.Match[str]) -> str:
        v = m.group(0)
        if v in self.known:
            return v
        if "." not in v:  # to the second (a refusal's "when"): which ones are equal depends on the run's speed
            return "<t-second>"
        return self._name("t", v)


def answers(args: argparse.Namespace) -> None:
    import orjson
    import sqlalchemy as sa

    from helsami_portal.store.schema import metadata

    url, drop = fresh_db(args.db, args.staff, args.items, args.tag)
    try:
        portal = Portal(url)
        with portal.store.engine.connect() as conn:  # the instants already in the database stay as they are
            known: set[str] = set()
            for table in metadata.sorted_tables:
                for row in conn.execute(sa.select(table)):
                    for v in row:
                        if isinstance(v, str):
                            known.update(_INSTANT.findall(v))
        norm = Normaliser(known)
        out: list[Any] = []

        def note(label: str, st: int, body: bytes) -> Any:
            out.append([label, st, orjson.loads(body) if body else None])
            return out[-1][2]

        async def run() -> None:
            await portal.sign_in(args.staff)
            for i in range(args.answer_rounds):
                w = i % args.staff
                t = note(f"{i} claim", *(await portal.op(w, "claim")))
                mid = f"msg-{i:04d}"
                r = note(f"{i} reply", *(await portal.op(w, "reply", t["id"], t["meta"]["versionId"], reply_body(mid))))
                after = r["parameter"][0]["resource"]
                if i % 5 == 0:  # the answer was lost: the same messageId again, sent once
                    note(
                        f"{i} reply again",
                        *(await portal.op(w, "reply", t["id"], after["meta"]["versionId"], reply_body(mid))),
                    )
                if i % 7 == 0:  # a second reply with a new messageId (a second message)
                    note(
                        f"{i} second reply",
                        *(await portal.op(w, "reply", t["id"], after["meta"]["versionId"], reply_body(f"x{mid}"))),
                    )
                    cur = orjson.loads(
                        (await call(portal.app, "GET", f"/fhir/Task/{t['id']}", "", portal.headers[w]))[1]
                    )
                    after = cur
                if i % 3 == 0:  # a colleague tries to reply to and complete this item: refused
                    other = (w + 1) % args.staff
                    note(
                        f"{i} other replies",
                        *(await portal.op(other, "reply", t["id"], after["meta"]["versionId"], reply_body(f"o{mid}"))),
                    )
                    note(
                        f"{i} other completes",
                        *(await portal.op(other, "complete", t["id"], after["meta"]["versionId"])),
                    )
                if i % 4 == 0:  # a stale If-Match: refused
                    note(f"{i} stale complete", *(await portal.op(w, "complete", t["id"], t["meta"]["versionId"])))
                if i % 6 == 0:  # no If-Match
                    note(f"{i} complete without If-Match", *(await portal.op(w, "complete", t["id"], None)))
                note(f"{i} complete", *(await portal.op(w, "complete", t["id"], after["meta"]["versionId"])))
                if i % 4 == 1:  # done already
                    note(f"{i} complete again", *(await portal.op(w, "complete", t["id"], after["meta"]["versionId"])))
                    note(
                        f"{i} reply after done",
                        *(await portal.op(w, "reply", t["id"], after["meta"]["versionId"], reply_body(f"d{mid}"))),
                    )
            # claim-next refusals: no pool, a pool one is not a member of
            h = [*portal.headers[0], (b"content-type", b"application/fhir+json")]
            note("claim-next without pool", *(await call(portal.app, "POST", "/fhir/Task/$claim-next", "", h, b"")))
            bad = {
                "resourceType": "Parameters",
                "parameter": [{"name": "pool", "valueReference": {"reference": "HealthcareService/nope"}}],
            }
            note(
                "claim-next other pool",
                *(await call(portal.app, "POST", "/fhir/Task/$claim-next", "", h, orjson.dumps(bad))),
            )

        asyncio.run(run())
        tables: dict[str, Any] = {}
        with portal.store.engine.connect() as conn:
            for table in metadata.sorted_tables:
                if table.name == "signing_key":  # the portal's own key, new per start
                    continue
                rows = [list(row) for row in conn.execute(sa.select(table))]
                # in an order that does not depend on the ids and instants the run made (ties: as stored)
                tables[table.name] = sorted(rows, key=lambda r: _collapse(orjson.dumps(r, default=str).decode()))
        portal.store.engine.dispose()
        text = orjson.dumps(
            {"answers": out, "tables": tables},
            option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
            default=str,
        ).decode()
        Path(args.answers).write_text(norm.text(text))
    finally:
        drop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--staff", type=int, default=50)
    ap.add_argument("--items", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=300)
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--cpu", action="store_true", help="profile CPU time (time.process_time), not wall time")
    ap.add_argument("--out", help="also write the raw profiles (pstats) to OUT.claim, OUT.reply, OUT.complete")
    ap.add_argument("--tag", default="v1", help="the template database's tag (a new one when a tree's schema differs)")
    ap.add_argument("--answers", help="write the normalised answers and tables of a scripted sequence here")
    ap.add_argument(
        "--served", action="store_true", help="the portal as a server process over HTTP; its CPU per operation"
    )
    ap.add_argument("--answer-rounds", type=int, default=24)
    args = ap.parse_args(argv)
    if args.answers:
        answers(args)
    elif args.served:
        served(args)
    else:
        measure(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
