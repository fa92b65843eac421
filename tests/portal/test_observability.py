"""Logs and metrics as an operator reads them: one access line per request (ids and status only),
structured lines from every worker process, Prometheus metrics added up across processes."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from helsami_portal.jobs import JobRunner
from helsami_portal.seed import load
from helsami_portal.store.db import make_engine
from helsami_portal.store.store import Store
from tests.conftest import drop_pg_database, make_pg_database
from tests.waiting import wait_until

from .served import clean_env, served
from .test_safety_net import INBOXES, arrive, oslo, store, where  # noqa: F401  (store: the fixture)


def samples(base_url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(f"{base_url}/metrics").text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in text_string_to_metric_families(text)
        for s in fam.samples
    }


def value(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_one_access_line_per_request_with_ids_and_status_only(
    portal: Any, sign_in: Any, caplog: pytest.LogCaptureFixture
) -> None:
    lege = sign_in("lege")
    fnr = "01018012345"  # a (synthetic) national identity number in the query string
    with caplog.at_level(logging.INFO, logger="helsami_portal.access"):
        r = lege.get(
            "/fhir/Patient", params={"identifier": fnr, "name": "Ola"}, headers={"X-Request-ID": "req-12345678"}
        )

        def mine() -> list[logging.LogRecord]:
            return [
                rec
                for rec in caplog.records
                if rec.name == "helsami_portal.access" and getattr(rec, "request_id", "") == "req-12345678"
            ]

        wait_until(mine, what="the access line (written once the answer has gone out)")
    assert r.status_code == 200
    assert r.headers["x-request-id"] == "req-12345678"
    lines = mine()
    assert len(lines) == 1
    rec = lines[0]
    assert (rec.method, rec.route, rec.status) == ("GET", "/fhir/{rtype}", 200)  # type: ignore[attr-defined]
    assert rec.principal == "Practitioner/prac-0001"  # type: ignore[attr-defined]
    text = rec.getMessage()
    assert fnr not in text and "Ola" not in text and "identifier" not in text and "Patient" not in text
    # A request id that is not a plain token is replaced, never echoed.
    r = httpx.get(f"{portal.base_url}/healthz", headers={"X-Request-ID": "<script>x</script>"})
    assert "script" not in r.headers["x-request-id"] and len(r.headers["x-request-id"]) == 32


def test_metrics_for_latency_inbox_depth_sign_ins_and_event_streams(portal: Any, sign_in: Any) -> None:
    base = portal.base_url
    before = samples(base)
    lege = sign_in("lege")
    pools = [p for p in lege.get("/fhir/$pools").json()["pools"] if p.get("id")]
    # Latency by route template: the ids in the address are not labels.
    for _ in range(3):
        assert lege.get("/fhir/Task", params={"_count": "1"}).status_code == 200
    after = samples(base)
    assert (
        value(after, "helsami_http_request_duration_seconds_count", method="GET", route="/fhir/{rtype}", status="200")
        - value(
            before, "helsami_http_request_duration_seconds_count", method="GET", route="/fhir/{rtype}", status="200"
        )
        >= 3
    )
    # Inbox depth per pool agrees with what staff see as waiting in the pool.
    for p in pools:
        assert value(after, "helsami_inbox_waiting", pool=p["id"]) == p["waiting"]
    assert any(value(after, "helsami_inbox_oldest_unopened_seconds", pool=p["id"]) > 0 for p in pools)
    # A failed sign-in on the device page is counted by its outcome.
    with httpx.Client(base_url=base) as http:
        dev = http.post("/oauth/device_authorization", data={"client_id": "pytest"}).json()
        bad = http.post("/device", data={"user_code": dev["user_code"], "username": "lege", "password": "wrong"})
        assert bad.status_code == 401
    now = samples(base)
    assert (
        value(now, "helsami_sign_ins_total", step="device-page", outcome="error")
        == value(before, "helsami_sign_ins_total", step="device-page", outcome="error") + 1
    )
    assert value(now, "helsami_sign_ins_total", step="device-grant", outcome="issued") >= 1
    # An open event stream is counted while it is open.
    open_before = value(now, "helsami_event_streams")
    with httpx.stream("GET", f"{base}/fhir/$events", headers=lege.h(), timeout=30) as stream:
        chunks = stream.iter_bytes()  # kept: dropping it would close the stream
        assert b"connected" in next(chunks)
        assert value(samples(base), "helsami_event_streams") == open_before + 1


def test_safety_net_moves_are_counted(store: Store) -> None:  # noqa: F811
    from helsami_portal import metrics

    tid = arrive(store, "t-a", oslo(2026, 6, 9, 9, 0))
    before = metrics.SAFETY_NET_MOVES._value.get()
    moved = JobRunner(store, clock=lambda: oslo(2026, 6, 10, 9, 0).astimezone(dt.UTC)).run_once()
    assert moved["safety-net"] == 1 and where(store, tid) == "t-b"
    text = metrics.render(store)[0].decode()
    line = next(ln for ln in text.splitlines() if ln.startswith("helsami_safety_net_moves_total "))
    assert float(line.split()[1]) == before + 1


def test_a_slow_worker_start_is_waited_for_not_killed() -> None:
    """uvicorn's supervisor kills a worker that has not started (or not answered its health check)
    within `timeout_worker_healthcheck`; its default of 5 s killed workers on a loaded machine."""
    from types import SimpleNamespace

    from helsami_portal import cli

    given: dict[str, Any] = {}
    settings = SimpleNamespace(host="127.0.0.1", port=1, workers=2, log_format="json", log_level="info")
    cli._run_uvicorn(SimpleNamespace(run=lambda *a, **kw: given.update(kw)), settings, "")
    assert given["workers"] == 2 and given["timeout_worker_healthcheck"] >= 60


REQUESTS = 12  # to /fhir/metadata, spread over the workers


def two_workers_log(tmp_path: Path, log_format: str) -> str:
    """The log of `serve --workers 2` on PostgreSQL after REQUESTS requests and one safety-net move,
    once every worker has started and written its lines; the request metrics add up across both."""
    url, name = make_pg_database()
    try:
        s = Store(make_engine(url))
        s.create_schema()
        load(s, [dict(x) for x in INBOXES])
        arrive(s, "t-a", oslo(2026, 1, 5, 9, 0))  # long overdue: the first job run moves it
        s.engine.dispose()
        with served(tmp_path, "--db", url, "--workers", "2", "--log-format", log_format, env=clean_env()) as srv:
            for _ in range(REQUESTS):
                assert httpx.get(f"{srv.base_url}/fhir/metadata").status_code == 200
            found = samples(srv.base_url)
            assert (
                value(
                    found,
                    "helsami_http_request_duration_seconds_count",
                    method="GET",
                    route="/fhir/metadata",
                    status="200",
                )
                == REQUESTS
            )
            return srv.wait_for_log(
                lambda t: (
                    "safety net: 1 item(s) moved" in t
                    and t.count("/fhir/metadata") >= REQUESTS
                    and t.count("Started server process") >= 2
                )
            )
    finally:
        drop_pg_database(name)


@pytest.mark.postgres
def test_two_workers_log_json_lines_and_add_up_their_metrics(tmp_path: Path) -> None:
    text = two_workers_log(tmp_path, "json")
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert all({"time", "level", "logger", "message", "process"} <= rec.keys() for rec in records)
    assert len({rec["process"] for rec in records if rec["message"].startswith("Started server process")}) == 2
    moved = [rec for rec in records if "safety net: 1 item(s) moved" in rec["message"]]
    assert len(moved) == 1 and moved[0]["level"] == "INFO" and moved[0]["logger"] == "helsami_portal.safety_net"
    access = [rec for rec in records if rec["logger"] == "helsami_portal.access"]
    assert sum(1 for rec in access if rec.get("route") == "/fhir/metadata") == REQUESTS
    assert all(rec["status"] == 200 and rec["request_id"] for rec in access)


@pytest.mark.postgres
def test_two_workers_log_plain_lines_with_time_level_and_logger(tmp_path: Path) -> None:
    """Audit (issue 16: "with --workers > 1 log lines lose timestamp, level and logger"): the plain
    format, the default for a terminal, was never checked with two workers. Every line of every
    process starts with its time, level, logger and process id."""
    import re

    text = two_workers_log(tmp_path, "plain")
    line_re = re.compile(
        r"^(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}) (?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL) "
        r"(?P<logger>[A-Za-z_][\w.]*) \[(?P<process>\d+)\]: (?P<message>.*)$"
    )
    lines = [ln for ln in text.splitlines() if ln.strip()]
    parsed = [line_re.match(ln) for ln in lines]
    assert all(parsed), [ln for ln, m in zip(lines, parsed, strict=True) if not m][:5]
    records = [m.groupdict() for m in parsed if m]
    for rec in records:
        dt.datetime.strptime(rec["time"], "%Y-%m-%dT%H:%M:%S%z")  # a real instant with its offset
    started = {rec["process"] for rec in records if rec["message"].startswith("Started server process")}
    assert len(started) == 2
    moved = [rec for rec in records if "safety net: 1 item(s) moved" in rec["message"]]
    assert len(moved) == 1 and moved[0]["level"] == "INFO" and moved[0]["logger"] == "helsami_portal.safety_net"
    access = [rec for rec in records if rec["logger"] == "helsami_portal.access" and "/fhir/metadata" in rec["message"]]
    assert len(access) == REQUESTS and all(rec["level"] == "INFO" for rec in access)
    assert {rec["process"] for rec in access} <= started
