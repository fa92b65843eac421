"""One language on screen (issue 13): every screen and every refusal code, in bokmål and in English,
shows no text of the other language.

The word lists are made from the catalogs: words that only the other language's catalog uses,
less the words of the synthetic data (patients write Norwegian whatever the staff member's
language), plus Textual's own English texts. A string that is not in the catalog is English in the
code (or Norwegian), so its words show up here.
"""

from __future__ import annotations

import ast
import datetime as dt
import pathlib
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from helsami_portal.embedded import EmbeddedPortal
from helsami_tui.app import HelsamiApp
from helsami_tui.client.api import PortalClient
from helsami_tui.client.auth import TokenSession, TokenStore, demo_login
from helsami_tui.client.errors import CLIENT_REASONS, Ref
from helsami_tui.config import Settings
from helsami_tui.i18n import CATALOGS, current_language, set_language
from helsami_tui.refusals import reason_key, reason_text
from helsami_tui.screens import item_screen
from helsami_tui.screens.absence import AbsenceScreen
from helsami_tui.screens.access_log import AccessLogScreen
from helsami_tui.screens.appointment import AppointmentScreen
from helsami_tui.screens.batch import BatchScreen
from helsami_tui.screens.break_glass import BreakGlassScreen
from helsami_tui.screens.confirm import ConfirmScreen
from helsami_tui.screens.decision import DecisionScreen
from helsami_tui.screens.dialogs import TextPrompt
from helsami_tui.screens.filters import FilterPicker
from helsami_tui.screens.forward import ForwardScreen
from helsami_tui.screens.help import HelpScreen
from helsami_tui.screens.intake import IntakeScreen, RouteScreen
from helsami_tui.screens.item import ItemScreen
from helsami_tui.screens.library import LibraryPicker
from helsami_tui.screens.lock import LockScreen
from helsami_tui.screens.phone import PhoneMessageScreen
from helsami_tui.screens.renewal import AcknowledgeScreen, RenewalScreen
from helsami_tui.screens.reply import ReplyScreen
from helsami_tui.screens.sign_in import SignInScreen
from helsami_tui.screens.support import SupportScreen
from helsami_tui.screens.targets import PhysicianPicker, StaffPicker
from helsami_tui.screens.time_picker import Confirm, TimePicker
from tests.waiting import settled

from .test_appointments import request
from .test_batch import USED as BATCH_USED, _release_batch, results
from .test_decisions import find, open_tasks, readable_appointments
from .test_sign_in import decide, signing_in_app, user_code
from .test_workflows import inbox_ready, notes_of, open_new_thread, screen_text, token, wait_for

ROOT = pathlib.Path(__file__).resolve().parents[2]
SIZE = (120, 40)
WORD = re.compile(r"[A-Za-zÆØÅæøåÉé]+")


def words(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(text)}


def _texts(path: pathlib.Path) -> Iterator[str]:
    """The prose and name constants of a module (with a space, or capitalised), docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and (" " in node.value or node.value[:1].isupper())
            and id(node) not in docs
        ):
            yield node.value


def _data_words() -> set[str]:
    """Words of the synthetic data and of the portal's Norwegian clinical texts (names, messages,
    medicines, inboxes, warnings), which a screen shows whatever the user's language."""
    out: set[str] = set()
    portal = ROOT / "src" / "helsami_portal"
    for path in [*(portal / "synth").rglob("*.py"), *(portal / "knowledge").rglob("*.py"), portal / "seed.py"]:
        for text in _texts(path):
            out |= words(text)
    return out


DATA = _data_words()
# Textual's own texts, and English words short or common enough to slip through the catalogs.
EXTRA_EN = {
    "focus",
    "next",
    "previous",
    "copy",
    "selected",
    "quit",
    "palette",
    "the",
    "you",
    "your",
    "with",
    "this",
    "that",
    "item",
    "items",
    "claimed",
    "inbox",
    "reply",
    "physician",
    "prescriber",
    "sign",
    "again",
    "not",
    "already",
    "only",
    "loading",
    "cancel",
    "close",
    "search",
    "help",
}
EXTRA_NB = {"ikke", "oppgaven", "innboks", "innboksen", "svar", "lukk", "hjelp", "avbryt", "søk", "allerede"}


