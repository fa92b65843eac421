"""Batch triage in the terminal app, against a real portal (SQLite): marking items in the inbox
(Space, all in the filter, clear; the count in the status line; a mark character on the row), the
confirmation screen (what will happen, what will be refused and why) and the outcome lines, in
bokmål and in English."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from helsami_portal.embedded import EmbeddedPortal
from helsami_tui.app import HelsamiApp
from helsami_tui.marks import MARK, MAX_MARKS
from helsami_tui.screens.batch import BatchActionPicker, BatchScreen
from helsami_tui.screens.inbox import InboxScreen
from helsami_tui.widgets.virtual_list import VirtualList

from .test_workflows import inbox_ready, list_settled, make_app, token, wait_for, widget_text

SIZE = (140, 44)
USED: set[str] = set()


def results(portal: EmbeddedPortal, category: str = "", normal: bool | None = None) -> list[str]:
    """Ids of open result items of "lege", not yet released, of this release category (any that may be
    released online when none is given) and, when `normal` is given, with every value normal or not."""
    h = {"Authorization": f"Bearer {token(portal, 'lege')}"}
    r = httpx.get(
        f"{portal.base_url}/fhir/Task",
        headers=h,
        params=[
            ("owner", "HealthcareService/hs-fjordvik-legesenter"),
            ("code", "result"),
            ("status", "requested"),
            ("_count", "100"),
        ],
    )
    out = []
    for e in r.json().get("entry", []):
        t = e["resource"]
        if t["resourceType"] != "Task" or t["id"] in USED:
            continue
        rv = httpx.get(f"{portal.base_url}/fhir/Task/{t['id']}/$result-review", headers=h).json()
        cat = rv["report"]["category"]
        if (cat == category if category else cat in ("clinician-only", "clinician-or-14d")) and not rv["report"][
            "released"
        ]:
            is_normal = bool(rv["observations"]) and all(o["flag"] == "N" for o in rv["observations"])
            if normal is None or normal == is_normal:
                out.append(t["id"])
    return out


async def results_inbox(app: HelsamiApp, pilot: Any) -> InboxScreen:
    screen = await inbox_ready(app, pilot)
    while screen.query_state.code != "result":
        await pilot.press("t")
    await list_settled(screen, pilot)
    return screen


async def mark(screen: InboxScreen, pilot: Any, task_id: str) -> None:
    assert screen.source is not None
    screen.query_one(VirtualList).move_cursor(screen.source.by_id[task_id])
    await pilot.pause()
    await pilot.press("space")
    await wait_for(pilot, lambda: task_id in screen.marks, what="marked")


def row_marker(screen: InboxScreen, task_id: str) -> str:
    assert screen.source is not None
    row = screen.source.row(screen.source.by_id[task_id])
    assert row is not None
    return row.marker.plain if row.marker is not None else ""


def status_line(screen: InboxScreen) -> str:
    return widget_text(screen.query_one("#filters"))


async def test_marking_with_space_all_in_the_filter_and_clear(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal, "lege")
    async with app.run_test(size=SIZE) as pilot:
        screen = await results_inbox(app, pilot)
        assert screen.source is not None and len(screen.source.items) >= 3
        first, second = screen.source.items[0].id, screen.source.items[1].id
        screen.query_one(VirtualList).move_cursor(0)
        await pilot.press("space")  # marks and moves on, as a mail client
        await wait_for(pilot, lambda: "1 merket" in status_line(screen), what="count in the status line")
        assert MARK in row_marker(screen, first) and MARK not in row_marker(screen, second)
        assert screen.query_one(VirtualList).cursor_index == 1
        await pilot.press("space")
        await wait_for(pilot, lambda: "2 merket" in status_line(screen), what="two marked")
        screen.query_one(VirtualList).move_cursor(0)
        await pilot.press("space")  # Space again unmarks
        await wait_for(pilot, lambda: "1 merket" in status_line(screen), what="one unmarked")
        assert MARK not in row_marker(screen, first) and MARK in row_marker(screen, second)
        await pilot.press("asterisk")
        n = len(screen.source.items)
        await wait_for(pilot, lambda: f"{n} merket" in status_line(screen), what="all in the filter marked")
        assert all(MARK in row_marker(screen, it.id) for it in screen.source.items)
        await pilot.press("minus")
        await wait_for(pilot, lambda: "merket" not in status_line(screen), what="marks cleared")
        assert not any(MARK in row_marker(screen, it.id) for it in screen.source.items)
        # With nothing marked, the batch key is not offered (nor shown in the footer).
        await pilot.press("b")
        await pilot.pause()
        assert not isinstance(app.screen, BatchActionPicker)


POOL = "hs-fjordvik-legesenter"  # where "lege" starts (the shared inbox with the most waiting)


def matching_ids(portal: EmbeddedPortal, code: str | None) -> list[str]:
    """Every open item of the pool (of type `code`) as the portal finds them, all pages followed."""
    h = {"Authorization": f"Bearer {token(portal, 'lege')}"}
    params = [("pool", f"HealthcareService/{POOL}"), ("status", "requested,in-progress"), ("_count", "50")]
    if code:
        params.append(("code", code))
    out: list[str] = []
    r = httpx.get(f"{portal.base_url}/fhir/Task", headers=h, params=params)
    while True:
        bundle = r.json()
        out += [e["resource"]["id"] for e in bundle.get("entry", []) if e["resource"]["resourceType"] == "Task"]
        link = next((x["url"] for x in bundle.get("link", []) if x["relation"] == "next"), None)
        if link is None:
            return out
        r = httpx.get(link, headers=h)


async def one_page_loaded(app: HelsamiApp, pilot: Any, code: str | None) -> InboxScreen:
    """The inbox of POOL filtered to `code`, with only its first page loaded (more pages to come)."""
    screen = await inbox_ready(app, pilot)
    assert screen.query_state.pool_id == POOL
    while screen.query_state.code != code:
        await pilot.press("t")
    await list_settled(screen, pilot)
    assert screen.source is not None and screen.source.next_url, "the filter fits in one page"
    return screen


async def test_mark_all_marks_every_match_of_the_filter_beyond_the_loaded_page(
    demo_portal: EmbeddedPortal, monkeypatch: Any
) -> None:
    """Audit (issue 17): `*` marked only the rows the list had loaded, though it says "all in the
    filter". It marks every item the filter matches (the pages beyond the loaded one fetched), and a
    row loaded later shows its mark."""
    from helsami_tui import sources

    from .test_workflows import notes_of

    monkeypatch.setattr(sources, "PREFETCH", 0)  # the list reads no further ahead than the screen
    matched = matching_ids(demo_portal, "message")
    assert len(matched) == len(set(matched)) and 50 < len(matched) <= MAX_MARKS
    app = await make_app(demo_portal, "lege")
    async with app.run_test(size=SIZE) as pilot:
        screen = await one_page_loaded(app, pilot, "message")
        assert screen.source is not None
        loaded = len(screen.source.items)
        assert loaded < len(matched)
        await pilot.press("asterisk")
        await wait_for(pilot, lambda: f"{len(matched)} merket" in status_line(screen), what="all the matches marked")
        assert [it.id for it in screen.marks.items()] == matched  # in the list's order
        assert f"{len(matched)} oppgaver til er merket." in notes_of(app)
        # The rows beyond the first page show their mark once the list loads them.
        screen.query_one(VirtualList).move_cursor(loaded - 1)
        await wait_for(pilot, lambda: len(screen.source.items) > loaded, what="the next page")  # type: ignore[union-attr]
        assert all(MARK in row_marker(screen, it.id) for it in screen.source.items)


async def test_mark_all_says_when_the_filter_matches_more_than_one_batch(
    demo_portal: EmbeddedPortal, monkeypatch: Any
) -> None:
    """Audit (issue 17): past the batch limit `*` marks one batch, in the filter's order, and says
    that the filter matches more, in the user's language."""
    from helsami_tui import sources

    from .test_workflows import notes_of

    monkeypatch.setattr(sources, "PREFETCH", 0)
    matched = matching_ids(demo_portal, None)
    assert len(matched) > MAX_MARKS
    for language, said in (
        ("nb", f"Filteret treffer {len(matched)} oppgaver, flere enn de {MAX_MARKS} du kan merke om gangen."),
        ("en", f"The filter matches {len(matched)} items, more than the {MAX_MARKS} you can mark at a time."),
    ):
        app = await make_app(demo_portal, "lege", language=language)
        async with app.run_test(size=SIZE) as pilot:
            screen = await one_page_loaded(app, pilot, None)
            await pilot.press("asterisk")
            count = f"{MAX_MARKS} merket" if language == "nb" else f"{MAX_MARKS} marked"
            await wait_for(pilot, lambda s=screen, c=count: c in status_line(s), what="one batch marked")
            assert [it.id for it in screen.marks.items()] == matched[:MAX_MARKS]
            assert any(said in str(n) for n in notes_of(app)), notes_of(app)
            await pilot.press("asterisk")  # full: nothing more is marked
            await pilot.pause()
            assert len(screen.marks) == MAX_MARKS


