"""The shared dialogs (screens/dialogs.py, screens/targets.py): every dialog's frame is in
dialogs.tcss, and the one target picker behaves as each picker it replaced (a staff member, a
batch's forward target, a physician with a note)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

from textual.app import App

import helsami_tui.screens as screens_pkg
from helsami_tui.client.models import Target
from helsami_tui.screens.dialogs import Dialog
from helsami_tui.screens.targets import BatchTargetPicker, PhysicianPicker, StaffPicker

from ..waiting import wait_for

TCSS = Path(screens_pkg.__file__).with_name("dialogs.tcss")


def _target(ref: str, name: str, kind: str) -> Target:
    return Target(ref=ref, name=name, kind=kind)


class FakeClient:
    async def forward_targets(self) -> list[Target]:
        return [
            _target("HealthcareService/hs-1", "Legekontoret", "service"),
            _target("Practitioner/p-1", "Marte Lien", "person"),
            _target("Practitioner/p-2", "Henrik Strand", "person"),
        ]

    async def physicians(self) -> list[Target]:
        return [_target("Practitioner/p-1", "Marte Lien", "person")]


class PickerApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.client = FakeClient()
        self.got: list[Any] = []

    def report(self, e: Exception) -> None:
        raise e


def _dialogs() -> list[type[Any]]:
    import importlib
    import pkgutil

    found: set[type[Any]] = set()
    for m in pkgutil.iter_modules(screens_pkg.__path__):
        mod = importlib.import_module(f"helsami_tui.screens.{m.name}")
        for value in vars(mod).values():
            if inspect.isclass(value) and issubclass(value, Dialog) and value.__module__ == mod.__name__:
                found.add(value)
    return sorted(found, key=lambda c: c.__name__)


def test_every_dialog_has_its_frame_in_the_tcss_file() -> None:
    css = TCSS.read_text(encoding="utf-8")
    assert str(TCSS) == Dialog.CSS_PATH
    named = set(re.findall(r"(\w+) #(?:dialog|box)\b", css))
    missing = [c.__name__ for c in _dialogs() if c.__name__ not in named and c.__name__ != "TargetPicker"]
    assert not missing, missing


async def test_the_staff_picker_chooses_from_the_filter_with_enter() -> None:
    app = PickerApp()
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(StaffPicker(), app.got.append)
        await wait_for(pilot, lambda: isinstance(app.screen, StaffPicker) and bool(app.screen.shown), what="loaded")
        picker = app.screen
        assert isinstance(picker, StaffPicker)
        assert [x.name for x in picker.shown] == ["Marte Lien", "Henrik Strand"]  # people only
        frame = picker.query_one("#dialog")
        await wait_for(pilot, lambda: frame.outer_size.width == 80, what="the frame from dialogs.tcss (80%)")
        await pilot.press(*"henrik", "enter")
        await wait_for(pilot, lambda: bool(app.got), what="chosen")
    assert app.got[0][0].ref == "Practitioner/p-2" and app.got[0][1] == ""


async def test_the_batch_picker_moves_with_the_arrows_from_the_filter() -> None:
    app = PickerApp()
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(BatchTargetPicker(), app.got.append)
        await wait_for(pilot, lambda: isinstance(app.screen, BatchTargetPicker) and bool(app.screen.shown))
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: bool(app.got), what="chosen")
    assert app.got[0][0].ref == "Practitioner/p-1"


async def test_the_physician_picker_asks_for_a_note() -> None:
    app = PickerApp()
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(PhysicianPicker(), app.got.append)
        await wait_for(pilot, lambda: isinstance(app.screen, PhysicianPicker) and bool(app.screen.people))
        await pilot.press(*"Marte", "enter", "enter")  # to the list, then choose
        await pilot.press(*"Se på dosen", "enter")
        await wait_for(pilot, lambda: bool(app.got), what="sent")
    assert app.got[0][0].ref == "Practitioner/p-1" and app.got[0][1] == "Se på dosen"
