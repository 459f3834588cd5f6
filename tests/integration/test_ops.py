"""Every process of the running suite answers its probes and its Prometheus scrape, and its event
queues carry production's settings (deploy/): what an orchestrator and a monitoring system see."""

import re
from urllib.parse import urlparse

import pytest

from tests.helpers import wait_for
from tests.integration.conftest import PROCESSES
from tests.integration.test_slice import register_cadre, register_unit

pytestmark = pytest.mark.integration


def calls(suite, name, entrypoint, method, outcome="ok") -> float:
    """One cadre_entrypoint_calls_total sample of a process's /metrics (0 when absent)."""
    text = suite.ops(name, "/metrics").text
    match = re.search(
        rf'^cadre_entrypoint_calls_total\{{entrypoint="{entrypoint}",method="{method}",'
        rf'outcome="{outcome}",service="{name}"\}} (\S+)$', text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_every_process_is_live_and_ready(suite):
    for name in PROCESSES:
        assert suite.ops(name, "/health/live").status_code == 200, name
        ready = suite.ops(name, "/health/ready")
        assert (ready.status_code, ready.json()["checks"]) == (200, {"broker": "ok", "store": "ok"}), name


def test_metrics_follow_requests_and_events_through_the_processes(suite):
    before = {name: calls(suite, name, "rpc", "health") for name in PROCESSES if name != "gateway"}
    assert suite.get("/health").status_code == 200  # the gateway asks every service
    for name, count in before.items():
        # a service answers before its metrics dependency counts the call (nameko: the reply goes in
        # handle_result, worker_result comes after), so the count may lag the answer by a moment
        wait_for(lambda name=name, count=count: calls(suite, name, "rpc", "health") == count + 1,
                 timeout=5, interval=0.1, what=f"{name}'s metrics to count the health call")
        assert calls(suite, name, "rpc", "health") == count + 1, name
    assert 'cadre_entrypoint_calls_total{entrypoint="http"' in suite.ops("gateway", "/metrics").text

    # talent's roster event reaches appraisal's handler, and appraisal's scrape shows it
    handled = calls(suite, "appraisal", "event", "on_cadre_registered")
    register_cadre(suite, register_unit(suite))
    wait_for(lambda: calls(suite, "appraisal", "event", "on_cadre_registered") == handled + 1,
             timeout=15, interval=0.2, what="appraisal's metrics to count the roster event")


def test_a_refusal_is_counted_as_refused_not_as_an_error(suite):
    """An officer's typo is normal traffic: an alert on outcome="error" must not fire on it."""
    before = {outcome: calls(suite, "talent", "read", "get_cadre", outcome)
              for outcome in ("refused", "error")}
    assert suite.get("/cadres/NO-SUCH-CADRE").status_code == 404
    wait_for(lambda: calls(suite, "talent", "read", "get_cadre", "refused") == before["refused"] + 1,
             timeout=5, interval=0.1, what="talent's metrics to count the refusal")
    assert calls(suite, "talent", "read", "get_cadre", "error") == before["error"]
    assert "NotFound" not in suite.ops("talent", "/metrics").text


def test_event_queues_are_quorum_queues_with_a_delivery_limit(suite, rabbit_manager):
    vhost = urlparse(suite.amqp_uri).path.lstrip("/")
    event_queues = [q for q in rabbit_manager.get_queues(vhost) if q["name"].startswith("evt-")]
    assert {q["name"].split("--")[1].split(".")[0] for q in event_queues} == (
        set(PROCESSES) - {"gateway"})
    for queue in event_queues:
        assert queue["arguments"]["x-queue-type"] == "quorum", queue["name"]
        assert queue["arguments"]["x-delivery-limit"] > 0, queue["name"]


def test_a_get_is_answered_on_the_read_port_and_a_command_through_the_broker(suite):
    """The gateway's GET routes call the service's read port (services/common/messaging/reads.py);
    commands keep the broker."""
    unit = register_unit(suite)
    cadre_id = register_cadre(suite, unit)
    reads, rpcs = (calls(suite, "talent", kind, "get_cadre") for kind in ("read", "rpc"))
    registered = calls(suite, "talent", "rpc", "register_cadre")
    for _ in range(3):
        assert suite.get(f"/cadres/{cadre_id}").status_code == 200
    register_cadre(suite, unit)
    wait_for(lambda: calls(suite, "talent", "read", "get_cadre") == reads + 3
             and calls(suite, "talent", "rpc", "register_cadre") == registered + 1,
             timeout=5, interval=0.1, what="talent's metrics to count the reads and the command")
    assert calls(suite, "talent", "rpc", "get_cadre") == rpcs
