"""`helsami-portal`: seed, migrate, serve, config, simulate, worker."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from . import __version__


def _db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--db",
        help="database URL: sqlite:///PATH or postgresql://USER@HOST:PORT/DB "
        "(default: a SQLite file in the user data directory; env HELSAMI_DB)",
    )
    p.add_argument("--config", help="settings file (TOML; env HELSAMI_CONFIG); see docs/operations.md")


def _serve_args(v: argparse.ArgumentParser) -> None:
    # Every flag defaults to None: a flag not given leaves the file's or the environment's value.
    _db_arg(v)
    v.add_argument("--host", help="address to listen on (default 127.0.0.1; env HELSAMI_HOST)")
    v.add_argument("--port", type=int, help="port (default 8080; env HELSAMI_PORT)")
    v.add_argument("--workers", type=int, help="processes (use PostgreSQL for more than one; env HELSAMI_WORKERS)")
    v.add_argument(
        "--public-url", dest="issuer", help="the address clients use, if not http://HOST:PORT (env HELSAMI_ISSUER)"
    )
    v.add_argument("--oidc-issuer", help="also trust tokens of this OpenID Connect issuer (see docs/auth.md)")
    v.add_argument("--oidc-audience", help="audience the external tokens must carry")
    v.add_argument("--oidc-claim", help="claim that names the portal user (default preferred_username)")
    v.add_argument("--oidc-jwks-url", help="the issuer's key set, if not found by discovery")
    v.add_argument(
        "--routing",
        dest="routing_file",
        help="routing table (JSON, see helsami_portal/routing/default.json); env HELSAMI_ROUTING",
    )
    v.add_argument(
        "--trusted-proxy",
        dest="trusted_proxies",
        action="append",
        help="address or network of a reverse proxy whose X-Forwarded-For is believed (repeatable; "
        "env HELSAMI_TRUSTED_PROXIES, comma-separated)",
    )
    v.add_argument(
        "--statement-timeout-ms",
        type=int,
        help="longest one SQL statement may run (default 5000; env HELSAMI_STATEMENT_TIMEOUT_MS)",
    )
    v.add_argument(
        "--log-format",
        choices=["plain", "json"],
        help="log lines as plain text (default) or JSON; env HELSAMI_LOG_FORMAT",
    )
    v.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"])


SERVE_FLAGS = (
    "db",
    "host",
    "port",
    "workers",
    "issuer",
    "oidc_issuer",
    "oidc_audience",
    "oidc_claim",
    "oidc_jwks_url",
    "routing_file",
    "trusted_proxies",
    "statement_timeout_ms",
    "log_format",
    "log_level",
)


def _settings(args: argparse.Namespace) -> Any:
    from .api.settings import load_settings

    flags = {k: getattr(args, k, None) for k in SERVE_FLAGS}
    return load_settings(flags, args.config)


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

    v = sub.add_parser("serve", help="serve the API (refuses a database whose schema is behind: run migrate)")
    _serve_args(v)
    c = sub.add_parser("config", help="print the settings in effect and where each came from (secrets masked)")
    _serve_args(c)
    g = sub.add_parser("migrate", help="bring the database schema up to date (Alembic), or say where it is")
    _db_arg(g)
    g.add_argument("--check", action="store_true", help="only say whether the schema is current (exit 1 if not)")
    g.add_argument(
        "--autogenerate",
        metavar="MESSAGE",
        help="developers: write a new migration for changes to store/schema.py (review it before use)",
    )

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
    from .api.settings import SettingsError

    try:
        return _run(args)
    except SettingsError as e:
        for line in str(e).splitlines():
            print(f"helsami-portal: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _run(args: argparse.Namespace) -> int:
    from . import logging_setup

    if args.command == "simulate":  # a client of a portal somewhere: no settings of its own
        from .simulate import run

        logging_setup.configure("plain", "INFO")
        return run(args.portal, rate=args.rate, duration=args.duration, patients=args.patients, password=args.password)
    settings = _settings(args)
    logging_setup.configure(settings.log_format, settings.log_level)

    if args.command == "config":
        from .api.settings import describe

        print(describe(settings, {k: getattr(args, k, None) for k in SERVE_FLAGS}, args.config))
        return 0

    if args.command == "seed":
        from .seed import seed
        from .store.db import make_engine
        from .store.store import Store

        store = Store(make_engine(settings.db))
        if args.reset:
            store.drop_schema()
        counts = seed(
            store,
            patients=args.patients,
            tasks=args.tasks,
            seed_value=args.seed,
            progress=lambda m: print(m, file=sys.stderr, flush=True),
        )
        for k in sorted(counts):
            print(f"{k:>24}: {counts[k]:,}")
        print(f"database: {store.engine.url.render_as_string(hide_password=True)}")
        return 0

    if args.command == "migrate":
        from .store import migrate
        from .store.db import make_engine

        engine = make_engine(settings.db, pool_size=1)
        try:
            before = migrate.state(engine)
            if args.check:
                print(before.describe())
                return 0 if before.up_to_date else 1
            if args.autogenerate:
                try:
                    path = migrate.new_revision(engine, args.autogenerate)
                except RuntimeError as e:
                    print(f"helsami-portal: {e}", file=sys.stderr)
                    return 2
                print(f"new migration: {path} (review it before use)")
                return 0
            after = migrate.upgrade(engine)
            print(f"before: {before.describe()}\nnow: {after.describe()}")
            return 0
        finally:
            engine.dispose()

    if args.command == "serve":
        return _serve(settings)

    if args.command == "worker":
        from .jobs import run_worker

        return run_worker(settings.db, interval=args.interval, once=args.once, settings=settings)

    return 2


def _serve(settings: Any) -> int:
    import tempfile

    import uvicorn

    from .api.factory import SETTINGS_ENV
    from .routing import RoutingError
    from .store import migrate
    from .store.db import make_engine
    from .store.store import Store
    from .workflow.routing import load_for

    check = Store(make_engine(settings.db, pool_size=1))
    try:
        behind = migrate.refuse_if_behind(check.engine)
        if behind:
            print(f"helsami-portal: {behind}", file=sys.stderr)
            return 2
        load_for(check, settings.routing_file)  # a bad routing table stops the start, every problem named
    except RoutingError as e:
        print(e, file=sys.stderr)
        return 2
    finally:
        check.engine.dispose()

    # Every worker gets exactly these settings, and writes its metrics where /metrics in any worker
    # adds them up (a fresh directory per start: counters begin at zero, as Prometheus expects).
    os.environ[SETTINGS_ENV] = settings.model_dump_json()
    metrics_dir = None
    if settings.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="helsami-metrics-")
    proxies = ",".join(settings.trusted_proxies)
    try:
        _run_uvicorn(uvicorn, settings, proxies)
    finally:
        if metrics_dir:
            import shutil

            shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


WORKER_HEALTHCHECK_SECONDS = 60


def _run_uvicorn(uvicorn: Any, settings: Any, proxies: str) -> None:
    from . import logging_setup

    uvicorn.run(
        "helsami_portal.api.factory:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_config=logging_setup.log_config(settings.log_format, settings.log_level),
        access_log=False,
        timeout_graceful_shutdown=5,
        # How long uvicorn's supervisor waits for a worker to start and to answer its health check
        # before it kills the worker (uvicorn's default, 5 s, kills workers of a busy machine).
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        timeout_keep_alive=75,
        server_header=False,
        # X-Forwarded-For is believed by the app itself, from Settings.trusted_proxies only (api.guard).
        proxy_headers=False,
    )


if __name__ == "__main__":
    sys.exit(main())
