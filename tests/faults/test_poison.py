"""Fault 4: poison messages -- one no handler can ever read, one whose handler fails every time --
are dead-lettered within the configured attempts, while the healthy stream on the same queues keeps
flowing: nothing healthy lost, nothing doubled, nothing healthy dead-lettered."""

import json
import os
import time
import uuid
from datetime import UTC, datetime

import eventlet
from kombu import Connection, Producer
from nameko.events import get_event_exchange

from services.appraisal.events import ResultFinalized
from services.common.messaging.deadletter import list_dead_letters
from services.common.messaging.events import build_envelope
from services.common.messaging.identities import broker_user
from tests.faults.stream import CONSUMERS, new_stream, tally, wait_applied
from tests.helpers import wait_for

EVENTS = int(os.environ.get("FAULT_POISON_EVENTS", 2_000))


def publish_raw(faults, source, routing_key, body, content_type="application/json"):
    exchange = get_event_exchange(source, {})
    uri = faults.broker.uris[source]  # as the producer itself
    with Connection(uri, transport_options={"confirm_publish": True}) as connection:
        Producer(connection.channel()).publish(body, exchange=exchange, routing_key=routing_key,
                                               user_id=broker_user(uri),
                                               content_type=content_type, content_encoding="utf-8",
                                               delivery_mode=2, declare=[exchange])


def test_poison_is_dead_lettered_and_the_stream_keeps_flowing(faults, figures):
    max_attempts = int(faults.env["EVENT_MAX_ATTEMPTS"])
    stream = new_stream(faults, EVENTS)
    half = len(stream.events) // 2
    unreadable = '{"event_id": "poison-unreadable", "payload": '  # cut short: not JSON at all
    cadre = f"C-nobody-{uuid.uuid4().hex[:6]}"
    failing = build_envelope(ResultFinalized, {
        "cycle_id": "cy-poison", "unit_id": "U", "year": 2025, "kind": "ANNUAL", "cadre_id": cadre,
        "grade": "EXCELLENT", "finalized_at": datetime.now(UTC)}, producer="appraisal")

    started = time.monotonic()
    stream.events, rest = stream.events[:half], stream.events[half:]
    stream.run()  # healthy, then the poison, then healthy again: the poison sits mid-queue
    publish_raw(faults, "talent", "cadre_registered", unreadable.encode())
    publish_raw(faults, "appraisal", "result_finalized", json.dumps(failing).encode())
    stream.events, stream.done = stream.events + rest, False
    eventlet.spawn(stream.run).wait()

    def dead(service):
        return list_dead_letters(faults.broker.uri, service)

    letters = wait_for(lambda: (found := {s: dead(s) for s in (*CONSUMERS, "talent")})
                       and all(found.values()) and found, timeout=120, interval=0.5,
                       what="every consumer to dead-letter its poison")
    to_dlq = time.monotonic() - started
    drained = wait_applied(faults, stream, timeout=300)
    result = tally(faults, stream)
    [failed] = letters["talent"]
    figures(healthy_events=len(stream.events), consumers=len(CONSUMERS), lost=result["lost"],
            doubled=result["doubled"], unreadable_dead_lettered_by=len(CONSUMERS),
            failing_dead_lettered_after_attempts=failed.attempts, max_attempts=max_attempts,
            poison_to_dead_letters_s=round(to_dlq, 1), healthy_drained_s=round(drained, 1))
    assert result == {"lost": 0, "doubled": 0}
    for service in CONSUMERS:  # only the poison, once each
        [letter] = letters[service]
        assert letter.attempts <= max_attempts and letter.body is not None, service
    assert (failed.event_id, failed.attempts) == (failing["event_id"], max_attempts)
    assert "CADRE_NOT_FOUND" in failed.error
