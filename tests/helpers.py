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
