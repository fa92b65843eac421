"""End to end: the installed `helsami-tui demo` in tmux, driven with keys; then the portal's state.

The app runs as a user would start it (the console script the README installs), in a tmux
session of its own (private socket, 100x30), with HOME and the XDG directories in a temporary
directory and the demo database in a temporary SQLite file. The test waits for the inbox to
show rows, narrows the list to unclaimed messages, opens the first one (Enter), claims it (c),
replies (r, types, F5), checks the screen, quits (Esc, q), and then reads the SQLite file the
demo portal wrote: exactly one staff reply with the text, and the Task in progress, owned by the
demo physician, business status "replied". No process may be left running.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.waiting import WAIT, wait_until

pytestmark = pytest.mark.slow

TMUX = shutil.which("tmux")
WIDTH, HEIGHT = 100, 30


def app_command() -> list[str]:
    """The installed console script of the Python running the tests, else the one on PATH,
    else the module (helsami_tui.cli runs main() under __main__; the package has no __main__.py)."""
    sibling = Path(sys.executable).parent / "helsami-tui"
    if sibling.exists() and os.access(sibling, os.X_OK):
        return [str(sibling)]
    found = shutil.which("helsami-tui")
    if found:
        return [found]
    return [sys.executable, "-m", "helsami_tui.cli"]


def isolated_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HELSAMI_", "TMUX", "TEXTUAL", "XDG_"))}
    env.update(
        {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_STATE_HOME": str(home / ".local" / "state"),
            "HELSAMI_LANG": "en",
            "HELSAMI_IDLE_LOCK_MINUTES": "0",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "TERM": "xterm-256color",
        }
    )
    return env


class Tmux:
    """One private tmux server (own socket, no config file) holding one session."""

    def __init__(self, socket: Path, env: dict[str, str]) -> None:
        self.socket = socket
        self.env = env

    def run(self, *args: str, check: bool = True) -> str:
        assert TMUX is not None
        r = subprocess.run(
            [TMUX, "-u", "-f", "/dev/null", "-S", str(self.socket), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=WAIT,
        )
        if check and r.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {r.stderr.strip()}")
        return r.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "e2e")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "e2e", *keys)

    def type(self, text: str) -> None:
        self.run("send-keys", "-t", "e2e", "-l", text)

    def pane(self, fmt: str) -> str:
        return self.run("display-message", "-p", "-t", "e2e", fmt).strip()

    def wait(self, what: str, cond: Callable[[str], bool], timeout: float | None = None) -> str:
        """The screen once `cond` holds for it (within `timeout`, tests.waiting.WAIT by default)."""
        last = [""]

        def shown() -> bool:
            last[0] = self.screen()
            if cond(last[0]):
                return True
            if self.pane("#{pane_dead}") == "1":
                raise AssertionError(f"the app ended while waiting for {what}; last screen:\n{last[0]}")
            return False

        wait_until(shown, what, timeout, detail=lambda: f"last screen:\n{last[0]}")
        return last[0]


@pytest.fixture()
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    if TMUX is None:
        pytest.skip("tmux is not installed (apt-get install tmux); the end-to-end terminal test needs it")
    home = tmp_path / "home"
    home.mkdir()
    # A short socket path of our own (sun_path is limited to ~100 bytes).
    sockdir = Path(tempfile.mkdtemp(prefix="hs-tmux-"))
    t = Tmux(sockdir / "s", isolated_env(home))
    try:
        yield t
    finally:
        t.run("kill-server", check=False)
        shutil.rmtree(sockdir, ignore_errors=True)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); it is not running.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_child(pid: int, timeout: float | None = None) -> int:
    """The pid of the (one) child process of `pid`."""

    def child() -> int | None:
        try:
            kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            kids = []
        return int(kids[0]) if kids else None

    return int(wait_until(child, f"a child process of {pid}", timeout))


def quit_cleanly(tmux: Tmux, status_file: Path, app_pid: int, shell_pid: int) -> None:
    """After q: the wrapper wrote the app's exit status 0, and neither process is left running."""
    wait_until(
        lambda: status_file.exists() and status_file.read_text().strip(),
        "the app quit on q",
        detail=tmux.screen,
    )
    assert status_file.read_text().strip() == "0", f"exit status {status_file.read_text()!r}:\n{tmux.screen()}"
    wait_until(lambda: not pid_alive(app_pid), "the app's process ended after it quit")
    wait_until(lambda: not pid_alive(shell_pid), "the wrapper shell ended after the app quit")