def _only(lang: str, other: str, extra: set[str]) -> set[str]:
    mine = set().union(*(words(v) for v in CATALOGS[lang].values()))
    theirs = set().union(*(words(v) for v in CATALOGS[other].values()))
    return {w for w in (mine - theirs) | (extra - theirs) if len(w) >= 3} - DATA


# Names of keys, printed as on the keyboard in either language.
KEYS = {"end", "home", "tab", "enter", "esc", "shift", "ctrl", "super", "pgup", "pgdn", "space", "backspace"}
FOREIGN = {"nb": _only("en", "nb", EXTRA_EN) - KEYS, "en": _only("nb", "en", EXTRA_NB) - KEYS}


def foreign_words(text: str, lang: str) -> set[str]:
    """Words of the other language in `text`; «quoted» technical names (a parameter, a code) aside."""
    return words(re.sub(r"«[^»]*»", "", text)) & FOREIGN[lang]


def test_word_lists_are_not_empty_and_catch_the_old_mix() -> None:
    assert {"claimed", "focus", "physician"} <= FOREIGN["nb"]
    assert {"oppgaven", "innboksen"} <= FOREIGN["en"]
    assert foreign_words("This item was already completed by Marte Lien", "nb")
    assert foreign_words("Tema: helsami-high-contrast · Focus Next", "nb")


# -- every refusal code ---------------------------------------------------------------------


