"""The decision screens (issue 5), driven from the keyboard against a real portal (SQLite): renewals,
results, questionnaires and appointment requests. Items are found through the portal (searches and
reviews as the demo staff), never by hard-coded ids."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from helsami_portal.embedded import EmbeddedPortal
from helsami_tui.app import HelsamiApp
from helsami_tui.client.errors import Conflict
from helsami_tui.client.models import InboxItem
from helsami_tui.screens import item_screen
from helsami_tui.screens.appointment import AppointmentScreen, parse_when
from helsami_tui.screens.decision import DecisionScreen, PhysicianPicker, TextPrompt, sparkline
from helsami_tui.screens.item import ItemScreen
from helsami_tui.screens.questionnaire import QuestionnaireScreen
from helsami_tui.screens.renewal import AcknowledgeScreen, RenewalScreen
from helsami_tui.screens.result import ResultScreen
from helsami_tui.screens.time_picker import TimePicker
from helsami_tui.widgets.virtual_list import VirtualList

from .test_workflows import inbox_ready, make_app, notes_of, screen_text, token, wait_for, widget_text

SIZE = (140, 44)
OSLO = ZoneInfo("Europe/Oslo")
USED: set[str] = set()  # items one test decided, so that no other test picks them


# -- finding items through the portal ------------------------------------------------------------


def _h(portal: EmbeddedPortal, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(portal, user)}"}


def open_tasks(portal: EmbeddedPortal, user: str, code: str) -> list[dict[str, Any]]:
    """Open items of one type waiting in the pools of `user`."""
    h = _h(portal, user)
    me = httpx.get(f"{portal.base_url}/fhir/$whoami", headers=h).json()
    out = []
    for pool in me["pools"]:
        r = httpx.get(
            f"{portal.base_url}/fhir/Task",
            headers=h,
            params=[("owner", f"HealthcareService/{pool}"), ("code", code), ("status", "requested"), ("_count", "100")],
        )
        r.raise_for_status()
        out += [
            e["resource"]
            for e in r.json().get("entry", [])
            if e["resource"]["resourceType"] == "Task" and e["resource"]["id"] not in USED
        ]
    return out


def request_renewals(portal: EmbeddedPortal) -> int:
    """The demo patients ask for a renewal of each of their active prescriptions through the
    patient API (as the app for patients does): new renewal items in their GP's inbox, routine ones
    and ones with warnings (one demo patient has a blood thinner beside an NSAID). Returns how many."""
    made = 0
    for user in ("pasient", "pasient2"):
        h = _h(portal, user)
        me = httpx.get(f"{portal.base_url}/patient/me", headers=h).json()
        patient = me["actsFor"][0]["patient"].split("/")[1]
        meds = httpx.get(f"{portal.base_url}/patient/medications", headers=h, params={"patient": patient})
        meds.raise_for_status()
        for e in meds.json().get("entry", []):
            med = e["resource"]
            if med.get("status") != "active":
                continue
            r = httpx.post(
                f"{portal.base_url}/patient/renewals",
                headers=h,
                json={"medication": med["id"], "messageId": str(uuid.uuid4())},
            )
            if r.status_code == 201:
                made += 1
    return made


def find(
    portal: EmbeddedPortal, user: str, code: str, review: str, pred: Callable[[dict[str, Any], dict[str, Any]], bool]
) -> tuple[str, dict[str, Any]]:
    """The first open item of `code` in the pools of `user` whose review satisfies `pred`. When the
    seed has none left (other tests decided them), renewals are asked for as patients ask for them."""
    h = _h(portal, user)
    for attempt in range(2):
        for t in open_tasks(portal, user, code):
            r = httpx.get(f"{portal.base_url}/fhir/Task/{t['id']}/${review}", headers=h)
            if r.status_code == 200 and pred(t, r.json()):
                USED.add(t["id"])
                return t["id"], r.json()
        if attempt or code != "renewal" or not request_renewals(portal):
            break
    pytest.fail(f"no suitable {code} item for {user} in the seed, and none could be made")


def readable_appointments(portal: EmbeddedPortal, user: str) -> list[dict[str, Any]]:
    """Requests for a time (to book or to change one; not cancellations, which are confirmed as
    such) in the pools of `user` whose appointment `user` may read (a patient under restriction is
    seen only by a named care team)."""
    h = _h(portal, user)
    return [
        t
        for t in open_tasks(portal, user, "appointment")
        if "avbestill" not in str(t.get("description") or "").lower()
        and httpx.get(f"{portal.base_url}/fhir/{t['focus']['reference']}", headers=h).status_code == 200
    ]


def patient_threads(portal: EmbeddedPortal, user: str, patient: str) -> list[dict[str, Any]]:
    """Every thread the patient sees, with its messages (through the patient API)."""
    h = _h(portal, user)
    r = httpx.get(f"{portal.base_url}/patient/threads", headers=h, params={"patient": patient})
    r.raise_for_status()
    out = []
    for e in r.json().get("entry", []):
        tid = e["resource"]["id"]
        out.append(httpx.get(f"{portal.base_url}/patient/threads/{tid}", headers=h).json())
    return out


def patient_login_for(portal: EmbeddedPortal, patient_ref: str) -> str | None:
    for user in ("pasient", "pasient2"):
        me = httpx.get(f"{portal.base_url}/patient/me", headers=_h(portal, user)).json()
        if me.get("resource") == patient_ref:
            return user
    return None


# -- driving the app -----------------------------------------------------------------------------


async def start(portal: EmbeddedPortal, user: str) -> HelsamiApp:
    return await make_app(portal, user, tz=OSLO)


async def open_item(app: HelsamiApp, pilot: Any, task_id: str, kind: type[DecisionScreen]) -> DecisionScreen:
    """Open an item from the inbox with Enter when it is in the list, else as the inbox would."""
    screen = await inbox_ready(app, pilot)
    assert screen.source is not None
    items = screen.source.items
    idx = next((i for i, it in enumerate(items) if it.id == task_id), None)
    if idx is not None:
        screen.query_one(VirtualList).move_cursor(idx)
        await pilot.pause()
        await pilot.press("enter")
    else:
        app.push_screen(item_screen(await app.client.task(task_id, now=app.now())))
    await wait_for(pilot, lambda: isinstance(app.screen, kind), what=f"{kind.__name__} open")
    s = app.screen
    assert isinstance(s, kind)
    await wait_for(pilot, lambda: s.review is not None or s.review_error, what="review loaded")
    assert s.review_error is None, s.review_error
    return s


def review_text(s: DecisionScreen) -> str:
    return widget_text(s.query_one("#review-text"))


async def type_and_enter(pilot: Any, text: str) -> None:
    await pilot.press(*text)
    await pilot.press("enter")


async def decided(app: HelsamiApp, pilot: Any, s: DecisionScreen, status: str) -> InboxItem:
    await wait_for(pilot, lambda: s.item.business_status == status, what=f"business status {status}")
    return s.item


async def confirm_approval(app: HelsamiApp, pilot: Any, rv: dict[str, Any]) -> None:
    """Approval shows one line of what is signed (medicine, dose, amount, validity); Enter signs."""
    from helsami_tui.screens.confirm import ConfirmScreen

    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="approval summary")
    line = widget_text(app.screen.query_one("#body"))
    assert rv["medication"]["text"] in line and rv["order"]["dosage"] in line and "gyldig til" in line
    amount = rv["order"]["quantity"]  # the amount to be dispensed ("100 stk")
    assert amount and f" · {amount} · " in line, line
    valid = dt.date.fromisoformat(rv["order"]["validUntil"])
    assert f"{valid:%d.%m.%Y}" in line
    await pilot.press("enter")


# -- unit bits ----------------------------------------------------------------------------------


def test_sparkline_and_time_parsing() -> None:
    assert sparkline([1, 2, 3]) == "▁▅█"
    assert sparkline([5, 5]) == "▄▄"
    assert sparkline([]) == ""
    at = parse_when("03.12.2026 10:15", OSLO)
    assert at == dt.datetime(2026, 12, 3, 10, 15, tzinfo=OSLO)
    assert parse_when("03.12.2026", OSLO) is None
    assert parse_when("i morgen", OSLO) is None


def test_item_screen_by_type() -> None:
    def item(kind: str) -> InboxItem:
        return InboxItem.from_fhir(
            {
                "resourceType": "Task",
                "id": "x",
                "code": {"coding": [{"system": "https://helsami.example/fhir/CodeSystem/task-type", "code": kind}]},
            }
        )

    assert type(item_screen(item("renewal"))) is RenewalScreen
    assert type(item_screen(item("result"))) is ResultScreen
    assert type(item_screen(item("questionnaire"))) is QuestionnaireScreen
    assert type(item_screen(item("appointment"))) is AppointmentScreen
    assert type(item_screen(item("message"))) is ItemScreen


# -- renewals -----------------------------------------------------------------------------------


async def test_physician_approves_a_routine_renewal(demo_portal: EmbeddedPortal) -> None:
    tid, rv = find(
        demo_portal,
        "lege",
        "renewal",
        "renewal-review",
        lambda t, r: r["protocol"]["verdict"] == "routine" and not r["warnings"] and r["priorPrescription"] is not None,
    )
    app = await start(demo_portal, "lege")
    async with app.run_test(size=SIZE) as pilot:
        s = await open_item(app, pilot, tid, RenewalScreen)
        text = review_text(s)
        assert rv["medication"]["name"] in text
        assert "RUTINE" in text and "dager siden forrige resept" in text
        assert rv["priorPrescription"]["prescriber"]["display"] in text
        assert "Ingen advarsler." in text
        await pilot.press("a")
        await confirm_approval(app, pilot, rv)
        item = await decided(app, pilot, s, "approved")
        assert item.status == "completed"
        await wait_for(pilot, lambda: any("godkjent" in n for n in notes_of(app)), what="done note")
        await wait_for(pilot, lambda: "godkjent" in review_text(s), what="decision shown")


async def test_a_warning_must_be_acknowledged_before_approval(demo_portal: EmbeddedPortal) -> None:
    def with_login(t: dict[str, Any], r: dict[str, Any]) -> bool:
        return bool(r["warnings"]) and patient_login_for(demo_portal, t["for"]["reference"]) is not None

    tid, rv = find(demo_portal, "lege", "renewal", "renewal-review", with_login)
    codes = [w["code"] for w in rv["warnings"]]
    app = await start(demo_portal, "lege")
    async with app.run_test(size=SIZE) as pilot:
        s = await open_item(app, pilot, tid, RenewalScreen)
        text = review_text(s)
        assert "ADVARSEL:" in text  # a text marker, not colour alone
        assert "UNNTAK" in text
        for code in codes:
            assert code in text
        # The portal refuses an approval that does not acknowledge the warnings, and says which.
        with pytest.raises(Conflict) as refused:
            await app.client.approve(s.item, acknowledge=[])
        assert codes[0] in str(refused.value)
        # Approving asks for each warning; cancelling approves nothing.
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AcknowledgeScreen), what="acknowledge dialog")
        await pilot.press("escape")
        await wait_for(pilot, lambda: any("kvitteres" in n for n in notes_of(app)), what="not approved note")
        assert (await app.client.task(tid)).is_open
        # Acknowledged one by one, then approved.
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AcknowledgeScreen), what="acknowledge dialog")
        ack = app.screen
        assert isinstance(ack, AcknowledgeScreen)
        for _ in codes:
            await pilot.press("enter")
        await confirm_approval(app, pilot, rv)
        await decided(app, pilot, s, "approved")
    patient = rv["patient"]["reference"]
    user = patient_login_for(demo_portal, patient)
    assert user is not None
    threads = patient_threads(demo_portal, user, patient.split("/")[1])
    texts = [m["payload"][0]["contentString"] for th in threads for m in th["messages"]]
    assert any(rv["medication"]["text"] in x and "fornyet" in x for x in texts)


async def test_nurse_is_told_approval_is_for_prescribers_and_pends_to_a_physician(demo_portal: EmbeddedPortal) -> None:
    tid, _rv = find(demo_portal, "sykepleier", "renewal", "renewal-review", lambda t, r: True)
    app = await start(demo_portal, "sykepleier")
    async with app.run_test(size=SIZE) as pilot:
        s = await open_item(app, pilot, tid, RenewalScreen)
        await pilot.press("a")
        # The portal's reason code in bokmål, with what to do next; none of its English diagnostics.
        await wait_for(
            pilot,
            lambda: any("Bare leger kan godkjenne" in n for n in notes_of(app)),
            what="the portal's reason, translated",
        )
        assert any("send den til en lege med p" in n for n in notes_of(app))
        assert not any("prescriber" in n or "physician" in n or "$pend" in n for n in notes_of(app))
        assert s.item.is_open
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, PhysicianPicker), what="picker")
        picker = app.screen
        assert isinstance(picker, PhysicianPicker)
        await wait_for(pilot, lambda: bool(picker.people), what="physicians loaded")
        assert all(p.kind == "person" for p in picker.people)
        await pilot.press(*"Marte")
        await pilot.press("enter")  # to the list
        await pilot.press("enter")  # choose Marte Lien
        await type_and_enter(pilot, "Klargjort, ser rutine ut")
        item = await decided(app, pilot, s, "pended")
        assert item.owner_ref == whoami_ref(demo_portal, "lege")
        assert any("Klargjort, ser rutine ut" in n.text for n in item.notes)


def whoami_ref(portal: EmbeddedPortal, user: str) -> str:
    return str(httpx.get(f"{portal.base_url}/fhir/$whoami", headers=_h(portal, user)).json()["resource"])


# -- results ------------------------------------------------------------------------------------


async def test_physician_releases_a_result_with_a_comment(demo_portal: EmbeddedPortal) -> None:
    def pick(t: dict[str, Any], r: dict[str, Any]) -> bool:
        return (
            not r["report"]["released"]
            and r["report"]["category"] in ("clinician-only", "clinician-or-14d")
            and any(o["history"] for o in r["observations"])
            and patient_login_for(demo_portal, t["for"]["reference"]) is not None
        )

    tid, rv = find(demo_portal, "lege", "result", "result-review", pick)
    patient = rv["report"]["reference"]
    user = patient_login_for(
        demo_portal,
        httpx.get(f"{demo_portal.base_url}/fhir/Task/{tid}", headers=_h(demo_portal, "lege")).json()["for"][
            "reference"
        ],
    )
    assert user is not None
    pid = httpx.get(f"{demo_portal.base_url}/patient/me", headers=_h(demo_portal, user)).json()["resource"]

    def released_ids() -> set[str]:
        r = httpx.get(
            f"{demo_portal.base_url}/patient/results",
            headers=_h(demo_portal, user),
            params={"patient": pid.split("/")[1], "_count": "50"},
        )
        r.raise_for_status()
        return {
            f"DiagnosticReport/{e['resource']['id']}"
            for e in r.json().get("entry", [])
            if e["resource"]["resourceType"] == "DiagnosticReport"
        }

    assert patient not in released_ids()
    app = await start(demo_portal, "lege")
    async with app.run_test(size=SIZE) as pilot:
        s = await open_item(app, pilot, tid, ResultScreen)
        text = review_text(s)
        assert rv["report"]["categoryText"] in text or "behandler" in text
        assert "Ikke frigitt til pasienten" in text
        for o in rv["observations"]:
            assert o["name"] in text
            if o["flag"] in ("HH", "LL"):
                assert f"{o['flag']} KRITISK" in text
            elif o["flag"] in ("H", "L"):
                assert f"{o['flag']} " in text
        assert "ref." in text and "Tidligere:" in text
        assert any(ch in text for ch in "▁▂▃▄▅▆▇█")
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt), what="comment prompt")
        await type_and_enter(pilot, "Svaret er omtrent som sist. Ta kontakt om du har plager.")
        await decided(app, pilot, s, "released")
    assert patient in released_ids()
    threads = patient_threads(demo_portal, user, pid.split("/")[1])
    texts = [m["payload"][0]["contentString"] for th in threads for m in th["messages"]]
    assert any("omtrent som sist" in x for x in texts)


async def test_releasing_a_never_online_result_shows_the_refusal(demo_portal: EmbeddedPortal) -> None:
    tid, _rv = find(
        demo_portal, "lege", "result", "result-review", lambda t, r: r["report"]["category"] == "never-online"
    )
    app = await start(demo_portal, "lege")
    async with app.run_test(size=SIZE) as pilot:
        s = await open_item(app, pilot, tid, ResultScreen)
        assert "Deles aldri på nett" in review_text(s)
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt), what="comment prompt")
        await type_and_enter(pilot, "Her er svaret.")
        await wait_for(
            pilot,
            lambda: any("Ikke utført" in n and "deles aldri på nett" in n for n in notes_of(app)),
            what="the refusal, in bokmål",
        )
        assert not any("never shared online" in n for n in notes_of(app))
        assert s.item.is_open
        assert (await app.client.task(tid)).is_open


# -- questionnaires and appointment requests --------------------------------------------------


async def test_questionnaire_is_marked_reviewed_with_flagged_answers_shown(demo_portal: EmbeddedPortal) -> None:
    user = "lege2"
    tid, rv = find(demo_portal, user, "questionnaire", "questionnaire-review", lambda t, r: r["attention"] > 0)
    app = await start(demo_portal, user)
    async with app.run_test(size=SIZE) as pilot:
        s = await open_item(app, pilot, tid, QuestionnaireScreen)
        text = review_text(s)
        flagged = [i for i in rv["items"] if i["attention"]]
        assert text.count("! Trenger oppfølging") == len(flagged)
        for i in rv["items"]:
            assert i["question"] in text
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt), what="note prompt")
        await pilot.press("enter")
        item = await decided(app, pilot, s, "reviewed")
        assert item.status == "completed"


async def test_appointment_request_is_confirmed_and_the_patient_told(demo_portal: EmbeddedPortal) -> None:
    from .test_appointments import open_request, request

    tid, _ = request(demo_portal, wish_days=7)  # a patient of the physician asks for a time
    at = (dt.datetime.now(OSLO) + dt.timedelta(days=8)).replace(hour=10, minute=15, second=0, microsecond=0)
    app = await start(demo_portal, "lege")
    async with app.run_test(size=SIZE) as pilot:
        s = await open_request(app, pilot, tid)
        text = review_text(s)
        assert "Pasienten" in text and ("ny time" in text or "endre" in text or "avbestille" in text)
        await pilot.press("k")
        await wait_for(pilot, lambda: isinstance(app.screen, TimePicker), what="time picker")
        app.screen.query_one("#typed").focus()
        await type_and_enter(pilot, at.strftime("%d.%m.%Y %H:%M"))  # chooses the typed time
        await pilot.press("enter")  # sends it
        item = await decided(app, pilot, s, "confirmed")
        thread = await app.client.decision_thread(item)
    assert thread is not None
    staff_msgs = [m for m in thread.messages if m.category == "staff-reply"]
    assert any("bekreftet" in m.text and at.strftime("%H.%M") in m.text for m in staff_msgs)


# -- a visible answer at once -------------------------------------------------------------------


class HeldAnswers(httpx.AsyncBaseTransport):
    """The client's HTTP transport, which holds operations (`POST .../$op`) while the gate is shut:
    the portal has neither acted nor answered (nor sent an event of the change) until it opens."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.open = asyncio.Event()
        self.open.set()
        self.held = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and "/$" in request.url.path and not self.open.is_set():
            self.held += 1
            await self.open.wait()
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


