"""Build the app in each server process (used by `helsami-portal serve`, one call per worker).

`serve` checks the settings once and hands them to its workers whole (SETTINGS_ENV, JSON), so every
process runs with exactly what `helsami-portal config` shows; without it (an ASGI server of the
operator's choosing) the settings are read from the file and environment here.
"""

from __future__ import annotations

import gc
import os

from starlette.applications import Starlette

from ..store import migrate
from ..store.db import make_engine
from ..store.store import Store
from .app import create_app
from .settings import Settings, load_settings

SETTINGS_ENV = "HELSAMI_SERVE_SETTINGS"


class SchemaBehind(RuntimeError):
    pass


def app_from_env() -> Starlette:
    given = os.environ.get(SETTINGS_ENV)
    settings = Settings.model_validate_json(given) if given else load_settings()
    store = Store(make_engine(settings.db, statement_timeout_ms=settings.statement_timeout_ms))
    behind = migrate.refuse_if_behind(store.engine)
    if behind:
        raise SchemaBehind(behind)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # A worker that ends takes its live gauges (open event streams) with it.
        import atexit

        from prometheus_client import multiprocess

        atexit.register(multiprocess.mark_process_dead, os.getpid())
    app = create_app(store, settings)
    settle_heap()
    return app


def settle_heap() -> None:
    """What this server process has built so far (its modules, the app, the caches of SQLAlchemy
    and pydantic: some 110,000 objects, alive until the process ends) is moved out of the cyclic
    collector's reach, after one collection so that no garbage is kept; every full collection
    walked all of it again (measured with bench/page_profile.py: about 1.6 ms per inbox page).
    Only here, where the process is the portal's own: an embedded portal (the demo, the tests)
    leaves the host process's collector alone."""
    gc.collect()
    gc.freeze()