def documented_codes() -> list[str]:
    """The reason codes of the portal's contract (docs/api.md), which the app must know."""
    doc = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    section = doc.split("## Refusals: reason codes", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z0-9-]+)` \|", section, flags=re.M)


SAMPLE_ARGS: dict[str, Any] = {
    "who": Ref("Practitioner/p1", "Marte Lien"),
    "target": Ref("HealthcareService/s1", "Legekontoret"),
    "inbox": Ref("HealthcareService/s1", "Legekontoret"),
    "item": Ref("Task/t1"),
    "patient": Ref("Patient/x"),
    "when": dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC),
    "roles": "physician,nurse",
    "name": "text",
    "limit": 20000,
    "min": 1,
    "max": 100,
    "status": 409,
    "incident": "ab12",
    "version": 3,
    "expected": "renewal",
    "type": "result",
    "scope": "messages",
    "action": "reply",
    "line": 1,
    "column": 2,
    "operation": "claim",
    "modifier": "exact",
    "key": "priority",
    "value": "Task:focus",
    "error": "access_denied",
    "missing": "thread",
    "warnings": "interaction",
    "code": "x",
}


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_every_refusal_code_reads_in_one_language(lang: str) -> None:
    before = current_language()
    set_language(lang)
    try:
        codes = documented_codes() + list(CLIENT_REASONS)
        assert len(codes) > 100
        for code in codes:
            assert reason_key(code), f"no sentence for {code}"
            text = reason_text(code, SAMPLE_ARGS)
            assert "{" not in text and "}" not in text, (code, text)
            assert not foreign_words(text, lang), (code, text, foreign_words(text, lang))
        # names instead of ids, local time
        text = reason_text("claimed-by-other", SAMPLE_ARGS)
        assert "Marte Lien" in text and "10:30" in text and "Practitioner/" not in text
        # an unknown code: a sentence in the language, with the code
        unknown = reason_text("brand-new-code", {})
        assert "brand-new-code" in unknown
        assert not foreign_words(unknown.replace("brand-new-code", ""), lang)
    finally:
        set_language(before)


# -- every screen ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def portal(demo_portal: EmbeddedPortal) -> Iterator[EmbeddedPortal]:
    yield demo_portal


async def start(portal: EmbeddedPortal, user: str, lang: str) -> HelsamiApp:
    set_language(lang)
    tokens = await demo_login(portal.base_url, user)
    client = PortalClient(portal.base_url, TokenSession(portal.base_url, tokens), retries=0)
    return HelsamiApp(
        client, Settings(portal=portal.base_url, idle_lock_minutes=0, language=lang), demo_user=user, tz=dt.UTC
    )


def check(app: HelsamiApp, lang: str, where: str, data: str = "") -> None:
    """No word of the other language on screen or in a toast; the words of `data` (text the portal
    sends as it stores it) aside."""
    shown = screen_text(app) + "\n" + "\n".join(notes_of(app))
    shown = re.sub(r"https?://\S+", " ", shown)  # an address is no language's
    # A word glued to a dialog's border is the cut-off rest of data behind the dialog, not a text.
    bad = foreign_words(re.sub(r"[A-Za-zÆØÅæøåÉé]*[█▌▐▀▄][A-Za-zÆØÅæøåÉé]*", " ", shown), lang) - words(data)
    assert not bad, f"{lang} {where}: words of the other language on screen: {sorted(bad)}\n{shown}"


async def close(app: HelsamiApp, pilot: Any, kind: type) -> None:
    await pilot.press("escape")
    await wait_for(pilot, lambda: not isinstance(app.screen, kind), what=f"{kind.__name__} closed")


@pytest.mark.parametrize("lang", ["nb", "en"])
async def test_clinician_screens_show_one_language(portal: EmbeddedPortal, lang: str) -> None:
    app = await start(portal, "lege", lang)
    async with app.run_test(size=SIZE) as pilot:
        screen = await inbox_ready(app, pilot)
        await settled(pilot)
        check(app, lang, "inbox")
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        check(app, lang, "help")
        await close(app, pilot, HelpScreen)
        await pilot.press("f8")  # theme toast, with a human name
        await wait_for(pilot, lambda: notes_of(app), what="theme toast")
        await settled(pilot)
        check(app, lang, "theme toast")
        assert not any("helsami-high-contrast" in n for n in notes_of(app))
        app.clear_notifications()
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, ForwardScreen), what="forward")
        await settled(pilot)
        check(app, lang, "forward")
        await close(app, pilot, ForwardScreen)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, PhoneMessageScreen), what="phone")
        check(app, lang, "phone message")
        await close(app, pilot, PhoneMessageScreen)
        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, AbsenceScreen), what="absence")
        await settled(pilot)
        check(app, lang, "absence")
        await close(app, pilot, AbsenceScreen)
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, FilterPicker), what="filter picker")
        check(app, lang, "filter picker")
        await close(app, pilot, FilterPicker)
        assert screen.source is not None
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ItemScreen), what="item")
        item = app.screen
        assert isinstance(item, ItemScreen)
        await wait_for(pilot, lambda: item.thread is not None, what="thread loaded")
        await settled(pilot)
        check(app, lang, f"item ({type(item).__name__})")
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplyScreen), what="reply")
        reply = app.screen
        await pilot.press("f3")
        await wait_for(pilot, lambda: reply.query_one("#templates-box").has_class("shown"), what="templates shown")
        await settled(pilot)
        check(app, lang, "reply with templates")
        await pilot.press("f4")
        await wait_for(
            pilot, lambda: isinstance(app.screen, LibraryPicker) and bool(app.screen.shown), what="library picker"
        )
        check(app, lang, "library picker")
        await close(app, pilot, LibraryPicker)
        app.pop_screen()
        await settled(pilot)
        while not isinstance(app.screen, type(screen)):
            app.pop_screen()
            await settled(pilot)
        await wait_for(pilot, lambda: app.screen is screen, what="back in the inbox")
        for kind in ("renewal", "result", "questionnaire", "appointment"):
            tasks = readable_appointments(portal, "lege") if kind == "appointment" else open_tasks(portal, "lege", kind)
            assert tasks, f"no open {kind} item for lege: the {kind} screen would go unchecked"
            app.push_screen(item_screen(await app.client.task(tasks[0]["id"], now=app.now())))
            s = app.screen
            assert isinstance(s, DecisionScreen)
            await wait_for(pilot, lambda s=s: s.review is not None or s.review_error, what=f"{kind} review")
            await settled(pilot)
            check(app, lang, kind)
            app.pop_screen()
            await settled(pilot)
        await pilot.press("f9")  # the language toast names the language, not its code
        await wait_for(pilot, lambda: notes_of(app), what="language toast")
        await settled(pilot)
        other = "en" if lang == "nb" else "nb"
        assert any(n.endswith("English") or n.endswith("Norsk bokmål") for n in notes_of(app))
        app.clear_notifications()
        await settled(pilot)
        check(app, other, "inbox after F9")
        await pilot.press("f12")
        await wait_for(pilot, lambda: isinstance(app.screen, LockScreen), what="lock")
        await settled(pilot)
        check(app, other, "lock")


@pytest.mark.parametrize("lang", ["nb", "en"])
async def test_switchboard_and_it_screens_show_one_language(portal: EmbeddedPortal, lang: str) -> None:
    app = await start(portal, "sentralbord", lang)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen), what="intake")
        await settled(pilot)
        check(app, lang, "intake")
        intake = app.screen
        assert isinstance(intake, IntakeScreen)
        await wait_for(pilot, lambda: intake.current_item() is not None, what="an item under the cursor")
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, RouteScreen) and bool(app.screen.shown), what="route")
        check(app, lang, "route picker")
        await close(app, pilot, RouteScreen)
    app = await start(portal, "it", lang)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, SupportScreen), what="support")
        await settled(pilot)
        check(app, lang, "IT support")


NB_DATE = re.compile(r"\b\d\d\.\d\d\.\d{4}\b")
EN_DATE = re.compile(r"\b\d\d/\d\d/\d{4}\b")


def check_dates(app: HelsamiApp, lang: str, where: str) -> None:
    """Dates as the language writes them (i18n.short_date): 03.12.2026 in bokmål, 03/12/2026 in
    English; at least one on screen, and none in the other language's form."""
    shown = screen_text(app)
    mine, other = (NB_DATE, EN_DATE) if lang == "nb" else (EN_DATE, NB_DATE)
    assert mine.search(shown), f"{lang} {where}: no date in the language's form\n{shown}"
    assert not other.search(shown), f"{lang} {where}: dates of the other language {other.findall(shown)}\n{shown}"


def read_as(portal: EmbeddedPortal, user: str) -> None:
    """`user` reads an inbox page with its patients: entries in the access log."""
    h = {"Authorization": f"Bearer {token(portal, user)}"}
    pool = httpx.get(f"{portal.base_url}/fhir/$whoami", headers=h).json()["pools"][0]
    r = httpx.get(
        f"{portal.base_url}/fhir/Task",
        headers=h,
        params=[("owner", f"HealthcareService/{pool}"), ("_count", "10"), ("_include", "Task:patient")],
    )
    assert r.status_code == 200, r.text


def log_data(screen: AccessLogScreen) -> str:
    """What the log holds as people typed it: the reasons given for breaking the glass (shown as
    given, in whatever language). What was read and the basis are the portal's codes, shown from
    the catalogs (not exempt)."""
    src = screen.source
    return "\n".join(str(e.basis_args.get("reason") or "") for e in (src.items if src is not None else []))


def what_and_basis(screen: AccessLogScreen) -> str:
    """The what and basis cells of the rows loaded, as shown."""
    src = screen.source
    rows = [src.row(i) for i in range(len(src.items))] if src is not None else []
    return "\n".join(f"{r.cells[3].plain} | {r.cells[4].plain}" for r in rows if r is not None)


async def access_log_open(app: HelsamiApp, pilot: Any) -> AccessLogScreen:
    """The privacy officer's access log, with its first rows in."""
    await wait_for(
        pilot,
        lambda: (
            isinstance(app.screen, AccessLogScreen) and app.screen.source is not None and bool(app.screen.source.items)
        ),
        what="access log",
    )
    screen = app.screen
    assert isinstance(screen, AccessLogScreen)
    return screen


@pytest.mark.parametrize("lang", ["nb", "en"])
async def test_access_log_says_what_was_read_and_why_in_the_language(portal: EmbeddedPortal, lang: str) -> None:
    read_as(portal, "lege")
    app = await start(portal, "personvern", lang)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await access_log_open(app, pilot)
        shown = what_and_basis(screen)
        # The inbox page read above: a search of inbox items that found patients and items, on the
        # basis of a care relation, in the user's words (the portal logs "Task search: Patient, Task").
        expected = (
            ("Søk i oppgave: fant pasient, oppgave", "Behandlingsrelasjon: ")
            if lang == "nb"
            else ("Search of inbox item: found patient, inbox item", "Care relation: ")
        )
        assert any(expected[0] in line and expected[1] in line for line in shown.splitlines()), shown
        assert "care relation" not in shown and "Task search" not in shown, shown
        check(app, lang, "access log: what and basis", data=log_data(screen))


@pytest.mark.parametrize("lang", ["nb", "en"])
async def test_access_log_shows_one_language_and_dates_of_the_language(portal: EmbeddedPortal, lang: str) -> None:
    read_as(portal, "lege")
    app = await start(portal, "personvern", lang)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await access_log_open(app, pilot)
        check(app, lang, "access log", data=log_data(screen))
        check_dates(app, lang, "access log")
        gen = screen.generation
        await pilot.press("g")  # only break-the-glass
        await wait_for(pilot, lambda: screen.generation > gen and screen.source is not None, what="filtered")
        await wait_for(pilot, lambda: screen.source is not None and screen.source.started, what="filtered page")
        check(app, lang, "access log, break-the-glass only", data=log_data(screen))
        await pilot.press("x")
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, StaffPicker) and bool(app.screen.shown), what="staff")
        check(app, lang, "staff picker", data=log_data(screen))
        await close(app, pilot, StaffPicker)
        await pilot.press("p")
        await wait_for(pilot, lambda: screen.query_one("#patient").has_class("shown"), what="patient prompt")
        check(app, lang, "access log, patient prompt", data=log_data(screen))


@pytest.mark.parametrize("lang", ["nb", "en"])
async def test_batch_confirmation_and_outcome_show_one_language(portal: EmbeddedPortal, lang: str) -> None:
    normal = results(portal, normal=True)[:1]
    never = results(portal, "never-online")[:1]
    assert normal and never, "no results left for a batch: the batch screens would go unchecked"
    BATCH_USED.update([*normal, *never])
    app = await start(portal, "lege", lang)
    async with app.run_test(size=(140, 44)) as pilot:
        s = await _release_batch(app, pilot, normal, never[0])
        check(app, lang, "batch confirmation")
        await pilot.press("enter")
        await wait_for(pilot, lambda: s.state == "done", what="batch run")
        assert isinstance(app.screen, BatchScreen)
        check(app, lang, "batch outcome")


@pytest.mark.parametrize("lang", ["nb", "en"])
async def test_sign_in_screen_shows_one_language(portal: EmbeddedPortal, lang: str) -> None:
    set_language(lang)
    app = signing_in_app(portal.base_url, TokenStore.in_memory(), lang)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for(
            pilot, lambda: isinstance(app.screen, SignInScreen) and app.screen.flow is not None, what="the sign-in code"
        )
        check(app, lang, "sign-in")
        screen = app.screen
        decide(portal, user_code(app), "deny")
        await wait_for(pilot, lambda: isinstance(screen, SignInScreen) and screen.failed, what="the denial")
        check(app, lang, "sign-in denied")


async def open_decision(app: HelsamiApp, pilot: Any, task_id: str, kind: type) -> DecisionScreen:
    app.push_screen(item_screen(await app.client.task(task_id, now=app.now())))
    await wait_for(
        pilot, lambda: isinstance(app.screen, kind) and app.screen.review is not None, what=f"{kind.__name__} review"
    )
    s = app.screen
    assert isinstance(s, DecisionScreen)
    return s


@pytest.mark.parametrize("lang", ["nb", "en"])
async def test_dialogs_show_one_language(portal: EmbeddedPortal, lang: str) -> None:
    routine, _ = find(portal, "lege", "renewal", "renewal-review", lambda t, r: r["protocol"]["verdict"] == "routine")
    warned, _ = find(portal, "lege", "renewal", "renewal-review", lambda t, r: bool(r["warnings"]))
    wish, _ = request(portal)
    cancel, _ = request(portal, booked=True)
    app = await start(portal, "lege", lang)
    async with app.run_test(size=SIZE) as pilot:
        inbox = await inbox_ready(app, pilot)
        # Approving: the one-line summary to confirm; pending: the physician picker.
        s = await open_decision(app, pilot, routine, RenewalScreen)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, (ConfirmScreen, AcknowledgeScreen)), what="approval")
        check(app, lang, "approval summary")
        await close(app, pilot, type(app.screen))
        await pilot.press("p")
        await wait_for(
            pilot, lambda: isinstance(app.screen, PhysicianPicker) and bool(app.screen.shown), what="physicians"
        )
        check(app, lang, "physician picker")
        await close(app, pilot, PhysicianPicker)
        app.pop_screen()
        # A warning to acknowledge; cancelled, with a note why nothing was approved.
        s = await open_decision(app, pilot, warned, RenewalScreen)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AcknowledgeScreen), what="acknowledge dialog")
        ack = app.screen
        assert isinstance(ack, AcknowledgeScreen)
        codes = " ".join(w.code for w in ack.warnings)  # "interaction:doac-nsaid:…": an identifier, shown as such
        check(app, lang, "acknowledge dialog", data=codes)
        await close(app, pilot, AcknowledgeScreen)
        await wait_for(pilot, lambda: bool(notes_of(app)), what="not approved note")
        check(app, lang, "not approved note", data=codes)
        app.clear_notifications()
        app.pop_screen()
        # A time to choose: the wished period and the free times, dates of the language; then chosen.
        s = await open_decision(app, pilot, wish, AppointmentScreen)
        await pilot.press("k")
        await wait_for(pilot, lambda: isinstance(app.screen, TimePicker) and bool(app.screen.slots), what="free times")
        picker = app.screen
        assert isinstance(picker, TimePicker)
        check(app, lang, "time picker")
        check_dates(app, lang, "time picker")
        await pilot.press("enter")
        await wait_for(pilot, lambda: picker.chosen is not None, what="a time chosen")
        check(app, lang, "time picker, chosen")
        check_dates(app, lang, "time picker, chosen")
        await close(app, pilot, TimePicker)
        app.pop_screen()
        # A cancellation to confirm, with the appointment's time.
        s = await open_decision(app, pilot, cancel, AppointmentScreen)
        await pilot.press("k")
        await wait_for(pilot, lambda: isinstance(app.screen, Confirm), what="confirm the cancellation")
        check(app, lang, "cancellation confirmation")
        check_dates(app, lang, "cancellation confirmation")
        await close(app, pilot, Confirm)
        assert app.screen is s
        app.pop_screen()
        await wait_for(pilot, lambda: app.screen is inbox, what="back in the inbox")
        # A message without an answer: completing asks first; break the glass; a note.
        item, _ = await open_new_thread(app, pilot, portal, f"Ubesvart {uuid.uuid4().hex[:6]}", text="Ring meg?")
        await pilot.press("c")
        await wait_for(pilot, lambda: item.item.claimed, what="claimed")
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="asked before completing")
        check(app, lang, "complete without an answer")
        await close(app, pilot, ConfirmScreen)
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BreakGlassScreen), what="break the glass")
        check(app, lang, "break the glass")
        app.clear_notifications()
        await pilot.press("f5")  # no reason given: refused by the app, in words
        await wait_for(pilot, lambda: bool(notes_of(app)), what="reason too short")
        check(app, lang, "break the glass without a reason")
        await close(app, pilot, BreakGlassScreen)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt), what="note prompt")
        check(app, lang, "note prompt")
        await close(app, pilot, TextPrompt)


@pytest.mark.parametrize("lang", ["nb", "en"])
async def test_command_palette_speaks_the_language(portal: EmbeddedPortal, lang: str) -> None:
    from textual.command import CommandList, CommandPalette

    app = await start(portal, "lege", lang)
    async with app.run_test(size=SIZE) as pilot:
        await inbox_ready(app, pilot)
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: CommandPalette.is_open(app), what="palette")
        palette = app.screen
        query, wanted = ("ta opp", "Ta oppgave") if lang == "nb" else ("claim", "Claim")
        await pilot.press(*query)  # the app's own actions, by their translated names
        commands = palette.query_one(CommandList)
        await wait_for(pilot, lambda: commands.option_count > 0, what="matches")
        await settled(pilot)
        shown = screen_text(app)
        check(app, lang, "command palette")
        assert wanted in shown
        for _ in query:
            await pilot.press("backspace")
        await pilot.press(*"qqqqzz")
        want = "Ingen treff." if lang == "nb" else "No matches."
        await wait_for(pilot, lambda: want in screen_text(app), what="no matches, translated")
        check(app, lang, "command palette without matches")
        await pilot.press("backspace")
        placeholder = "Søk etter en kommando" if lang == "nb" else "Search for a command"
        for _ in range(6):
            await pilot.press("backspace")
        await wait_for(pilot, lambda: placeholder in screen_text(app), what="placeholder")


def test_a_time_is_typed_as_the_language_shows_it() -> None:
    from helsami_tui.clinical_time import CLINICAL_ZONE
    from helsami_tui.i18n import short_datetime
    from helsami_tui.screens.time_picker import parse_when

    at = dt.datetime(2026, 12, 3, 9, 15, tzinfo=dt.UTC)
    for lang in ("nb", "en"):
        set_language(lang)
        shown = short_datetime(at, CLINICAL_ZONE)  # 03.12.2026 10:15 / 03/12/2026 10:15
        assert parse_when(shown, CLINICAL_ZONE) == at, (lang, shown)