WAITING = "Venter på portalen"


@pytest.mark.parametrize("decision", ["deny_renewal", "confirm_appointment", "note_on_result"])
async def test_a_decision_shows_its_progress_mark_at_once_and_its_result_after(
    demo_portal: EmbeddedPortal, decision: str
) -> None:
    """The key that sends a decision puts "Venter på portalen …" on the screen before the portal
    has answered (its answer is held here), and the result replaces the mark when it comes."""
    from .test_appointments import open_request, request

    held = HeldAnswers()
    app = await make_app(demo_portal, "lege", tz=OSLO, transport=held)
    async with app.run_test(size=SIZE) as pilot:
        s: DecisionScreen
        if decision == "deny_renewal":
            tid, _ = find(demo_portal, "lege", "renewal", "renewal-review", lambda t, r: not r["warnings"])
            s = await open_item(app, pilot, tid, RenewalScreen)
            await pilot.press("x")
            await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt), what="reason prompt")
            await pilot.press(*"Du trenger en kontroll først.")
        elif decision == "confirm_appointment":
            tid, _ = request(demo_portal, wish_days=7)
            s = await open_request(app, pilot, tid)
            await pilot.press("k")
            await wait_for(pilot, lambda: isinstance(app.screen, TimePicker), what="time picker")
            app.screen.query_one("#typed").focus()
            at = (dt.datetime.now(OSLO) + dt.timedelta(days=8)).replace(hour=10, minute=45)
            await type_and_enter(pilot, at.strftime("%d.%m.%Y %H:%M"))  # chooses the time; Enter again sends
        else:
            tid, _ = find(demo_portal, "lege", "result", "result-review", lambda t, r: True)
            s = await open_item(app, pilot, tid, ResultScreen)
            await pilot.press("n")
            await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt), what="note prompt")
            await pilot.press(*"Ringte pasienten om prøvene.")
        assert WAITING not in screen_text(app)
        held.open.clear()
        await pilot.press("enter")
        # Right after the key, while the portal's answer is held: the mark is on the screen.
        assert held.open.is_set() is False
        assert WAITING in screen_text(app), screen_text(app)
        await wait_for(pilot, lambda: held.held > 0, what="the decision on its way to the portal")
        held.open.set()
        results = {
            "deny_renewal": lambda: s.item.business_status == "denied" and "avslått" in review_text(s),
            "confirm_appointment": lambda: app.screen is s and s.item.business_status == "confirmed",
            "note_on_result": lambda: "Ringte pasienten" in widget_text(s.query_one("#notes")),
        }
        await wait_for(pilot, results[decision], what="the result on screen")
        await wait_for(pilot, lambda: WAITING not in screen_text(app), what="the mark gone")
    await app.client.aclose()


