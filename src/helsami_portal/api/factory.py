"""Build the app in each server process (used by `helsami-portal serve`, one call per worker).

`serve` checks the settings once and hands them to its workers whole (SETTINGS_ENV, JSON), so every
process runs with exactly what `helsami-portal config` shows; without it (an ASGI server of the
operator's choosing) the settings are read from the file and environment here.
"""

from __future__ import annotations

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
    return create_app(store, settings)
