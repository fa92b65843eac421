"""Snapshots of every decision screen (renewal, result, questionnaire, appointment request) and of
the confirmations before a step that cannot be taken back (approving a renewal, completing an item
the patient got no answer on, confirming a cancellation), each in bokmål and in English, one of the
two in the high-contrast theme (issue 12).

Deterministic like tests/tui/test_snapshots.py: the portal is seeded with the same fixed `now`, its
jobs are off, the app has that `now` and shows times in UTC. The items are the first of their kind
by id in the demo physician's inboxes (the seed is a pure function of its value and `now`); nothing
is decided, so the module's portal stays as seeded. Update with
`pytest tests/tui/test_snapshots_decisions.py --snapshot-update`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from helsami_portal.embedded import EmbeddedPortal
from helsami_tui.app import HelsamiApp
from helsami_tui.client.api import PortalClient
from helsami_tui.client.auth import TokenSession, demo_login
from helsami_tui.config import Settings
from helsami_tui.i18n import set_language
from helsami_tui.screens import item_screen
from helsami_tui.screens.decision import DecisionScreen
from helsami_tui.screens.inbox import InboxScreen
from helsami_tui.screens.item import ItemScreen
from helsami_tui.theme import DEFAULT_THEME, HIGH_CONTRAST_THEME

from .test_snapshots import FROZEN, SIZE, frozen_portal, settled, until

__all__ = ["frozen_portal"]  # the module's seeded portal (a fixture of its own in this module)

Pick = Callable[[dict[str, Any], dict[str, Any]], bool]


def _h(portal: EmbeddedPortal, user: str = "lege") -> dict[str, str]:
    r = httpx.post(f"{portal.base_url}/auth/demo-login", data={"username": user})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def first_item(portal: EmbeddedPortal, code: str, review: str | None, pick: Pick) -> str:
    """The id of the first open item of `code` (by id) in the physician's inboxes whose review
    (or, without one, whose focus) satisfies `pick`."""
    h = _h(portal)
    me = httpx.get(f"{portal.base_url}/fhir/$whoami", headers=h).json()
    tasks = []
    for pool in me["pools"]:
        r = httpx.get(
            f"{portal.base_url}/fhir/Task",
            headers=h,
            params=[("owner", f"HealthcareService/{pool}"), ("code", code), ("status", "requested"), ("_count", "200")],
        )
        r.raise_for_status()
        tasks += [e["resource"] for e in r.json().get("entry", []) if e["resource"]["resourceType"] == "Task"]
    for t in sorted(tasks, key=lambda t: t["id"]):
        url = f"Task/{t['id']}/${review}" if review else t["focus"]["reference"]
        r = httpx.get(f"{portal.base_url}/fhir/{url}", headers=h)
        if r.status_code == 200 and pick(t, r.json()):
            return str(t["id"])
    raise AssertionError(f"the seed has no {code} item for this snapshot")


def make_app(portal: EmbeddedPortal, lang: str, theme: str) -> HelsamiApp:
    set_language(lang)
    tokens = asyncio.run(demo_login(portal.base_url, "lege"))
    client = PortalClient(portal.base_url, TokenSession(portal.base_url, tokens), retries=0)
    return HelsamiApp(
        client,
        Settings(portal=portal.base_url, idle_lock_minutes=0, language=lang, theme=theme),
        demo_user="lege",
        now=lambda: FROZEN,
        tz=dt.UTC,
    )


def opened(task_id: str, *keys: str, then: type | None = None) -> Callable[[Any], Any]:
    """Open the item as Enter in the inbox does, wait until all of it is drawn, press `keys`, and
    wait for the screen of type `then` (a confirmation) to settle."""

    async def run_before(pilot: Any) -> None:
        app = pilot.app
        await until(
            pilot,
            lambda: isinstance(app.screen, InboxScreen) and app.screen.source is not None and app.screen.source.started,
        )  # the inbox is under the item, never in the picture
        item = await app.client.task(task_id, now=app.now())
        app.push_screen(item_screen(item))
        screen: Any = None

        def ready() -> bool:
            nonlocal screen
            screen = app.screen
            if isinstance(screen, DecisionScreen):
                return (
                    (screen.review is not None or bool(screen.review_error))
                    and screen.patient is not None
                    and not [w for w in screen.workers if not w.is_finished]
                )
            return isinstance(screen, ItemScreen) and screen.thread is not None and screen.clinical is not None

        await until(pilot, ready)
        app.clear_notifications()
        await settled(pilot)
        if keys:
            await pilot.press(*keys)
            await until(pilot, lambda: then is None or isinstance(app.screen, then))
            await settled(pilot)

    return run_before


# -- which items --------------------------------------------------------------------------------


def warned_renewal(portal: EmbeddedPortal) -> str:
    return first_item(portal, "renewal", "renewal-review", lambda t, r: bool(r["warnings"]))


def routine_renewal(portal: EmbeddedPortal) -> str:
    return first_item(
        portal, "renewal", "renewal-review", lambda t, r: r["protocol"]["verdict"] == "routine" and not r["warnings"]
    )


def result_item(portal: EmbeddedPortal) -> str:
    return first_item(portal, "result", "result-review", lambda t, r: True)


def questionnaire_item(portal: EmbeddedPortal) -> str:
    return first_item(portal, "questionnaire", "questionnaire-review", lambda t, r: True)


def appointment_item(portal: EmbeddedPortal, cancel: bool) -> str:
    return first_item(
        portal, "appointment", None, lambda t, r: ("avbestill" in str(t.get("description") or "").lower()) == cancel
    )


def unanswered_message(portal: EmbeddedPortal) -> str:
    return first_item(portal, "message", None, lambda t, r: True)


# -- the screens, in bokmål and in English (one of the two in high contrast) ---------------------

CASES = [pytest.param("nb", DEFAULT_THEME, id="nb"), pytest.param("en", HIGH_CONTRAST_THEME, id="en-high-contrast")]


@pytest.mark.parametrize(("lang", "theme"), CASES)
def test_renewal_snapshot(frozen_portal: EmbeddedPortal, snap_compare: Any, lang: str, theme: str) -> None:
    tid = warned_renewal(frozen_portal)  # the warnings stand above the fold
    assert snap_compare(make_app(frozen_portal, lang, theme), terminal_size=SIZE, run_before=opened(tid))


@pytest.mark.parametrize(("lang", "theme"), CASES)
def test_result_snapshot(frozen_portal: EmbeddedPortal, snap_compare: Any, lang: str, theme: str) -> None:
    tid = result_item(frozen_portal)
    assert snap_compare(make_app(frozen_portal, lang, theme), terminal_size=SIZE, run_before=opened(tid))


@pytest.mark.parametrize(("lang", "theme"), CASES)
def test_questionnaire_snapshot(frozen_portal: EmbeddedPortal, snap_compare: Any, lang: str, theme: str) -> None:
    tid = questionnaire_item(frozen_portal)
    assert snap_compare(make_app(frozen_portal, lang, theme), terminal_size=SIZE, run_before=opened(tid))


@pytest.mark.parametrize(("lang", "theme"), CASES)
def test_appointment_snapshot(frozen_portal: EmbeddedPortal, snap_compare: Any, lang: str, theme: str) -> None:
    tid = appointment_item(frozen_portal, cancel=False)
    assert snap_compare(make_app(frozen_portal, lang, theme), terminal_size=SIZE, run_before=opened(tid))


# -- the confirmations ---------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "theme"), CASES)
def test_approve_confirmation_snapshot(frozen_portal: EmbeddedPortal, snap_compare: Any, lang: str, theme: str) -> None:
    """Approving a renewal: the one-line summary (medicine, dose, amount, validity) to confirm."""
    from helsami_tui.screens.confirm import ConfirmScreen

    tid = routine_renewal(frozen_portal)
    assert snap_compare(
        make_app(frozen_portal, lang, theme), terminal_size=SIZE, run_before=opened(tid, "a", then=ConfirmScreen)
    )


@pytest.mark.parametrize(("lang", "theme"), CASES)
def test_cancellation_confirmation_snapshot(
    frozen_portal: EmbeddedPortal, snap_compare: Any, lang: str, theme: str
) -> None:
    """A request to cancel an appointment, confirmed as a cancellation."""
    from helsami_tui.screens.time_picker import Confirm

    tid = appointment_item(frozen_portal, cancel=True)
    assert snap_compare(
        make_app(frozen_portal, lang, theme), terminal_size=SIZE, run_before=opened(tid, "k", then=Confirm)
    )


@pytest.mark.parametrize(("lang", "theme"), CASES)
def test_unanswered_complete_confirmation_snapshot(
    frozen_portal: EmbeddedPortal, snap_compare: Any, lang: str, theme: str
) -> None:
    """Completing an item the patient got no answer on asks first."""
    from helsami_tui.screens.confirm import ConfirmScreen

    tid = unanswered_message(frozen_portal)
    assert snap_compare(
        make_app(frozen_portal, lang, theme), terminal_size=SIZE, run_before=opened(tid, "d", then=ConfirmScreen)
    )