# -- untrusted text ------------------------------------------------------------------------------

HOSTILE = "[link=https://x]klikk[/link] \x1b[2J\x1b]52;c;ZXZpbA==\x07 \u202eevil"


def test_review_text_from_the_server_is_shown_as_plain_safe_text() -> None:
    from types import SimpleNamespace

    from rich.text import Text

    from helsami_tui.client.reviews import QuestionnaireReview, RenewalReview, ResultReview

    renewal = RenewalReview.from_json(
        {
            "medication": {"text": HOSTILE, "name": HOSTILE, "dosage": HOSTILE},
            "request": {"requester": {"display": HOSTILE}, "note": [HOSTILE]},
            "priorPrescription": {"reference": "MedicationRequest/1", "prescriber": {"display": HOSTILE}},
            "allergies": [{"text": HOSTILE, "reaction": HOSTILE}],
            "activeMedications": [{"text": HOSTILE}],
            "warnings": [{"code": "allergy:1", "kind": "allergy", "text": HOSTILE}],
            "protocol": {"verdict": "exception", "reasons": [{"code": "warnings", "text": HOSTILE}]},
        }
    )
    result = ResultReview.from_json(
        {
            "report": {"name": HOSTILE, "category": "clinician-only", "conclusion": HOSTILE, "releasedBy": HOSTILE},
            "observations": [
                {
                    "name": HOSTILE,
                    "value": HOSTILE,
                    "unit": HOSTILE,
                    "flag": "H",
                    "history": [{"date": "2026-01-01", "value": 1, "unit": HOSTILE}],
                }
            ],
        }
    )
    quest = QuestionnaireReview.from_json(
        {
            "questionnaire": {"title": HOSTILE},
            "items": [{"question": HOSTILE, "answer": HOSTILE, "attention": True, "reason": HOSTILE}],
        }
    )
    for cls, review in ((RenewalScreen, renewal), (ResultScreen, result), (QuestionnaireScreen, quest)):
        out = Text()
        fake = SimpleNamespace(review=review, happ=SimpleNamespace(tz=OSLO), item=None)
        cls.render_review(fake, out)  # type: ignore[arg-type]
        assert "\x1b" not in out.plain and "\x07" not in out.plain and "\u202e" not in out.plain
        assert "[link=https://x]klikk" in out.plain  # shown as text, never run as markup


