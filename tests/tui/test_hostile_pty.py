"""Hostile content, end to end, in a real pty: nothing a patient writes may reach the terminal as a
control sequence, crash the app, or be read as markup.

Every string of tests/corpora/blns.json plus hostile markup and escape sequences is sent as
patient messages (subjects and texts) through the patient API of a portal on a SQLite file. Then
the installed `helsami-tui demo --db <that file>` runs with its stdin/stdout/stderr on a real
pseudo-terminal (120x40); the test pages through the inbox that carries the hostile subjects,
opens every hostile thread, records every byte the app writes, and quits with q.

Checks: the app lived until q and exited 0; the recorded bytes contain none of the content's own
sequences (an OSC 0 title "pwned", any OSC 52, any 8-bit C1 control, U+202E, a clear screen or
cursor move glued to the probe text behind it); the neutralised forms (␛[2J …) did reach the
terminal; and, rendered through a terminal emulator (pyte, when installed), the screen showed the
hostile markup literally. Nothing here is timed.
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
import re
import select
import struct
import subprocess
import termios
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import blns_strings
from tests.waiting import WAIT, wait_until

from .test_e2e_tmux import app_command, isolated_env

pytestmark = pytest.mark.slow

COLS, ROWS = 120, 60
BATCH = 20

ESC, BEL, ST = "\x1b", "\x07", "\x1b\\"
# Hostile markup and escape sequences. Probes carry a word glued to the sequence, so that a
# sequence that leaked can be told from the same sequence written by Textual itself.
EXTRAS: list[str] = [
    "[link=http://x]y",
    "[@click=app.quit]x[/]",
    "[bold",
    "[/]",
    "[b]bold?[/b] [red]red?[/red] [link=https://evil.example]click me[/link]",
    f"{ESC}[2J",
    f"clear{ESC}[2Jscreenprobe",
    f"{ESC}]0;pwned{BEL}",
    f"{ESC}]2;pwned2{ST}",
    f"{ESC}]52;c;SGVsbG8={BEL}",
    f"{ESC}[10;10Hcursorprobe",
    "\x9b2J",
    "c1\x9b10;10Hc1probe",
    "\u202eevilbidiprobe",
    f"{ESC}]8;;http://evil.example{ST}hyperlinkprobe{ESC}]8;;{ST}",
    f"{ESC}[6nreportprobe",
    f"{ESC}creset",
    f"{ESC}[?1049lleavealt",
]


@dataclasses.dataclass
class Posted:
    subject: str
    messages: list[str]
    end_token: str  # the thread's last message
    head_token: str  # a plain word the item screen shows once the thread is open
    extra: bool


@dataclasses.dataclass
class Recording:
    raw: bytes
    exit_code: int | None
    alive_before_quit: bool
    posted: list[Posted]
    rejected: list[tuple[int, str]]
    server_errors: list[tuple[int, str]]
    opened: list[str]
    snapshots: dict[str, str]  # end token -> rendered screen (pyte) while that thread was open
    pages: list[str]  # rendered inbox screens while paging

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", errors="replace")


def post_everything(
    base_url: str, strings: list[str]
) -> tuple[list[Posted], list[tuple[int, str]], list[tuple[int, str]], str]:
    """Threads through the patient API: one per batch of 20 BLNS strings (subject: the batch
    joined; one message with all of them, then each string as a message of its own), one per
    hostile extra (subject and message: the string). Each thread ends with a plain token."""
    posted: list[Posted] = []
    rejected: list[tuple[int, str]] = []
    errors: list[tuple[int, str]] = []
    with httpx.Client(base_url=base_url, timeout=30) as http:
        tok = http.post("/auth/demo-login", data={"username": "pasient"}).json()["access_token"]
        ph = {"Authorization": f"Bearer {tok}"}
        me = http.get("/patient/me", headers=ph).json()
        patient = me["actsFor"][0]["patient"].split("/")[1]
        lege = http.post("/auth/demo-login", data={"username": "lege"}).json()["access_token"]
        pools = http.get("/fhir/$pools", headers={"Authorization": f"Bearer {lege}"}).json()["pools"]
        pool = max((p for p in pools if p.get("id")), key=lambda p: p["waiting"])["id"]

        def send(url: str, body: dict[str, Any], what: str) -> dict[str, Any] | None:
            body = {**body, "messageId": str(uuid.uuid4())}
            r = http.post(url, headers=ph, json=body)
            if r.status_code >= 500:
                errors.append((r.status_code, what))
            elif r.status_code >= 400:
                rejected.append((r.status_code, what))
            return r.json() if r.status_code in (200, 201) else None

        def thread(subject: str, texts: list[str], token: str, head: str, extra: bool) -> None:
            made = send(
                "/patient/threads",
                {"patient": patient, "service": pool, "subject": subject[:200], "text": texts[0]},
                repr(subject),
            )
            assert made is not None, f"the thread {subject!r} was not created"
            tid = made["thread"]["id"]
            for text in texts[1:]:
                send(f"/patient/threads/{tid}/messages", {"text": text}, repr(text))
            send(f"/patient/threads/{tid}/messages", {"text": token}, token)
            posted.append(Posted(subject[:200].strip(), texts, token, head, extra))

        for b in range(0, len(strings), BATCH):
            batch = strings[b : b + BATCH]
            n = b // BATCH
            head = f"BLNS-{n:02d} "
            thread(
                head + " ".join(batch),
                ["\n".join([head + "all:", *batch])],
                f"END-BLNS-{n:02d}",
                head.strip(),
                extra=False,
            )
        for n, s in enumerate(EXTRAS):
            thread(s, [s, f"before {s} after"], f"END-EXTRA-{n:02d}", f"END-EXTRA-{n:02d}", extra=True)
    return posted, rejected, errors, pool


class Pty:
    """The app on a real pseudo-terminal; every byte it writes is kept (and fed to pyte)."""

    def __init__(self, argv: list[str], env: dict[str, str], dump: Path) -> None:
        self.dump = dump  # where the bytes are written when something goes wrong
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.proc = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            close_fds=True,
            start_new_session=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
        os.close(slave)
        self.buf = bytearray()
        self.lock = threading.Lock()
        try:
            import pyte

            self.screen: Any = pyte.Screen(COLS, ROWS)
            self.stream: Any = pyte.ByteStream(self.screen)
        except ImportError:
            self.screen = self.stream = None
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                r, _, _ = select.select([self.master], [], [], 0.2)
                if not r:
                    if self.proc.poll() is not None:
                        return
                    continue
                data = os.read(self.master, 65536)
            except OSError:  # EIO: the other side closed
                return
            if not data:
                return
            with self.lock:
                self.buf += data
                if self.stream is not None:
                    self.stream.feed(data)

    @property
    def offset(self) -> int:
        with self.lock:
            return len(self.buf)

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def rendered(self) -> str:
        if self.screen is None:
            return ""
        with self.lock:
            return "\n".join(self.screen.display)

    def wait(self, token: str, since: int, timeout: float | None = None) -> None:
        """Until the app has written `token` after byte `since` (failing if it ends first)."""
        needle = token.encode()

        def written() -> bool:
            with self.lock:
                if needle in self.buf[since:]:
                    return True
            if self.proc.poll() is not None:
                self.reader.join(timeout=2)
                self.dump.write_bytes(bytes(self.buf))
                raise AssertionError(
                    f"the app ended (exit {self.proc.returncode}) waiting for {token!r}; all it "
                    f"wrote is in {self.dump}; its last words:\n{self.tail(6000)}"
                )
            return False

        def seen() -> str:
            self.dump.write_bytes(bytes(self.buf))
            return f"all the app wrote is in {self.dump}; screen:\n{self.rendered() or self.tail(3000)}"

        wait_until(written, f"the app to write {token!r}", timeout, detail=seen)

    def shows(self, cond: Callable[[str], Any], what: str) -> Any:
        """Until the rendered screen satisfies `cond`; returns what `cond` returned. Without pyte there
        is no rendered screen: the waits for written bytes are all there is, and this returns None."""
        if self.screen is None:
            return None

        # A frame may reach pyte in more than one read: `cond` must hold on two looks in a row with
        # no byte written between them, so the screen it holds for is a whole frame.
        seen: list[int] = [-1]

        def shown() -> Any:
            if self.proc.poll() is not None:
                raise AssertionError(f"the app ended (exit {self.proc.returncode}) waiting for {what}")
            offset = self.offset
            got = cond(self.rendered())
            whole, seen[0] = seen[0] == offset == self.offset, offset if got else -1
            return got if whole else None

        return wait_until(shown, what, detail=lambda: f"screen:\n{self.rendered()}")

    def tail(self, n: int) -> str:
        with self.lock:
            return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", bytes(self.buf[-n:]).decode(errors="replace"))

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.reader.join(timeout=5)
        os.close(self.master)


POSITION = re.compile(r"(?m)^\W*(\d+) of (\d+)(?= · |\s*$)")  # the inbox's "12 of 40 · ..." (English)


def position(screen: str) -> tuple[int, int] | None:
    """The inbox's cursor position and length as the rendered screen shows them."""
    m = POSITION.search(screen)
    return (int(m.group(1)), int(m.group(2))) if m else None


