"""Shared fixtures. nameko runs under eventlet, so the tests do too (ARCHITECTURE.md §6)."""

import warnings

# eventlet announces its own deprecation on import; nameko 2.x has no other concurrency model
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import os  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402
from pymongo import MongoClient  # noqa: E402

from services.common.clock import CLOCK, OFFSET_VARIABLE  # noqa: E402
from services.common.messaging.identities import broker_user  # noqa: E402
from tests.helpers import TEST_AUTH_SECRET, TEST_NOW, reachable_store  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def test_clock():
    """The services' clock starts the session at TEST_NOW and runs on from there, in this process and,
    through CLOCK_OFFSET_SECONDS, in every process the tests start (services/common/clock.py)."""
    CLOCK.set(TEST_NOW)
    os.environ[OFFSET_VARIABLE] = repr(CLOCK.offset_seconds())
    yield CLOCK


@pytest.fixture
def frozen_clock():
    """The clock stopped at TEST_NOW for one test, for answers that depend on the exact time."""
    saved = CLOCK.offset, CLOCK.frozen
    CLOCK.set(TEST_NOW, running=False)
    yield TEST_NOW
    CLOCK.offset, CLOCK.frozen = saved


@pytest.fixture(scope="session")
def mongo_uri():
    """The real store; a test that needs it and cannot reach it fails -- it is never skipped."""
    return reachable_store()


@pytest.fixture
def mongo_client(mongo_uri):
    client = MongoClient(mongo_uri, tz_aware=True)
    yield client
    client.close()


@pytest.fixture
def db_prefix(mongo_client):
    """A database prefix of this test's own; its databases are dropped afterwards."""
    prefix = f"t{uuid.uuid4().hex[:10]}_"
    yield prefix
    for name in mongo_client.list_database_names():
        if name.startswith(prefix):
            mongo_client.drop_database(name)


@pytest.fixture
def config(rabbit_config, mongo_uri, db_prefix):
    """nameko config for in-process containers: this test's vhost and databases, fast retries."""
    return {
        **rabbit_config,
        "MONGODB_URI": mongo_uri,
        "MONGODB_DATABASE_PREFIX": db_prefix,
        "OUTBOX_RELAY_INTERVAL": 0.2,
        "EVENT_MAX_ATTEMPTS": 3,
        "EVENT_RETRY_BASE_MS": 50,
        "EVENT_RETRY_MAX_MS": 200,
        "serializer": "json",
        "AUTH_SECRET": TEST_AUTH_SECRET,
        # in-process containers share the test's one broker user (tests/integration: one each)
        "BROKER_USERS": {"*": broker_user(rabbit_config["AMQP_URI"])},
    }
