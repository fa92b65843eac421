"""A bulk-loaded resource has no history row for its version 1: the store writes it before the first
change (one statement, store.Tx._keep_first_version), so that history and vread stay complete, and
never twice. For a Task (its own table) and for a resource of the shared table."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from helsami_portal.embedded import EmbeddedPortal
from helsami_portal.store.schema import history, resource, task

from ..conftest import own_seeded_portal


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def portal(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPortal]:
    with own_seeded_portal(request.param, tmp_path_factory, "versions", patients=20, tasks=30) as p:
        yield p


def _never_changed(portal: EmbeddedPortal, rtype: str) -> str:
    """The id of a `rtype` still at version 1 with no history row (bulk-loaded)."""
    table = task if rtype == "Task" else resource
    conds = [table.c.version_id == 1]
    if rtype != "Task":
        conds.append(resource.c.rtype == rtype)
    with portal.store.read() as tx:
        ids = [r[0] for r in tx.conn.execute(sa.select(table.c.id).where(*conds).order_by(table.c.id))]
        kept = {
            r[0]
            for r in tx.conn.execute(sa.select(history.c.id).where(history.c.rtype == rtype, history.c.id.in_(ids)))
        }
    left = [i for i in ids if i not in kept]
    assert left, f"no bulk-loaded {rtype} left"
    return left[0]


@pytest.mark.parametrize("rtype", ["Task", "Patient"])
def test_the_first_change_keeps_version_1_in_history_once(portal: EmbeddedPortal, rtype: str) -> None:
    rid = _never_changed(portal, rtype)
    store = portal.store
    with store.read() as tx:
        original = tx.require(rtype, rid)
    for n in (1, 2):
        with store.write() as tx:
            current = tx.require(rtype, rid, for_update=True)
            changed = dict(current)
            changed["language"] = f"nb-{n}"  # any change of content
            tx.update(changed, expected_version=int(current["meta"]["versionId"]))
    with store.read() as tx:
        versions = tx.history(rtype, rid)
        assert [v["meta"]["versionId"] for v in versions] == ["3", "2", "1"]
        assert versions[-1] == original
        assert tx.vread(rtype, rid, 1) == original
        assert [v.get("language") for v in versions] == ["nb-2", "nb-1", original.get("language")]
