"""The keyring backend found at one start is taken again at the next, without keyring's discovery
(which loads every installed backend: 60-75 ms on an idle machine, more on a busy one), while it is
still usable; a configured backend, `doctor` and `login` choose as keyring does."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import keyring
import keyring.backend
import pytest

from helsami_tui.client.auth import session
from helsami_tui.client.auth.session import TokenStore, remembered_backend_path, system_keyring
from helsami_tui.client.auth.tokens import Tokens


class Vault(keyring.backend.KeyringBackend):
    """A usable keyring (in memory), standing for the system's."""

    priority = 5  # type: ignore[assignment]
    kept: ClassVar[dict[tuple[str, str], str]] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.kept.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.kept[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.kept.pop((service, username), None)


class Gone(keyring.backend.KeyringBackend):
    """A backend that was usable once and is not now (its service stopped)."""

    @keyring.backend.properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("the service is not running")

    def get_password(self, service: str, username: str) -> str | None:
        raise AssertionError("not to be used")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise AssertionError("not to be used")


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.setattr(keyring.core, "load_config", lambda: None)  # no keyringrc of the machine's
    Vault.kept = {}
    return remembered_backend_path()


@pytest.fixture
def discoveries(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """keyring's own discovery, which finds the Vault; counts its runs."""
    runs: list[int] = []

    def discover() -> Any:
        runs.append(1)
        return Vault()

    monkeypatch.setattr(keyring, "get_keyring", discover)
    return runs


def test_the_backend_found_is_remembered_and_taken_at_the_next_start(cache: Path, discoveries: list[int]) -> None:
    first = TokenStore()
    assert isinstance(first._backend, Vault) and not first.memory_only
    assert cache.read_text().strip() == _name(Vault)  # a class name: no token, no secret
    tokens = Tokens(access_token="a", refresh_token="r", expires_at=4102444800.0)
    first.save("https://portal.example", tokens)

    again = TokenStore()
    assert isinstance(again._backend, Vault)
    assert len(discoveries) == 1  # the second start did not discover
    assert again.load("https://portal.example") == tokens  # the session saved is found


def test_a_remembered_backend_no_longer_usable_is_chosen_again(cache: Path, discoveries: list[int]) -> None:
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(_name(Gone) + "\n")
    store = TokenStore()
    assert isinstance(store._backend, Vault) and not store.memory_only
    assert len(discoveries) == 1
    assert cache.read_text().strip() == _name(Vault)


@pytest.mark.parametrize("written", ["no.such.module.Keyring", "", "\x00garbage", "keyring.backend.KeyringBackend"])
def test_a_remembered_name_that_cannot_be_loaded_is_chosen_again(
    cache: Path, discoveries: list[int], written: str
) -> None:
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(written)
    assert isinstance(system_keyring(), Vault)
    assert len(discoveries) == 1


def test_doctor_and_login_choose_anew(cache: Path, discoveries: list[int]) -> None:
    TokenStore()
    TokenStore(discover=True)
    assert len(discoveries) == 2


def test_a_backend_named_by_the_environment_is_taken_as_keyring_takes_it(
    cache: Path, discoveries: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    store = TokenStore()
    assert store.memory_only and store.reason == "unusable"
    assert not discoveries and not cache.exists()


def test_no_usable_keyring_is_remembered_too_and_stays_memory_only(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from keyring.backends import fail

    runs: list[int] = []
    monkeypatch.setattr(keyring, "get_keyring", lambda: runs.append(1) or fail.Keyring())
    for _ in range(2):
        store = TokenStore()
        assert store.memory_only and store.reason == "unusable"
    assert len(runs) == 1  # an SSH server without a keyring does not pay the discovery at every start


def test_a_chain_of_backends_is_not_remembered(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from keyring.backends import chainer

    monkeypatch.setattr(chainer.ChainerBackend, "backends", [Vault()])
    monkeypatch.setattr(keyring, "get_keyring", lambda: chainer.ChainerBackend())
    assert isinstance(system_keyring(), chainer.ChainerBackend)
    assert not cache.exists()


def test_a_read_only_cache_directory_does_not_stop_the_start(
    cache: Path, discoveries: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_a: Any, **_k: Any) -> None:
        raise PermissionError("read-only")

    monkeypatch.setattr(session.Path, "mkdir", refuse)
    assert isinstance(TokenStore()._backend, Vault)
