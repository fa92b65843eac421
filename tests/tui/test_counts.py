"""Counts in the inbox line are right and current: the personal inbox counts urgent and overdue, and
every action (a decision, an absence hand-over) changes them at once, without waiting for another event."""

from __future__ import annotations

import datetime as dt

from helsami_portal.embedded import EmbeddedPortal
from helsami_tui.screens.absence import AbsenceScreen
from helsami_tui.screens.decision import TextPrompt
from helsami_tui.screens.inbox import InboxScreen
from helsami_tui.screens.questionnaire import QuestionnaireScreen

from .test_decisions import SIZE, find, open_item, start
from .test_switchboard_it import type_text
from .test_workflows import inbox_ready, screen_text, wait_for


def counts(screen: InboxScreen, pool_id: str) -> tuple[int, int, int]:
    p = next(p for p in screen.pools if p.id == pool_id)
    return p.waiting, p.urgent, p.overdue


async def test_personal_inbox_shows_urgent_and_overdue(demo_portal: EmbeddedPortal) -> None:
    # Items of the nurse's own: one urgent, one overdue (the test makes them; the seed may add others).
    from helsami_portal.fhir import timeutil
    from tests.portal.test_pool_counts import _own_item

    _own_item(
        demo_portal,
        "Practitioner/prac-0002",
        priority="urgent",
        deadline=timeutil.instant(timeutil.utcnow() + dt.timedelta(days=2)),
    )
    _own_item(
        demo_portal,
        "Practitioner/prac-0002",
        priority="routine",
        deadline=timeutil.instant(timeutil.utcnow() - dt.timedelta(days=1)),
    )
    app = await start(demo_portal, "sykepleier")
    async with app.run_test(size=SIZE) as pilot:
        screen = await inbox_ready(app, pilot)
        truth = next(p for p in await app.client.pools() if not p.id)
        assert truth.urgent and truth.overdue
        assert counts(screen, "") == (truth.waiting, truth.urgent, truth.overdue)
        line = screen_text(app).splitlines()
        assert any(f"Mine oppgaver {truth.waiting} !{truth.urgent} ⏰{truth.overdue}" in x for x in line)
    await app.client.aclose()


async def test_a_decision_changes_the_counts_at_once(demo_portal: EmbeddedPortal) -> None:
    user = "lege2"
    tid, _ = find(demo_portal, user, "questionnaire", "questionnaire-review", lambda t, r: True)
    app = await start(demo_portal, user)
    async with app.run_test(size=SIZE) as pilot:
        inbox = await inbox_ready(app, pilot)
        s = await open_item(app, pilot, tid, QuestionnaireScreen)
        pool_id = s.item.pool_id
        before = counts(inbox, pool_id)
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt), what="note prompt")
        await pilot.press("enter")
        await wait_for(pilot, lambda: s.item.status == "completed", what="reviewed")
        await wait_for(pilot, lambda: counts(inbox, pool_id)[0] == before[0] - 1, what="count went down")
        truth = next(p for p in await app.client.pools() if p.id == pool_id)
        assert counts(inbox, pool_id) == (truth.waiting, truth.urgent, truth.overdue)
    await app.client.aclose()


async def test_absence_hand_over_empties_the_personal_count_at_once(demo_portal: EmbeddedPortal) -> None:
    app = await start(demo_portal, "sykepleier")
    async with app.run_test(size=SIZE) as pilot:
        screen = await inbox_ready(app, pilot)
        await wait_for(pilot, lambda: screen.absence is not None, what="absence state")
        assert counts(screen, "")[0] > 0
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
        await wait_for(pilot, lambda: counts(screen, "") == (0, 0, 0), what="personal count emptied")
        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, AbsenceScreen), what="absence dialog")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.absence is not None and not screen.absence.away, what="back")
    await app.client.aclose()
