"""The `TokenSession` the API client draws access tokens from (renewed ahead of expiry and after a
401, single flight), and the `TokenStore` that keeps tokens in the system keyring (or in memory
only when there is no usable keyring). Tokens are never written to disk."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import httpx

from ..errors import NotSignedIn, Offline, PortalError, SignInError
from .flows import discover, refresh, revoke
from .tokens import KEYRING_SERVICE, PortalConfig, Tokens

log = logging.getLogger("helsami_tui.client.auth")

# -- the session the API client draws tokens from -----------------------------------------------


class TokenSession:
    """The current tokens of one signed-in user, renewed when needed.

    Call it (`session()`) for the current access token. `refresh(stale)` renews the tokens once
    for everyone who saw the same stale token (single flight): concurrent callers wait for the one
    refresh in progress instead of spending the rotating refresh token twice, which the portal
    would treat as theft and answer by signing the session out.
    """

    def __init__(
        self,
        portal: str | PortalConfig,
        tokens: Tokens | None,
        *,
        store: TokenStore | None = None,
        http: httpx.AsyncClient | None = None,
        on_change: Callable[[Tokens | None], Any] | None = None,
    ) -> None:
        self.portal = portal
        self.portal_url = portal.issuer if isinstance(portal, PortalConfig) else portal.rstrip("/")
        self.tokens: Tokens | None = tokens
        self.store = store
        self.http = http
        self.on_change = on_change
        self._lock = asyncio.Lock()
        self.refresh_count = 0

    def __call__(self) -> str:
        if self.tokens is None:
            raise NotSignedIn("You are signed out. Sign in again.")
        return self.tokens.access_token

    async def access_token(self) -> str:
        """The access token, renewed first when it expires within half a minute."""
        tokens = self.tokens
        if tokens is None:
            raise NotSignedIn("You are signed out. Sign in again.")
        if tokens.expires_soon() and tokens.refresh_token:
            try:
                return await self.refresh(tokens.access_token)
            except Offline:
                return tokens.access_token  # let the request itself report the network state
        return tokens.access_token

    async def refresh(self, stale: str | None = None) -> str:
        async with self._lock:
            tokens = self.tokens
            if tokens is None:
                raise NotSignedIn("You are signed out. Sign in again.")
            if stale is not None and tokens.access_token != stale:
                return tokens.access_token  # someone else refreshed while we waited
            if isinstance(self.portal, str):
                self.portal = await discover(self.portal, http=self.http)
            try:
                new = await refresh(self.portal, tokens, http=self.http)
            except NotSignedIn:
                self._set(None)
                raise
            self.refresh_count += 1
            self._set(new)
            return new.access_token

    async def sign_out(self) -> None:
        tokens = self.tokens
        self._set(None)
        if tokens is not None:
            try:
                await revoke(self.portal, tokens.refresh_token or tokens.access_token, http=self.http)
            except (Offline, SignInError, PortalError) as e:
                log.info("sign-out could not reach the portal: %s", type(e).__name__)

    def use(self, tokens: Tokens) -> None:
        """Take the tokens of a new sign-in (kept, as every renewal is)."""
        self._set(tokens)

    def _set(self, tokens: Tokens | None) -> None:
        self.tokens = tokens
        if self.store is not None:
            if tokens is None:
                self.store.delete(self.portal_url)
            else:
                self.store.save(self.portal_url, tokens)
        if self.on_change is not None:
            self.on_change(tokens)


# -- where tokens are kept ---------------------------------------------------------------------


KeyringReason = Literal["", "missing", "unusable", "by-choice", "failed"]


class TokenStore:
    """Tokens per portal URL in the system keyring (service "helsami-tui"); in memory only when
    no usable keyring backend exists. `memory_only` tells the app to say so to the user once
    (they will have to sign in again next time). Never writes tokens to disk itself."""

    def __init__(self, backend: Any | None = None, service: str = KEYRING_SERVICE, *, discover: bool = False) -> None:
        """`backend`: this keyring backend instead of the system's (`system_keyring`); `discover`:
        look for the system's anew rather than take the one found last time (`helsami-tui doctor`
        and `login`)."""
        self.service = service
        self._memory: dict[str, str] = {}
        self._backend: Any | None = None
        self.memory_only = True
        # Why the tokens are in memory only, as a code the app translates ("" when in the keyring):
        # "missing", "unusable", "by-choice" or "failed"; `reason_detail` names the technical cause.
        self.reason: KeyringReason = ""
        self.reason_detail = ""
        try:
            kr = backend if backend is not None else system_keyring(discover=discover)
        except Exception as e:  # keyring missing or broken: memory only
            self.reason, self.reason_detail = "missing", type(e).__name__
            return
        if _unusable(kr):
            self.reason, self.reason_detail = "unusable", type(kr).__name__
            return
        self._backend = kr
        self.memory_only = False

    @classmethod
    def in_memory(cls, service: str = KEYRING_SERVICE) -> TokenStore:
        """A store that never touches the keyring: the tokens of one process (a browser session of
        `helsami-tui serve-web`, where the keyring is the server account's, shared by every user)."""
        store = cls.__new__(cls)
        store.service = service
        store._memory = {}
        store._backend = None
        store.memory_only = True
        store.reason, store.reason_detail = "by-choice", ""
        return store

    def _fall_back(self, e: Exception) -> None:
        log.warning("keyring failed (%s); keeping tokens in memory only", type(e).__name__)
        self._backend = None
        self.memory_only = True
        self.reason, self.reason_detail = "failed", type(e).__name__

    def load(self, portal_url: str) -> Tokens | None:
        key = portal_url.rstrip("/")
        if self._backend is not None:
            try:
                text = self._backend.get_password(self.service, key)
            except Exception as e:  # NoKeyringError, locked keyring, D-Bus gone, ...
                self._fall_back(e)
                text = self._memory.get(key)
        else:
            text = self._memory.get(key)
        return Tokens.from_json(text) if text else None

    def save(self, portal_url: str, tokens: Tokens) -> None:
        key = portal_url.rstrip("/")
        text = tokens.to_json()
        if self._backend is not None:
            try:
                self._backend.set_password(self.service, key, text)
                return
            except Exception as e:
                self._fall_back(e)
        self._memory[key] = text

    def delete(self, portal_url: str) -> None:
        key = portal_url.rstrip("/")
        self._memory.pop(key, None)
        if self._backend is not None:
            try:
                self._backend.delete_password(self.service, key)
            except Exception as e:
                import keyring.errors

                if not isinstance(e, keyring.errors.PasswordDeleteError):
                    self._fall_back(e)


REMEMBERED_BACKEND = "keyring-backend"
"""The file, in the user's cache directory, naming the keyring backend found last time (its class,
`module.Class`): no token, no secret."""


def remembered_backend_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("helsami-tui", appauthor=False)) / REMEMBERED_BACKEND


