"""Shared fixtures: a seeded portal on SQLite and on PostgreSQL, and signed-in clients.

The clock is the test suite's: every test runs with the process clock set to a reference time
(`--reference-time`, by default REFERENCE below) and ticking from there, so the synthetic data
(a pure function of SEED and the reference time) and every "now" in the portal and the terminal
app are the same on any day the suite runs. CI runs the time-sensitive tests (marker `clock`) a
second time a year ahead and in the other time zone.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import time_machine

if TYPE_CHECKING:
    from helsami_portal.embedded import EmbeddedPortal

# A Wednesday morning in Oslo, in working hours (07:30 UTC = 08:30 CET).
REFERENCE = dt.datetime(2026, 11, 25, 7, 30, tzinfo=dt.UTC)
SEED = 1
# The portal a test module shares is signed into by every test of the module, all from 127.0.0.1:
# like an office behind one address, it gets a larger allowance of sign-in requests per minute (the
# limit itself is tested with its default-sized values in tests/portal/test_signin_policy.py).
SHARED_PORTAL_SETTINGS = {"device_authorizations_per_address": 2000}

PG_ADMIN_URL = os.environ.get("HELSAMI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL.replace("postgresql://", "postgresql://", 1), connect_timeout=3):
            return True
    except Exception:
        return False


_PG = pg_available()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--reference-time",
        default=REFERENCE.isoformat(),
        help="the time the suite's clock starts at: an ISO 8601 instant, 'now' (the machine's clock, "
        "not set), or '+Nd' (N days from the machine's clock); default %(default)s",
    )


def reference_time(value: str) -> dt.datetime | None:
    """The instant `--reference-time` names; None for the machine's own clock."""
    if value == "now":
        return None
    m = re.fullmatch(r"\+(\d+)d", value)
    if m:
        return dt.datetime.now(dt.UTC) + dt.timedelta(days=int(m.group(1)))
    when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if when.tzinfo is None:
        raise pytest.UsageError("--reference-time needs a UTC offset (e.g. 2026-11-25T07:30:00Z)")
    # A fixed-offset zone: time-machine would also change the process's local zone for a ZoneInfo.
    return when.astimezone(dt.UTC)


def pytest_configure(config: pytest.Config) -> None:
    config.reference = reference_time(config.getoption("--reference-time"))  # type: ignore[attr-defined]
    # What the app keeps in the user's cache directory (the keyring backend it found) stays out of
    # the home of whoever runs the suite, and every run starts without it.
    if "HELSAMI_TEST_CACHE" not in os.environ:
        import tempfile

        os.environ["HELSAMI_TEST_CACHE"] = os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="helsami-cache-")


def pytest_report_header(config: pytest.Config) -> str:
    """The instant the clock starts at, so a run a year ahead can be replayed with --reference-time."""
    when: dt.datetime | None = config.reference  # type: ignore[attr-defined]
    zone = os.environ.get("TZ", "(the machine's)")
    return f"reference time: {when.isoformat() if when else 'the machine clock'}; TZ={zone}"


@pytest.fixture(scope="session", autouse=True)
def suite_clock(pytestconfig: pytest.Config) -> Iterator[dt.datetime | None]:
    """Sets the process clock to the reference time for the whole session (it keeps ticking)."""
    when: dt.datetime | None = pytestconfig.reference  # type: ignore[attr-defined]
    if when is None:
        yield None
        return
    with time_machine.travel(when, tick=True):
        yield when


@pytest.fixture(scope="session")
def reference(pytestconfig: pytest.Config) -> dt.datetime:
    """The instant the synthetic data is drawn around (the suite clock's start)."""
    when: dt.datetime | None = pytestconfig.reference  # type: ignore[attr-defined]
    return when or REFERENCE_NOW


REFERENCE_NOW = dt.datetime.now(dt.UTC)


# Modules whose tests depend on the date and the time of day (working hours, deadlines, the safety
# net, 14-day releases, token lifetimes, ages of patients): marked `clock`, and run again by CI at a
# reference time a year ahead in the other time zone. Tests that start other processes (which run on
# the machine's own clock) are not among them.
CLOCK_MODULES = {
    "tests/portal/test_access_bases.py",
    "tests/portal/test_access_leaks.py",
    "tests/portal/test_access_matrix.py",
    "tests/portal/test_api.py",
    "tests/portal/test_audit.py",
    "tests/portal/test_auth.py",
    "tests/portal/test_calendar.py",
    "tests/portal/test_care_after_close.py",
    "tests/portal/test_notifications.py",
    "tests/portal/test_patient_api.py",
    "tests/portal/test_phone_absence.py",
    "tests/portal/test_pool_counts.py",
    "tests/portal/test_questionnaires_appointments.py",
    "tests/portal/test_renewals.py",
    "tests/portal/test_results.py",
    "tests/portal/test_routing.py",
    "tests/portal/test_safety_net.py",
    "tests/portal/test_signin_policy.py",
    "tests/portal/test_synth.py",
    "tests/portal/test_tally.py",
    "tests/tui/test_app.py",
    "tests/tui/test_appointments.py",
    "tests/tui/test_client.py",
    "tests/tui/test_clinical_safety.py",
    "tests/tui/test_context.py",
    "tests/tui/test_counts.py",
    "tests/tui/test_decisions.py",
    "tests/tui/test_keymap.py",
    "tests/tui/test_switchboard_it.py",
    "tests/tui/test_workflows.py",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(str(config.rootpath))
    for item in items:
        try:
            module = Path(str(item.path)).relative_to(root).as_posix()
        except ValueError:
            module = ""
        if module in CLOCK_MODULES or "clock" in item.keywords:
            item.add_marker(pytest.mark.clock)
        if "postgres" in item.keywords and not _PG:
            item.add_marker(pytest.mark.skip(reason="PostgreSQL on 127.0.0.1:5432 is not running"))


# The Big List of Naughty Strings (MIT, tests/corpora/blns.LICENSE), kept with the tests so that a
# clone anywhere runs every test that uses it.
BLNS_PATH = Path(__file__).resolve().parent / "corpora" / "blns.json"


def blns_strings() -> list[str]:
    """Every string of the Big List of Naughty Strings."""
    import json

    data = json.loads(BLNS_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, list) and data
    return [s for s in data if isinstance(s, str)]


@pytest.fixture(scope="session")
def blns() -> list[str]:
    return blns_strings()


def make_pg_database() -> tuple[str, str]:
    """A fresh database for one test session; returns (url, name)."""
    import psycopg

    name = f"helsami_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", name


def drop_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def own_seeded_portal(
    kind: str, tmp_path_factory: pytest.TempPathFactory, label: str, *, patients: int, tasks: int
) -> Iterator[EmbeddedPortal]:
    """A portal of a module's own on `kind` ("sqlite" or "postgres"), seeded from SEED with
    `patients` and `tasks`, no background jobs; its database is dropped afterwards."""
    from helsami_portal.embedded import EmbeddedPortal

    name = None
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp(label) / 'portal.sqlite3'}"
    else:
        url, name = make_pg_database()
    p = EmbeddedPortal(url, demo=True, seed=True, seed_value=SEED, patients=patients, tasks=tasks, run_jobs=False)
    try:
        with p:
            yield p
    finally:
        if name:
            drop_pg_database(name)


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal.sqlite3'}"
    else:
        url, name = make_pg_database()
        try:
            yield url
        finally:
            drop_pg_database(name)
