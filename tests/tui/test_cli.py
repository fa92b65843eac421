"""The command line: sign-out without a session says so in the user's language."""

from __future__ import annotations

from typing import Any

from helsami_tui import cli


def test_logout_without_a_session(monkeypatch: Any, tmp_path: Any, capsys: Any) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HELSAMI_LANG", "en")
    monkeypatch.setattr("keyring.get_keyring", lambda: (_ for _ in ()).throw(RuntimeError("no keyring")))
    assert cli.main(["--portal", "http://127.0.0.1:9", "logout"]) == 0
    assert capsys.readouterr().out.strip() == "Not signed in."
