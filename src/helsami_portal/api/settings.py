"""Portal settings, from the command line or from the embedding program."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Settings:
    # The portal's public base address (token issuer, links in Bundles, device sign-in page).
    issuer: str = "http://127.0.0.1:8080"
    # Only `helsami_portal.embedded.EmbeddedPortal` sets this; no flag or variable can.
    embedded_demo: bool = False
    max_body_bytes: int = 1_000_000
    # Run the safety-net/automatic-release jobs inside this process (see `worker`).
    run_jobs: bool = True
    job_interval: float = 60.0  # seconds between job runs
    # The routing table (JSON, see helsami_portal.routing); None: the built-in default.
    routing_file: str | None = None
    # External OpenID Connect issuer to trust besides the portal's own tokens (see docs/auth.md).
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_claim: str = "preferred_username"
    oidc_jwks_url: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
