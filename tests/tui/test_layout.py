"""Adaptive columns and the footer (issue 12): at 80x24 the subject keeps most of the width, and the
footer always ends with the F1 key to everything else, so it never hides an action without a hint."""

from __future__ import annotations

from helsami_portal.embedded import EmbeddedPortal
from helsami_tui.widgets.virtual_list import VirtualList

from .test_workflows import inbox_ready, list_settled, make_app, screen_text


async def test_subject_keeps_most_of_the_width_at_80x24(demo_portal: EmbeddedPortal) -> None:
    for size, owner_shown in (((80, 24), False), ((140, 40), True)):
        app = await make_app(demo_portal)
        async with app.run_test(size=size) as pilot:
            screen = await inbox_ready(app, pilot)
            await list_settled(screen, pilot)
            lst = screen.query_one(VirtualList)
            widths = dict(
                zip([c.key for c in lst._columns], lst._widths(lst.scrollable_content_region.width), strict=True)
            )  # noqa: SLF001
            lines = screen_text(app).splitlines()
            header = next(x for x in lines if "Emne" in x and "Pasient" in x)
            assert ("Ansvarlig" in header) == owner_shown
            shown = {k: w for k, w in widths.items() if w >= 0}
            assert max(shown, key=lambda k: shown[k]) == "subject"
            if not owner_shown:
                assert widths["owner"] < 0 and widths["subject"] >= 25
                assert widths["subject"] > widths["patient"] + 10
            # The footer's last key is F1, to the help with every key (never cut off).
            footer = lines[-1]
            assert footer.rstrip().endswith("f1 Mer (Hjelp)"), footer
        await app.client.aclose()
