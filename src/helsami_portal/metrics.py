"""Prometheus metrics (prometheus-client), safe with several worker processes.

`helsami-portal serve --workers N` sets PROMETHEUS_MULTIPROC_DIR before any worker starts, so each
process writes its counters to files there and `GET /metrics` in any worker adds them all up.
Inbox figures (depth and oldest unopened item per pool) are read from the database when scraped.
Labels carry route templates, pool ids and outcome codes: never patient data.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

from .fhir import timeutil
from .store.store import Store

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUEST_SECONDS = Histogram(
    "helsami_http_request_duration_seconds",
    "Time to answer a request, by route template",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
SAFETY_NET_MOVES = Counter("helsami_safety_net_moves", "Unopened items the safety net moved to a back-up inbox")
JOB_RUNS = Counter("helsami_job_runs", "Background job runs, by job and outcome", ["job", "outcome"])
SIGN_INS = Counter("helsami_sign_ins", "Sign-in outcomes (device page, device grant, refresh)", ["step", "outcome"])
NOTIFICATIONS = Counter(
    "helsami_notifications",
    "Patient notification tries, by channel and outcome (sent, retry, failed, withdrawn)",
    ["channel", "outcome"],
)
EVENT_STREAMS = Gauge("helsami_event_streams", "Event streams open now", multiprocess_mode="livesum")


class InboxCollector(Collector):
    """Per pool: items waiting (owned by the pool, not claimed) and the age of the oldest unopened one."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from .fhir import conventions as c
        from .store.schema import task

        depth = GaugeMetricFamily("helsami_inbox_waiting", "Items waiting in a pool (not claimed)", labels=["pool"])
        oldest = GaugeMetricFamily(
            "helsami_inbox_oldest_unopened_seconds", "Age of the oldest unopened item in a pool", labels=["pool"]
        )
        now = timeutil.utcnow()
        with self.store.read() as tx:
            rows = tx.conn.execute(
                sa.select(
                    task.c.pool,
                    sa.func.count(),
                    sa.func.min(sa.case((task.c.business_status == "new", task.c.authored))),
                )
                .where(
                    task.c.status == c.STATUS_WAITING, task.c.owner == sa.literal("HealthcareService/") + task.c.pool
                )
                .group_by(task.c.pool)
            ).all()
        for pool, n, first in rows:
            depth.add_metric([pool], int(n))
            if first:
                age = (now - dt.datetime.fromisoformat(str(first).replace("Z", "+00:00"))).total_seconds()
                oldest.add_metric([pool], max(age, 0.0))
        yield depth
        yield oldest


def render(store: Store) -> tuple[bytes, str]:
    """The text exposition of this portal's metrics, all processes together."""
    registry: Any
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = CollectorRegistry()
        registry.register(_Default())
    registry.register(InboxCollector(store))
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _Default(Collector):
    def collect(self) -> Any:
        yield from REGISTRY.collect()
