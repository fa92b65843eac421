"""CPython's full garbage collections, run while nobody types instead of in the middle of a key.

CPython collects its youngest generations often and cheaply, and the oldest (generation 2, every
tracked object of the process) when enough objects have survived into it: for this app about 90,000
objects after start-up, a 55-85 ms pause, which came 1-3 s after the first row, while keys were being
handled (it was the cursor's p99, 58-70 ms against a goal of 33).

While the app runs, `FullCollections` holds CPython's automatic full collections back (the third
threshold of `gc.set_threshold` is set out of reach; the young generations are collected as before,
with the thresholds they had) and runs them itself from a timer (`tick`, once a second):

* when one is due (as many young collections since the last full one as the third threshold it
  replaced; `gc.get_count()[2]`) and no key came for `idle` seconds;
* or, keys or not, when one is far overdue (`overdue` times the threshold, by default twice), so
  memory stays bounded however long someone keeps typing (in the bench's 5,000-row scroll without a
  pause, RSS 110 MiB after it against 106 with CPython's own collections; 3 times: 116, 10: 119).

The first time a full collection is due (start-up is over by then), the objects that survived
start-up (modules, classes, the app's screens and widgets) are moved out of the collector's reach
with `gc.freeze()`: they live as long as the app, and are not scanned again at every full
collection, which then only scan what was made since (a few milliseconds). When nobody types at that
moment they are collected first (the one long pause, once); while keys come they are frozen as they
are (no pause; start-up's little cyclic garbage is then kept). `release` (the app's exit) puts the
thresholds back and unfreezes.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

HELD = 1_000_000_000  # a third threshold CPython never reaches: no automatic full collection


class FullCollections:
    """Full garbage collections held back while keys come, run when idle or far overdue."""

    def __init__(
        self,
        last_input: Callable[[], float],
        *,
        clock: Callable[[], float] = time.monotonic,
        idle: float = 1.0,
        overdue: int = 2,
    ) -> None:
        self._last_input = last_input  # when the user last pressed a key (or used the mouse), on `clock`
        self._clock = clock
        self._idle = idle
        self._overdue = overdue
        self._saved: tuple[int, int, int] | None = None  # the thresholds replaced, while held
        self._frozen = False
        self.runs = 0  # full collections (or the freeze) this ran

    @property
    def held(self) -> bool:
        return self._saved is not None

    def hold(self) -> None:
        """From now on no automatic full collection: the young generations keep their thresholds."""
        if self._saved is not None:
            return
        first, second, third = gc.get_threshold()
        if third >= HELD:  # already held (another instance, in a test process): nothing to take over
            return
        self._saved = (first, second, third)
        gc.set_threshold(first, second, HELD)

    def due(self) -> bool:
        """As many young collections since the last full one as CPython would have waited for."""
        return self._saved is not None and gc.get_count()[2] >= max(1, self._saved[2])

    def overdue(self) -> bool:
        return self._saved is not None and gc.get_count()[2] >= max(1, self._saved[2]) * self._overdue

    def tick(self) -> bool:
        """Run the full collection if it is due and no key came for a while, or if it is far overdue
        (called by a timer, once a second). True when it ran."""
        if self._saved is None or not gc.isenabled() or not self.due():
            return False
        idle = self._clock() - self._last_input() >= self._idle
        if not self._frozen:
            # The first time one is due (start-up done): what survived start-up is kept for good,
            # out of every later full collection's way. Collected first when nobody types (the one
            # long pause, once); while keys come, frozen as it is (no pause; start-up's few cyclic
            # garbage objects are kept).
            if idle:
                gc.collect()
            gc.freeze()
            self._frozen = True
        elif not idle and not self.overdue():
            return False  # someone is typing: later
        gc.collect(2)  # the objects made since the freeze: cheap; resets the generation counts
        self.runs += 1
        return True

    def release(self) -> None:
        """Put back the thresholds held and let the collector see every object again (app exit)."""
        if self._saved is None:
            return
        gc.set_threshold(*self._saved)
        self._saved = None
        if self._frozen:
            gc.unfreeze()
            self._frozen = False