KEY = {
    "down": b"\x1b[B",
    "up": b"\x1b[A",
    "pgdn": b"\x1b[6~",
    "home": b"\x1b[H",
    "end": b"\x1b[F",
    "enter": b"\r",
    "escape": b"\x1b",
}


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recording]:
    from helsami_portal.embedded import EmbeddedPortal
    from helsami_tui.i18n import CATALOGS

    en = CATALOGS["en"]
    strings = blns_strings()
    tmp = tmp_path_factory.mktemp("hostile")
    db = f"sqlite:///{tmp / 'hostile.sqlite3'}"
    # A small seed, so that the pool with the hostile threads is the fullest (the app opens it).
    t0 = time.monotonic()
    with EmbeddedPortal(db, demo=True, seed=True, patients=20, tasks=12, run_jobs=False) as portal:
        t1 = time.monotonic()
        posted, rejected, errors, _pool = post_everything(portal.base_url, strings)
    print(f"seed {t1 - t0:.1f} s, posts {time.monotonic() - t1:.1f} s")
    home = tmp / "home"
    home.mkdir()
    env = isolated_env(home)
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    term = Pty([*app_command(), "demo", "--as", "physician", "--db", db], env, tmp / "pty-output.bin")
    opened: list[str] = []
    snapshots: dict[str, str] = {}
    pages: list[str] = []
    alive = False
    try:
        # The inbox, with its rows (the column header, then a row that is waiting).
        term.wait(en["status.waiting"], 0)
        at = term.shows(lambda s: en["status.waiting"] in s and position(s), "the inbox with its rows")
        pages.append(term.rendered())
        # Page through the whole pool, then back to the top.
        for _ in range(4):
            term.send(KEY["pgdn"])
            before = at
            at = term.shows(
                lambda s, before=before: (p := position(s)) and (p != before or p[0] == p[1]) and p, "the next page"
            )
            pages.append(term.rendered())
        # The hostile threads are the newest of one priority, so the last ones in the list:
        # open each from the bottom up (End, then Up between them).
        term.send(KEY["end"])
        at = term.shows(lambda s: (p := position(s)) and p[0] == p[1] and p, "the end of the list")
        print(f"app up and paged {time.monotonic() - t0:.1f} s")
        for p in reversed(posted):
            mark = term.offset
            term.send(KEY["enter"])
            # The item screen: its subject line (BLNS-nn) or the short thread's last message,
            # then the thread's first message header once the thread has loaded.
            term.wait(p.head_token, mark)
            term.wait(f"{en['msg.from_patient']}: ", mark)
            # The thread opens scrolled to its end ...
            term.shows(lambda s, p=p: p.end_token in s, f"{p.end_token}, the thread's end")
            # ... and Home shows its start (what did not fit): the first message, or the second one
            # ("before ... after") of a hostile extra, whose first is the hostile string itself.
            term.send(KEY["home"])
            start = "before " if p.extra else f"{p.head_token} all:"
            term.shows(lambda s, start=start: start in s, f"the start of the thread {p.end_token}")
            opened.append(p.end_token)
            snapshots[p.end_token] = term.rendered()
            mark = term.offset
            term.send(KEY["escape"])
            term.wait(en["col.subject"], mark)
            at = term.shows(lambda s: position(s), "the inbox again")
            term.send(KEY["up"])
            up = (at[0] - 1, at[1]) if at else None
            at = term.shows(lambda s, up=up: (q := position(s)) and (up is None or q == up) and q, "the row above")
        print(f"opened all {time.monotonic() - t0:.1f} s")
        term.send(KEY["home"])
        term.shows(lambda s: (q := position(s)) and q[0] == 1, "the top of the list")
        alive = term.proc.poll() is None
        term.send(b"q")
        try:
            code: int | None = term.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            code = None
        term.reader.join(timeout=5)
    finally:
        term.close()
    term.dump.write_bytes(bytes(term.buf))  # kept beside the test's database, for a person to look at
    yield Recording(bytes(term.buf), code, alive, posted, rejected, errors, opened, snapshots, pages)


