"""`helsami-portal`: seed, serve, simulate, worker."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from . import __version__


def _db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=os.environ.get("HELSAMI_DB"),
                   help="database URL: sqlite:///PATH or postgresql://USER@HOST:PORT/DB "
                        "(default: a SQLite file in the user data directory; env HELSAMI_DB)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="helsami-portal", description="HelsaMi portal: FHIR R4 inbox API server")
    parser.add_argument("--version", action="version", version=f"helsami-portal {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    s = sub.add_parser("seed", help="create the schema and fill it with synthetic data")
    _db_arg(s)
    s.add_argument("--patients", type=int, default=200)
    s.add_argument("--tasks", type=int, default=600)
    s.add_argument("--seed", type=int, default=1, help="random seed (same seed, same data)")
    s.add_argument("--reset", action="store_true", help="drop all portal tables first")

    v = sub.add_parser("serve", help="serve the API")
    _db_arg(v)
    v.add_argument("--host", default="127.0.0.1")
    v.add_argument("--port", type=int, default=8080)
    v.add_argument("--workers", type=int, default=1, help="processes (use PostgreSQL for more than one)")
    v.add_argument("--public-url", help="the address clients use, if not http://HOST:PORT")
    v.add_argument("--oidc-issuer", help="also trust tokens of this OpenID Connect issuer (see docs/auth.md)")
    v.add_argument("--oidc-audience", help="audience the external tokens must carry")
    v.add_argument("--oidc-claim", default="preferred_username", help="claim that names the portal user")
    v.add_argument("--oidc-jwks-url", help="the issuer's key set, if not found by discovery")
    v.add_argument("--routing", default=os.environ.get("HELSAMI_ROUTING"),
                   help="routing table (JSON, see helsami_portal/routing/default.json); env HELSAMI_ROUTING")

    m = sub.add_parser("simulate", help="send patient traffic through the patient API")
    m.add_argument("--portal", default="http://127.0.0.1:8080")
    m.add_argument("--rate", type=float, default=1.0, help="actions per second")
    m.add_argument("--duration", type=float, default=60.0, help="seconds to run (0 = until interrupted)")
    m.add_argument("--patients", type=int, default=20, help="how many patient accounts to act as")
    m.add_argument("--password", default="demo")

    w = sub.add_parser("worker", help="run the background jobs (safety net) until SIGINT/SIGTERM")
    _db_arg(w)
    w.add_argument("--interval", type=float, default=60.0, help="seconds between runs (default 60)")
    w.add_argument("--once", action="store_true", help="run the jobs once and exit")

    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    if args.command == "seed":
        from .seed import seed
        from .store.db import make_engine
        from .store.store import Store

        store = Store(make_engine(args.db))
        if args.reset:
            store.drop_schema()
        counts = seed(store, patients=args.patients, tasks=args.tasks, seed_value=args.seed,
                      progress=lambda m: print(m, file=sys.stderr, flush=True))
        for k in sorted(counts):
            print(f"{k:>24}: {counts[k]:,}")
        print(f"database: {store.engine.url.render_as_string(hide_password=True)}")
        return 0

    if args.command == "serve":
        import uvicorn

        from .routing import RoutingError
        from .store.db import make_engine
        from .store.store import Store
        from .workflow.routing import load_for

        check = Store(make_engine(args.db, pool_size=1))
        check.create_schema()
        try:  # a bad routing table stops the start, with every problem named
            load_for(check, args.routing)
        except RoutingError as e:
            print(e, file=sys.stderr)
            return 2
        finally:
            check.engine.dispose()

        env = {"HELSAMI_DB": args.db or "", "HELSAMI_ISSUER": args.public_url or f"http://{args.host}:{args.port}",
               "HELSAMI_OIDC_ISSUER": args.oidc_issuer or "",
               "HELSAMI_OIDC_AUDIENCE": args.oidc_audience or "", "HELSAMI_OIDC_CLAIM": args.oidc_claim,
               "HELSAMI_OIDC_JWKS_URL": args.oidc_jwks_url or "", "HELSAMI_ROUTING": args.routing or ""}
        os.environ.update(env)
        uvicorn.run("helsami_portal.api.factory:app_from_env", factory=True, host=args.host, port=args.port,
                    workers=args.workers, log_level="info", access_log=False, timeout_graceful_shutdown=5,
                    timeout_keep_alive=75)
        return 0

    if args.command == "simulate":
        from .simulate import run
        return run(args.portal, rate=args.rate, duration=args.duration, patients=args.patients,
                   password=args.password)

    if args.command == "worker":
        from .jobs import run_worker
        return run_worker(args.db, interval=args.interval, once=args.once)

    return 2


if __name__ == "__main__":
    sys.exit(main())
