from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from helsami_portal.embedded import EmbeddedPortal
from tests.conftest import SEED, SHARED_PORTAL_SETTINGS


@pytest.fixture(scope="module")
def demo_portal(tmp_path_factory: pytest.TempPathFactory, reference: dt.datetime) -> Iterator[EmbeddedPortal]:
    """A real portal (SQLite, synthetic data) over HTTP for the terminal app's tests."""
    db = tmp_path_factory.mktemp("tui") / "portal.sqlite3"
    p = EmbeddedPortal(
        f"sqlite:///{db}", demo=True, seed=True, seed_value=SEED, reference=reference, settings=SHARED_PORTAL_SETTINGS
    )
    with p:
        yield p


@pytest.fixture(autouse=True, scope="module")
def fresh_item_picks() -> Iterator[None]:
    """The items tests decided belong to the module's own portal: a module starts with none used, so
    a module run after test_decisions.py does not find the seed's items used up in another portal."""
    from .test_batch import USED as BATCH_USED
    from .test_decisions import USED

    USED.clear()
    BATCH_USED.clear()
    yield


@pytest.fixture(autouse=True)
def clinical_zone_reset() -> Iterator[None]:
    """An app given another zone (the snapshot tests use UTC) sets the process's clinical zone; the
    next test starts from Europe/Oslo again."""
    yield
    from helsami_tui import clinical_time

    clinical_time.use(clinical_time.CLINICAL_ZONE)


@pytest.fixture(autouse=True)
def language_reset() -> Iterator[None]:
    """A test that switches the app to English (F9, language="en") leaves the process's language
    set; the next test starts in bokmål again, whatever order the tests run in."""
    from helsami_tui.i18n import current_language, set_language

    before = current_language()
    yield
    set_language(before)
