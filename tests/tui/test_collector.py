"""Full garbage collections wait until nobody types (helsami_tui.collector): while keys come the
oldest generation is not collected, an idle second collects it, a far overdue one is collected
anyway (memory stays bounded), and the app's exit puts CPython's thresholds back. The clock and the
last key are handed in: no test waits for real time."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from helsami_tui.collector import HELD, FullCollections


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.last_key = 1000.0

    def key(self) -> None:
        self.last_key = self.now


class Cycle:
    """An object in a reference cycle: only the cycle collector frees it."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def gc_state() -> Iterator[None]:
    """Every test leaves the process's collector as it found it."""
    before = gc.get_threshold()
    gc.collect()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)
    gc.collect()


def old_garbage() -> weakref.ref[Any]:
    """A cycle that survived into the oldest generation and became garbage there: only a full
    collection frees it."""
    c = Cycle()
    ref = weakref.ref(c)
    gc.collect(1)  # the young collections move it (still referenced) into generation 2
    del c
    gc.collect(1)  # young collections do not free it
    assert ref() is not None
    return ref


def make_due(collections: FullCollections, times: int = 1) -> None:
    """Young collections, as allocations cause them, until a full one is due (`times` over)."""
    threshold = collections._saved[2] if collections._saved else 10  # noqa: SLF001 - the threshold it replaced
    while gc.get_count()[2] < threshold * times:
        gc.collect(1)


def first_run(collections: FullCollections, clock: Clock) -> None:
    """The first due full collection, at an idle moment: start-up's survivors collected and frozen."""
    make_due(collections)
    clock.now += 5.0
    assert collections.tick() is True


def test_full_collection_waits_while_keys_come_and_runs_when_idle(gc_state: None) -> None:
    clock = Clock()
    collections = FullCollections(lambda: clock.last_key, clock=lambda: clock.now, overdue=10)
    collections.hold()
    first_run(collections, clock)
    garbage = old_garbage()
    make_due(collections)
    assert collections.due()
    # Keys keep coming: a tick a second, a key just before each; nothing is collected.
    for _ in range(5):
        clock.now += 1.0
        clock.key()
        clock.now += 0.2
        assert collections.tick() is False
    assert garbage() is not None
    # A second without a key: the full collection runs, the garbage is gone.
    clock.now += 1.0
    assert collections.tick() is True
    assert garbage() is None
    assert not collections.due()
    collections.release()


def test_the_first_idle_run_collects_start_up_garbage(gc_state: None) -> None:
    clock = Clock()
    collections = FullCollections(lambda: clock.last_key, clock=lambda: clock.now)
    collections.hold()
    start_up_garbage = old_garbage()
    first_run(collections, clock)
    assert start_up_garbage() is None
    collections.release()


def test_cpython_does_not_collect_the_oldest_generation_while_held(gc_state: None) -> None:
    collections = FullCollections(lambda: 0.0, clock=lambda: 0.0)
    collections.hold()
    garbage = old_garbage()
    # Many young collections' worth of allocations: CPython would have run a full one long ago.
    junk = [[Cycle() for _ in range(100)] for _ in range(2000)]
    del junk
    assert gc.get_count()[2] > 10
    assert garbage() is not None
    collections.release()


def test_nothing_runs_before_it_is_due(gc_state: None) -> None:
    clock = Clock()
    collections = FullCollections(lambda: clock.last_key, clock=lambda: clock.now)
    collections.hold()
    gc.collect()  # the generation counts start from nothing
    clock.now += 60.0  # idle for a minute, but not due
    assert collections.tick() is False
    collections.release()


def test_far_overdue_is_collected_even_while_typing(gc_state: None) -> None:
    clock = Clock()
    collections = FullCollections(lambda: clock.last_key, clock=lambda: clock.now, overdue=3)
    collections.hold()
    first_run(collections, clock)
    for _round in range(3):  # someone types without a pause of a second, for ever
        garbage = old_garbage()
        make_due(collections)
        clock.now += 1.0
        clock.key()
        assert collections.tick() is False  # due, but a key just came
        make_due(collections, times=3)
        assert collections.tick() is True  # far overdue: collected although keys keep coming
        assert garbage() is None
    collections.release()


def test_first_due_while_typing_freezes_without_a_long_pause(gc_state: None) -> None:
    """Keys from the start: start-up's survivors are frozen as they are when the first full
    collection is due, not collected first."""
    clock = Clock()
    collections = FullCollections(lambda: clock.last_key, clock=lambda: clock.now, overdue=3)
    collections.hold()
    start_up_garbage = old_garbage()
    make_due(collections)
    clock.now += 1.0
    clock.key()
    assert collections.tick() is True
    assert gc.get_freeze_count() > 0
    assert start_up_garbage() is not None  # frozen with the rest (kept)
    later = old_garbage()
    make_due(collections, times=3)
    assert collections.tick() is True  # far overdue, keys or not
    assert later() is None  # what came after start-up is collected as usual
    collections.release()


def test_start_up_survivors_are_frozen_once_and_thawed_on_exit(gc_state: None) -> None:
    clock = Clock()
    collections = FullCollections(lambda: clock.last_key, clock=lambda: clock.now)
    collections.hold()
    survivor = Cycle()
    make_due(collections)
    clock.now += 5.0
    assert collections.tick() is True
    assert gc.get_freeze_count() > 0  # what lived until then is out of the full collections' way
    assert not any(o is survivor for o in gc.get_objects(generation=2))
    collections.release()
    assert gc.get_freeze_count() == 0
    assert any(o is survivor for o in gc.get_objects(generation=2))


def test_release_puts_the_thresholds_back(gc_state: None) -> None:
    gc.set_threshold(700, 10, 10)
    collections = FullCollections(lambda: 0.0)
    collections.hold()
    assert gc.get_threshold() == (700, 10, HELD)  # the young generations as before
    collections.release()
    assert gc.get_threshold() == (700, 10, 10)
    collections.release()  # twice is harmless
    assert gc.get_threshold() == (700, 10, 10)


async def test_the_app_holds_full_collections_while_it_runs(gc_state: None) -> None:
    """The real app: held from its start, as before after its exit."""
    from textual.app import App

    from helsami_tui.app import HelsamiApp
    from helsami_tui.config import Settings

    before = gc.get_threshold()

    class Idle:
        async def whoami(self) -> Any:
            raise RuntimeError("no portal in this test")

        async def pools(self) -> Any:
            return []

        async def close(self) -> None:
            return None

    app = HelsamiApp(Idle(), Settings(), sign_in=False)  # type: ignore[arg-type]
    async with app.run_test() as pilot:
        await pilot.pause()
        assert gc.get_threshold() == (before[0], before[1], HELD)
        assert isinstance(app, App)
    assert gc.get_threshold() == before
