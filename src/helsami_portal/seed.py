"""Load synthetic data fast: bulk inserts in batches, straight into the store's tables."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa

from .auth.tokens import hash_password
from .fhir import conventions as c, timeutil
from .fhir.narrative import finish
from .fhir.registry import ref_of
from .store import tally
from .store.schema import account, resource, task
from .store.store import Store, row_columns

BATCH = 5000


def _dumps(r: dict[str, Any]) -> str:
    return json.dumps(r, ensure_ascii=False, separators=(",", ":"))


def load(
    store: Store, resources: Iterable[dict[str, Any]], *, progress: Callable[[str], None] | None = None
) -> dict[str, int]:
    """Insert resources (referenced ones first) as version 1. Returns counts per type."""
    now = timeutil.instant()
    meta = {"versionId": "1", "lastUpdated": now}
    counts: dict[str, int] = {}
    tasks: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    first_pool: dict[str, str] = {}
    started = time.monotonic()

    def flush(conn: sa.Connection) -> None:
        if others:
            conn.execute(resource.insert(), others)
            others.clear()
        if tasks:
            conn.execute(task.insert(), tasks)
            tasks.clear()

    with store.engine.connect() as conn:
        conn = conn.execution_options(write=True)
        with conn.begin():
            names: dict[str, str] = {}
            for total, r in enumerate(resources, start=1):
                rtype = r["resourceType"]
                r["meta"] = {**(r.get("meta") or {}), **meta}
                _add_displays(r, names)
                r = finish(r)
                if rtype == "PractitionerRole":
                    prac = ref_of(r.get("practitioner"))
                    for svc in r.get("healthcareService") or []:
                        first_pool.setdefault(prac, ref_of(svc).split("/", 1)[-1])
                if rtype == "Task":
                    _ensure_pool(r, first_pool)
                    cols = row_columns(r)
                    tasks.append({"id": r["id"], "version_id": 1, "last_updated": now, "content": _dumps(r), **cols})
                else:
                    cols = row_columns(r)
                    ident = None
                    for i in r.get("identifier") or []:
                        if i.get("system") == c.CLIENT_MESSAGE_ID:
                            sender = ref_of(r.get("sender"))
                            ident = f"{sender}|{i.get('value')}"
                    others.append(
                        {
                            "rtype": rtype,
                            "id": r["id"],
                            "version_id": 1,
                            "last_updated": now,
                            "content": _dumps(r),
                            "ident": ident,
                            **{
                                k: cols.get(k, "")
                                for k in ("patient", "ref1", "ref2", "code", "status", "date", "text1")
                            },
                        }
                    )
                counts[rtype] = counts.get(rtype, 0) + 1
                if len(others) + len(tasks) >= BATCH:
                    flush(conn)
                    if progress and total % 100_000 < BATCH:
                        progress(f"{total:,} resources ({time.monotonic() - started:.0f} s)")
            flush(conn)
            if counts.get("Task"):
                tally.recount(conn)  # the tasks bypassed the store: count them once, here
    return counts


_NAMED = ("Patient", "Practitioner", "HealthcareService", "RelatedPerson", "Organization")


def _add_displays(r: dict[str, Any], names: dict[str, str]) -> None:
    """Give references the display names a client shows (who sent it, who holds it), as the
    portal's own operations do; remember names of resources that later ones refer to."""
    from .fhir.registry import human_name

    rtype = r["resourceType"]
    if rtype in _NAMED:
        name = str(r.get("name") or "") if rtype in ("HealthcareService", "Organization") else human_name(r)
        if rtype == "RelatedPerson":
            patient = names.get(ref_of(r.get("patient")), "")
            name = f"{name} på vegne av {patient}" if patient else name
        names[f"{rtype}/{r['id']}"] = name

    def fill(ref: Any) -> None:
        if isinstance(ref, dict) and not ref.get("display"):
            n = names.get(str(ref.get("reference") or ""))
            if n:
                ref["display"] = n

    if rtype == "Communication":
        fill(r.get("sender"))
        for x in r.get("recipient") or []:
            fill(x)
    elif rtype == "Task":
        fill(r.get("owner"))
        for e in r.get("extension") or []:
            fill(e.get("valueReference"))
        for n in r.get("note") or []:
            fill(n.get("authorReference"))
    elif rtype == "MedicationRequest":
        fill(r.get("requester"))


def _ensure_pool(t: dict[str, Any], first_pool: dict[str, str]) -> None:
    if any(e.get("url") == c.EXT_TASK_POOL for e in t.get("extension") or []):
        return
    owner = ref_of(t.get("owner"))
    pool = owner.split("/", 1)[1] if owner.startswith("HealthcareService/") else first_pool.get(owner, "")
    if pool:
        t.setdefault("extension", []).append(
            {"url": c.EXT_TASK_POOL, "valueReference": {"reference": f"HealthcareService/{pool}"}}
        )


def add_accounts(store: Store, users: Iterable[Any]) -> int:
    """Accounts for demo users (username/password), hashed; one hash per distinct password."""
    hashes: dict[str, str] = {}
    rows = []
    for u in users:
        if u.password not in hashes:
            hashes[u.password] = hash_password(u.password)
        rows.append(
            {
                "username": u.username,
                "password_hash": hashes[u.password],
                "kind": u.kind,
                "resource": u.resource,
                "display": u.display,
                "disabled": False,
            }
        )
    with store.write() as tx:
        existing = {r[0] for r in tx.conn.execute(sa.select(account.c.username))}
        new = [r for r in rows if r["username"] not in existing]
        if new:
            tx.conn.execute(account.insert(), new)
    return len(new)


def seed(
    store: Store,
    *,
    patients: int = 200,
    tasks: int = 600,
    seed_value: int = 1,
    now: dt.datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    from . import synth

    store.create_schema()
    with store.read() as tx:
        if tx.conn.execute(sa.select(sa.func.count()).select_from(task)).scalar_one():
            raise SystemExit(
                "The database already holds data; seed an empty database (or use --reset to drop everything first)."
            )
    counts = load(
        store,
        synth.generate(patients=patients, tasks=tasks, seed=seed_value, now=now or timeutil.utcnow()),
        progress=progress,
    )
    counts["accounts"] = add_accounts(store, synth.demo_users())
    counts["accounts"] += add_patient_accounts(store, limit=200)
    if not store.sqlite:
        with store.engine.connect() as conn:
            conn.execute(sa.text("ANALYZE"))
            conn.commit()
    return counts


def add_patient_accounts(store: Store, *, limit: int) -> int:
    """Sign-in accounts (username = the synthetic national id, password "demo") for the first
    `limit` patients, so that the simulator and testers can act as many different patients."""
    from types import SimpleNamespace

    with store.read() as tx:
        rows = tx.conn.execute(
            sa.select(resource.c.id, resource.c.code, resource.c.content)
            .where(resource.c.rtype == "Patient")
            .order_by(resource.c.id)
            .limit(limit)
        ).all()
    users = []
    for rid, fnr, content in rows:
        if not fnr:
            continue
        from .fhir.registry import human_name

        users.append(
            SimpleNamespace(
                username=fnr,
                password="demo",
                kind="patient",
                resource=f"Patient/{rid}",
                display=human_name(json.loads(content)),
            )
        )
    return add_accounts(store, users)