def test_demo_in_tmux_open_claim_reply(tmux: Tmux, tmp_path: Path) -> None:
    from helsami_tui.i18n import CATALOGS

    en = CATALOGS["en"]
    db = tmp_path / "demo.sqlite3"
    reply = f"E2E reply {uuid.uuid4().hex[:10]}"

    # A small sh wrapper writes the app's exit status to a file (tmux's own #{pane_dead_status}
    # sometimes never arrives on tmux 3.3).
    status_file = tmp_path / "exit-status"
    wrapper = '"$@"; echo "$?" > "$0"'
    tmux.run(
        "new-session",
        "-d",
        "-s",
        "e2e",
        "-x",
        str(WIDTH),
        "-y",
        str(HEIGHT),
        "sh",
        "-c",
        wrapper,
        str(status_file),
        *app_command(),
        "demo",
        "--as",
        "physician",
        "--db",
        f"sqlite:///{db}",
    )
    tmux.run("set-option", "-t", "e2e", "remain-on-exit", "on")
    shell_pid = int(tmux.pane("#{pane_pid}"))
    app_pid = wait_child(shell_pid)

    # 1. The inbox shows rows ("1 of N", N > 0, and a row marked waiting).
    position = re.compile(
        re.escape(en["inbox.position"]).replace(re.escape("{index}"), r"\d+").replace(re.escape("{total}"), r"[1-9]\d*")
    )
    tmux.wait(
        "the inbox with rows",
        lambda s: en["col.subject"] in s and bool(position.search(s)) and en["status.waiting"] in s,
    )

    # 2. Only unclaimed messages (t: type -> message; o: owner -> unclaimed), so the first row
    #    has a thread to reply in and nobody else holds it.
    tmux.keys("t")
    tmux.wait(
        "the message filter", lambda s: f"{en['filter.type']}: {en['type.message']}" in s and bool(position.search(s))
    )
    tmux.keys("o")
    tmux.wait(
        "the unclaimed filter",
        lambda s: (
            f"{en['filter.owner']}: {en['filter.owner.unclaimed']}" in s
            and bool(position.search(s))
            and en["status.waiting"] in s
        ),
    )

    # 3. Open it, claim it.
    tmux.keys("Enter")
    tmux.wait("the item screen", lambda s: f"{en['col.subject']}: " in s and en["msg.from_patient"] in s)
    tmux.keys("c")
    tmux.wait("the claim", lambda s: en["status.claimed_by_me"] in s)

    # 4. Reply: r, type, F5.
    tmux.keys("r")
    tmux.wait("the reply editor", lambda s: en["reply.to"] in s)
    tmux.type(reply)
    tmux.wait("the typed text", lambda s: reply in s)
    tmux.keys("F5")
    screen = tmux.wait(
        "the reply in the thread or the sent notice",
        lambda s: en["reply.sent"] in s or (reply in s and en["reply.to"] not in s),
    )
    assert reply in screen or en["reply.sent"] in screen
    # Once the editor is gone, the reply is shown in the thread as a staff message.
    screen = tmux.wait(
        "the reply in the thread", lambda s: reply in s and en["reply.to"] not in s and en["msg.from_staff"] in s
    )

    # 5. Quit cleanly: back to the inbox, q.
    tmux.keys("Escape")
    tmux.wait("the inbox again", lambda s: en["col.subject"] in s and bool(position.search(s)))
    tmux.keys("q")
    quit_cleanly(tmux, status_file, app_pid, shell_pid)

    # 6. The portal's state, read from the SQLite file the demo portal wrote.
    from helsami_portal.store.schema import account, resource, task

    engine = sa.create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            lege = conn.execute(sa.select(account.c.resource).where(account.c.username == "lege")).scalar_one()
            comms = [
                json.loads(c)
                for c in conn.execute(
                    sa.select(resource.c.content).where(
                        resource.c.rtype == "Communication", resource.c.content.contains(reply)
                    )
                ).scalars()
            ]
            staff = [
                c
                for c in comms
                if any(cd.get("code") == "staff-reply" for cat in c.get("category", []) for cd in cat.get("coding", []))
                and c.get("status") == "completed"
            ]
            assert len(staff) == 1, f"expected exactly one sent staff reply with the text, found {len(staff)}"
            msg = staff[0]
            assert [p.get("contentString") for p in msg["payload"]] == [reply]
            assert msg["sender"]["reference"] == lege
            thread_ref = msg["partOf"][0]["reference"]
            rows = conn.execute(sa.select(task).where(task.c.focus == thread_ref)).all()
            assert len(rows) == 1, f"expected one Task on {thread_ref}, found {len(rows)}"
            t = rows[0]
            assert t.status == "in-progress"
            assert t.owner == lege
            assert t.business_status == "replied"
            content = json.loads(t.content)
            assert content["owner"]["reference"] == lege
            assert content["businessStatus"]["coding"][0]["code"] == "replied"
    finally:
        engine.dispose()


