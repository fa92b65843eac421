"""Routing tables: loaded as data, validated with plain-words errors, applied to new threads."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from helsami_portal import routing
from helsami_portal.api.app import create_app
from helsami_portal.api.settings import Settings
from helsami_portal.seed import load
from helsami_portal.store.db import make_engine
from helsami_portal.store.store import Store
from helsami_portal.synth import directory, model
from helsami_portal.workflow import routing as wf_routing

from .conftest import device_sign_in

INBOX_ORGS = {ib.id: ib.org for ib in model.INBOXES}
PRACS = {s.id for s in model.STAFF}


def default_table() -> dict[str, Any]:
    return dict(json.loads(routing.DEFAULT_PATH.read_text(encoding="utf-8")))


def kommune(table: dict[str, Any]) -> dict[str, Any]:
    return next(o for o in table["organizations"] if o["organization"] == model.KOM)


def test_default_table_matches_the_synthetic_organisations() -> None:
    table = default_table()
    assert routing.validate(table, INBOX_ORGS, PRACS) == []
    built = routing.build(table, inboxes=INBOX_ORGS, practitioners=PRACS)
    assert built.topics["fysioterapi"].inbox == "hs-fjordvik-fysio"
    assert built.services["hs-fjordvik-fysio"].staff["prac-0007"] == "hs-fjordvik-fysio-eira"
    assert {s.service for s in built.direct_services("prac-0028")} == {"hs-fjordvik-psyk"}
    assert built.direct_services("prac-0001") == []  # GPs take no direct messages
    # Every organisation and every inbox that takes patient messages is reachable.
    assert {o["organization"] for o in table["organizations"]} == {o[0] for o in model.ORGS}


def test_unknown_inbox_is_named() -> None:
    table = default_table()
    kommune(table)["topics"][0]["inbox"] = "hs-finnes-ikke"
    problems = routing.validate(table, INBOX_ORGS, PRACS)
    assert problems == ["organisation org-fjordvik-kommune, topic 'fysioterapi': inbox 'hs-finnes-ikke' does not exist"]


def test_duplicate_topics_are_refused() -> None:
    table = default_table()
    table["organizations"][0]["topics"].append({"topic": "fysioterapi", "inbox": "hs-midtby-medpol"})
    problems = routing.validate(table, INBOX_ORGS, PRACS)
    assert len(problems) == 1 and "listed twice" in problems[0] and "fysioterapi" in problems[0]


def test_direct_messages_only_where_the_service_allows_them() -> None:
    table = default_table()
    hjemme = next(s for s in kommune(table)["services"] if s["service"] == "hs-fjordvik-hjemme")
    hjemme["staff"] = [{"practitioner": "prac-0031", "inbox": "hs-fjordvik-hjemme"}]
    problems = routing.validate(table, INBOX_ORGS, PRACS)
    assert len(problems) == 1
    assert "does not allow direct messages to a person" in problems[0] and "hs-fjordvik-hjemme" in problems[0]
    hjemme["direct"] = True
    assert routing.validate(table, INBOX_ORGS, PRACS) == []
    hjemme["staff"] = []
    assert "names no staff" in routing.validate(table, INBOX_ORGS, PRACS)[0]


def test_other_problems_each_in_plain_words() -> None:
    table = default_table()
    org = kommune(table)
    org["services"].append({"service": "hs-bakkegata"})  # another organisation's inbox
    org["services"].append({"service": "hs-fjordvik-fysio"})  # twice
    org["services"][0]["staff"].append({"practitioner": "prac-9999", "inbox": "hs-fjordvik-fysio"})
    org["topics"].append({"topic": "x", "inbx": "hs-fjordvik-fysio"})
    problems = routing.validate(table, INBOX_ORGS, PRACS)
    text = "\n".join(problems)
    assert "belongs to another organisation" in text
    assert "service 'hs-fjordvik-fysio': the service is listed twice" in text
    assert "staff member 'prac-9999' does not exist" in text
    assert "unknown key 'inbx'" in text and "topic 'x': no inbox given" in text
    assert routing.validate([], INBOX_ORGS) == ["the table must be a JSON object with a list of organizations"]
    with pytest.raises(routing.RoutingError) as e:
        routing.build(table, source="test.json", inboxes=INBOX_ORGS, practitioners=PRACS)
    assert str(e.value).startswith("The routing table test.json cannot be used:\n  - ")


def test_unreadable_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"organizations": [', encoding="utf-8")
    with pytest.raises(routing.RoutingError, match="not valid JSON"):
        routing.read_file(bad)
    with pytest.raises(routing.RoutingError, match="cannot be read"):
        routing.read_file(tmp_path / "missing.json")


@pytest.fixture
def directory_store(tmp_path: Path) -> Iterator[Store]:
    store = Store(make_engine(f"sqlite:///{tmp_path / 'dir.sqlite3'}"))
    store.create_schema()
    pracs, roles = directory.staff_resources()
    load(store, directory.organization_resources() + directory.inbox_resources() + pracs + roles)
    yield store
    store.engine.dispose()


def test_portal_does_not_start_with_a_bad_table(directory_store: Store, tmp_path: Path) -> None:
    table = default_table()
    kommune(table)["topics"][0]["inbox"] = "hs-finnes-ikke"
    path = tmp_path / "routing.json"
    path.write_text(json.dumps(table), encoding="utf-8")
    with pytest.raises(routing.RoutingError, match="hs-finnes-ikke"):
        create_app(directory_store, Settings(routing_file=str(path)))
    from helsami_portal.cli import main

    db = str(directory_store.engine.url)
    assert main(["serve", "--db", db, "--routing", str(path)]) == 2
    # The default table is good for the synthetic organisations.
    assert wf_routing.load_for(directory_store).topics


def test_default_table_is_left_out_on_a_database_of_other_inboxes(tmp_path: Path) -> None:
    store = Store(make_engine(f"sqlite:///{tmp_path / 'other.sqlite3'}"))
    store.create_schema()
    table = wf_routing.load_for(store)
    assert not table.topics and "not used" in table.source


# -- through the patient API --------------------------------------------------------------------


@pytest.fixture(scope="module")
def own_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from helsami_portal.embedded import EmbeddedPortal

    url = f"sqlite:///{tmp_path_factory.mktemp('routing') / 'portal.sqlite3'}"
    with EmbeddedPortal(url, demo=True, seed=True, patients=40, tasks=80, run_jobs=False) as p:
        yield p


@pytest.fixture(scope="module")
def patient(own_portal: Any) -> Iterator[Any]:
    http = httpx.Client(base_url=own_portal.base_url, timeout=30)
    token = device_sign_in(http, "pasient")["access_token"]

    def send(**choice: str) -> httpx.Response:
        return http.post(
            "/patient/threads",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "patient": "pat-000001",
                "subject": "Spørsmål",
                "text": "Hei",
                "messageId": str(uuid.uuid4()),
                **choice,
            },
        )

    yield send
    http.close()


def inbox_of(portal: Any, thread_id: str) -> str:
    import sqlalchemy as sa

    from helsami_portal.store.schema import task

    with portal.store.read() as tx:
        return str(
            tx.conn.execute(sa.select(task.c.owner).where(task.c.focus == f"Communication/{thread_id}")).scalar_one()
        )


def test_topic_goes_to_the_mapped_inbox(own_portal: Any, patient: Any) -> None:
    r = patient(topic="fysioterapi")
    assert r.status_code == 201, r.text
    assert inbox_of(own_portal, r.json()["thread"]["id"]) == "HealthcareService/hs-fjordvik-fysio"


def test_service_still_works(own_portal: Any, patient: Any) -> None:
    r = patient(service="hs-fjordvik-legesenter")
    assert r.status_code == 201, r.text
    assert inbox_of(own_portal, r.json()["thread"]["id"]) == "HealthcareService/hs-fjordvik-legesenter"


def test_direct_message_where_allowed(own_portal: Any, patient: Any) -> None:
    r = patient(practitioner="Practitioner/prac-0007")
    assert r.status_code == 201, r.text
    assert inbox_of(own_portal, r.json()["thread"]["id"]) == "HealthcareService/hs-fjordvik-fysio-eira"
    r = patient(practitioner="prac-0028", service="hs-fjordvik-psyk")
    assert r.status_code == 201, r.text
    assert inbox_of(own_portal, r.json()["thread"]["id"]) == "HealthcareService/hs-fjordvik-psyk-sjovold"


@pytest.mark.parametrize(
    "choice, status, words",
    [
        ({"practitioner": "prac-0001"}, 422, "cannot be sent directly to this staff member"),
        ({"practitioner": "prac-0007", "service": "hs-fjordvik-psyk"}, 422, "through that service"),
        ({"topic": "finnes-ikke"}, 422, "no such topic"),
        ({"topic": "fysioterapi", "service": "hs-fjordvik-fysio"}, 422, "not both"),
        ({}, 400, "Choose where to send the message"),
        ({"service": "hs-finnes-ikke"}, 422, "does not take messages"),
    ],
)
def test_refusals_in_plain_words(patient: Any, choice: dict[str, str], status: int, words: str) -> None:
    r = patient(**choice)
    assert r.status_code == status, r.text
    assert words in r.json()["issue"][0]["diagnostics"]
