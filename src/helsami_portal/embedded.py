"""A portal running inside another program (the terminal app's demo, tests, benchmarks).

Only this class turns on `Settings.embedded_demo`, which enables the demo sign-in endpoint;
`helsami-portal serve` has no way to do so.
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from .api.app import create_app
from .api.settings import Settings
from .store.db import make_engine
from .store.store import Store


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class EmbeddedPortal:
    def __init__(
        self,
        db_url: str,
        *,
        port: int | None = None,
        demo: bool = True,
        seed: bool = True,
        patients: int = 200,
        tasks: int = 600,
        run_jobs: bool = True,
        seed_value: int = 1,
        reference: dt.datetime | None = None,
        settings: dict[str, Any] | None = None,
    ) -> None:
        """`seed_value` and `reference` (the "now" the synthetic data is drawn around; the current
        time when None) make the seeded data a pure function of the two. `settings` overrides
        fields of the portal's Settings (limits, for example)."""
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        timeout = (settings or {}).get("statement_timeout_ms", Settings.model_fields["statement_timeout_ms"].default)
        self.store = Store(make_engine(db_url, statement_timeout_ms=timeout))
        self.store.create_schema()
        if seed:
            import sqlalchemy as sa

            from .seed import seed as do_seed
            from .store.schema import task

            with self.store.read() as tx:
                empty = not tx.conn.execute(sa.select(sa.func.count()).select_from(task)).scalar_one()
            if empty:  # bulk loading runs long statements: not under the serving statement timeout
                loader = Store(make_engine(db_url, pool_size=1))
                try:
                    do_seed(loader, patients=patients, tasks=tasks, seed_value=seed_value, now=reference)
                finally:
                    loader.engine.dispose()
        self.settings = Settings(issuer=self.base_url, embedded_demo=demo, run_jobs=run_jobs, **(settings or {}))
        self.app = create_app(self.store, self.settings)
        from .api.logsafe import log_config

        # No server banner; X-Forwarded-For is the app's business (Settings.trusted_proxies), not
        # uvicorn's; tracebacks are logged without messages or values.
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=75,
            server_header=False,
            proxy_headers=False,
            log_config=log_config("WARNING", portal_loggers=False),
        )
        self.server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 20.0) -> EmbeddedPortal:
        self._thread = threading.Thread(target=self.server.run, name="helsami-portal", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the embedded portal did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> EmbeddedPortal:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def demo_db_path() -> Path:
    import platformdirs

    d = Path(platformdirs.user_data_dir("helsami-portal", appauthor=False))
    d.mkdir(parents=True, exist_ok=True)
    return d / "demo.sqlite3"