def start_demo(tmux: Tmux, tmp_path: Path) -> tuple[Path, Path, int, int]:
    """`helsami-tui demo --as physician` in the tmux session; returns the database, the exit-status
    file, the wrapper shell's pid and the app's pid."""
    db = tmp_path / "demo.sqlite3"
    status_file = tmp_path / "exit-status"
    wrapper = '"$@"; echo "$?" > "$0"'
    tmux.run(
        "new-session",
        "-d",
        "-s",
        "e2e",
        "-x",
        str(WIDTH),
        "-y",
        str(HEIGHT),
        "sh",
        "-c",
        wrapper,
        str(status_file),
        *app_command(),
        "demo",
        "--as",
        "physician",
        "--db",
        f"sqlite:///{db}",
    )
    tmux.run("set-option", "-t", "e2e", "remain-on-exit", "on")
    shell_pid = int(tmux.pane("#{pane_pid}"))
    return db, status_file, shell_pid, wait_child(shell_pid)


def subject_line(screen: str, label: str) -> str:
    return next((line.strip() for line in screen.splitlines() if line.strip().startswith(f"{label}: ")), "")


def test_a_shift_the_common_job_in_four_keys(tmux: Tmux, tmp_path: Path) -> None:
    """A shift's common job, three times in a row: the first new message is answered with a template
    (filled with the patient's name and the physician's signature), completed, and the next one is
    open: r (the item and its editor, the message in sight), F3 1 (template 1), F6 (send, complete,
    next). Four keys per item; the portal then holds each reply once and each item completed."""
    from helsami_tui.i18n import CATALOGS

    en = CATALOGS["en"]
    db, status_file, shell_pid, app_pid = start_demo(tmux, tmp_path)
    position = re.compile(
        re.escape(en["inbox.position"]).replace(re.escape("{index}"), r"\d+").replace(re.escape("{total}"), r"[1-9]\d*")
    )
    tmux.wait(
        "the inbox with rows",
        lambda s: en["col.subject"] in s and bool(position.search(s)) and en["status.waiting"] in s,
    )
    # Set up the shift's view once: unclaimed messages (t, o), as in the test above.
    tmux.keys("t")
    tmux.wait(
        "the message filter", lambda s: f"{en['filter.type']}: {en['type.message']}" in s and bool(position.search(s))
    )
    tmux.keys("o")
    tmux.wait(
        "the unclaimed filter",
        lambda s: (
            f"{en['filter.owner']}: {en['filter.owner.unclaimed']}" in s
            and bool(position.search(s))
            and en["status.waiting"] in s
        ),
    )

    keys_per_job: list[int] = []
    subjects: list[str] = []
    previous = ""
    for _job in range(3):
        pressed = 0

        def press(key: str) -> None:
            nonlocal pressed
            tmux.keys(key)
            pressed += 1

        press("r")  # from the inbox (the first job) or the item the last job landed on
        screen = tmux.wait(
            "the reply editor beside the message",
            lambda s: en["reply.to"] in s and en["reply.answering"] in s and en["msg.from_patient"] in s,
        )
        press("F3")
        tmux.wait("the numbered templates", lambda s: "1 " + en["template.1.title"] in s)
        press("1")
        tmux.wait(
            "the filled template",
            lambda s: "Marte Lien" in s and "Fjordvik legesenter" in s and en["template.1.title"] not in s,
        )
        subjects.append(subject_line(screen, en["col.subject"]) or previous)
        press("F6")
        screen = tmux.wait(
            "the next item",
            lambda s: (
                en["reply.to"] not in s
                and f"{en['col.subject']}: " in s
                and en["msg.from_patient"] in s
                and subject_line(s, en["col.subject"]) not in ("", subjects[-1])
            ),
        )
        previous = subject_line(screen, en["col.subject"])
        keys_per_job.append(pressed)
    assert keys_per_job == [4, 4, 4]

    tmux.keys("Escape")
    tmux.wait("the inbox again", lambda s: en["col.subject"] in s and bool(position.search(s)))
    tmux.keys("q")
    quit_cleanly(tmux, status_file, app_pid, shell_pid)

    # The portal: three replies from the physician with the filled template, each once, each item completed.
    from helsami_portal.store.schema import account, resource, task

    engine = sa.create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            lege = conn.execute(sa.select(account.c.resource).where(account.c.username == "lege")).scalar_one()
            comms = [
                json.loads(c)
                for c in conn.execute(
                    sa.select(resource.c.content).where(
                        resource.c.rtype == "Communication", resource.c.content.contains("Kind regards")
                    )
                ).scalars()
            ]
            replies = [
                c
                for c in comms
                if c.get("status") == "completed"
                and any(
                    cd.get("code") == "staff-reply" for cat in c.get("category", []) for cd in cat.get("coding", [])
                )
                and c["sender"]["reference"] == lege
            ]
            assert len(replies) == 3, f"expected three sent replies, found {len(replies)}"
            for msg in replies:
                text = msg["payload"][0]["contentString"]
                assert text.startswith("Hello ") and "{" not in text
                assert text.rstrip().endswith("Kind regards\nMarte Lien\nPhysician\nFjordvik legesenter")
                rows = conn.execute(sa.select(task).where(task.c.focus == msg["partOf"][0]["reference"])).all()
                assert len(rows) == 1 and rows[0].status == "completed"
            assert len({m["partOf"][0]["reference"] for m in replies}) == 3
    finally:
        engine.dispose()