# -- more paths ----------------------------------------------------------------------------------


def thread_pane(s: DecisionScreen) -> str:
    return "\n".join(widget_text(w) for w in s.query("#thread Static"))


async def test_ask_the_patient_then_deny_with_a_reason_in_one_conversation(demo_portal: EmbeddedPortal) -> None:
    tid, _rv = find(demo_portal, "lege", "renewal", "renewal-review", lambda t, r: not r["warnings"])
    app = await start(demo_portal, "lege")
    async with app.run_test(size=SIZE) as pilot:
        s = await open_item(app, pilot, tid, RenewalScreen)
        assert "Ingen meldinger til pasienten" in thread_pane(s)
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt), what="question prompt")
        await pilot.press("enter")  # empty: not sent
        assert isinstance(app.screen, TextPrompt)
        await type_and_enter(pilot, "Hvor mange tabletter har du igjen?")
        item = await decided(app, pilot, s, "waiting-for-patient")
        assert item.is_open
        await wait_for(pilot, lambda: "Hvor mange tabletter har du igjen?" in thread_pane(s), what="question shown")
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt), what="reason prompt")
        await type_and_enter(pilot, "Du trenger en kontroll hos legen først.")
        item = await decided(app, pilot, s, "denied")
        assert item.status == "completed"
        await wait_for(pilot, lambda: "kontroll hos legen først" in thread_pane(s), what="reason shown")
        pane = thread_pane(s)
        assert pane.index("Hvor mange tabletter") < pane.index("kontroll hos legen først")