async def _release_batch(app: HelsamiApp, pilot: Any, normal: list[str], never: str) -> BatchScreen:
    screen = await results_inbox(app, pilot)
    for tid in [*normal, never]:
        await mark(screen, pilot, tid)
    await pilot.press("b")
    await wait_for(pilot, lambda: isinstance(app.screen, BatchActionPicker), what="action picker")
    await pilot.press("enter")  # the first action: release with one comment
    await wait_for(pilot, lambda: isinstance(app.screen, BatchScreen), what="confirmation")
    s = app.screen
    assert isinstance(s, BatchScreen)
    await wait_for(pilot, lambda: s.state == "ready", what="plan made")
    return s


async def test_release_confirmation_and_outcome_lines_in_bokmal(demo_portal: EmbeddedPortal) -> None:
    normal = results(demo_portal, normal=True)[:2]
    abnormal = results(demo_portal, normal=False)[0]
    never = results(demo_portal, "never-online")[0]
    USED.update([*normal, abnormal, never])
    app = await make_app(demo_portal, "lege")
    async with app.run_test(size=SIZE) as pilot:
        s = await _release_batch(app, pilot, [*normal, abnormal], never)
        plan = widget_text(s.query_one("#plan"))
        assert "2 oppgaver blir gjort:" in plan and plan.count("frigis med kommentaren") == 2
        assert "2 oppgaver blir avvist, og forblir merket:" in plan
        assert "deles aldri på nett" in plan  # the refusal catalog's sentence, not the portal's English
        assert "Ikke alle verdiene er normale" in plan  # one comment for many is for normal results only
        assert "never" not in plan.lower()
        assert "Prøvesvarene dine er innenfor normalområdet" in s.query_one("#comment").text
        await pilot.press("enter")
        await wait_for(pilot, lambda: s.state == "done", what="batch run")
        lines = widget_text(s.query_one("#plan")).splitlines()
        assert sum("✓ Utført:" in x and "frigitt" in x for x in lines) == 2
        assert sum("✗ Avvist:" in x and "deles aldri på nett" in x for x in lines) == 1
        assert sum("✗ Avvist:" in x and "Ikke alle verdiene er normale" in x for x in lines) == 1
        assert "Utført: 2. Avvist: 2." in widget_text(s.query_one("#status"))
        # The refused ones stay marked, the done ones are not.
        assert [i.id for i in s.marks.items()] == [abnormal, never]
        await pilot.press("escape")
        inbox = app.screen
        assert isinstance(inbox, InboxScreen)
        await wait_for(pilot, lambda: "2 merket" in status_line(inbox), what="count after the batch")
    for tid in normal:
        item = await app.client.task(tid)
        assert item.business_status == "released"
        # What the patient reads: the template with their own name and the physician's signature,
        # never a placeholder (seen: "Hei, {patient}!" in the comment of every released result).
        with demo_portal.store.read() as tx:
            report = tx.get_ref(item.focus_ref)
        assert report is not None
        said = next(e["valueString"] for e in report.get("extension", []) if e["url"].endswith("release-comment"))
        assert "{" not in said and f"Hei, {item.patient_name}!" in said and "Marte Lien" in said, said
    assert (await app.client.task(never)).is_open and (await app.client.task(abnormal)).is_open


