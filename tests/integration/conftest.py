"""The suite as it runs in production: each service and the gateway a separate `nameko run` process,
on the real RabbitMQ (a vhost of this module's own) and the real store (databases of its own)."""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import socket
import string
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests
from kombu import Connection
from nameko.amqp.publish import Publisher
from nameko.events import get_event_exchange

from gateway.auth import issue_token
from services.common.messaging.identities import IDENTITIES, Management, broker_user, uri_for
from tests.helpers import as_user, wait_for

ROOT = Path(__file__).resolve().parents[2]

PROCESSES = {
    "talent": "services.talent.service:TalentService",
    "appraisal": "services.appraisal.service:AppraisalService",
    "accountability": "services.accountability.service:AccountabilityService",
    "tolerance": "services.tolerance.service:ToleranceService",
    "care": "services.care.service:CareService",
    "gateway": "gateway.service:GatewayService",
}


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A port nothing listens on, never one handed out before in this process: the OS may give a port just
    closed out again, and two of our processes given the same one would collide (a bench run once posted
    /units to an ops endpoint, when both still listened with SO_REUSEPORT; now the second fails to start)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


class Suite:
    def __init__(self, env: dict[str, str], log_dir: Path, broker_uris: dict[str, str] | None = None):
        self.env = env
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen] = {}
        self.url = f"http://{env['GATEWAY_ADDRESS']}"
        # the test's own connection: an administrator of the suite's vhost
        self.amqp_uri = env["AMQP_URI"]
        # each process's own broker identity (services/common/messaging/identities.py)
        self.broker_uris = broker_uris or {}
        # each process's /health/live, /health/ready and /metrics (services/common/ops/endpoints.py)
        self.ops_ports = {name: free_port() for name in PROCESSES}

    def start(self, *names: str) -> None:
        for name in names or PROCESSES:
            log = open(self.log_dir / f"{name}.log", "ab")
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", "nameko", "run", "--config", "config.yaml",
                 PROCESSES[name]],
                cwd=ROOT, env={**self.env, "OPS_ADDRESS": f"127.0.0.1:{self.ops_ports[name]}",
                               "AMQP_URI": self.broker_uris.get(name, self.amqp_uri)},
                stdout=log, stderr=subprocess.STDOUT)

    def ops(self, name: str, path: str) -> requests.Response:
        return requests.get(f"http://127.0.0.1:{self.ops_ports[name]}{path}", timeout=10)

    def stop(self, name: str, sig=signal.SIGTERM) -> None:
        proc = self.procs.pop(name)
        proc.send_signal(sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)

    def health(self) -> dict:
        try:
            return requests.get(f"{self.url}/health", timeout=15).json()
        except requests.RequestException:
            return {}

    def wait_healthy(self, timeout=60.0) -> None:
        def healthy():
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    pytest.fail(f"{name} exited with {proc.returncode}:\n{self.log_tail(name)}")
            return self.health().get("status") == "ok"

        wait_for(healthy, timeout=timeout, interval=0.3, what="every service to be healthy")

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.log_dir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    # HTTP

    def token(self, *roles: str, sub: str | None = None, unit_id: str | None = None,
              cadre_id: str | None = None, **claims) -> str:
        return issue_token(self.env["AUTH_SECRET"], sub=sub or f"user-{uuid.uuid4().hex[:6]}",
                           roles=list(roles), unit_id=unit_id, cadre_id=cadre_id, **claims)

    def as_user(self, user: dict) -> dict:
        """nameko context data for an RPC on ``user``'s behalf (tests.helpers.actor): their token."""
        return as_user(user, self.env["AUTH_SECRET"])

    def auth_headers(self, *roles: str, **claims) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*roles, **claims)}"}

    def post(self, path: str, body=None, raw: str | None = None, headers=None,
             content_type: str = "application/json") -> requests.Response:
        headers = self.auth_headers("ORG_ADMIN") if headers is None else headers
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        return requests.post(self.url + path, data=data, timeout=30,
                             headers={"Content-Type": content_type, **headers})

    def get(self, path: str, headers=None) -> requests.Response:
        headers = self.auth_headers("ORG_ADMIN") if headers is None else headers
        return requests.get(self.url + path, headers=headers, timeout=30)

    # the broker, as another producer would use it

    def publish(self, envelope: dict, source: str, as_: str | None = None) -> None:
        """Publish an event to ``source``'s exchange as the identity ``as_`` (default: the source
        itself, as its outbox would)."""
        uri = self.broker_uris.get(as_ or source, self.amqp_uri)
        exchange = get_event_exchange(source, {})
        Publisher(uri, serializer="json", user_id=broker_user(uri)).publish(
            envelope, exchange=exchange, routing_key=envelope["event_type"].split(".", 1)[1])

    def queue_exists(self, name: str) -> bool:
        with Connection(self.amqp_uri) as conn:
            channel = conn.channel()
            try:
                channel.queue_declare(name, passive=True)
                return True
            except Exception:
                return False

    def ready_messages(self, name: str) -> int:
        with Connection(self.amqp_uri) as conn:
            return conn.channel().queue_declare(name, passive=True).message_count


