"""The fault-injection suite: the services as separate processes on a RabbitMQ node and a store of the
suite's OWN, started here on free ports (devstack's ``Broker`` and ``PrivateStore``), so that restarting the
broker or stopping the store breaks nothing but this suite. Run on their own with ``make faults``
(``pytest -m faults``).

Each test prints its figures and appends them to ``.stack/faults/figures.jsonl``; docs/reliability.md
quotes the latest.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import UTC, datetime

import pytest

from devstack.common import ROOT, free_port
from devstack.processes import PROCESSES
from devstack.rabbit import Broker
from devstack.store import PrivateStore
from tests.integration.conftest import Suite

FIGURES = ROOT / ".stack" / "faults" / "figures.jsonl"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/faults/" in str(item.fspath):
            item.add_marker(pytest.mark.faults)


class FaultSuite(Suite):
    """The integration suite's process handling, on the private broker and store."""

    def __init__(self, env, log_dir, broker: Broker, store: PrivateStore):
        super().__init__(env, log_dir, broker.uris)
        self.broker = broker
        self.store = store
        self.prefix = env["MONGODB_DATABASE_PREFIX"]

    def database(self, service: str):
        return self.store.client()[f"{self.prefix}{service}"]

    def wait_started(self, name: str, timeout=60.0) -> None:
        """Until the restarted process serves its readiness probe (its consumers are up by then)."""
        self.wait_ready(name, timeout=timeout)

    def count(self, pattern: str, *names: str) -> int:
        """How many times a log line of these processes matches (redeliveries the inbox ignored)."""
        return sum(self.log(name).count(pattern) for name in names or PROCESSES)


@pytest.fixture(scope="session")
def faults(tmp_path_factory):
    """One private stack for the whole fault suite; each test leaves every process running."""
    base = tmp_path_factory.mktemp("faults")
    broker, store = Broker(base / "rabbitmq"), PrivateStore(base / "store")
    broker.start()
    store.start()
    env = {
        **os.environ,
        "AMQP_URI": broker.uri,
        "MONGODB_URI": store.uri,
        "MONGODB_DATABASE_PREFIX": "faults_",
        "MONGODB_TIMEOUT_MS": "2000",
        "GATEWAY_ADDRESS": f"127.0.0.1:{free_port()}",
        "OUTBOX_RELAY_INTERVAL": "0.5",
        "EVENT_QUEUE_TYPE": "quorum",  # production's queues (deploy/)
        "EVENT_MAX_ATTEMPTS": "5",
        "EVENT_RETRY_BASE_MS": "200",
        "EVENT_RETRY_MAX_MS": "2000",
        "RPC_TIMEOUT": "5",
        "AUTH_SECRET": secrets.token_urlsafe(32),
        "PYTHONWARNINGS": "ignore",
    }
    suite = FaultSuite(env, base / "logs", broker, store)
    (base / "logs").mkdir()
    suite.start()
    try:
        suite.wait_healthy(timeout=90)
        yield suite
    finally:
        suite.stop_all()
        for name in PROCESSES:
            print(f"--- {name} log (tail) ---\n{suite.log_tail(name)}")
        broker.stop()
        store.stop()
        store.drop()


@pytest.fixture
def figures(request, capsys):
    """``figures(**numbers)``: print a test's figures and keep them for docs/reliability.md."""
    def report(**numbers):
        record = {"test": request.node.name, "at": datetime.now(UTC).isoformat(timespec="seconds"),
                  **numbers}
        FIGURES.parent.mkdir(parents=True, exist_ok=True)
        with FIGURES.open("a") as out:
            out.write(json.dumps(record) + "\n")
        with capsys.disabled():
            print(f"\nFIGURES {request.node.name}: "
                  + ", ".join(f"{key}={value}" for key, value in numbers.items()))
    return report
