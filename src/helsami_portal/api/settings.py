"""Portal settings: one model for the command line, the environment, a settings file and embedders.

Order, lowest to highest (a later one wins, field by field):

1. the defaults below;
2. the settings file (TOML, top-level keys named as the fields: `--config PATH` or `HELSAMI_CONFIG`);
3. the environment (`HELSAMI_` + the field name in capitals, e.g. `HELSAMI_OIDC_ISSUER`; a few keep
   their older names: `HELSAMI_ROUTING`, `HELSAMI_JOBS`);
4. the flags of `helsami-portal serve` that were given (a flag not given changes nothing).

`Settings(...)` made in code (the embedded portal, tests) reads only its arguments; `load_settings`
reads all four. `helsami-portal config` prints what is in effect and where each value came from.
"""

from __future__ import annotations

import contextvars
import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

CONFIG_ENV = "HELSAMI_CONFIG"
_config_file: contextvars.ContextVar[Path | None] = contextvars.ContextVar("helsami_config_file", default=None)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HELSAMI_", extra="forbid", populate_by_name=True, validate_default=True
    )

    # The portal's public base address (token issuer, links in Bundles, device sign-in page).
    # Not set: http://HOST:PORT.
    issuer: str = Field(
        "http://127.0.0.1:8080", validation_alias=AliasChoices("issuer", "HELSAMI_ISSUER", "public_url")
    )
    # Only `helsami_portal.embedded.EmbeddedPortal` sets this; no flag, variable or file can.
    embedded_demo: bool = False
    # -- limits (docs/api.md, "Limits"; docs/auth.md, "Sign-in policy") --
    max_body_bytes: int = Field(1_000_000, ge=1024, le=100_000_000)  # every route, counted as it streams
    max_url_bytes: int = Field(8192, ge=1024, le=65_536)  # path + query string
    max_json_depth: int = Field(32, ge=4, le=256)  # nesting of a JSON body
    # Sessions: a refresh token lives `session_idle_hours` if unused; no session outlives
    # `session_absolute_hours` from its sign-in, however often it is refreshed.
    session_idle_hours: float = Field(12.0, gt=0, le=24 * 30)
    session_absolute_hours: float = Field(10.0, gt=0, le=24 * 30)
    # Event streams (GET /fhir/$events) open at once, per user and per process.
    max_streams_per_user: int = Field(5, ge=1, le=1000)
    max_streams_per_process: int = Field(500, ge=1, le=100_000)
    # Longest a single SQL statement may run (PostgreSQL statement_timeout, SQLite interrupt).
    statement_timeout_ms: int = Field(5000, ge=100, le=600_000)
    # Sign-in throttling (auth.throttle): failures per window before each further try waits.
    signin_window_minutes: int = Field(15, ge=1, le=24 * 60)
    signin_account_address_limit: int = Field(5, ge=1, le=1000)  # one account from one address
    signin_address_limit: int = Field(30, ge=1, le=100_000)  # all accounts from one address (a NAT, an office)
    signin_account_limit: int = Field(20, ge=1, le=100_000)  # one account from all addresses, except known ones
    signin_base_delay_seconds: int = Field(30, ge=1, le=3600)  # doubles with each failure past a limit
    signin_max_delay_seconds: int = Field(900, ge=1, le=86_400)
    device_authorizations_per_address: int = Field(60, ge=1, le=1_000_000)  # per minute, /oauth/device_authorization
    code_lookups_per_address: int = Field(30, ge=1, le=1_000_000)  # unknown user codes per window at /device
    # Run the safety-net/automatic-release jobs inside this process (see `worker`).
    run_jobs: bool = Field(True, validation_alias=AliasChoices("run_jobs", "HELSAMI_JOBS", "HELSAMI_RUN_JOBS"))
    job_interval: float = Field(60.0, gt=0, le=86_400)  # seconds between job runs
    # The routing table (JSON, see helsami_portal.routing); None: the built-in default.
    routing_file: str | None = Field(
        None, validation_alias=AliasChoices("routing_file", "HELSAMI_ROUTING", "HELSAMI_ROUTING_FILE", "routing")
    )
    # External OpenID Connect issuer to trust besides the portal's own tokens (see docs/auth.md).
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_claim: str = Field("preferred_username", min_length=1, max_length=100)
    oidc_jwks_url: str | None = None
    extra: dict[str, str] = Field(default_factory=dict)
    # -- patient notifications (helsami_portal.delivery; docs/operations.md, "Notifications") --
    # The address a notification asks the patient to sign in at; None: the issuer.
    notify_link: str | None = None
    # E-mail through an SMTP relay; no host: no e-mail notifications.
    smtp_host: str | None = Field(None, max_length=255)
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"  # tls: implicit TLS (port 465)
    smtp_username: str | None = Field(None, max_length=255)
    smtp_password: str | None = Field(None, max_length=1000)
    smtp_from: str = Field("HelsaMi <ikke-svar@helsami.invalid>", min_length=3, max_length=255)
    smtp_ca_file: str | None = None  # certificate authorities to trust for the relay; None: the system's
    # SMS through an HTTP gateway (JSON POST with a bearer token); no address: no SMS notifications.
    sms_url: str | None = None
    sms_token: str | None = Field(None, max_length=1000)
    sms_sender: str = Field("HelsaMi", min_length=1, max_length=11)
    notify_timeout_seconds: float = Field(20.0, gt=0, le=120)  # one try at the relay or the gateway

    # -- the server process (used by `helsami-portal serve`) -----------------------------------
    db: str | None = None  # database URL; None: a SQLite file in the user data directory
    host: str = Field("127.0.0.1", min_length=1, max_length=255)
    port: int = Field(8080, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)
    # Addresses (or networks) of reverse proxies whose X-Forwarded-For/-Proto is believed.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_format: Literal["plain", "json"] = "plain"  # JSON on request (for a log collector)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    access_log: bool = True  # one line per request: ids, route and status only
    metrics: bool = True  # GET /metrics (Prometheus); keep it behind the proxy (see deploy/)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)  # made in code: only what the caller passes

    @field_validator("db")
    @classmethod
    def _db_url(cls, v: str | None) -> str | None:
        if not v:
            return None
        from ..store.db import normalise_url

        normalise_url(v)  # raises a ValueError naming the accepted schemes
        return v

    @field_validator("smtp_host", "smtp_username", "smtp_password", "smtp_ca_file", "sms_token")
    @classmethod
    def _empty_is_none(cls, v: str | None) -> str | None:
        return v or None

    @model_validator(mode="after")
    def _smtp_login_over_tls(self) -> Settings:
        if self.smtp_username and self.smtp_security == "none":
            raise ValueError("smtp_username needs smtp_security starttls or tls: a password is never sent in clear")
        return self

    @field_validator("issuer", "oidc_issuer", "oidc_jwks_url", "notify_link", "sms_url")
    @classmethod
    def _http_url(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is None or (v == "" and info.field_name != "issuer"):
            return None  # an empty variable is the same as none
        if not v.startswith(("http://", "https://")) or len(v) > 500:
            raise ValueError("must be an http:// or https:// address")
        return v.rstrip("/")

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, v: Any) -> Any:
        if isinstance(v, str):  # HELSAMI_TRUSTED_PROXIES=127.0.0.1,10.0.0.0/8 (or a JSON list)
            v = v.strip()
            if v.startswith("["):
                import json

                try:
                    return json.loads(v)
                except ValueError:
                    raise ValueError("must be a JSON list or comma-separated addresses") from None
            return [p.strip() for p in v.split(",") if p.strip()]
        return v

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, v: list[str]) -> list[str]:
        import ipaddress

        for p in v:
            try:
                ipaddress.ip_network(p, strict=False)
            except ValueError:
                raise ValueError(f"{p[:60]!r} is not an IP address or network") from None
        return v


