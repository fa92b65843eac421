"""The privacy officer's access-log view (issue 12): by patient or by staff member, break-the-glass
entries flagged with their reasons, paged like the inbox; against the real embedded portal."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from helsami_portal.embedded import EmbeddedPortal
from helsami_tui.screens.access_log import PAGE, AccessLogScreen, StaffPicker
from helsami_tui.widgets.virtual_list import VirtualList

from .test_switchboard_it import type_text
from .test_workflows import make_app, screen_text, token, wait_for, widget_text

SIZE = (140, 40)


def log_total(portal: EmbeddedPortal, **params: str) -> int:
    h = {"Authorization": f"Bearer {token(portal, 'personvern')}"}
    r = httpx.get(
        f"{portal.base_url}/fhir/AuditEvent", headers=h, params={**params, "_total": "accurate", "_count": "1"}
    )
    r.raise_for_status()
    return int(r.json()["total"])


async def ready(app: Any, pilot: Any, screen: AccessLogScreen, gen: int) -> None:
    await wait_for(
        pilot,
        lambda: screen.generation == gen and screen.source is not None and screen.source.started,
        what="log page loaded",
    )


async def test_privacy_officer_reviews_the_log_by_staff_patient_and_break_the_glass(
    demo_portal: EmbeddedPortal,
) -> None:
    # A physician breaks the glass for a patient, with a reason the officer must see.
    reason = f"Akutt innlagt, trenger medisinliste {uuid.uuid4().hex[:6]}"
    lege = {"Authorization": f"Bearer {token(demo_portal, 'lege')}"}
    pid = "pat-000150"
    r = httpx.post(
        f"{demo_portal.base_url}/fhir/Patient/{pid}/$break-the-glass",
        headers=lege,
        json={"resourceType": "Parameters", "parameter": [{"name": "reason", "valueString": reason}]},
    )
    assert r.status_code == 200, r.text
    # Ordinary reads by the physician and a nurse fill the log (an inbox page logs one entry per patient).
    for user in ("lege", "sykepleier"):
        h = {"Authorization": f"Bearer {token(demo_portal, user)}"}
        for pool in httpx.get(f"{demo_portal.base_url}/fhir/$whoami", headers=h).json()["pools"]:
            r = httpx.get(
                f"{demo_portal.base_url}/fhir/Task",
                headers=h,
                params=[("owner", f"HealthcareService/{pool}"), ("_count", "100"), ("_include", "Task:patient")],
            )
            assert r.status_code == 200, r.text
    app = await make_app(demo_portal, "personvern")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, AccessLogScreen) and app.screen.source is not None and app.screen.source.started
            ),
            what="access log",
        )
        screen = app.screen
        assert isinstance(screen, AccessLogScreen)
        assert "Innsynslogg" in screen_text(app) and "Tid" in screen_text(app) and "Grunnlag" in screen_text(app)
        # A page, not the whole log: the first page, and at most the one the list fetches ahead of the
        # cursor (it asks for the next page when the rows on screen come within PREFETCH of the end, and
        # a 40-line terminal shows about 30), however fast the portal answers.
        src0 = screen.source
        assert src0 is not None
        await wait_for(pilot, lambda: not src0.loading, what="prefetch settled")
        everything = log_total(demo_portal)
        assert len(src0.items) in (PAGE, 2 * PAGE) and len(src0.items) < everything

        # Only break-the-glass: every row flagged, the physician's reason shown.
        gen = screen.generation
        await pilot.press("g")
        await ready(app, pilot, screen, gen + 1)
        src = screen.source
        assert src is not None and src.items and all(e.break_glass for e in src.items)
        assert any(e.reason.endswith(reason) for e in src.items)
        idx = next(i for i, e in enumerate(src.items) if e.reason.endswith(reason))
        screen.query_one(VirtualList).move_cursor(idx)
        await wait_for(pilot, lambda: reason in widget_text(screen.query_one("#entry")), what="entry shown")
        assert "NØDTILGANG" in widget_text(screen.query_one("#entry"))
        assert "NØD" in screen_text(app) and "bare nødtilgang" in screen_text(app)

        # By staff member: chosen from the directory by name; paged to the end like the inbox.
        await pilot.press("x")
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, StaffPicker) and bool(app.screen.shown), what="picker")
        await type_text(pilot, "marte lien")
        await wait_for(
            pilot, lambda: isinstance(app.screen, StaffPicker) and len(app.screen.shown) == 1, what="one match"
        )
        gen = screen.generation
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen, what="picker closed")
        await ready(app, pilot, screen, gen + 1)
        total = log_total(demo_portal, agent="Practitioner/prac-0001")
        assert total > PAGE
        src = screen.source
        assert src is not None and len(src) == total
        assert f"1 av {total}" in screen_text(app) and "Ansatt: Marte Lien" in screen_text(app)
        for _ in range(total // PAGE + 2):
            await pilot.press("end")
            await wait_for(pilot, lambda: not src.loading, what="page")
        await wait_for(pilot, lambda: len(src.items) == total, what="every page loaded")
        assert all(e.who_ref == "Practitioner/prac-0001" for e in src.items)
        assert len({e.id for e in src.items}) == total  # no entry twice across pages

        # By patient: every entry for that patient, and the break-the-glass among them.
        gen = screen.generation
        await pilot.press("p")
        await type_text(pilot, pid)
        await pilot.press("enter")
        await ready(app, pilot, screen, gen + 1)
        src = screen.source
        assert src is not None and src.items and all(e.patient_ref == f"Patient/{pid}" for e in src.items)
        assert any(e.break_glass and e.reason.endswith(reason) for e in src.items)
        assert len(src) == log_total(demo_portal, patient=f"Patient/{pid}")

        # Nothing found: "0 av 0" and a plain sentence.
        gen = screen.generation
        await pilot.press("p")
        for _ in pid:
            await pilot.press("backspace")
        await type_text(pilot, "pat-finnes-ikke")
        await pilot.press("enter")
        await ready(app, pilot, screen, gen + 1)
        assert "0 av 0" in screen_text(app) and "Ingen oppslag i loggen" in screen_text(app)
    await app.client.aclose()


def _entry(what: str, reason: str, **coded: Any) -> Any:
    """An entry as the app reads it from the AuditEvent the portal renders for a stored row."""
    from helsami_portal.store import access_log as alog
    from helsami_tui.client.models import AccessEntry

    row = {
        "id": "e1",
        "recorded": "2026-03-02T09:05:00Z",
        "patient": "pat-000001",
        "agent": "Practitioner/prac-0001",
        "agent_display": "Kari Lege",
        "agent_kind": "staff",
        "role": "physician",
        "role_text": "org-1",
        "purpose": "BTG" if reason.startswith("break the glass") else "TREAT",
        "reason": reason,
        "interaction": "operation",
        "outcome": "0",
        "what": what,
        "request_id": "",
    }
    ev = alog.render(row)
    for part, (url, system, code) in coded.items():  # a code this version of the app does not know
        holder = ev["entity"][0] if part == "coded_what" else ev["agent"][0]["purposeOfUse"][0]
        if part == "coded_what":
            holder["extension"] = [{"url": url, "valueCoding": {"system": system, "code": code}}]
        else:
            holder["coding"] = [{"system": system, "code": code}]
    return AccessEntry.from_fhir(ev)


@pytest.mark.parametrize("lang", ["nb", "en"])
def test_entries_are_told_from_their_codes_in_the_language(lang: str) -> None:
    from helsami_tui.access_texts import basis_text, what_text
    from helsami_tui.i18n import current_language, set_language

    before = current_language()
    set_language(lang)
    try:
        granted = _entry("break the glass granted until 2026-03-02T13:05 UTC", "break the glass: Akutt innlagt")
        assert granted.basis_code == "break-glass" and granted.what_code == "break-glass-granted"
        assert (
            what_text(granted)
            == {
                "nb": "Nødtilgang gitt, varer til 2. mars 2026 kl. 14:05",
                "en": "Break-the-glass access granted, lasting until 2 Mar 2026, 14:05",
            }[lang]
        )  # in clinical time (Europe/Oslo)
        assert basis_text(granted) == {"nb": "Nødtilgang: ", "en": "Break the glass: "}[lang] + "Akutt innlagt"
        review = _entry(
            "renewal review of Task/t-1: MedicationRequest, AllergyIntolerance", "care relation: regular GP (fastlege)"
        )
        assert (what_text(review), basis_text(review)) == {
            "nb": ("Vurderte fornyelsen oppgave t-1: legemiddel, allergi", "Behandlingsrelasjon: fastlege"),
            "en": ("Reviewed the renewal inbox item t-1: medicine, allergy", "Care relation: regular GP"),
        }[lang]
        unknown = _entry(
            "Patient/pat-000001",
            "care relation: regular GP (fastlege)",
            coded_what=(
                "https://helsami.example/fhir/StructureDefinition/access-what",
                "https://helsami.example/fhir/CodeSystem/access-what",
                "teleported",
            ),
            coded_basis=("x", "https://helsami.example/fhir/CodeSystem/access-basis", "care.telepathy"),
        )
        assert (what_text(unknown), basis_text(unknown)) == {
            "nb": ("Annet oppslag (kode: teleported)", "Annet grunnlag (kode: care.telepathy)"),
            "en": ("Other access (code: teleported)", "Other basis (code: care.telepathy)"),
        }[lang]
        uncoded = _entry("something new", "a basis of a newer portal")
        assert (uncoded.what_code, uncoded.basis_code) == ("", "")
        assert (what_text(uncoded), basis_text(uncoded)) == {
            "nb": ("Annet oppslag", "Annet grunnlag"),
            "en": ("Other access", "Other basis"),
        }[lang]  # never the portal's English text
    finally:
        set_language(before)
