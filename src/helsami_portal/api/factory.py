"""Build the app from environment variables (used by `helsami-portal serve`, one per process)."""

from __future__ import annotations

import os

from starlette.applications import Starlette

from ..store.db import make_engine
from ..store.store import Store
from .app import create_app
from .settings import Settings


def app_from_env() -> Starlette:
    store = Store(make_engine(os.environ.get("HELSAMI_DB") or None))
    store.create_schema()
    settings = Settings(
        issuer=os.environ.get("HELSAMI_ISSUER", "http://127.0.0.1:8080"),
        run_jobs=os.environ.get("HELSAMI_JOBS", "1") == "1",
        routing_file=os.environ.get("HELSAMI_ROUTING") or None,
        oidc_issuer=os.environ.get("HELSAMI_OIDC_ISSUER") or None,
        oidc_audience=os.environ.get("HELSAMI_OIDC_AUDIENCE") or None,
        oidc_claim=os.environ.get("HELSAMI_OIDC_CLAIM") or "preferred_username",
        oidc_jwks_url=os.environ.get("HELSAMI_OIDC_JWKS_URL") or None,
    )
    return create_app(store, settings)