class DeployedSettings(Settings):
    """Settings read from the file, the environment and the flags (`load_settings`)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = _config_file.get()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @model_validator(mode="after")
    def _deployed(self) -> DeployedSettings:
        if self.embedded_demo:
            raise ValueError("embedded_demo is only for the embedded portal; it cannot be set here")
        if "issuer" not in self.model_fields_set:
            self.issuer = f"http://{self.host}:{self.port}"
        if self.workers > 1 and not (self.db or "").startswith("postgres"):
            raise ValueError("more than one worker needs PostgreSQL (a SQLite file serves one process)")
        return self


class SettingsError(Exception):
    """Bad settings, described for a person: one line per problem, never a secret's value."""


SECRET_FIELDS = {"db", "extra", "smtp_password", "sms_token"}


def load_settings(flags: dict[str, Any] | None = None, config_file: str | None = None) -> Settings:
    """The settings in effect: defaults < file < environment < the flags that were given."""
    path_s = config_file or os.environ.get(CONFIG_ENV) or None
    path = Path(path_s).expanduser() if path_s else None
    if path is not None and not path.is_file():
        raise SettingsError(f"settings file {path} does not exist")
    given = {k: v for k, v in (flags or {}).items() if v is not None}
    token = _config_file.set(path)
    try:
        return DeployedSettings(**given)
    except ValidationError as e:
        raise SettingsError(describe_errors(e)) from None
    except ValueError as e:  # a bad TOML file, or a value no field can parse
        raise SettingsError(f"settings file {path}: {e}" if path else str(e)) from None
    finally:
        _config_file.reset(token)