async def test_acknowledge_all_needs_a_second_explicit_confirmation(demo_portal: EmbeddedPortal) -> None:
    tid, rv = find(demo_portal, "lege", "renewal", "renewal-review", lambda t, r: bool(r["warnings"]))
    app = await start(demo_portal, "lege")
    async with app.run_test(size=SIZE) as pilot:
        s = await open_item(app, pilot, tid, RenewalScreen)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AcknowledgeScreen), what="acknowledge dialog")
        await pilot.press("f5")
        await wait_for(
            pilot, lambda: "en gang til" in widget_text(app.screen.query_one("#confirm")), what="asked to confirm"
        )
        assert isinstance(app.screen, AcknowledgeScreen)  # not yet: asks to confirm
        await pilot.press("f5")
        await confirm_approval(app, pilot, rv)
        await decided(app, pilot, s, "approved")


async def test_appointment_decline_with_reason_and_a_time_that_cannot_be_read(demo_portal: EmbeddedPortal) -> None:
    tasks = readable_appointments(demo_portal, "sykepleier")
    assert tasks, "the seed has an appointment request for sykepleier in this module's portal"
    tid = tasks[0]["id"]
    USED.add(tid)
    app = await start(demo_portal, "sykepleier")
    async with app.run_test(size=SIZE) as pilot:
        s = await open_item(app, pilot, tid, AppointmentScreen)
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, TimePicker), what="time picker")
        picker = app.screen
        picker.query_one("#typed").focus()
        await type_and_enter(pilot, "neste uke")
        await wait_for(pilot, lambda: "dd.mm" in widget_text(picker.query_one("#error")), what="format hint")
        assert s.item.is_open and app.screen is picker  # the dialog stays, with what was typed
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is s, what="back")
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt), what="reason prompt")
        await type_and_enter(pilot, "Legen er på kurs den dagen.")
        item = await decided(app, pilot, s, "declined")
        thread = await app.client.decision_thread(item)
    assert thread is not None
    assert any("Legen er på kurs den dagen." in m.text for m in thread.messages)


