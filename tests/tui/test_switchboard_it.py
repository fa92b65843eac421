"""The switchboard's intake view and phone messages, absence, and the IT support view, driven from the
keyboard against a real portal (SQLite, deterministic synthetic seed)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import sqlalchemy as sa

from helsami_portal.embedded import EmbeddedPortal
from helsami_portal.store.schema import resource, task
from helsami_tui.screens.absence import AbsenceScreen
from helsami_tui.screens.inbox import InboxScreen
from helsami_tui.screens.intake import IntakeScreen, RouteScreen
from helsami_tui.screens.phone import PhoneMessageScreen, parse_birth_date
from helsami_tui.screens.support import SupportScreen
from helsami_tui.widgets.virtual_list import VirtualList

from .test_workflows import SIZE, make_app, screen_text, token, wait_for, widget_text

EXT_TASK_POOL = "https://helsami.example/fhir/StructureDefinition/task-pool"


# -- the portal's state, read from its store ------------------------------------------------------


def stored_task(portal: EmbeddedPortal, task_id: str) -> dict[str, Any]:
    with portal.store.read() as tx:
        row = tx.conn.execute(sa.select(task.c.content).where(task.c.id == task_id)).first()
    assert row is not None
    return dict(json.loads(row[0]))


def pool_of(t: dict[str, Any]) -> str:
    for e in t.get("extension") or []:
        if e.get("url") == EXT_TASK_POOL:
            return str(e["valueReference"]["reference"])
    return ""


def stored(portal: EmbeddedPortal, rtype: str) -> list[dict[str, Any]]:
    with portal.store.read() as tx:
        return [
            json.loads(c) for (c,) in tx.conn.execute(sa.select(resource.c.content).where(resource.c.rtype == rtype))
        ]


def patient_identities(portal: EmbeddedPortal) -> set[str]:
    """Every seeded patient's full name (both spellings) and national id, except names that staff
    members happen to share (staff names are directory data the IT view may show)."""
    staff = set()
    for p in stored(portal, "Practitioner"):
        for n in p.get("name") or []:
            staff.add(n.get("text") or " ".join([*n.get("given", []), n.get("family", "")]))
    out: set[str] = set()
    for p in stored(portal, "Patient"):
        for n in p.get("name") or []:
            out.add(" ".join([*n.get("given", []), n.get("family", "")]).strip())
            if n.get("text"):
                out.add(n["text"])
        for i in p.get("identifier") or []:
            if i.get("value"):
                out.add(i["value"])
    return {x for x in out if x and x not in staff}


async def type_text(pilot: Any, text: str) -> None:
    await pilot.press(*[{" ": "space"}.get(ch, ch) for ch in text])


async def intake_ready(app: Any, pilot: Any, at_least: int = 1) -> IntakeScreen:
    await wait_for(
        pilot,
        lambda: (
            isinstance(app.screen, IntakeScreen)
            and app.screen.source is not None
            and app.screen.source.started
            and len(app.screen.source.items) >= at_least
        ),
        what="intake loaded",
    )
    screen = app.screen
    assert isinstance(screen, IntakeScreen)
    return screen


# -- the intake view --------------------------------------------------------------------------------


async def test_switchboard_routes_three_items_in_a_row_with_few_keys(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal, "sentralbord")
    async with app.run_test(size=SIZE) as pilot:
        screen = await intake_ready(app, pilot, at_least=4)
        pool = screen.current_pool()
        assert pool is not None and pool.id == "hs-fjordvik-sentralbord"
        assert screen.query_state.owner == "unclaimed"  # only what still waits to be routed
        # The selected item's message is shown below the list (the switchboard reads message text).
        assert screen.source is not None
        idx = next(i for i, it in enumerate(screen.source.items) if it.type in ("message", "phone-message"))
        screen.query_one(VirtualList).move_cursor(idx)
        await pilot.pause()
        first = screen.current_item()
        assert first is not None
        await wait_for(pilot, lambda: first.subject in widget_text(screen.query_one("#preview-text")), what="preview")
        assert "Fra" in widget_text(screen.query_one("#preview-text")) or "Telefon" in widget_text(
            screen.query_one("#preview-text")
        )
        assert "Rut videre" in screen_text(app)  # the key is in the footer

        plan = [
            ("fysioterapitj", "", "HealthcareService/hs-fjordvik-fysio"),
            ("psykisk helse", "Ring tilbake i dag", "HealthcareService/hs-fjordvik-psyk"),
            ("rahimi", "", "Practitioner/prac-0034"),
        ]
        routed: list[tuple[str, str, str]] = []
        for words, note, target in plan:
            item = screen.current_item()
            assert item is not None and item.id not in [r[0] for r in routed]
            await pilot.press("f")
            await wait_for(
                pilot, lambda: isinstance(app.screen, RouteScreen) and bool(app.screen.shown), what="route picker"
            )
            await type_text(pilot, words)
            await pilot.press("enter")  # chooses
            if note:
                await pilot.press("tab")
                await type_text(pilot, note)
            await pilot.press("enter")  # sends
            await wait_for(pilot, lambda: app.screen is screen, what="picker closed")
            # The cursor is on the next item at once.
            nxt = screen.current_item()
            assert nxt is not None and nxt.id != item.id
            routed.append((item.id, target, note))
        # Each routed item leaves the intake list and is where it was sent on the portal.
        await wait_for(
            pilot,
            lambda: screen.source is not None and not any(i.id in {r[0] for r in routed} for i in screen.source.items),
            what="routed items left the list",
        )
        for task_id, target, note in routed:
            t = stored_task(demo_portal, task_id)
            assert t["owner"]["reference"] == target
            if target.startswith("HealthcareService/"):
                assert pool_of(t) == target
            if note:
                assert any(n.get("text") == note for n in t.get("note") or [])
    await app.client.aclose()


async def test_route_picker_suggests_first_shared_before_personal_and_enter_chooses_before_it_sends(
    demo_portal: EmbeddedPortal,
) -> None:
    subject = f"Vondt i skulderen {uuid.uuid4().hex[:6]}"
    h = {"Authorization": f"Bearer {token(demo_portal, 'pasient')}"}
    me = httpx.get(f"{demo_portal.base_url}/patient/me", headers=h).json()
    r = httpx.post(
        f"{demo_portal.base_url}/patient/threads",
        headers=h,
        json={
            "patient": me["actsFor"][0]["patient"].split("/")[1],
            "topic": "kommune-annet",
            "subject": subject,
            "text": "Hei, skulderen verker etter trening.",
            "messageId": str(uuid.uuid4()),
        },
    )
    assert r.status_code == 201, r.text
    app = await make_app(demo_portal, "sentralbord")
    async with app.run_test(size=SIZE) as pilot:
        screen = await intake_ready(app, pilot)
        await pilot.press("slash", *subject.split()[-1], "enter")
        await wait_for(
            pilot,
            lambda: (i := screen.current_item()) is not None and i.subject == subject,
            what="the new item under the cursor",
        )
        item = screen.current_item()
        assert item is not None
        await pilot.press("f")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, RouteScreen) and bool(app.screen.shown) and app.screen.shown[0].suggested != ""
            ),
            what="suggestion shown",
        )
        picker = app.screen
        assert isinstance(picker, RouteScreen)
        # The routing table's suggestion first, marked; then shared inboxes; people and direct inboxes last.
        assert picker.shown[0].ref == "HealthcareService/hs-fjordvik-fysio"
        assert "Forslag · Innboks: Fysioterapitjenesten" in screen_text(app)
        rest = picker.shown[1:]
        personal = [x.personal for x in rest]
        assert personal == sorted(personal) and False in personal and True in personal
        assert all(x.kind == "person" or x.personal for x in rest if x.personal)
        # A direct inbox is labelled as personal.
        await type_text(pilot, "direktemeldinger")
        await wait_for(pilot, lambda: bool(picker.shown) and all(x.personal for x in picker.shown), what="filtered")
        assert "Personlig innboks: " in screen_text(app)
        for _ in "direktemeldinger":
            await pilot.press("backspace")
        await wait_for(pilot, lambda: picker.shown and picker.shown[0].suggested != "", what="filter cleared")
        # The first Enter chooses and says so; nothing is sent.
        await pilot.press("enter")
        assert app.screen is picker and picker.chosen is not None and picker.chosen.ref == picker.shown[0].ref
        assert "Til: Fysioterapitjenesten" in screen_text(app) and "Enter igjen" in screen_text(app)
        assert stored_task(demo_portal, item.id)["owner"]["reference"] == "HealthcareService/hs-fjordvik-sentralbord"
        # Moving asks for a new choice; Enter then chooses the new one, still without sending.
        await pilot.press("down")
        assert picker.chosen is None
        await pilot.press("enter")
        assert app.screen is picker and picker.chosen is not None and picker.chosen.ref == picker.shown[1].ref
        await pilot.press("up", "enter")
        assert app.screen is picker and picker.chosen is not None and picker.chosen.ref == picker.shown[0].ref
        await pilot.press("enter")  # the second Enter on the same choice sends
        await wait_for(pilot, lambda: app.screen is screen, what="picker closed")
        await wait_for(
            pilot,
            lambda: stored_task(demo_portal, item.id)["owner"]["reference"] == "HealthcareService/hs-fjordvik-fysio",
            what="routed on the portal",
        )
    await app.client.aclose()


# -- phone messages -------------------------------------------------------------------------------------


async def test_phone_message_is_registered_once_in_the_chosen_inbox(demo_portal: EmbeddedPortal) -> None:
    patient = next(
        p
        for p in sorted(stored(demo_portal, "Patient"), key=lambda p: p["id"])
        if p.get("birthDate") and (p.get("name") or [{}])[0].get("family")
    )
    family = patient["name"][0]["family"]
    given = patient["name"][0]["given"][0]
    y, m, d = patient["birthDate"].split("-")
    subject = "Ringte om svar på blodprøve"
    app = await make_app(demo_portal, "sentralbord")
    async with app.run_test(size=SIZE) as pilot:
        await intake_ready(app, pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, PhoneMessageScreen), what="phone message screen")
        ps = app.screen
        assert isinstance(ps, PhoneMessageScreen)
        await type_text(pilot, f"{given} {family}")
        await pilot.press("tab")
        await type_text(pilot, f"{d}.{m}.{y}")
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(ps.patients), what="patients found")
        shown = screen_text(app)
        assert f"{d}.{m}.{y}" in shown and patient["identifier"][0]["value"] in shown  # name, born, national id
        assert all(p.birth_date is not None and p.birth_date.isoformat() == patient["birthDate"] for p in ps.patients)
        await pilot.press("enter")  # the first match
        assert ps.patient is not None and ps.patient.id == patient["id"]
        await type_text(pilot, subject)
        await pilot.press("enter")
        await type_text(pilot, "Vil vite om svaret er kommet. Treffes på mobil etter kl 15.")
        await pilot.press("tab")
        await type_text(pilot, "fysioterapitj")
        await pilot.press("enter")
        assert ps.target is not None and ps.target.ref == "HealthcareService/hs-fjordvik-fysio"
        await pilot.press("f5", "f5")  # pressed twice: still one message
        await wait_for(pilot, lambda: not isinstance(app.screen, PhoneMessageScreen), what="sent")
        result = ps.result
        assert result is not None and result.item is not None
        # Sent again with the same messageId (a retry after a lost answer): the first result, nothing new.
        again = await app.client.phone_message(ps.patient.ref, ps.target.ref, subject, "x", ps.message_id)
        assert again.replayed and again.item is not None and again.item.id == result.item.id
    await app.client.aclose()
    with demo_portal.store.read() as tx:
        rows = tx.conn.execute(
            sa.select(task.c.content).where(task.c.code == "phone-message", task.c.patient == patient["id"])
        ).all()
    made = [json.loads(r[0]) for r in rows if json.loads(r[0]).get("description") == subject]
    assert len(made) == 1
    t = made[0]
    assert t["owner"]["reference"] == "HealthcareService/hs-fjordvik-fysio" and t["status"] == "requested"
    header = t["focus"]["reference"]
    msgs = [c for c in stored(demo_portal, "Communication") if (c.get("partOf") or [{}])[0].get("reference") == header]
    assert len(msgs) == 1
    msg = msgs[0]
    assert msg["medium"][0]["coding"][0]["code"] == "PHONE"
    assert msg["sender"]["reference"] == "Practitioner/prac-0003"  # taken by the switchboard user
    assert "telefon" in msg["sender"]["display"]


def test_birth_dates_are_read_the_norwegian_way() -> None:
    assert str(parse_birth_date("05.03.1950")) == "1950-03-05"
    assert str(parse_birth_date("5.3.1950")) == "1950-03-05"
    assert str(parse_birth_date("05031950")) == "1950-03-05"
    assert str(parse_birth_date("1950-03-05")) == "1950-03-05"
    assert parse_birth_date("31.02.1950") is None and parse_birth_date("mars") is None


# -- absence --------------------------------------------------------------------------------------------


async def test_absence_toggle_with_a_delegate_and_back(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal, "sykepleier")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, InboxScreen) and app.screen.absence is not None,
            what="inbox with absence state",
        )
        screen = app.screen
        assert isinstance(screen, InboxScreen) and not isinstance(screen, IntakeScreen)
        await wait_for(pilot, lambda: "f7 Borte" in screen_text(app), what="F7 in the footer")
        assert "markert borte" not in screen_text(app)
        mine_before = {r.id for r in (await app.client.inbox_page(None)).items}
        await pilot.press("f7")
        await wait_for(
            pilot, lambda: isinstance(app.screen, AbsenceScreen) and len(app.screen.shown) > 1, what="absence dialog"
        )
        await type_text(pilot, "marte lien")
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: app.screen is screen and screen.absence is not None and screen.absence.away,
            what="marked away",
        )
        await wait_for(
            pilot, lambda: "Du er markert borte. Stedfortreder: Marte Lien" in screen_text(app), what="away banner"
        )
        prac = next(p for p in stored(demo_portal, "Practitioner") if p["id"] == "prac-0002")
        absence = next(e for e in prac["extension"] if e["url"].endswith("/absence"))
        parts = {x["url"]: x for x in absence["extension"]}
        assert parts["away"]["valueBoolean"] is True
        assert parts["delegate"]["valueReference"]["reference"] == "Practitioner/prac-0001"
        for tid in mine_before:  # the nurse's open items went to the delegate
            assert stored_task(demo_portal, tid)["owner"]["reference"] == "Practitioner/prac-0001"
        # Back again: F7, Enter.
        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, AbsenceScreen), what="absence dialog")
        assert "markert borte siden" in screen_text(app)
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: app.screen is screen and screen.absence is not None and not screen.absence.away, what="back"
        )
        await wait_for(pilot, lambda: "markert borte" not in screen_text(app), what="banner gone")
        assert not (await app.client.absence()).away
    await app.client.aclose()


# -- IT support -----------------------------------------------------------------------------------------


async def test_it_view_shows_setup_health_and_no_patient_data(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal, "it")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, SupportScreen)
                and "Medlemmer" in widget_text(app.screen.query_one("#queues"))
                and " ms" in widget_text(app.screen.query_one("#portal"))
            ),
            what="queues and health",
        )
        s = app.screen
        parts = [widget_text(s.query_one(sel)) for sel in ("#support-head", "#portal", "#queues", "#notifications")]
        whole = "\n".join(parts)
        visible = screen_text(app)
        # Portal version and health.
        assert "helsami-portal versjon 0.1.0" in parts[1] and "svarer" in parts[1] and " ms" in parts[1]
        # Inboxes with back-ups, delays, response times, depth, oldest unopened, escalations, members.
        queues = await app.client.queues()
        assert len(queues) >= 10
        for q in queues:
            assert q.name in whole
        assert "Reserve: Fjordvik kommune – Sentralbord helse og omsorg, flyttes etter 8 t" in whole
        assert "Svarfrist: 5 d" in whole and "Svarfrist: 1 d" in whole
        assert "Eskalert siste 24 t:" in whole and "Eldste:" in whole and "Venter:" in whole
        assert "Sigrid Moen (sentralbord)" in whole and "Marte Lien (lege)" in whole
        # The first inbox is on screen, not only in the widget (once the frame after the update is drawn).
        await wait_for(pilot, lambda: queues[0].name in screen_text(app), what="first inbox drawn")
        visible = screen_text(app)
        # The notification outbox: channels (none set up in the demo), counts, no failures.
        outbox = widget_text(s.query_one("#notifications"))
        assert "Varsler til pasienter" in outbox and "Kanaler: ingen satt opp" in outbox
        assert "Sendt: 0 · Venter: 0" in outbox and "Ingen varsler har feilet." in outbox
        # Not one patient name or national id, anywhere on the screen or in its scrolled-off text.
        idents = patient_identities(demo_portal)
        assert len(idents) > 200
        leaked = [x for x in idents if x in whole or x in visible]
        assert not leaked, leaked[:5]
        # Scrolled to the end, still nothing.
        queues_view = s.query_one("#queues").parent
        await pilot.press("end")
        await wait_for(
            pilot,
            lambda: (
                queues_view is None
                or not hasattr(queues_view, "scroll_y")
                or queues_view.scroll_y >= queues_view.max_scroll_y
            ),
            what="scrolled to the end",
        )
        assert not [x for x in idents if x in screen_text(app)]
        # English too.
        await pilot.press("f9")
        await wait_for(pilot, lambda: "Members" in widget_text(s.query_one("#queues")), what="English")
        assert "version 0.1.0" in widget_text(s.query_one("#portal"))
    await app.client.aclose()


# -- the client: a lost answer to $phone-message ----------------------------------------------------------


async def test_phone_message_is_made_once_when_the_answer_is_lost(demo_portal: EmbeddedPortal) -> None:
    import uuid

    from helsami_tui.client.api import PortalClient
    from helsami_tui.client.auth import TokenSession, demo_login

    from .test_client import LoseAnswers

    transport = LoseAnswers("$phone-message")
    tokens = await demo_login(demo_portal.base_url, "sentralbord")
    client = PortalClient(
        demo_portal.base_url, TokenSession(demo_portal.base_url, tokens), transport=transport, backoff=0.01
    )
    patient = next(
        p for p in sorted(stored(demo_portal, "Patient"), key=lambda p: p["id"], reverse=True) if p.get("birthDate")
    )
    found = await client.search_patients(patient["name"][0]["family"], parse_birth_date(patient["birthDate"]))
    assert [p.id for p in found] == [patient["id"]] or patient["id"] in [p.id for p in found]
    assert all(p.national_id and p.birth_date is not None for p in found)
    subject = f"Telefon {uuid.uuid4().hex[:6]}"
    result = await client.phone_message(
        f"Patient/{patient['id']}",
        "HealthcareService/hs-fjordvik-psyk",
        subject,
        "Ønsker å bli ringt opp.",
        str(uuid.uuid4()),
    )
    assert transport.lost == 1  # the first answer never came; the resend got the first result
    assert result.replayed and result.item is not None
    assert result.item.type == "phone-message" and result.item.subject == subject
    assert result.item.owner_ref == "HealthcareService/hs-fjordvik-psyk"
    assert result.message.medium == "phone" and result.message.category == "phone-message"
    await client.aclose()
    with demo_portal.store.read() as tx:
        rows = tx.conn.execute(
            sa.select(task.c.id).where(task.c.code == "phone-message", task.c.patient == patient["id"])
        ).all()
    assert [r[0] for r in rows].count(result.item.id) == 1
    assert sum(stored_task(demo_portal, r[0]).get("description") == subject for r in rows) == 1


def test_a_phone_message_says_who_called_or_who_took_the_call() -> None:
    from helsami_tui.client.models import Message
    from helsami_tui.i18n import set_language
    from helsami_tui.screens.item import message_block

    set_language("nb")
    base = {
        "resourceType": "Communication",
        "status": "completed",
        "sent": "2026-11-24T10:00:00Z",
        "category": [
            {
                "coding": [
                    {
                        "system": "https://helsami.example/fhir/CodeSystem/communication-category",
                        "code": "phone-message",
                    }
                ]
            }
        ],
        "medium": [
            {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode", "code": "PHONE"}]}
        ],
        "payload": [{"contentString": "Ring meg."}],
    }
    taken = message_block(
        Message.from_fhir(
            {**base, "sender": {"reference": "Practitioner/prac-0003", "display": "Sigrid Moen (tatt imot på telefon)"}}
        )
    )
    assert taken.plain.startswith("Telefon, registrert av: Sigrid Moen") and "Telefon" in taken.plain
    caller = message_block(
        Message.from_fhir({**base, "sender": {"reference": "Patient/p1", "display": "Ola Nordmann"}})
    )
    assert caller.plain.startswith("Telefon fra: Ola Nordmann")


async def test_forward_screen_offers_the_routing_tables_suggestion_first(demo_portal: EmbeddedPortal) -> None:
    from helsami_tui.screens.forward import ForwardScreen

    from .test_workflows import open_new_thread

    app = await make_app(demo_portal, "lege")
    async with app.run_test(size=SIZE) as pilot:
        s, _ = await open_new_thread(app, pilot, demo_portal, f"Øvelser for skulderen {uuid.uuid4().hex[:6]}")
        await pilot.press("f")
        await wait_for(
            pilot, lambda: isinstance(app.screen, ForwardScreen) and bool(app.screen.shown), what="forward targets"
        )
        fwd = app.screen
        assert isinstance(fwd, ForwardScreen)
        assert fwd.shown[0].ref == "HealthcareService/hs-fjordvik-fysio" and fwd.shown[0].suggested
        assert "Forslag · Innboks" in screen_text(app)
        personal = [x.personal for x in fwd.shown[1:]]
        assert personal == sorted(personal)  # shared inboxes before personal ones
        # Enter in the filter goes to the list, Enter there chooses; nothing is sent before F5.
        await pilot.press("enter", "enter")
        assert app.screen is fwd and fwd.chosen is not None and fwd.chosen.ref == fwd.shown[0].ref
        assert stored_task(demo_portal, s.item.id)["owner"]["reference"] != "HealthcareService/hs-fjordvik-fysio"
        await pilot.press("escape")
    await app.client.aclose()