KEYRING_WITH_A_SESSION = '''
import os
from pathlib import Path

from keyring.backend import KeyringBackend


class SavedSession(KeyringBackend):
    """The user's keyring, holding the session saved by an earlier sign-in."""

    priority = 1

    def get_password(self, service, username):
        return Path(os.environ["E2E_SAVED_SESSION"]).read_text()

    def set_password(self, service, username, password):
        Path(os.environ["E2E_SAVED_SESSION"]).write_text(password)

    def delete_password(self, service, username):
        Path(os.environ["E2E_SAVED_SESSION"]).unlink()
'''


def test_the_configured_portal_with_a_saved_session_opens_on_its_inbox(
    tmux: Tmux, tmp_path: Path, demo_portal: Any
) -> None:
    """`helsami-tui --portal URL` with a session in the keyring (the start-up requests go out from
    the command before the app's modules load, startup.py): the inbox with its rows, then q."""
    import asyncio

    from helsami_tui.client.auth import demo_login
    from helsami_tui.i18n import CATALOGS

    en = CATALOGS["en"]
    tokens = asyncio.run(demo_login(demo_portal.base_url, "lege"))
    (tmp_path / "e2e_keyring.py").write_text(KEYRING_WITH_A_SESSION)
    (tmp_path / "session.json").write_text(tokens.to_json())
    tmux.env.update(
        {
            "PYTHONPATH": str(tmp_path),
            "PYTHON_KEYRING_BACKEND": "e2e_keyring.SavedSession",
            "E2E_SAVED_SESSION": str(tmp_path / "session.json"),
        }
    )
    status_file = tmp_path / "exit-status"
    wrapper = '"$@"; echo "$?" > "$0"'
    tmux.run(
        "new-session", "-d", "-s", "e2e", "-x", str(WIDTH), "-y", str(HEIGHT), "sh", "-c", wrapper, str(status_file),
        *app_command(), "--portal", demo_portal.base_url,
    )  # fmt: skip
    tmux.run("set-option", "-t", "e2e", "remain-on-exit", "on")
    shell_pid = int(tmux.pane("#{pane_pid}"))
    app_pid = wait_child(shell_pid)
    position = re.compile(
        re.escape(en["inbox.position"]).replace(re.escape("{index}"), r"\d+").replace(re.escape("{total}"), r"[1-9]\d*")
    )
    tmux.wait("the inbox with rows", lambda s: en["col.subject"] in s and bool(position.search(s)))
    tmux.keys("q")
    quit_cleanly(tmux, status_file, app_pid, shell_pid)
