"""Small helpers shared by the service and integration tests."""

import os
import socket
from contextlib import contextmanager
from datetime import UTC, datetime

import eventlet
import pytest
from pymongo import MongoClient, monitoring
from pymongo.errors import PyMongoError

# the roster CSV's header: the import's wire contract, CadreSchema's fields (POST /roster/imports)
# the services' clock at the start of every test session, here and in every process the tests start
# (tests/conftest.py): a Monday in June, 10:00 in Wuhan -- no test depends on the day it runs
TEST_NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)
TEST_YEAR = TEST_NOW.year

ROSTER_HEADER = "cadre_id,name,unit_id,level,is_leader,is_principal,birth_date,grassroots_years,service_years"


def roster_file(lines) -> str:
    """A roster CSV: the header, then these data lines."""
    return "\n".join([ROSTER_HEADER, *lines]) + "\n"


@contextmanager
def port_held_elsewhere():
    """A port another listener holds as eventlet listens by default (SO_REUSEPORT), which a listener of
    ours must refuse to share."""
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


def wait_for(predicate, timeout=15.0, interval=0.05, what="condition"):
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout``."""
    timer = eventlet.Timeout(timeout)
    try:
        while True:
            value = predicate()
            if value:
                return value
            eventlet.sleep(interval)
    except eventlet.Timeout as exc:
        if exc is not timer:
            raise
        pytest.fail(f"timed out after {timeout} s waiting for {what}")
    finally:
        timer.cancel()


def together(*calls):
    """Run the calls as concurrent workers would (green threads) and return their results in order."""
    pool = eventlet.GreenPool(len(calls))
    threads = [pool.spawn(call) for call in calls]
    return [thread.wait() for thread in threads]


class Commands(monitoring.CommandListener):
    """The commands a MongoClient sent (``event_listeners=[...]``): to count a code path's round trips."""

    def __init__(self):
        self.seen: list[tuple[str, object, dict]] = []

    def started(self, event):
        self.seen.append((event.command_name, event.command.get(event.command_name), event.command))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass

    def count(self, name, collection):
        return sum(1 for n, c, _ in self.seen if (n, c) == (name, collection))

    def inserted(self) -> list[int]:
        """How many documents each insert command carried."""
        return [len(command["documents"]) for n, _, command in self.seen if n == "insert"]


def actor(*roles, user_id="tester", unit_id=None, cadre_id=None) -> dict:
    """A user: the claims their token will carry."""
    return {"user_id": user_id, "roles": list(roles), "unit_id": unit_id, "cadre_id": cadre_id}


ADMIN = actor("ORG_ADMIN", user_id="admin")

# what the in-process containers (tests/conftest.py ``config``) check tokens with
TEST_AUTH_SECRET = "tests-only-secret-" + "5f3c" * 12


def as_user(user: dict, secret: str = TEST_AUTH_SECRET) -> dict:
    """nameko context data for a call on ``user``'s behalf: their token, as the gateway passes it on."""
    from services.common.boundary.tokens import context_for, issue_token

    return context_for(issue_token(secret, sub=user["user_id"], roles=list(user["roles"]),
                                   unit_id=user.get("unit_id"), cadre_id=user.get("cadre_id")))


def call(container, method, *args, as_=ADMIN, **kwargs):
    """Run one entrypoint of an in-process container as a user (an ORG_ADMIN by default)."""
    from nameko.testing.services import entrypoint_hook

    with entrypoint_hook(container, method, context_data=as_user(as_)) as hook:
        return hook(*args, **kwargs)


def before_next_write(monkeypatch, records, step) -> None:
    """The next ``change`` of ``records`` (a storage Records class, or one instance) is preceded by
    ``step``, once: another user's command lands exactly there, between two writes of the command
    being carried out, outside any lock of the store -- a forced interleaving, not a hoped-for one."""
    real, ran = records.change, []

    def interleaved(*args, **kwargs):
        if not ran:
            ran.append(True)
            step()
        return real(*args, **kwargs)
    monkeypatch.setattr(records, "change", interleaved)


def reachable_store() -> str:
    """The real store's URI; a test that needs it and cannot reach it fails -- it is never skipped."""
    uri = os.environ.get("MONGODB_URI", "mongodb://localhost:27017/")
    client = MongoClient(uri, serverSelectionTimeoutMS=5000)
    try:
        client.admin.command("ping")
    except PyMongoError as exc:
        pytest.fail(f"the store at {uri} is not reachable ({exc}); `make stack-up` starts it",
                    pytrace=False)
    finally:
        client.close()
    return uri
