"""Ops endpoints and production queue settings of one in-process container on the real broker and
store: what a readiness probe, a Prometheus scrape and the broker's delivery limit see."""

import errno
import socket

import pytest
import requests
from kombu import Connection, Queue

from services.common.errors import NotFound
from services.common.messaging.consumer import dead_letter_queue_name
from services.common.messaging.deadletter import list_dead_letters
from services.common.messaging.identities import broker_user
from services.common.messaging.outbox import Outbox
from services.talent.service import TalentService
from tests.helpers import call, port_held_elsewhere, wait_for


def ops_url(container, path):
    [ops] = [d for d in container.dependencies if d.attr_name == "ops"]
    return f"http://127.0.0.1:{ops.port}{path}"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


def test_ready_names_the_unreachable_store_while_live_stays_up(running):
    container = running(TalentService, OPS_ADDRESS="127.0.0.1:0", MONGODB_TIMEOUT_MS=300,
                        MONGODB_URI=f"mongodb://127.0.0.1:{closed_port()}/")

    ready = requests.get(ops_url(container, "/health/ready"), timeout=10)
    assert ready.status_code == 503
    body = ready.json()
    assert (body["service"], body["status"], body["checks"]["broker"]) == ("talent", "not ready", "ok")
    assert body["checks"]["store"].startswith("unreachable")
    assert requests.get(ops_url(container, "/health/live"), timeout=5).status_code == 200


def test_an_ops_port_another_process_listens_on_stops_the_start(running):
    with port_held_elsewhere() as port:
        with pytest.raises(OSError) as raised:  # not a port shared without a word
            running(TalentService, OPS_ADDRESS=f"127.0.0.1:{port}")
    assert raised.value.errno == errno.EADDRINUSE


def test_ready_when_broker_and_store_answer(running):
    container = running(TalentService, OPS_ADDRESS="127.0.0.1:0")
    ready = requests.get(ops_url(container, "/health/ready"), timeout=10)
    assert (ready.status_code, ready.json()["checks"]) == (200, {"broker": "ok", "store": "ok"})
    assert requests.get(ops_url(container, "/nowhere"), timeout=5).status_code == 404
    assert requests.post(ops_url(container, "/health/ready"), timeout=5).status_code == 405


def test_metrics_count_each_entrypoint_by_outcome(running):
    container = running(TalentService, OPS_ADDRESS="127.0.0.1:0")
    call(container, "health")
    call(container, "health")
    with pytest.raises(NotFound):
        call(container, "get_cadre", "C-nobody")

    text = requests.get(ops_url(container, "/metrics"), timeout=10).text
    assert ('cadre_entrypoint_calls_total{entrypoint="rpc",method="health",outcome="ok",'
            'service="talent"} 2.0') in text
    assert ('cadre_entrypoint_calls_total{entrypoint="rpc",method="get_cadre",outcome="refused",'
            'service="talent"} 1.0') in text
    assert ('cadre_entrypoint_duration_seconds_count{entrypoint="rpc",method="health",'
            'service="talent"} 2.0') in text
    assert 'cadre_outbox_backlog{service="talent"} 0.0' in text
    assert 'cadre_workers_running{service="talent"} 0.0' in text


def test_a_scrape_naming_metrics_gets_only_those_and_leaves_the_store_alone(running, monkeypatch):
    counted = []
    real = Outbox.backlog_state
    monkeypatch.setattr(Outbox, "backlog_state", lambda self: counted.append(1) or real(self))
    container = running(TalentService, OPS_ADDRESS="127.0.0.1:0")
    with pytest.raises(NotFound):
        call(container, "get_cadre", "C-nobody")

    text = requests.get(ops_url(container, "/metrics?name[]=cadre_entrypoint_calls_total"),
                        timeout=10).text
    samples = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert samples and all(line.startswith("cadre_entrypoint_calls_total{") for line in samples)
    assert counted == []  # the backlog is counted in the store only when a scrape asks for it

    requests.get(ops_url(container, "/metrics?name[]=cadre_outbox_backlog"), timeout=10)
    full = requests.get(ops_url(container, "/metrics"), timeout=10).text
    assert len(counted) == 2 and "cadre_event_retries" in full and "process_cpu_seconds" in full


def test_quorum_event_queues_dead_letter_past_the_delivery_limit(running, rabbit_config, rabbit_manager):
    # production settings (deploy/): a message the broker keeps redelivering unsettled -- say one
    # that crashes its consumer each time -- ends up in the service's dead letters, not in a loop
    from services.appraisal.service import AppraisalService

    container = running(AppraisalService, EVENT_QUEUE_TYPE="quorum", EVENT_DELIVERY_LIMIT=2)
    vhost = rabbit_config["vhost"]
    queues = {q["name"]: q for q in rabbit_manager.get_queues(vhost)}
    event_queues = [name for name in queues if name.startswith("evt-") and "--appraisal." in name]
    assert event_queues, sorted(queues)
    for name in event_queues:
        assert queues[name]["arguments"] == {
            "x-queue-type": "quorum", "x-delivery-limit": 2, "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": dead_letter_queue_name("appraisal")}, name
    container.stop()  # no consumer now: this test plays the one that keeps crashing

    target = event_queues[0]
    with Connection(rabbit_config["AMQP_URI"], transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        queue = Queue(target, no_declare=True)
        connection.Producer(channel).publish({"event_id": "e-poison", "event_type": "x.y"},
                                             exchange="", routing_key=target, serializer="json",
                                             user_id=broker_user(rabbit_config["AMQP_URI"]))
        deliveries = 0
        while (message := queue(channel).get(no_ack=False)) is not None and deliveries < 10:
            deliveries += 1  # delivered, then requeued unsettled, as by a consumer that dies
            message.reject(requeue=True)
    assert deliveries == 3  # the first delivery and two redeliveries

    [letter] = wait_for(lambda: list_dead_letters(rabbit_config["AMQP_URI"], "appraisal"),
                        timeout=10, what="the broker to dead-letter the message")
    assert (letter.event_id, letter.queue, letter.error) == ("e-poison", target, "broker: delivery_limit")