def describe_errors(e: ValidationError) -> str:
    lines = []
    for err in e.errors():
        name = ".".join(str(x) for x in err.get("loc", ())) or "settings"
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        value = (
            ""
            if name.split(".")[0] in SECRET_FIELDS or not name or "input" not in err or isinstance(err["input"], dict)
            else f" (given {repr(err['input'])[:80]})"
        )
        lines.append(f"invalid setting {name}: {msg}{value}" if name != "settings" else f"invalid settings: {msg}")
    return "\n".join(lines)


def mask(name: str, value: Any) -> str:
    if value is None:
        return "(not set)"
    if name == "db":
        from sqlalchemy.engine import make_url

        try:
            return make_url(value).render_as_string(hide_password=True)
        except Exception:
            return "***"
    if name in ("smtp_password", "sms_token"):
        return "***"
    if name == "extra":
        return ", ".join(f"{k}=***" for k in sorted(value)) or "(none)"
    return str(value)


def describe(settings: Settings, flags: dict[str, Any] | None = None, config_file: str | None = None) -> str:
    """What `helsami-portal config` prints: each setting, its value (secrets masked) and its source."""
    given = {k for k, v in (flags or {}).items() if v is not None}
    path_s = config_file or os.environ.get(CONFIG_ENV) or None
    file_keys: set[str] = set()
    if path_s:
        import tomllib

        try:
            file_keys = set(tomllib.loads(Path(path_s).expanduser().read_text(encoding="utf-8")))
        except (OSError, ValueError):
            pass
    env = {k.upper() for k in os.environ}
    out = [f"settings file: {path_s or '(none; --config PATH or ' + CONFIG_ENV + ')'}"]
    for name, info in type(settings).model_fields.items():
        if name == "embedded_demo":
            continue
        aliases = [a for a in getattr(info.validation_alias, "choices", []) if isinstance(a, str)]
        env_names = [f"HELSAMI_{name.upper()}"] + [a for a in aliases if a.startswith("HELSAMI_")]
        if name in given:
            src = "flag"
        elif any(n in env for n in env_names):
            src = "env " + next(n for n in env_names if n in env)
        elif name in file_keys or any(a in file_keys for a in aliases):
            src = "file"
        elif name == "issuer":
            src = "default (http://HOST:PORT)"
        else:
            src = "default"
        out.append(f"  {name:<16} = {mask(name, getattr(settings, name)):<40} [{src}]")
    return "\n".join(out)