# -- the tests --------------------------------------------------------------------------------------


def test_the_portal_took_every_hostile_post_without_a_server_error(recording: Recording) -> None:
    assert not recording.server_errors, recording.server_errors[:5]
    # What it refused, it refused in words (blank texts: "the message needs a text").
    assert all(400 <= code < 500 for code, _ in recording.rejected)
    assert all(not eval(what).strip() for _, what in recording.rejected), recording.rejected[:5]  # noqa: S307


def test_the_app_lived_through_it_and_quit_cleanly(recording: Recording) -> None:
    assert recording.alive_before_quit, "the app was not running any more when q was sent"
    assert recording.exit_code == 0
    assert recording.opened == [p.end_token for p in reversed(recording.posted)]


def test_no_escape_sequence_from_content_reaches_the_terminal(recording: Recording) -> None:
    raw, text = recording.raw, recording.text
    # Window title and clipboard: only content could write these.
    assert b"\x1b]0;pwned" not in raw
    assert b"\x1b]2;pwned2" not in raw
    assert b"\x1b]52" not in raw
    assert b"SGVsbG8=\x07" not in raw
    assert not re.search(rb"\x1b\][^\x07\x1b]*pwned", raw)
    # OSC 8 hyperlinks to the content's address.
    assert b"\x1b]8;;http://evil.example" not in raw
    # 8-bit C1 controls (CSI U+009B, OSC U+009D, …): Textual writes only 7-bit sequences.
    c1 = sorted({hex(ord(ch)) for ch in text if 0x80 <= ord(ch) <= 0x9F})
    assert not c1, f"C1 control characters reached the terminal: {c1}"
    # Bidi overrides and isolates are shown as ⟨U+202E⟩, never sent as they are.
    assert "\u202e" not in text and "\u2066" not in text and "\u2067" not in text
    # Sequences glued to their probe word can only come from content.
    for leaked in (
        b"\x1b[2Jscreenprobe",
        b"\x1b[10;10Hcursorprobe",
        b"\x1b[6nreportprobe",
        b"\x1bcreset",
        b"\x1b[?1049lleavealt",
        b"\x9b10;10Hc1probe",
    ):
        assert leaked not in raw, leaked
    # No BEL but in Textual's own pointer-shape sequence (OSC 22): content's BELs (OSC
    # terminators, BLNS) must all be neutralised.
    assert b"\x07" not in re.sub(rb"\x1b\]22;[a-z-]*\x07", b"", raw)
    # Clear screen: Textual may write ESC[2J itself, but only when it starts or resizes; never
    # while threads are opened. The first thread was opened well after the first frame.
    first_open = raw.find(b"END-")
    assert first_open > 0
    later = raw[first_open:]
    assert later.count(b"\x1b[2J") == 0, "a clear-screen reached the terminal while content was shown"
    assert b"\x1b[3J" not in later and b"\x1bc" not in later