async def test_release_confirmation_and_outcome_lines_in_english(demo_portal: EmbeddedPortal) -> None:
    normal = results(demo_portal, normal=True)[:1]
    never = results(demo_portal, "never-online")[0]
    USED.update([*normal, never])
    app = await make_app(demo_portal, "lege", language="en")
    async with app.run_test(size=SIZE) as pilot:
        s = await _release_batch(app, pilot, normal, never)
        plan = widget_text(s.query_one("#plan"))
        assert "1 item will be done:" in plan and "released with the comment" in plan
        assert "1 item will be refused, and stays marked:" in plan and "never shared online" in plan
        assert "frigis" not in plan and "Avvist" not in plan
        await pilot.press("enter")
        await wait_for(pilot, lambda: s.state == "done", what="batch run")
        lines = widget_text(s.query_one("#plan")).splitlines()
        assert sum("✓ Done:" in x and "released" in x for x in lines) == 1
        assert sum("✗ Refused:" in x and "never shared online" in x for x in lines) == 1
        assert "Done: 1. Refused: 1." in widget_text(s.query_one("#status"))


def renewals(portal: EmbeddedPortal, verdict: str) -> list[str]:
    """Ids of open renewal items of "lege" whose protocol verdict is `verdict`."""
    h = {"Authorization": f"Bearer {token(portal, 'lege')}"}
    r = httpx.get(
        f"{portal.base_url}/fhir/Task",
        headers=h,
        params=[
            ("owner", "HealthcareService/hs-fjordvik-legesenter"),
            ("code", "renewal"),
            ("status", "requested"),
            ("_count", "100"),
        ],
    )
    out = []
    for e in r.json().get("entry", []):
        t = e["resource"]
        if t["resourceType"] != "Task" or t["id"] in USED:
            continue
        rv = httpx.get(f"{portal.base_url}/fhir/Task/{t['id']}/$renewal-review", headers=h)
        if rv.status_code == 200 and rv.json()["protocol"]["verdict"] == verdict:
            out.append(t["id"])
    return out


