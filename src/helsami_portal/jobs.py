"""Background jobs (the safety net, automatic release, sign-in clean-up, patient notifications), run
inside a portal process or by `helsami-portal worker`.

Every job is safe to run in several processes at once on one database (see
`workflow.safety_net`), so any number of servers and workers may run them; no leader is needed.
The clock is injectable so that tests can travel in time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import metrics
from .fhir import timeutil
from .store.store import Store
from .workflow import safety_net

if TYPE_CHECKING:
    from .delivery import Delivery

log = logging.getLogger("helsami_portal.jobs")
Clock = Callable[[], dt.datetime]
Job = Callable[[Store, dt.datetime], int]
DEFAULT_INTERVAL = 60.0


def default_jobs(delivery: Delivery | None = None) -> dict[str, Job]:
    from .auth import throttle
    from .workflow import results

    jobs: dict[str, Job] = {
        "safety-net": lambda store, now: safety_net.run_once(store, now),
        # clinician-or-14d results nobody released within 14 days of issue (workflow.results)
        "auto-release": lambda store, now: results.release_due(store, now),
        # expired device codes, refresh tokens of ended sessions, old sign-in attempts
        "sign-in-cleanup": lambda store, now: throttle.housekeeping(store, now),
    }
    if delivery is not None:  # the notification outbox (helsami_portal.delivery), when a channel is set up
        jobs["notifications"] = delivery.run_once
    return jobs


def setup_notifications(store: Store, settings: Any) -> Delivery | None:
    """The notification job of the settings, and the channels the workflow writes to the outbox."""
    from .delivery import from_settings
    from .workflow import notify

    delivery = from_settings(settings)
    notify.configure(store, delivery.channels if delivery is not None else frozenset())
    return delivery


@dataclass
class JobRunner:
    store: Store
    clock: Clock = timeutil.utcnow
    interval: float = DEFAULT_INTERVAL
    jobs: dict[str, Job] = field(default_factory=default_jobs)

    def run_once(self) -> dict[str, int]:
        """Run every job once at the clock's current time; a failing job does not stop the others."""
        now = self.clock()
        done: dict[str, int] = {}
        for name, job in self.jobs.items():
            try:
                done[name] = job(self.store, now)
                metrics.JOB_RUNS.labels(name, "ok").inc()
                if name == "safety-net" and done[name] > 0:
                    metrics.SAFETY_NET_MOVES.inc(done[name])
            except Exception as exc:  # never the message: it might hold patient data
                log.error("job %s failed: %s", name, type(exc).__name__)
                metrics.JOB_RUNS.labels(name, "failed").inc()
                done[name] = -1
        return done

    def run_until(self, stop: threading.Event) -> None:
        """Run every `interval` seconds until `stop` is set (the worker's loop)."""
        while not stop.is_set():
            self.run_once()
            stop.wait(self.interval)

    async def run_async(self) -> None:
        """Run every `interval` seconds inside an event loop (the portal's own job task)."""
        while True:
            try:
                await asyncio.to_thread(self.run_once)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("jobs failed: %s", type(exc).__name__)
            await asyncio.sleep(self.interval)


def run_worker(
    db_url: str | None, *, interval: float = DEFAULT_INTERVAL, once: bool = False, settings: Any = None
) -> int:
    """`helsami-portal worker`: run the jobs until SIGINT or SIGTERM, then stop cleanly."""
    import signal

    from .store import migrate
    from .store.db import make_engine

    store = Store(make_engine(db_url, pool_size=2))
    behind = migrate.refuse_if_behind(store.engine)
    if behind:
        print(f"helsami-portal: {behind}", file=sys.stderr)
        return 2
    delivery = setup_notifications(store, settings) if settings is not None else None
    runner = JobRunner(store, interval=interval, jobs=default_jobs(delivery))
    if once:
        print(runner.run_once(), flush=True)
        return 0
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        log.info("worker: %s received, stopping after the current run", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    log.info("worker: running jobs every %.0f s on %s", interval, store.engine.url.render_as_string(hide_password=True))
    runner.run_until(stop)
    store.engine.dispose()
    log.info("worker: stopped")
    return 0