def system_keyring(*, discover: bool = False) -> Any:
    """The system keyring backend, as keyring would choose it, without its discovery at every start.

    keyring's own choice (`keyring.get_keyring()`) first loads every installed backend to ask each
    how suitable it is: 60-75 ms of imports on an idle Linux machine (the macOS backend's look-up of
    its library spawns `ldconfig`), 0.5 s and more on a busy one, before the session can be read and
    any request leave. So the backend found is remembered (its class name, in the user's cache
    directory) and the next start loads that class alone, if it is still usable (keyring's own
    `load_keyring`, which asks it); otherwise, or with `discover`, keyring chooses again and the
    choice is remembered. A backend named by `PYTHON_KEYRING_BACKEND` or keyring's configuration
    file is taken as keyring takes it. A chain of several backends is not remembered (loading it is
    a discovery)."""
    import keyring
    import keyring.core

    configured = keyring.core.load_env() or keyring.core.load_config()
    if configured is not None:
        return configured
    path = remembered_backend_path()
    if not discover:
        try:
            name = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            name = ""
        if name:
            try:
                return keyring.core.load_keyring(name)
            except Exception:  # gone, no longer usable (D-Bus away, ...): choose again
                pass
    kr = keyring.get_keyring()
    cls = type(kr)
    name = f"{cls.__module__}.{cls.__qualname__}"
    from keyring.backends import chainer

    try:
        if isinstance(kr, chainer.ChainerBackend):
            path.unlink(missing_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(name + "\n", encoding="utf-8")
            tmp.replace(path)
    except OSError as e:  # a read-only home: keyring chooses at every start
        log.info("could not remember the keyring backend (%s)", type(e).__name__)
    return kr


def _unusable(kr: Any) -> bool:
    try:
        from keyring.backends import fail, null
    except Exception:  # pragma: no cover
        return True
    if isinstance(kr, (fail.Keyring, null.Keyring)):
        return True
    try:
        from keyring.backends import chainer

        if isinstance(kr, chainer.ChainerBackend) and not kr.backends:
            return True
    except Exception:  # pragma: no cover
        pass
    try:
        return float(getattr(kr, "priority", 1)) <= 0 and type(kr).__module__.startswith("keyring.backends")
    except Exception:
        return False