async def test_routine_renewals_are_approved_and_exceptions_refused_and_kept_marked(
    demo_portal: EmbeddedPortal,
) -> None:
    routine, exception = renewals(demo_portal, "routine")[:1], renewals(demo_portal, "exception")[:1]
    assert routine and exception, "the seed has routine and exception renewals"
    USED.update([*routine, *exception])
    app = await make_app(demo_portal, "lege")
    async with app.run_test(size=SIZE) as pilot:
        screen = await inbox_ready(app, pilot)
        while screen.query_state.code != "renewal":
            await pilot.press("t")
        await list_settled(screen, pilot)
        for tid in [*routine, *exception]:
            await mark(screen, pilot, tid)
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BatchActionPicker), what="action picker")
        await pilot.press("down", "down", "enter")  # approve the routine ones
        await wait_for(pilot, lambda: isinstance(app.screen, BatchScreen), what="confirmation")
        s = app.screen
        assert isinstance(s, BatchScreen) and s.action_name == "approve"
        await wait_for(pilot, lambda: s.state == "ready", what="plan made")
        plan = widget_text(s.query_one("#plan"))
        assert "1 oppgave blir gjort:" in plan and "godkjennes" in plan
        assert "Ikke rutine etter protokollen" in plan and "«" not in plan  # the protocol's reasons, translated
        await pilot.press("enter")
        await wait_for(pilot, lambda: s.state == "done", what="batch run")
        lines = widget_text(s.query_one("#plan")).splitlines()
        assert sum("✓ Utført:" in x and "godkjent" in x for x in lines) == 1
        assert sum("✗ Avvist:" in x and "Ikke rutine" in x for x in lines) == 1
        assert [i.id for i in s.marks.items()] == exception
    assert (await app.client.task(routine[0])).business_status == "approved"
    assert (await app.client.task(exception[0])).is_open


