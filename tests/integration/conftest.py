"""The suite as it runs in production: each service and the gateway a separate `nameko run` process,
on the real RabbitMQ (a vhost of this module's own) and the real store (databases of its own)."""

from __future__ import annotations

import json
import os
import random
import secrets
import string
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

from devstack.common import free_port
from devstack.processes import PROCESSES, Processes
from gateway.auth import issue_token
from services.common.messaging.identities import IDENTITIES, Management, broker_user, uri_for
from tests.helpers import as_user

ROOT = Path(__file__).resolve().parents[2]


class Suite(Processes):
    """Every process of the suite (devstack/processes.py), and the test's ways in: HTTP as a user, RPC
    context, the broker as another producer would use it."""

    def __init__(self, env: dict[str, str], log_dir: Path, broker_uris: dict[str, str] | None = None):
        super().__init__(env, log_dir, broker_uris, ops_ports={name: free_port() for name in PROCESSES})
        # the test's own connection: an administrator of the suite's vhost
        self.amqp_uri = env["AMQP_URI"]

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
