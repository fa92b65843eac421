"""Limits every input has (issue 11): search cost, body size and depth, hostile values that used to
answer 500, concurrent duplicate messageIds, event-stream caps, security headers. Both databases."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.waiting import wait_until


def reason(r: httpx.Response) -> str | None:
    issue = r.json()["issue"][0]
    codings = (issue.get("details") or {}).get("coding") or []
    return codings[0]["code"] if codings else None


def limit_arg(r: httpx.Response) -> int | None:
    for ext in r.json()["issue"][0].get("extension") or []:
        parts = {e["url"]: e for e in ext["extension"]}
        if parts["name"]["valueString"] == "limit":
            return int(parts["value"]["valueInteger"])
    return None


def refused(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.json()["resourceType"] == "OperationOutcome"
    assert reason(r) == code, r.text[:300]
    assert limit_arg(r) is not None, r.text[:300]


# -- search cost ---------------------------------------------------------------------------------


def test_many_sort_keys_are_refused_before_any_sql(sign_in: Any) -> None:
    lege = sign_in("lege")
    r = lege.get("/fhir/Task", params={"_sort": ",".join(["priority", "authored-on"] * 10)})
    refused(r, 400, "too-many-sort-keys")
    ok = lege.get("/fhir/Task", params={"_sort": "-priority,authored-on", "_count": "2"})
    assert ok.status_code == 200, ok.text


def test_repeated_sort_key_is_refused(sign_in: Any) -> None:
    r = sign_in("lege").get("/fhir/Task", params={"_sort": "priority,-priority"})
    assert r.status_code == 400 and reason(r) == "duplicate-sort-key"


def test_too_many_parameters_count_and_includes(sign_in: Any) -> None:
    lege = sign_in("lege")
    refused(lege.get("/fhir/Task", params=[("status", "ready")] * 60), 400, "too-many-parameters")
    refused(lege.get("/fhir/Task", params={"_count": "100000"}), 400, "count-too-large")
    refused(lege.get("/fhir/Task", params=[("_include", "Task:focus")] * 20), 400, "too-many-includes")
    r = lege.get("/fhir/Task", params={"_include:iterate": "Task:focus"})
    refused(r, 400, "include-depth")
    refused(lege.get("/fhir/Task", params={"status": ",".join(["ready"] * 500)}), 400, "too-many-values")


def test_url_too_long_is_refused(sign_in: Any) -> None:
    r = sign_in("lege").get("/fhir/Task", params={"subject": "Patient/" + "x" * 20_000})
    refused(r, 414, "url-too-long")


@pytest.mark.parametrize(
    "cursor",
    [
        "x" * 5000,  # too big
        base64.urlsafe_b64encode(b"[1,2,3]").decode(),  # numbers for text columns
        base64.urlsafe_b64encode(json.dumps(["a\x00", 1, "b"]).encode()).decode(),  # NUL
        base64.urlsafe_b64encode(json.dumps([99**40, "a", "b"]).encode()).decode(),  # too large a number
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),  # not UTF-8
        "%%%",
    ],
)
def test_odd_cursor_values_get_400(sign_in: Any, cursor: str) -> None:
    r = sign_in("lege").get("/fhir/Task", params={"_cursor": cursor})
    assert r.status_code == 400, (r.status_code, r.text[:300])
    assert reason(r) in ("invalid-cursor", "cursor-too-large")


# -- bodies --------------------------------------------------------------------------------------


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize(
    "path",
    [
        "/oauth/device_authorization",
        "/oauth/token",
        "/oauth/revoke",
        "/device",
        "/auth/demo-login",
        "/fhir/Task/$phone-message",
        "/patient/threads",
    ],
)
def test_body_limit_on_every_route_including_unauthenticated(portal: Any, path: str) -> None:
    big = b"client_id=" + b"a" * 2_000_000
    r = httpx.post(
        f"{portal.base_url}{path}", content=big, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    refused(r, 413, "body-too-large")


def test_body_limit_holds_without_content_length(portal: Any) -> None:
    """A chunked body is counted as it streams, and cut off at the limit."""

    def chunks() -> Any:
        for _ in range(300):
            yield b"a" * 10_000

    r = httpx.post(
        f"{portal.base_url}/oauth/token",
        content=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    refused(r, 413, "body-too-large")


@pytest.mark.parametrize("path", ["/oauth/device_authorization", "/oauth/token", "/device", "/auth/demo-login"])
def test_deeply_nested_json_on_oauth_endpoints_gets_400(portal: Any, path: str) -> None:
    body = b'{"client_id": ' + _nested(5000) + b"}"
    r = httpx.post(f"{portal.base_url}{path}", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400, (r.status_code, r.text[:200])


def test_deeply_nested_json_on_fhir_routes_gets_400(sign_in: Any) -> None:
    body = b'{"resourceType":"Parameters","parameter":' + _nested(200) + b"}"
    r = sign_in("lege").post(
        "/fhir/Task/$phone-message", content=body, headers={"Content-Type": "application/fhir+json"}
    )
    refused(r, 400, "body-too-deep")


def test_lone_surrogate_in_message_text_gets_400(sign_in: Any) -> None:
    pasient = sign_in("pasient")
    me = pasient.get("/patient/me").json()
    svc = pasient.get("/patient/services").json()
    svc_id = (svc["services"] if isinstance(svc, dict) else svc)[0]["id"]
    patient = me["actsFor"][0]["patient"].split("/")[1]
    body = (
        f'{{"patient": "{patient}", "service": "{svc_id}", "subject": "s", "text": "hei \\ud800 der",'
        f' "messageId": "{uuid.uuid4()}"}}'
    )
    r = pasient.post("/patient/threads", content=body.encode(), headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and reason(r) == "text-not-unicode", r.text[:300]


def test_nul_in_message_id_gets_400(sign_in: Any) -> None:
    pasient = sign_in("pasient")
    me = pasient.get("/patient/me").json()
    svc = pasient.get("/patient/services").json()
    svc_id = (svc["services"] if isinstance(svc, dict) else svc)[0]["id"]
    r = pasient.post(
        "/patient/threads",
        json={
            "patient": me["actsFor"][0]["patient"].split("/")[1],
            "service": svc_id,
            "subject": "s",
            "text": "hei",
            "messageId": "abc\x00def",
        },
    )
    assert r.status_code == 400 and reason(r) == "control-character", r.text[:300]


def test_same_message_id_ten_times_at_once_answers_with_the_one_message(sign_in: Any, portal: Any) -> None:
    pasient = sign_in("pasient")
    me = pasient.get("/patient/me").json()
    svc = pasient.get("/patient/services").json()
    svc_id = (svc["services"] if isinstance(svc, dict) else svc)[0]["id"]
    body = {
        "patient": me["actsFor"][0]["patient"].split("/")[1],
        "service": svc_id,
        "subject": "Samtidig",
        "text": "Ti ganger samtidig",
        "messageId": str(uuid.uuid4()),
    }

    def send(_: int) -> httpx.Response:
        return httpx.post(f"{portal.base_url}/patient/threads", json=body, headers=pasient.h(), timeout=60)

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(send, range(10)))
    assert sorted(a.status_code for a in answers) == [200] * 9 + [201], [a.text[:200] for a in answers]
    assert len({a.json()["message"]["id"] for a in answers}) == 1


# -- tokens --------------------------------------------------------------------------------------


@pytest.mark.parametrize("header", [b"[1,2]", b'"alg"', b"42", b"null", b"[" * 20000 + b"]" * 20000])
def test_jwt_header_that_is_not_an_object_gets_401(portal: Any, header: bytes) -> None:
    head = base64.urlsafe_b64encode(header).decode().rstrip("=")
    token = f"{head}.eyJpc3MiOiJ4In0.c2ln"
    r = httpx.get(f"{portal.base_url}/fhir/$whoami", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.json()["resourceType"] == "OperationOutcome"


# -- headers -------------------------------------------------------------------------------------


def test_security_headers_and_no_server_banner(sign_in: Any, portal: Any) -> None:
    lege = sign_in("lege")
    for r in (
        lege.get("/fhir/Patient/pat-000001"),
        lege.get("/fhir/Task", params={"_count": "1"}),
        httpx.get(f"{portal.base_url}/fhir/metadata"),
        httpx.get(f"{portal.base_url}/nowhere"),
        httpx.get(f"{portal.base_url}/device"),
    ):
        assert r.headers.get("cache-control") == "no-store", r.url
        assert r.headers.get("x-content-type-options") == "nosniff", r.url
        assert "server" not in r.headers, (r.url, r.headers.get("server"))


# -- event streams -------------------------------------------------------------------------------


def test_event_streams_are_capped_per_user_with_retry_after(sign_in: Any, portal: Any) -> None:
    lege = sign_in("lege")
    cap = portal.app.state.portal.settings.max_streams_per_user

    async def run() -> tuple[list[int], httpx.Response]:
        async with httpx.AsyncClient(base_url=portal.base_url, timeout=30) as http:
            streams = []
            statuses = []
            for _ in range(cap):
                req = http.build_request("GET", "/fhir/$events", headers=lege.h())
                resp = await http.send(req, stream=True)
                statuses.append(resp.status_code)
                streams.append(resp)
            extra = await http.get("/fhir/$events", headers=lege.h())
            for s in streams:
                await s.aclose()
            return statuses, extra

    statuses, extra = asyncio.run(run())
    assert statuses == [200] * cap
    refused(extra, 429, "too-many-streams")
    assert int(extra.headers["retry-after"]) > 0
    # Once those streams are closed, a new one is allowed again (the count is given back).
    with httpx.Client(base_url=portal.base_url, timeout=30) as http:

        def allowed() -> bool:
            with http.stream("GET", "/fhir/$events", headers=lege.h()) as r:
                return r.status_code == 200

        wait_until(allowed, "a new stream allowed once the others closed")


def test_access_log_line_per_request_with_ids_and_status_only(sign_in: Any, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    lege = sign_in("lege")
    caplog.set_level(logging.INFO, logger="helsami_portal.access")
    r = lege.get("/fhir/Patient", params={"name": "Nordmann-secret-query"})

    def access_lines() -> list[str]:
        return [rec.getMessage() for rec in caplog.records if rec.name == "helsami_portal.access"]

    # The line is written once the response has gone out.
    wait_until(lambda: any(r.headers["x-request-id"] in x for x in access_lines()), "the access line")
    lines = access_lines()
    mine = [x for x in lines if r.headers["x-request-id"] in x]
    assert len(mine) == 1, lines
    assert f" {r.status_code} " in mine[0] and "Practitioner/prac-0001" in mine[0] and "/fhir/{rtype}" in mine[0]
    assert "Nordmann" not in " ".join(lines) and "Bearer" not in " ".join(lines)


@pytest.mark.parametrize(
    "path,params,headers",
    [
        ("/fhir/$events", {"since": "9" * 40}, {}),
        ("/fhir/$events", {}, {"Last-Event-ID": b"\xb2"}),  # '²' in Latin-1, as headers are read
        ("/fhir/Patient/pat-000001/_history/" + "9" * 40, {}, {}),
        ("/fhir/Patient/pat-000001/_history/²", {}, {}),
        ("/fhir/Task", {"_count": "²"}, {}),
    ],
)
def test_odd_numbers_get_400(sign_in: Any, path: str, params: dict[str, str], headers: dict[str, Any]) -> None:
    r = sign_in("lege").get(path, params=params, headers=headers)
    assert r.status_code == 400, (r.status_code, r.text[:200])


def test_odd_if_match_and_patient_count_get_4xx(sign_in: Any) -> None:
    lege = sign_in("lege")
    task = lege.get("/fhir/Task", params={"_count": "1"}).json()["entry"][0]["resource"]
    for value in (('W/"' + "9" * 40 + '"').encode(), b'W/"\xb2"'):
        r = lege.post(f"/fhir/Task/{task['id']}/$claim", headers={"If-Match": value})
        assert 400 <= r.status_code < 500, (r.status_code, r.text[:200])
    r = sign_in("pasient").get("/patient/threads", params={"_count": "²"})
    assert r.status_code == 400, (r.status_code, r.text[:200])
