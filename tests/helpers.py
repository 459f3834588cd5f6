"""Small helpers shared by the service and integration tests."""

import eventlet
import pytest


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


def actor(*roles, user_id="tester", unit_id=None, cadre_id=None) -> dict:
    """The acting user as the gateway puts it in nameko context data."""
    return {"user_id": user_id, "roles": list(roles), "unit_id": unit_id, "cadre_id": cadre_id}


ADMIN = actor("ORG_ADMIN", user_id="admin")


def call(container, method, *args, as_=ADMIN, **kwargs):
    """Run one entrypoint of an in-process container as a user (an ORG_ADMIN by default)."""
    from nameko.testing.services import entrypoint_hook

    with entrypoint_hook(container, method, context_data={"actor": as_}) as hook:
        return hook(*args, **kwargs)
