"""The fault-injection suite: the services as separate processes on a RabbitMQ node and a
store of the suite's OWN, started here on free ports, so that restarting the broker or stopping the
store breaks nothing but this suite. Run on their own with ``make faults`` (``pytest -m faults``).

Each test prints its figures and appends them to ``.stack/faults/figures.jsonl``; docs/reliability.md
quotes the latest.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import pytest
from kombu import Connection
from pymongo import MongoClient
from pymongo.errors import PyMongoError

from services.common.messaging.identities import IDENTITIES, definitions, uri_for
from tests.helpers import wait_for
from tests.integration.conftest import PROCESSES, Suite, free_port

ROOT = Path(__file__).resolve().parents[2]
RMQ_BIN = Path(os.environ.get("RABBITMQ_BIN", "/usr/lib/rabbitmq/bin"))
FERRETDB = ROOT / ".stack" / "bin" / "ferretdb-launcher"
INDEXES_SQL = ROOT / "deploy" / "local" / "ferretdb-indexes.sql"
FIGURES = ROOT / ".stack" / "faults" / "figures.jsonl"
START_TIMEOUT = 90


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/faults/" in str(item.fspath):
            item.add_marker(pytest.mark.faults)


def kill_group(proc: subprocess.Popen, sig=signal.SIGTERM, timeout=30) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


class Broker:
    """A RabbitMQ node of this suite's own: its own node name, ports and state directory."""

    def __init__(self, base: Path):
        self.base = base
        self.node = f"faults{uuid.uuid4().hex[:6]}@localhost"
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        (base / "log").mkdir(parents=True, exist_ok=True)
        # every process its own user, as in production (identities.py); guest is the harness's own
        # administrator on this private node
        self.users = {identity: (identity, secrets.token_urlsafe(16)) for identity in IDENTITIES}
        (base / "definitions.json").write_text(json.dumps(
            definitions(self.users, admin=("guest", "guest"))))
        (base / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = {self.port}\nloopback_users = none\n"
            f"load_definitions = {base / 'definitions.json'}\n")
        (base / "enabled_plugins").write_text("[].\n")  # no management plugin: a faster boot
        self.env = {
            **os.environ,
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq"),
            "RABBITMQ_PID_FILE": str(base / "pid"),
        }

    @property
    def uri(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    @property
    def uris(self) -> dict[str, str]:
        """Each identity's own URI (the harness's processes connect with these)."""
        return {identity: uri_for(self.uri, user, password, "/")
                for identity, (user, password) in self.users.items()}

    def start(self) -> None:
        if not (RMQ_BIN / "rabbitmq-server").exists():
            pytest.fail(f"no RabbitMQ at {RMQ_BIN}: `make stack-up` installs it", pytrace=False)
        log = open(self.base / "server.out", "ab")
        self.proc = subprocess.Popen([str(RMQ_BIN / "rabbitmq-server")], env=self.env, stdout=log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        wait_for(self.answers, timeout=START_TIMEOUT, interval=0.3, what=f"RabbitMQ node {self.node}")

    def answers(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            pytest.fail(f"RabbitMQ {self.node} exited: {(self.base / 'server.out').read_text()[-2000:]}")
        try:
            with Connection(self.uri, connect_timeout=1) as connection:
                connection.ensure_connection(max_retries=1)
            return True
        except Exception:
            return False

    def stop(self) -> None:
        """A whole node stop, as an operator's restart or a crash of the broker host does."""
        if self.proc is None:
            return
        self.ctl("stop")
        kill_group(self.proc)
        self.proc = None

    def restart(self) -> float:
        started = time.monotonic()
        self.stop()
        self.start()
        return time.monotonic() - started

    def ctl(self, *args: str) -> str:
        result = subprocess.run([str(RMQ_BIN / "rabbitmqctl"), "-n", self.node, *args], env=self.env,
                                capture_output=True, text=True, timeout=60)
        return result.stdout


class Store:
    """A store of this suite's own: FerretDB as `make stack-up` built it, on a database of its own in
    the stack's PostgreSQL (STACK_POSTGRESQL_URL; ADR 0013), or mongod when installed."""

    def __init__(self, base: Path):
        self.base = base
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.postgres = self._own_database(os.environ.get("STACK_POSTGRESQL_URL", ""))
        (base / "data").mkdir(parents=True, exist_ok=True)

    @staticmethod
    def _psql(server_url: str, *args: str, database: str = "postgres") -> None:
        parts = urlparse(server_url)
        subprocess.run(["psql", "-h", parts.hostname, "-p", str(parts.port), "-U", parts.username,
                        "-d", database, "-v", "ON_ERROR_STOP=1", *args], check=True, capture_output=True,
                       timeout=60)

    def _own_database(self, server_url: str) -> str | None:
        if not server_url:
            return None
        self.database_name = f"faults_{uuid.uuid4().hex[:8]}"
        self._psql(server_url, "-c", f"CREATE DATABASE {self.database_name}")
        # the indexes FerretDB's queries can use, as stack.sh gives its own database (ADR 0015)
        self._psql(server_url, "-f", str(INDEXES_SQL), database=self.database_name)
        return f"{server_url.rstrip('/')}/{self.database_name}"

    def drop(self) -> None:
        """After the last stop: the PostgreSQL database this store kept its data in."""
        if self.postgres:
            self._psql(os.environ["STACK_POSTGRESQL_URL"], "-c",
                       f"DROP DATABASE IF EXISTS {self.database_name}")

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    def command(self) -> list[str]:
        if FERRETDB.exists():
            backend = (["-postgresql-url", self.postgres] if self.postgres
                       else ["-data", str(self.base / "data")])
            return [str(FERRETDB), "-listen", f"127.0.0.1:{self.port}", *backend, "-log-level", "warn"]
        if shutil.which("mongod"):
            return ["mongod", "--dbpath", str(self.base / "data"), "--bind_ip", "127.0.0.1",
                    "--port", str(self.port)]
        pytest.fail(f"no store to start: neither {FERRETDB} (`make stack-up` builds it) nor mongod",
                    pytrace=False)

    def start(self) -> None:
        log = open(self.base / "store.log", "ab")
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        wait_for(self.answers, timeout=START_TIMEOUT, interval=0.2, what="the store")

    def answers(self) -> bool:
        client = MongoClient(self.uri, serverSelectionTimeoutMS=500)
        try:
            client.admin.command("ping")
            return True
        except PyMongoError:
            return False
        finally:
            client.close()

    def stop(self) -> None:
        if self.proc is not None:
            kill_group(self.proc)
            self.proc = None

    def client(self) -> MongoClient:
        return MongoClient(self.uri, tz_aware=True)


class FaultSuite(Suite):
    """The integration suite's process handling, on the private broker and store."""

    def __init__(self, env, log_dir, broker: Broker, store: Store):
        super().__init__(env, log_dir, broker.uris)
        self.broker = broker
        self.store = store
        self.prefix = env["MONGODB_DATABASE_PREFIX"]

    def database(self, service: str):
        return self.store.client()[f"{self.prefix}{service}"]

    def kill(self, name: str) -> None:
        """SIGKILL: no clean shutdown, no acks or publishes in flight finished."""
        proc = self.procs.pop(name)
        proc.kill()
        proc.wait()

    def wait_started(self, name: str, timeout=60.0) -> None:
        """Until the restarted process serves its readiness probe (its consumers are up by then)."""
        def ready():
            proc = self.procs[name]
            if proc.poll() is not None:
                pytest.fail(f"{name} exited with {proc.returncode}:\n{self.log_tail(name)}")
            try:
                return self.ops(name, "/health/ready").status_code == 200
            except Exception:
                return False
        wait_for(ready, timeout=timeout, interval=0.2, what=f"{name} to be ready")

    def count(self, pattern: str, *names: str) -> int:
        """How many times a log line of these processes matches (redeliveries the inbox ignored)."""
        return sum(self.log(name).count(pattern) for name in names or PROCESSES)


@pytest.fixture(scope="session")
def faults(tmp_path_factory):
    """One private stack for the whole fault suite; each test leaves every process running."""
    base = tmp_path_factory.mktemp("faults")
    broker, store = Broker(base / "rabbitmq"), Store(base / "store")
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