def test_the_neutralised_forms_reach_the_terminal(recording: Recording) -> None:
    """What the content's controls became: visible, printable placeholders."""
    # The placeholders are dim, so colour codes stand between them and the text around them.
    plain = re.sub(r"\x1b\[[0-9;]*m", "", recording.text)
    for shown in (
        "␛[2J",
        "␛]0;pwned␇",
        "␛]52;c;SGVsbG8=␇",
        "␛[10;10Hcursorprobe",
        "⟨U+009B⟩2J",
        "⟨U+202E⟩evilbidiprobe",
        "[link=http://x]y",
        "[@click=app.quit]x[/]",
    ):
        assert shown in plain, shown


def test_hostile_text_is_shown_literally_on_the_screen(recording: Recording) -> None:
    pytest.importorskip("pyte", reason="pyte renders the recorded bytes into a screen (pip install pyte)")
    extras = {p.subject: p for p in recording.posted if p.extra}
    expect = {
        "[link=http://x]y": "[link=http://x]y",
        "[@click=app.quit]x[/]": "[@click=app.quit]x[/]",
        "[bold": "[bold",
        "[/]": "[/]",
        f"{ESC}[2J": "␛[2J",
        f"{ESC}]0;pwned{BEL}": "␛]0;pwned␇",
        f"{ESC}]52;c;SGVsbG8={BEL}": "␛]52;c;SGVsbG8=␇",
        f"{ESC}[10;10Hcursorprobe": "␛[10;10Hcursorprobe",
        "\x9b2J": "⟨U+009B⟩2J",
        "\u202eevilbidiprobe": "⟨U+202E⟩evilbidiprobe",
    }
    for raw, shown in expect.items():
        p = extras[raw.strip()]
        screen = recording.snapshots[p.end_token]
        # In the thread: "before <it> after" as typed; the subject line shows it too.
        assert f"before {shown} after" in screen, f"{shown!r} not shown literally:\n{screen}"
    # The [b]…[/b] subject: no markup applied, the tags are there as text.
    p = extras["[b]bold?[/b] [red]red?[/red] [link=https://evil.example]click me[/link]"]
    assert "[b]bold?[/b] [red]red?[/red]" in recording.snapshots[p.end_token]
    # Each BLNS thread was seen from its start (Home in the thread).
    for p in recording.posted:
        if not p.extra:
            assert f"{p.head_token} all:" in recording.snapshots[p.end_token], recording.snapshots[p.end_token]
    # The inbox list showed the hostile subjects literally (cut to the column's width).
    listing = "\n".join(recording.pages)
    assert "[link=http://x]y" in listing
    assert "[@click=app.quit]x[/]" in listing
    assert "BLNS-00" in listing