@contextmanager
def running_suite(request, rabbit_manager, mongo_uri, tmp_path_factory,
                  extra_env: dict[str, str] | None = None) -> Iterator[Suite]:
    """The whole suite running, healthy, on a vhost and databases of its own; stopped and cleaned up on
    leaving. The ``suite`` fixtures choose how long it runs: a test module (below), or every module of a
    package (tests/integration/security/conftest.py)."""
    amqp = urlparse(request.config.getoption("RABBIT_AMQP_URI"))
    vhost = "it_" + "".join(random.choices(string.ascii_lowercase, k=10))
    rabbit_manager.create_vhost(vhost)
    rabbit_manager.set_vhost_permissions(vhost, amqp.username, ".*", ".*", ".*")
    # every process its own broker user, allowed what it uses, as in production
    management = Management(request.config.getoption("RABBIT_API_URI"))
    users = {identity: (f"{vhost}-{identity}", secrets.token_urlsafe(16)) for identity in IDENTITIES}
    management.provision(vhost, users)
    admin_uri = f"amqp://{amqp.netloc}/{vhost}"
    broker_uris = {name: uri_for(admin_uri, *users[name], vhost) for name in IDENTITIES}
    prefix = f"it{uuid.uuid4().hex[:8]}_"
    env = {
        **os.environ,
        "AMQP_URI": admin_uri,
        "BROKER_USERS": ",".join(f"{name}={user}" for name, (user, _) in users.items()),
        "MONGODB_URI": mongo_uri,
        "MONGODB_DATABASE_PREFIX": prefix,
        "GATEWAY_ADDRESS": f"127.0.0.1:{free_port()}",
        "OUTBOX_RELAY_INTERVAL": "0.5",
        # production's queues: replicated, with the broker's own delivery limit (deploy/)
        "EVENT_QUEUE_TYPE": "quorum",
        # retries span ~10 s, so a test can mend the cause before the message is dead-lettered
        "EVENT_MAX_ATTEMPTS": "7",
        "EVENT_RETRY_BASE_MS": "200",
        "EVENT_RETRY_MAX_MS": "2000",
        "RPC_TIMEOUT": "3",
        # the work lists' kept department-wide sections are worked out again after a second
        "WORK_VIEW_SECONDS": "1",
        "AUTH_SECRET": secrets.token_urlsafe(32),
        "PYTHONWARNINGS": "ignore",
        **(extra_env or {}),
    }
    suite = Suite(env, tmp_path_factory.mktemp("suite-logs"), broker_uris)
    suite.start()
    try:
        suite.wait_healthy()
        yield suite
    finally:
        suite.stop_all()
        for name in PROCESSES:
            print(f"--- {name} log (tail) ---\n{suite.log_tail(name)}")
        rabbit_manager.delete_vhost(vhost)
        for user, _ in users.values():
            management.delete_user(user)
        from pymongo import MongoClient

        client = MongoClient(mongo_uri)
        for name in client.list_database_names():
            if name.startswith(prefix):
                client.drop_database(name)
        client.close()


@pytest.fixture(scope="module")
def suite(request, rabbit_manager, mongo_uri, tmp_path_factory):
    with running_suite(request, rabbit_manager, mongo_uri, tmp_path_factory) as running:
        yield running
