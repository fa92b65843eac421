from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from helsami_portal.embedded import EmbeddedPortal
from tests.conftest import SEED, SHARED_PORTAL_SETTINGS


@pytest.fixture(scope="session")
def portal(db_url: str, reference: dt.datetime) -> Iterator[EmbeddedPortal]:
    """A real portal over HTTP on a free port, seeded with the default synthetic data."""
    p = EmbeddedPortal(
        db_url, demo=True, seed=True, seed_value=SEED, reference=reference, settings=SHARED_PORTAL_SETTINGS
    )
    with p:
        yield p


@dataclass
class Api:
    """An HTTP client signed in as one user (through the device flow, over real HTTP)."""

    http: httpx.Client
    username: str
    token: str

    def h(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **extra}

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.http.get(url, headers=self.h(**kw.pop("headers", {})), **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.http.post(url, headers=self.h(**kw.pop("headers", {})), **kw)

    def op(self, task: dict[str, Any], op: str, **params: Any) -> httpx.Response:
        body = {
            "resourceType": "Parameters",
            "parameter": [
                {
                    "name": k,
                    ("valueReference" if k == "target" else "valueString"): ({"reference": v} if k == "target" else v),
                }
                for k, v in params.items()
            ],
        }
        return self.post(
            f"/fhir/Task/{task['id']}/${op}", json=body, headers={"If-Match": f'W/"{task["meta"]["versionId"]}"'}
        )


def device_sign_in(http: httpx.Client, username: str, password: str = "demo") -> dict[str, Any]:
    dev = http.post("/oauth/device_authorization", data={"client_id": "pytest"}).json()
    page = http.post(
        "/device",
        data={"user_code": dev["user_code"], "username": username, "password": password, "decision": "approve"},
    )
    assert page.status_code == 200, page.text
    tok = http.post(
        "/oauth/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "device_code": dev["device_code"],
            "client_id": "pytest",
        },
    )
    assert tok.status_code == 200, tok.text
    return dict(tok.json())


@pytest.fixture(scope="session")
def sign_in(portal: EmbeddedPortal) -> Any:
    cache: dict[str, Api] = {}
    clients: list[httpx.Client] = []

    def make(username: str) -> Api:
        if username not in cache:
            http = httpx.Client(base_url=portal.base_url, timeout=30)
            clients.append(http)
            cache[username] = Api(http, username, device_sign_in(http, username)["access_token"])
        return cache[username]

    yield make
    for c in clients:
        c.close()


def new_thread(
    patient: Api,
    service_id: str,
    subject: str = "Spørsmål",
    text: str = "Hei, jeg lurer på noe.",
) -> dict[str, Any]:
    me = patient.get("/patient/me").json()
    r = patient.post(
        "/patient/threads",
        json={
            "patient": me["actsFor"][0]["patient"].split("/")[1],
            "service": service_id,
            "subject": subject,
            "text": text,
            "messageId": str(uuid.uuid4()),
        },
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def task_for_thread(staff: Api, thread_id: str) -> dict[str, Any]:
    r = staff.get("/fhir/Task", params={"focus": f"Communication/{thread_id}"})
    assert r.status_code == 200, r.text
    entries = r.json()["entry"]
    assert len(entries) == 1
    return dict(entries[0]["resource"])
