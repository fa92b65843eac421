"""What a load-test run did (`Result`) and what the database says happened (`verify`)."""

from __future__ import annotations

import itertools
import json
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ..store.schema import history, resource, task
from ..store.store import Store
from .pool import POOL_ID


@dataclass
class Result:
    staff: int
    seconds: float = 0.0
    completed: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    replies: dict[str, str] = field(default_factory=dict)  # task id -> messageId the client sent

    def note(self, op: str, seconds: float) -> None:
        self.latencies.setdefault(op, []).append(seconds)

    def summary(self) -> dict[str, Any]:
        def pct(v: list[float], p: float) -> float:
            s = sorted(v)
            return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))] * 1e3

        return {
            "staff": self.staff,
            "seconds": round(self.seconds, 2),
            "completed": self.completed,
            "items_per_second": round(self.completed / self.seconds, 1) if self.seconds else 0.0,
            "outcomes": dict(self.outcomes),
            "latency_ms": {
                op: {
                    "n": len(v),
                    "p50": round(statistics.median(v) * 1e3, 1),
                    "p95": round(pct(v, 95), 1),
                    "p99": round(pct(v, 99), 1),
                }
                for op, v in sorted(self.latencies.items())
            },
        }


def verify(store: Store, result: Result | None = None) -> dict[str, int]:
    """Count what must be zero: double claims, lost or duplicated replies, items not in exactly one
    final state; and what was done: claims and replies."""
    out = Counter[str]()
    with store.read() as tx:
        ids = [r[0] for r in tx.conn.execute(sa.select(task.c.id).where(task.c.pool == POOL_ID))]
        for tid in ids:
            versions = [
                json.loads(r[0])
                for r in tx.conn.execute(
                    sa.select(history.c.content)
                    .where(history.c.rtype == "Task", history.c.id == tid)
                    .order_by(history.c.version_id)
                )
            ]
            current = tx.get("Task", tid) or {}
            if not versions:
                versions = [current]
            holder = None
            for v in versions:
                owner = (v.get("owner") or {}).get("reference", "")
                if v.get("status") == "in-progress":
                    if holder is not None and holder != owner:
                        out["double claims"] += 1
                    holder = owner
                elif v.get("status") == "requested":
                    holder = None
            claims = sum(
                1
                for a, b in itertools.pairwise(versions)
                if a.get("status") == "requested" and b.get("status") == "in-progress"
            )
            out["claims"] += claims
            focus = (current.get("focus") or {}).get("reference", "")
            replies = tx.conn.execute(
                sa.select(sa.func.count())
                .select_from(resource)
                .where(
                    resource.c.rtype == "Communication",
                    resource.c.ref1 == focus,
                    resource.c.code == "staff-reply",
                    resource.c.status == "completed",
                )
            ).scalar_one()
            out["replies"] += replies
            if replies > 1:
                out["duplicated replies"] += replies - 1
            status = current.get("status")
            out[f"final {status}"] += 1
            if status not in ("completed", "requested", "in-progress"):
                out["items in an unknown state"] += 1
            if status == "completed" and replies != 1:
                out["completed without exactly one reply"] += 1
            if result is not None and tid in result.replies:
                ident = f"{(current.get('owner') or {}).get('reference', '')}|{result.replies[tid]}"
                if tx.find_by_ident("Communication", ident) is None:
                    out["lost replies"] += 1
    for key in (
        "double claims",
        "duplicated replies",
        "lost replies",
        "items in an unknown state",
        "completed without exactly one reply",
    ):
        out.setdefault(key, 0)
    return dict(out)