async def test_a_stale_item_is_refused_in_the_batch_with_its_current_version(demo_portal: EmbeddedPortal) -> None:
    from helsami_tui.client.errors import Conflict
    from helsami_tui.refusals import error_text

    normal = results(demo_portal)[:2]  # mark-reviewed: normal or not
    assert len(normal) == 2
    USED.update(normal)
    app = await make_app(demo_portal, "lege")
    client = app.client
    fresh, other = [await client.task(tid) for tid in normal]
    stale = other.model_copy(update={"version": other.version + 5})  # as if read long ago
    steps = await client.plan_batch([fresh, stale], "mark-reviewed")
    assert all(s.runs for s in steps)
    done, refused = await client.run_batch(steps, note="Sett.")
    assert done.done and done.new is not None and done.new.business_status == "reviewed"
    assert not refused.done and isinstance(refused.error, Conflict) and refused.error.reason == "stale-version"
    assert refused.error.current is not None and refused.error.current.version == other.version
    assert refused.error.current.patient_name == other.patient_name  # the name read before is kept
    assert "Noen andre har endret dette" in error_text(refused.error)
    assert (await client.task(other.id)).is_open
    await client.aclose()


async def test_forward_all_in_a_search_then_claim_and_complete_in_batches(demo_portal: EmbeddedPortal) -> None:
    from helsami_tui.screens.batch import BatchTargetPicker

    from .test_workflows import patient_post, search_for, whoami

    word = f"Samlet{uuid.uuid4().hex[:6]}"
    app = await make_app(demo_portal, "lege")
    async with app.run_test(size=SIZE) as pilot:
        screen = await inbox_ready(app, pilot)
        for n in (1, 2):
            patient_post(demo_portal, f"{word} {n}", "Hei.", screen.query_state.pool_id or "")
        await search_for(screen, pilot, word)
        await wait_for(pilot, lambda: screen.source is not None and len(screen.source.items) == 2, what="two found")
        assert screen.source is not None
        ids = [i.id for i in screen.source.items]
        # Claim both, then complete both: the second batch uses the versions the first one made.
        for picks, verb in (
            (("down", "down", "down", "down", "enter"), "blir dine"),
            (("down", "down", "down", "enter"), "fullføres"),
        ):
            await pilot.press("asterisk", "b")
            await wait_for(pilot, lambda: isinstance(app.screen, BatchActionPicker), what="action picker")
            await pilot.press(*picks)
            await wait_for(pilot, lambda: isinstance(app.screen, BatchScreen), what="confirmation")
            s = app.screen
            assert isinstance(s, BatchScreen)
            await wait_for(pilot, lambda s=s: s.state == "ready", what="plan made")
            assert widget_text(s.query_one("#plan")).count(verb) == 2
            await pilot.press("enter")
            await wait_for(pilot, lambda s=s: s.state == "done", what="batch run")
            assert "Utført: 2. Avvist: 0." in widget_text(s.query_one("#status"))
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen), what="back")
        for i in ids:
            assert (await app.client.task(i)).status == "completed"
        # Forward two more, found by a search, to a colleague.
        word2 = f"Videre{uuid.uuid4().hex[:6]}"
        for n in (1, 2):
            patient_post(demo_portal, f"{word2} {n}", "Hei.", screen.query_state.pool_id or "")
        await search_for(screen, pilot, word2)
        await wait_for(pilot, lambda: screen.source is not None and len(screen.source.items) == 2, what="two found")
        more = [i.id for i in screen.source.items]
        await pilot.press("asterisk", "b")
        await wait_for(pilot, lambda: isinstance(app.screen, BatchActionPicker), what="action picker")
        await pilot.press("down", "down", "down", "down", "down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, BatchTargetPicker) and app.screen.targets, what="targets")
        await pilot.press(*"Henrik Strand", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, BatchScreen), what="confirmation")
        s = app.screen
        assert isinstance(s, BatchScreen) and s.target is not None
        await wait_for(pilot, lambda: s.state == "ready", what="plan made")
        assert widget_text(s.query_one("#plan")).count("sendes til Henrik Strand") == 2
        await pilot.press("enter")
        await wait_for(pilot, lambda: s.state == "done", what="batch run")
        assert widget_text(s.query_one("#plan")).count("videresendt") == 2
    nurse = whoami(demo_portal, "sykepleier")["resource"]
    for i in more:
        assert (await app.client.task(i)).owner_ref == nurse
    await app.client.aclose()