async def test_result_can_be_forwarded_and_help_lists_the_decision_keys(demo_portal: EmbeddedPortal) -> None:
    from helsami_tui.screens.forward import ForwardScreen
    from helsami_tui.screens.help import HelpScreen

    tid, _ = find(demo_portal, "lege", "result", "result-review", lambda t, r: not r["report"]["released"])
    USED.discard(tid)  # only looked at
    app = await start(demo_portal, "lege")
    async with app.run_test(size=SIZE) as pilot:
        await open_item(app, pilot, tid, ResultScreen)
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        help_text = widget_text(app.screen.query_one("#help Static"))
        assert "Frigi" in help_text and "Merk vurdert" in help_text and "Videresend" in help_text
        await pilot.press("escape")
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, ForwardScreen), what="forward screen")


def test_renewal_review_in_english_marks_warnings_with_text() -> None:
    from types import SimpleNamespace

    from rich.text import Text

    from helsami_tui.client.reviews import RenewalReview
    from helsami_tui.i18n import set_language

    review = RenewalReview.from_json(
        {
            "medication": {"text": "Eliquis 5 mg tablett", "name": "Eliquis"},
            "warnings": [
                {"code": "controlled:A", "kind": "controlled", "text": "Reseptgruppe A.", "args": {"group": "A"}}
            ],
            "protocol": {
                "verdict": "exception",
                "reasons": [{"code": "warnings", "text": "1 advarsel", "args": {"count": 1}}],
            },
        }
    )
    set_language("en")
    try:
        out = Text()
        RenewalScreen.render_review(SimpleNamespace(review=review, happ=SimpleNamespace(tz=OSLO)), out)  # type: ignore[arg-type]
    finally:
        set_language("nb")
    # Said from the code and its arguments, not the portal's Norwegian text (issue 13).
    assert "WARNING: Prescription group A (narcotic)" in out.plain and "Reseptgruppe" not in out.plain
    assert "1 warning to assess." in out.plain and "advarsel" not in out.plain
    assert "EXCEPTION" in out.plain and "The request names no earlier prescription." in out.plain


