"""The security tests share one running suite and one World: starting the suite (five service processes
and the gateway) is expensive, and the World's records serve every module of the package."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.conftest import running_suite
from tests.integration.security.world import World

HERE = Path(__file__).resolve().parent
LOGS = HERE / "test_logs.py"


@pytest.fixture(scope="package")
def suite(request, rabbit_manager, mongo_uri, tmp_path_factory):
    with running_suite(request, rabbit_manager, mongo_uri, tmp_path_factory) as running:
        yield running


@pytest.fixture(scope="package")
def world(suite):
    return World(suite)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """test_logs.py reads the logs for every token the other security tests sent: it runs after the last
    of them, whatever the order of the file names, and still within the package (its suite still up)."""
    paths = {id(item): item.path.resolve() for item in items}
    logs = [item for item in items if paths[id(item)] == LOGS]
    if not logs:
        return
    rest = [item for item in items if paths[id(item)] != LOGS]
    ours = [index for index, item in enumerate(rest) if HERE in paths[id(item)].parents]
    if not ours:
        return
    last = ours[-1] + 1
    items[:] = rest[:last] + logs + rest[last:]
