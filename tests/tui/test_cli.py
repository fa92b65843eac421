"""The command line: sign-out without a session says so in the user's language."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from helsami_tui import cli
from helsami_tui.i18n import current_language, set_language

from ..waiting import WAIT, wait_until


@pytest.fixture(autouse=True)
def language_reset() -> Iterator[None]:
    """`cli.main` sets the process's language from HELSAMI_LANG; the next test starts from the one before."""
    before = current_language()
    yield
    set_language(before)


def test_logout_without_a_session(monkeypatch: Any, tmp_path: Any, capsys: Any) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HELSAMI_LANG", "en")
    monkeypatch.setattr("keyring.get_keyring", lambda: (_ for _ in ()).throw(RuntimeError("no keyring")))
    assert cli.main(["--portal", "http://127.0.0.1:9", "logout"]) == 0
    assert capsys.readouterr().out.strip() == "Not signed in."


def test_ctrl_c_while_waiting_for_sign_in_prints_no_traceback(demo_portal: Any, tmp_path: Any) -> None:
    """`helsami-tui login` waits for the device code's approval; Ctrl-C there ends it quietly."""
    import os
    import signal
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("HELSAMI_")}
    env.update(
        {
            "HOME": str(tmp_path),
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "HELSAMI_LANG": "en",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
            "PYTHONUNBUFFERED": "1",
        }
    )
    err = tmp_path / "stderr.txt"
    with err.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "helsami_tui.cli", "--portal", demo_portal.base_url, "login"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=out,
            stdin=subprocess.DEVNULL,
        )
    try:

        def waiting() -> bool:
            assert proc.poll() is None, err.read_text(errors="replace")
            return "Waiting" in err.read_text(errors="replace")

        wait_until(waiting, "the login waits for the sign-in", detail=lambda: err.read_text(errors="replace"))
        proc.send_signal(signal.SIGINT)
        assert proc.wait(WAIT) == 130  # the suite's bound: a loaded machine is slower, not wrong
    finally:
        if proc.poll() is None:
            proc.kill()
    text = err.read_text(errors="replace")
    assert "Traceback" not in text and "KeyboardInterrupt" not in text
    assert text.rstrip().endswith("Sign-in interrupted.")


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_config_speaks_the_language(monkeypatch: Any, tmp_path: Any, capsys: Any, lang: str) -> None:
    """`helsami-tui config` in the user's language (issue 13); the settings' names stay as in the file."""
    import re

    from .test_one_language import foreign_words

    path = tmp_path / "config.toml"
    path.write_text('idle_lock_minutes = "x"\ntime_zone = "Mars/Base"\n', encoding="utf-8")
    monkeypatch.setenv("HELSAMI_CONFIG", str(path))
    monkeypatch.setenv("HELSAMI_LANG", lang)
    assert cli.main(["--portal", "http://127.0.0.1:9", "config"]) == 0
    out = capsys.readouterr().out
    # Setting names, environment variables and values are identifiers, the same in either language.
    prose = re.sub(
        r"HELSAMI_\w+|\w+ = |'[^']*'|\"[^\"]*\"|\[keys\]|idle_lock_minutes|time_zone|IANA|Europe/Oslo",
        " ",
        out.replace(str(path), ""),
    )
    assert not foreign_words(prose, lang), (foreign_words(prose, lang), out)
    if lang == "nb":
        assert "Innstillingsfil:" in out and "(finnes)" in out and "fra kommandolinjen" in out
        assert "Problem: idle_lock_minutes må være et tall, ikke 'x'" in out and "Eksempel på fil:" in out
    else:
        assert "Settings file:" in out and "(exists)" in out and "from the command line" in out
        assert "Problem: idle_lock_minutes must be a number, not 'x'" in out and "Example file:" in out


@pytest.mark.parametrize(
    ("lang", "said"),
    [("nb", "er ikke gyldig TOML (linje 2, kolonne 12)"), ("en", "is not valid TOML (line 2, column 12)")],
)
def test_a_broken_settings_file_is_explained_in_the_language(
    monkeypatch: Any, tmp_path: Any, capsys: Any, lang: str, said: str
) -> None:
    """Seen: the bokmål `config` said tomllib's English ("Invalid value (at line 2, column 9)")."""
    from .test_one_language import foreign_words

    path = tmp_path / "config.toml"
    path.write_text('theme = "helsami"\nlanguage = \n', encoding="utf-8")
    monkeypatch.setenv("HELSAMI_CONFIG", str(path))
    monkeypatch.setenv("HELSAMI_LANG", lang)
    assert cli.main(["--portal", "http://127.0.0.1:9", "config"]) == 0
    problem = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("Problem"))
    assert said in problem, problem
    assert not foreign_words(problem.replace(str(path), ""), lang), problem
    path.write_bytes(b'theme = "\xff"\n')
    assert cli.main(["--portal", "http://127.0.0.1:9", "config"]) == 0
    problem = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("Problem"))
    assert ("UTF-8" in problem) and not foreign_words(problem.replace(str(path), ""), lang), problem
