"""Start → first row of two trees, paired, in the pty, with the portal far away: a proxy between the
app and the portal holds every chunk of bytes (and each new connection) for `--delay-ms` in each
direction, as a round trip of twice that would.

    python bench/start_far.py --before BASE/src [--after THIS/src] [--delay-ms 25] [--rounds 8]

The portal, the sessions and the started command are bench/start.py's (the 100k pool, the
installed `helsami-tui --portal URL` with the session in a keyring backend); only the address the
app is given is the proxy's. Prints each start and the medians and paired ratio (after / before).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import statistics
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import start  # noqa: E402 - bench/ on the path first


def _proxy_main(target_port: int, delay: float, conn: Any) -> None:
    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await asyncio.sleep(delay)
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(delay)  # the connection's own round trip
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", target_port)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def serve() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        conn.send(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(serve())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", type=Path, required=True, help="the src folder of the tree to compare with")
    ap.add_argument("--after", type=Path, default=HERE.parent / "src", help="default: this tree's src")
    ap.add_argument("--delay-ms", type=float, default=25.0, help="held in each direction (default 25)")
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--pool", type=int, default=100_000)
    args = ap.parse_args(argv)
    from tui import db_url, ensure_pool

    url = db_url(args.pool)
    ensure_pool(url, args.pool)
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    portal = ctx.Process(target=start._portal_main, args=(url, child), daemon=True)
    portal.start()
    base_url, portal_pid = parent.recv()
    proxy_end, proxy_child = ctx.Pipe()
    port = int(base_url.rsplit(":", 1)[1])
    proxy = ctx.Process(target=_proxy_main, args=(port, args.delay_ms / 1000, proxy_child), daemon=True)
    proxy.start()
    far = f"http://127.0.0.1:{proxy_end.recv()}"
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    try:
        for src in trees.values():  # one start each to warm the portal and the page cache
            start.one_start("pty", src, far, portal_pid)
        for i in range(args.rounds):
            for name in list(trees) if i % 2 == 0 else list(trees)[::-1]:
                r = start.one_start("pty", trees[name], far, portal_pid)
                results[name].append(r)
                print(f"  {name:<6} wall {r['wall_s']:.3f} s  cpu {r['cpu_s']:.3f} s", file=sys.stderr, flush=True)
    finally:
        parent.send("stop")
        proxy.kill()
        portal.join(timeout=15)
    print(f"start → first row in the pty, portal {args.delay_ms:g} ms away each way, medians of {args.rounds}")
    for name, rows in results.items():
        wall = statistics.median(r["wall_s"] for r in rows)
        cpu = statistics.median(r["cpu_s"] for r in rows)
        print(f"  {name:<6} wall {wall:.3f} s  app CPU {cpu:.3f} s")
    ratios = [a["wall_s"] / b["wall_s"] for b, a in zip(results["before"], results["after"], strict=True)]
    faster = sum(x < 1 for x in ratios)
    print(f"  paired after/before: wall {statistics.median(ratios):.3f} ({faster} of {len(ratios)} faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
