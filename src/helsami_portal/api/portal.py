"""The shared state of one portal process: store, settings, tokens, the event hub, the routing
table and the notification channels, and the sign-in check of a request (`Portal.authenticate`)."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request

from ..auth.external import ExternalIssuer, verify_any
from ..auth.principal import Principal, load_staff
from ..auth.tokens import TokenService
from ..fhir.outcome import FhirError
from ..jobs import JobRunner, default_jobs, setup_notifications
from ..store.store import Store
from ..workflow import routing
from .event_hub import EventHub
from .settings import Settings

MAX_PRINCIPALS = 10_000  # signed-in principals kept per process
TOKEN_LEEWAY = 30  # seconds past `exp` a token is still accepted (as TokenService.verify)


class Portal:
    """Shared state of one portal process."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.tokens = TokenService(
            store,
            settings.issuer,
            idle=dt.timedelta(hours=settings.session_idle_hours),
            absolute=dt.timedelta(hours=settings.session_absolute_hours),
        )
        self.events = EventHub(
            store, per_user=settings.max_streams_per_user, per_process=settings.max_streams_per_process
        )
        # Principals by access token, with the auth counter they were built at and the token's expiry:
        # valid while the counter stands (no session revoked, no role or membership changed).
        self._principals: dict[str, tuple[int, Principal, float]] = {}
        # A trusted external OpenID Connect issuer, when one is set (Settings.oidc_issuer).
        self.external = (
            ExternalIssuer(
                settings.oidc_issuer,
                settings.oidc_audience or "helsami-portal",
                settings.oidc_claim,
                settings.oidc_jwks_url,
            )
            if settings.oidc_issuer
            else None
        )
        # The routing table is checked against this database now: a bad one stops the start.
        self.routing = routing.install(store, routing.load_for(store, settings.routing_file))
        self.delivery = setup_notifications(store, settings)  # the channels patients are notified by
        # The clock and the pause of an answer that is slowed down on purpose (a failed sign-in takes
        # at least a second): a test replaces both to see the wait asked for without spending it.
        self.monotonic: Callable[[], float] = time.monotonic
        self.sleep: Callable[[float], Awaitable[object]] = asyncio.sleep

    async def start_jobs(self) -> list[Any]:
        """Background jobs of this process (the safety net), unless `run_jobs` is off."""
        if not self.settings.run_jobs:
            return []
        self.jobs = JobRunner(self.store, interval=self.settings.job_interval, jobs=default_jobs(self.delivery))
        return [asyncio.create_task(self.jobs.run_async(), name="helsami-jobs")]

    def authenticate(self, request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise FhirError(
                401,
                "Sign in first: this request needs an access token (Authorization: Bearer ...).",
                code="login",
                headers={"WWW-Authenticate": 'Bearer realm="helsami"'},
                reason="sign-in-required",
            )
        token = token.strip()
        with self.store.read() as tx:
            epoch = tx.auth_epoch()
            cached = self._principals.get(token)
            if cached is not None and cached[0] == epoch and time.time() < cached[2]:
                return cached[1]
            claims = verify_any(self.tokens, self.external, tx, token)
            kind, res = claims.kind, claims.resource
            who: Principal | None = None
            if kind == "staff" and res.startswith("Practitioner/"):
                who = load_staff(tx, res.split("/", 1)[1], username=claims.username, session_id=claims.session_id)
            elif kind == "patient" and res.split("/", 1)[0] in ("Patient", "RelatedPerson"):
                who = Principal(
                    "patient", res, claims.username, str(claims.claims.get("name", "")), session_id=claims.session_id
                )
        if who is None:
            raise FhirError(401, "The access token does not name a known user.", code="login", reason="user-unknown")
        if claims.claims.get("iss") == self.tokens.issuer and isinstance(claims.claims.get("exp"), int):
            if len(self._principals) >= MAX_PRINCIPALS:  # the oldest go first
                for old in list(self._principals)[: MAX_PRINCIPALS // 10]:
                    self._principals.pop(old, None)
            self._principals[token] = (epoch, who, claims.claims["exp"] + TOKEN_LEEWAY)
        return who
