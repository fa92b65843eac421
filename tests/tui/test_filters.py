"""Filters chosen from a list (F4), and "0 av 0" when nothing matches (issue 12)."""

from __future__ import annotations

from helsami_portal.embedded import EmbeddedPortal
from helsami_tui.screens.filters import FilterPicker

from .test_workflows import SIZE, inbox_ready, list_settled, make_app, screen_text, search_for, wait_for


async def choose(app, pilot, label: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("f4")
    await wait_for(pilot, lambda: isinstance(app.screen, FilterPicker), what="filter list")
    picker = app.screen
    assert isinstance(picker, FilterPicker)
    target = next(i for i, r in enumerate(picker.index) if r is not None and picker.rows[r][2] == label)
    for _ in range(100):
        box = picker.query_one("#filter-list")
        if box.highlighted == target:
            break
        await pilot.press("down")
    await pilot.press("enter")
    await wait_for(pilot, lambda: not isinstance(app.screen, FilterPicker), what="filter list closed")


async def test_filters_from_a_list_and_nothing_found_is_0_of_0(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal)
    async with app.run_test(size=SIZE) as pilot:
        screen = await inbox_ready(app, pilot)
        await list_settled(screen, pilot)
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, FilterPicker), what="filter list")
        text = screen_text(app)
        for words in (
            "Type",
            "Status",
            "Ansvarlig",
            "✓ alle typer",
            "✓ åpne",
            "✓ prioritet",
            "Reseptfornyelse",
            "nyeste først",
        ):
            assert words in text, words
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="closed")

        await choose(app, pilot, "Reseptfornyelse")
        await list_settled(screen, pilot)
        assert screen.query_state.code == "renewal"
        assert screen.source is not None and screen.source.items
        assert all(i.type == "renewal" for i in screen.source.items)
        page = await app.client.inbox_page(
            screen.query_state.pool_id, whole_pool=True, count=100, status=screen.query_state.status, code="renewal"
        )
        assert [i.id for i in screen.source.items][:100] == [i.id for i in page.items]

        await choose(app, pilot, "nyeste først")
        await list_settled(screen, pilot)
        items = screen.source.items
        assert screen.query_state.sort == "-authored-on" and screen.query_state.code == "renewal"
        assert [i.authored_on for i in items] == sorted((i.authored_on for i in items), reverse=True)  # type: ignore[type-var]

        await search_for(screen, pilot, "qxzvfinnesikke")
        assert screen.source is not None and len(screen.source) == 0
        assert "0 av 0" in screen_text(app)
    await app.client.aclose()


async def test_search_by_patient_name_national_id_or_birth_date_across_inboxes(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal)
    async with app.run_test(size=SIZE) as pilot:
        screen = await inbox_ready(app, pilot)
        await list_settled(screen, pilot)
        # A patient with items in more than one of the physician's inboxes (or own items), found via the portal.
        every = await app.client.inbox_page(None, everywhere=True, count=200)
        by_patient: dict[str, set[str]] = {}
        for i in every.items:
            by_patient.setdefault(i.patient_ref, set()).add(i.pool_id or "mine")
        pref = max(by_patient, key=lambda k: len(by_patient[k]))
        sample = next(i for i in every.items if i.patient_ref == pref)
        assert sample.patient_nid and sample.patient_birth_date
        current_pool = screen.query_state.pool_id
        for words in (sample.patient_nid, sample.patient_birth_date.strftime("%d.%m.%Y"), sample.patient_name):
            await search_for(screen, pilot, words)
            assert screen.source is not None and screen.source.items
            found = await app.client.inbox_page(
                None, everywhere=True, match=words, count=100, status=screen.query_state.status
            )
            assert [i.id for i in screen.source.items][:100] == [i.id for i in found.items]
            assert sample.id in {i.id for i in screen.source.items}
            if words == sample.patient_nid:
                assert {i.patient_ref for i in screen.source.items} == {pref}
            assert "Søk i alle dine innbokser" in screen_text(app)
            await pilot.press("escape")
            await list_settled(screen, pilot)
        assert screen.query_state.pool_id == current_pool  # back in the inbox it was in
        if len(by_patient[pref]) > 1:
            await search_for(screen, pilot, sample.patient_nid)
            assert len({i.pool_id or "mine" for i in screen.source.items}) > 1  # across inboxes
    await app.client.aclose()