# -- the client's decision operations and their typed errors -------------------------------------


async def client_for(portal: EmbeddedPortal, user: str) -> Any:
    from helsami_tui.client.api import PortalClient
    from helsami_tui.client.auth import TokenSession, demo_login

    return PortalClient(
        portal.base_url, TokenSession(portal.base_url, await demo_login(portal.base_url, user)), retries=0
    )


async def test_client_decisions_raise_typed_errors_with_the_portals_words(demo_portal: EmbeddedPortal) -> None:
    from helsami_tui.client.errors import AccessDenied, PortalError

    tid, _ = find(demo_portal, "sykepleier", "renewal", "renewal-review", lambda t, r: True)
    nurse = await client_for(demo_portal, "sykepleier")
    try:
        item = await nurse.task(tid)
        with pytest.raises(AccessDenied) as denied:
            await nurse.approve(item, acknowledge=[])
        assert "pend" in str(denied.value).lower()
        with pytest.raises(PortalError) as not_prescriber:  # a nurse cannot sign: 422
            await nurse.pend(item, whoami_ref(demo_portal, "sykepleier"))
        assert not_prescriber.value.status == 422
        with pytest.raises(Conflict) as wrong_type:  # a renewal is not reviewed like a result
            await nurse.mark_reviewed(item)
        assert wrong_type.value.current is not None and wrong_type.value.current.id == tid
        asked = await nurse.ask_info(item, "Bruker du fortsatt medisinen?")
        assert asked.business_status == "waiting-for-patient" and asked.version > item.version
        with pytest.raises(Conflict) as stale:  # based on the version before the question
            await nurse.ask_info(item, "Og en ting til?")
        assert stale.value.stale
        thread = await nurse.decision_thread(asked)
        assert thread is not None and any("Bruker du fortsatt medisinen?" in m.text for m in thread.messages)
    finally:
        await nurse.aclose()


def test_renewal_items_are_made_when_the_seed_has_none_left(demo_portal: EmbeddedPortal) -> None:
    """The renewal tests never skip: with every seeded renewal taken (by other tests in a full run),
    `find` has patients ask for new ones, routine ones and ones with warnings."""
    for user in ("lege", "sykepleier"):
        USED.update(t["id"] for t in open_tasks(demo_portal, user, "renewal"))
    try:
        routine, rv = find(
            demo_portal,
            "lege",
            "renewal",
            "renewal-review",
            lambda t, r: (
                r["protocol"]["verdict"] == "routine" and not r["warnings"] and r["priorPrescription"] is not None
            ),
        )
        warned, wv = find(demo_portal, "lege", "renewal", "renewal-review", lambda t, r: bool(r["warnings"]))
        nursed, _ = find(demo_portal, "sykepleier", "renewal", "renewal-review", lambda t, r: True)
    except pytest.skip.Exception as e:
        pytest.fail(f"the renewal tests would skip: {e}")
    assert len({routine, warned, nursed}) == 3
    assert not rv["warnings"] and wv["warnings"]
