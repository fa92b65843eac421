"""Key overrides from the settings file move an action to another key, everywhere it is offered."""

from __future__ import annotations

from helsami_portal.embedded import EmbeddedPortal
from helsami_tui.screens.help import HelpScreen
from helsami_tui.screens.inbox import InboxScreen
from tests.waiting import wait_for

from .test_workflows import make_app


async def test_claim_moved_to_another_key_and_unknown_names_reported(demo_portal: EmbeddedPortal) -> None:
    app = await make_app(demo_portal, keys={"claim": "k", "teleport": "z"})
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, InboxScreen)
                and app.screen.source is not None
                and len(app.screen.source.items) > 0
            ),
        )
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        # Unknown action names are reported once, in plain words.
        assert any("teleport" in str(n.message) for n in app._notifications)
        # Find a waiting item, then claim it with the new key.
        idx = next(i for i, it in enumerate(screen.source.items) if it.status == "requested")
        from helsami_tui.widgets.virtual_list import VirtualList

        screen.query_one(VirtualList).move_cursor(idx)
        item = screen.source.items[idx]
        claim_keys = {key for key, active in screen.active_bindings.items() if active.binding.action == "claim"}
        assert claim_keys == {"k"}
        await pilot.press("c")  # the old key does nothing now: no request is made, the item stays as it was
        await pilot.pause()  # every message the key press caused has been handled
        assert not [w for w in app.workers if not w.is_finished]
        assert screen.source.get(item.id).status == "requested"
        await pilot.press("k")
        await wait_for(
            pilot, lambda: screen.source.get(item.id) is not None and screen.source.get(item.id).status == "in-progress"
        )
        # The footer shows the key in effect (issue 12: "a key override shows in the footer and help").
        from textual.widgets import Footer

        footer = app.screen.query_one(Footer)
        shown = [(k.key_display, k.description) for k in footer.query("FooterKey")]  # type: ignore[attr-defined]
        assert ("k", "Ta oppgave") in shown and not any(d == "Ta oppgave" and k == "c" for k, d in shown), shown
        # The help screen lists the key in effect.
        from helsami_tui.screens.help import key_lines

        lines = dict((desc, keys) for keys, desc in key_lines(screen, app))
        assert lines["Ta oppgave"] == "k"
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
    await app.client.aclose()


def test_every_binding_id_is_in_the_actions_table_with_its_text_in_each_language() -> None:
    """The keymap, the help and the footers read one table of binding ids (actions.py)."""
    import importlib
    import pkgutil

    from textual.binding import Binding

    import helsami_tui.screens
    from helsami_tui.actions import ACTIONS
    from helsami_tui.app import HelsamiApp
    from helsami_tui.i18n import CATALOGS
    from helsami_tui.keys import apply_keymap

    classes: list[type] = [HelsamiApp]
    for info in pkgutil.iter_modules(helsami_tui.screens.__path__):
        mod = importlib.import_module(f"helsami_tui.screens.{info.name}")
        classes += [v for v in vars(mod).values() if isinstance(v, type) and "BINDINGS" in v.__dict__]
    ids = {b.id for cls in classes for b in cls.__dict__["BINDINGS"] if isinstance(b, Binding) and b.id}
    assert ids <= set(ACTIONS), ids - set(ACTIONS)
    assert {"claim", "reply", "forward", "lock", "quit"} <= ids
    for catalog in CATALOGS.values():
        assert all(key in catalog for key in ACTIONS.values())
    assert apply_keymap(None, {"claim": "k", "teleport": "z"}) == ["teleport"]


def test_palette_lists_the_keys_of_the_screen() -> None:
    """Each palette command says its key (the hint once passed `key` twice to t())."""
    from textual.app import App
    from textual.screen import Screen

    from helsami_tui.palette import system_commands

    class Bare(Screen[None]):
        pass

    class Host(App[None]):
        pass

    app = Host()
    commands = list(system_commands(app, Bare()))
    assert commands and all(c.help for c in commands)