async def test_f9_switches_the_batch_screens_language_while_open(demo_portal: EmbeddedPortal) -> None:
    """Review (a gap the author left): F9 on the action picker, the confirmation and the outcome
    lines switched only the footer; everything on the screen stayed in the language it opened in."""
    normal = results(demo_portal, normal=True)[:1]
    never = results(demo_portal, normal=False)[-1]  # refused: not for one comment to many
    USED.update([*normal, never])
    app = await make_app(demo_portal, "lege")
    async with app.run_test(size=SIZE) as pilot:
        screen = await results_inbox(app, pilot)
        for tid in [*normal, never]:
            await mark(screen, pilot, tid)
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BatchActionPicker), what="action picker")
        picker = app.screen
        assert "Hva skal skje" in widget_text(picker.query_one("#title"))
        await pilot.press("f9")
        await wait_for(pilot, lambda: "What should happen" in widget_text(picker.query_one("#title")), what="en")
        options = picker.query_one("#actions")
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert labels[0].startswith("Release") and not any("Frigi" in x for x in labels), labels
        await pilot.press("f9")  # back to bokmål, then on to the confirmation
        await wait_for(pilot, lambda: "Hva skal skje" in widget_text(picker.query_one("#title")), what="nb")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, BatchScreen), what="confirmation")
        s = app.screen
        assert isinstance(s, BatchScreen)
        await wait_for(pilot, lambda: s.state == "ready", what="plan made")
        assert "1 oppgave blir gjort:" in widget_text(s.query_one("#plan"))
        await pilot.press("f9")
        await wait_for(pilot, lambda: "1 item will be done:" in widget_text(s.query_one("#plan")), what="plan in en")
        plan = widget_text(s.query_one("#plan"))
        assert "released with the comment" in plan and "Not every value is normal" in plan and "frigis" not in plan
        assert widget_text(s.query_one("#title")).startswith("Confirm:")
        assert "Comment to the patients" in widget_text(s.query_one("#comment-label"))
        assert s.query_one("#comment").text.startswith(
            "Hello {patient},"
        )  # the untouched template follows the language
        assert "Enter runs it" in widget_text(s.query_one("#status"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: s.state == "done", what="batch run")
        assert "Done: 1. Refused: 1." in widget_text(s.query_one("#status"))
        await pilot.press("f9")
        await wait_for(pilot, lambda: "Utført: 1. Avvist: 1." in widget_text(s.query_one("#status")), what="nb")
        lines = widget_text(s.query_one("#plan")).splitlines()
        assert sum("✓ Utført:" in x for x in lines) == 1 and sum("✗ Avvist:" in x for x in lines) == 1
        assert not any("Done:" in x or "Refused:" in x for x in lines)
