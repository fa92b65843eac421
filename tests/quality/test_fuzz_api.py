"""Fuzz the portal's HTTP API from its published OpenAPI description (schemathesis), with a
staff token: no request may get a 5xx, and afterwards the database holds nothing half-written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings, strategies as st
from starlette.testclient import TestClient

from helsami_portal.api.openapi import openapi
from helsami_portal.embedded import EmbeddedPortal
from helsami_portal.store.schema import history, resource, task

schemathesis = pytest.importorskip("schemathesis")

LABELS = sorted(f"{method.upper()} {path}" for path, ops in openapi("http://x")["paths"].items() for method in ops)


@pytest.fixture(scope="module")
def fuzz_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    db = tmp_path_factory.mktemp("fuzz") / "portal.sqlite3"
    portal = EmbeddedPortal(f"sqlite:///{db}", demo=True, seed=True)
    with TestClient(portal.app, client=("127.0.0.1", 1)) as client:
        token = client.post("/auth/demo-login", data={"username": "lege"}).json()["access_token"]
        schema = schemathesis.openapi.from_asgi("/openapi.json", portal.app)
        yield {"portal": portal, "schema": schema, "auth": {"Authorization": f"Bearer {token}"}}


@pytest.mark.parametrize("label", LABELS)
def test_no_server_errors(fuzz_env: dict[str, Any], label: str) -> None:
    op = fuzz_env["schema"].find_operation_by_label(label)
    failures: list[str] = []

    @given(case=op.as_strategy())
    @settings(max_examples=20, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        headers = {**(case.headers or {}), **fuzz_env["auth"]}
        response = case.call(headers=headers)
        if response.status_code >= 500:
            failures.append(f"{response.status_code} for {case.method} {case.formatted_path}")
        if response.status_code >= 400:
            body = response.json()
            assert body.get("resourceType") == "OperationOutcome", body
            assert "Traceback" not in response.text

    run()
    assert not failures, failures


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
FHIRISH = st.fixed_dictionaries(
    {
        "resourceType": st.sampled_from(
            ["Communication", "Parameters", "Task", "Patient", "", "communication", "DocumentReference"]
        )
    },
    optional={
        "status": st.sampled_from(["preparation", "completed", 1, None]),
        "partOf": JSON,
        "payload": JSON,
        "parameter": JSON,
        "id": JSON,
        "subject": JSON,
        "text": JSON,
        "messageId": JSON,
        "service": JSON,
        "patient": JSON,
        "medication": JSON,
        "content": JSON,
        "category": JSON,
        "extension": JSON,
    },
)
WRITE_ENDPOINTS = [
    ("staff", "POST", "/fhir/Communication"),
    ("staff", "PUT", "/fhir/Communication/{comm}"),
    ("staff", "POST", "/fhir/Task/{task}/$claim"),
    ("staff", "POST", "/fhir/Task/{task}/$forward"),
    ("staff", "POST", "/fhir/Task/{task}/$reply"),
    ("staff", "POST", "/fhir/Task/{task}/$complete"),
    ("staff", "POST", "/fhir/Patient/{patient}/$break-the-glass"),
    ("patient", "POST", "/patient/threads"),
    ("patient", "POST", "/patient/threads/{thread}/messages"),
    ("patient", "POST", "/patient/renewals"),
    ("it", "POST", "/fhir/DocumentReference"),
    ("it", "PUT", "/fhir/DocumentReference/doc-0001"),
]


@pytest.mark.parametrize("who,method,path", WRITE_ENDPOINTS)
def test_malformed_fhir_json_gets_4xx(fuzz_env: dict[str, Any], who: str, method: str, path: str) -> None:
    portal = fuzz_env["portal"]
    with TestClient(portal.app, client=("127.0.0.1", 1)) as client:
        user = {"staff": "lege", "it": "it"}.get(who, "pasient")
        tok = client.post("/auth/demo-login", data={"username": user}).json()
        h = {"Authorization": f"Bearer {tok['access_token']}"}
        with portal.store.read() as tx:
            some_task = tx.conn.execute(sa.select(task.c.id, task.c.focus, task.c.patient)).first()
        assert some_task is not None
        url = path.format(
            comm=some_task.focus.split("/")[1],
            task=some_task.id,
            patient=some_task.patient,
            thread=some_task.focus.split("/")[1],
        )
        bad: list[str] = []

        @given(body=FHIRISH | JSON, raw=st.booleans(), version=st.sampled_from(['W/"1"', "1", "x", ""]))
        @settings(
            max_examples=40, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
        )
        def run(body: Any, raw: bool, version: str) -> None:
            content = json.dumps(body).encode()
            if raw:
                content = content[: max(1, len(content) // 2)]  # cut off: not valid JSON any more
            r = client.request(
                method,
                url,
                content=content,
                headers={**h, "Content-Type": "application/fhir+json", "If-Match": version},
            )
            if r.status_code >= 500:
                bad.append(f"{r.status_code}: {content[:80]!r}")
            elif r.status_code >= 400:
                assert r.json()["resourceType"] == "OperationOutcome"

        run()
        assert not bad, bad


def test_nothing_half_written_after_fuzzing(fuzz_env: dict[str, Any]) -> None:
    """Run after the fuzzing (same module): every version is complete and every reference resolves."""
    store = fuzz_env["portal"].store
    with store.read() as tx:
        c = tx.conn
        # Every current version of a changed resource has its history row.
        for table, rtype_col in ((task, None), (resource, resource.c.rtype)):
            rows = c.execute(
                sa.select(table.c.id, table.c.version_id, *([rtype_col] if rtype_col is not None else [])).where(
                    table.c.version_id > 1
                )
            ).all()
            for row in rows:
                rtype = row[2] if rtype_col is not None else "Task"
                versions = {
                    v
                    for (v,) in c.execute(
                        sa.select(history.c.version_id).where(history.c.rtype == rtype, history.c.id == row[0])
                    )
                }
                assert versions == set(range(1, row[1] + 1)), (rtype, row[0], versions)
        # Every message belongs to a thread that exists; every item's focus and patient exist.
        for (content,) in c.execute(
            sa.select(resource.c.content).where(resource.c.rtype == "Communication", resource.c.ref1 != "")
        ):
            ref = json.loads(content)["partOf"][0]["reference"]
            assert tx.exists(ref), ref
        for focus, patient in c.execute(sa.select(task.c.focus, task.c.patient)):
            assert tx.exists(focus) and tx.exists(f"Patient/{patient}"), (focus, patient)
