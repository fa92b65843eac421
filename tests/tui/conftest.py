from __future__ import annotations

from collections.abc import Iterator

import pytest

from helsami_portal.embedded import EmbeddedPortal


@pytest.fixture(scope="module")
def demo_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPortal]:
    """A real portal (SQLite, synthetic data) over HTTP for the terminal app's tests."""
    db = tmp_path_factory.mktemp("tui") / "portal.sqlite3"
    p = EmbeddedPortal(f"sqlite:///{db}", demo=True, seed=True)
    with p:
        yield p
