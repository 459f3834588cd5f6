"""The chassis against the real RabbitMQ and store: outbox relay, idempotent consumer, failure policy."""

import uuid

import eventlet
import pytest
from kombu import Connection, Queue
from nameko.events import get_event_exchange
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from services.common.messaging import deadletter
from services.common.messaging.events import build_envelope
from services.common.messaging.identities import broker_user
from services.common.storage.store import database_name
from tests.helpers import wait_for
from tests.service.toys import (
    DELIVERIES,
    SCRIPT,
    Consumer,
    Producer,
    Widget,
    WidgetScrapped,
    envelope,
)


@pytest.fixture
def widget_id():
    return f"w-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def consumer(container_factory, config):
    container = container_factory(Consumer, config)
    container.start()
    return container


def count(container, widget_id):
    with entrypoint_hook(container, "count") as get_count:
        return get_count(widget_id)


def test_an_event_leaves_right_after_the_write(container_factory, config, consumer, widget_id,
                                               mongo_client):
    producer = container_factory(Producer, {**config, "OUTBOX_RELAY_INTERVAL": 3600})
    producer.start()

    with entrypoint_waiter(consumer, "on_widget_made", timeout=10):
        with entrypoint_hook(producer, "make") as make:
            make(widget_id)

    assert count(consumer, widget_id) == 1
    widgets = mongo_client[database_name(config, "producer")].widgets
    stored = widgets.find_one({"_id": widget_id})
    assert stored["pending_events"] == [] and stored["outbox_pending"] is False


def test_events_are_published_persistent_with_their_envelope(container_factory, config,
                                                            widget_id, get_message_from_queue):
    # a queue of our own on the producer's exchange sees exactly what consumers get
    producer = container_factory(Producer, config)
    producer.start()
    with Connection(config["AMQP_URI"]) as conn:
        queue = Queue("spy", exchange=get_event_exchange("producer", config),
                      routing_key="widget_made")
        queue(conn.default_channel).declare()

    with entrypoint_hook(producer, "make") as make:
        make(widget_id)

    message = get_message_from_queue("spy", timeout=10)
    body = message.payload
    assert message.properties["delivery_mode"] == 2
    assert message.properties["message_id"] == body["event_id"]
    assert body["event_type"] == "producer.widget_made"
    assert body["producer"] == "producer"
    assert body["payload"] == {"widget_id": widget_id}


def test_an_event_written_but_never_relayed_is_published_by_the_timer(
        container_factory, config, consumer, widget_id, mongo_client):
    # a crash between write and publish leaves the event in the document; nothing else
    widgets = mongo_client[database_name(config, "producer")].widgets
    widgets.insert_one({"_id": widget_id, "pending_events": [envelope(widget_id)],
                        "applied_events": []})

    with entrypoint_waiter(consumer, "on_widget_made", timeout=10):
        container_factory(Producer, config).start()

    assert count(consumer, widget_id) == 1
    wait_for(lambda: widgets.find_one({"_id": widget_id})["pending_events"] == [],
             what="the outbox to be emptied")


def test_a_backlog_larger_than_a_batch_goes_out_in_batches(container_factory, config, consumer,
                                                          mongo_client):
    # one wait for confirms per OUTBOX_BATCH events; documents of several batches, one with more
    # events than a batch holds
    widgets = mongo_client[database_name(config, "producer")].widgets
    ids = [f"w-{uuid.uuid4().hex[:8]}" for _ in range(9)]
    widgets.insert_many([{"_id": ids[0], "pending_events": [envelope(i) for i in ids[:5]],
                          "outbox_pending": True, "applied_events": []}]
                        + [{"_id": i, "pending_events": [envelope(i)], "outbox_pending": True,
                            "applied_events": []} for i in ids[5:]])

    container_factory(Producer, {**config, "OUTBOX_BATCH": 2}).start()

    wait_for(lambda: all(count(consumer, i) == 1 for i in ids), what="all nine events applied")
    wait_for(lambda: widgets.count_documents({"outbox_pending": True}) == 0,
             what="every outbox emptied and unflagged")
    assert all(doc["pending_events"] == [] for doc in widgets.find({"_id": {"$in": [ids[0], *ids[5:]]}}))


def test_an_event_nobody_can_receive_yet_stays_in_the_outbox(container_factory, config,
                                                             widget_id, mongo_client):
    # mandatory publishing: with no queue bound the broker returns it, and the outbox keeps it
    producer = container_factory(Producer, config)
    producer.start()
    with entrypoint_hook(producer, "make") as make:
        make(widget_id)
    eventlet.sleep(0.5)  # a few relay ticks
    widgets = mongo_client[database_name(config, "producer")].widgets
    assert len(widgets.find_one({"_id": widget_id})["pending_events"]) == 1
    with entrypoint_hook(producer, "health") as health:
        assert health()["outbox_backlog"] == 1

    consumer = container_factory(Consumer, config)
    with entrypoint_waiter(consumer, "on_widget_made", timeout=10):
        consumer.start()
    assert count(consumer, widget_id) == 1


def test_an_unroutable_event_holds_back_only_later_events_of_its_type_in_its_document(
        container_factory, config, consumer, mongo_client):
    widgets = mongo_client[database_name(config, "producer")].widgets
    stuck = build_envelope(WidgetScrapped, {"widget_id": "w-a"}, producer="producer")
    stuck_too = build_envelope(WidgetScrapped, {"widget_id": "w-a"}, producer="producer")
    widgets.insert_many([
        {"_id": "w-a", "pending_events": [stuck, envelope("w-a"), stuck_too],
         "applied_events": []},
        {"_id": "w-b", "pending_events": [envelope("w-b")], "applied_events": []},
    ])

    with entrypoint_waiter(consumer, "on_widget_made", timeout=10):
        container_factory(Producer, config).start()
    wait_for(lambda: count(consumer, "w-a") == 1 and count(consumer, "w-b") == 1,
             what="both documents' widget_made events")

    eventlet.sleep(0.5)
    # nobody consumes widget_scrapped: both stay, in their order; widget_made went past them,
    # as the broker would have reordered them anyway (one queue per type)
    assert [e["event_id"] for e in widgets.find_one({"_id": "w-a"})["pending_events"]] == [
        stuck["event_id"], stuck_too["event_id"]]
    # found by the sweep (written without the flag): flagged now, so every later run finds them
    assert widgets.find_one({"_id": "w-a"})["outbox_pending"] is True
    assert widgets.find_one({"_id": "w-b"})["outbox_pending"] is False


def test_the_same_event_delivered_twice_has_one_effect(consumer, publish_event, widget_id):
    event = envelope(widget_id)
    for _ in range(2):
        with entrypoint_waiter(consumer, "on_widget_made", timeout=10):
            publish_event(event)

    assert DELIVERIES[widget_id] == 2
    assert count(consumer, widget_id) == 1


def test_a_transient_failure_is_retried_and_applied(consumer, publish_event, widget_id):
    SCRIPT[widget_id] = ["outage", "bug", "outage"]

    publish_event(envelope(widget_id))

    wait_for(lambda: count(consumer, widget_id) == 1, what="the retried event to apply")
    assert DELIVERIES[widget_id] == 4


def test_an_outage_longer_than_the_attempt_limit_is_not_dead_lettered(consumer, publish_event,
                                                                      widget_id, config):
    SCRIPT[widget_id] = ["outage"] * (config["EVENT_MAX_ATTEMPTS"] + 3)

    publish_event(envelope(widget_id))

    wait_for(lambda: count(consumer, widget_id) == 1, what="the event to apply after the outage")
    assert deadletter.list_dead_letters(config["AMQP_URI"], "consumer") == []


def test_a_failing_handler_dead_letters_after_the_limit_and_can_be_replayed(
        consumer, publish_event, widget_id, config):
    SCRIPT[widget_id] = ["bug"] * config["EVENT_MAX_ATTEMPTS"]
    event = envelope(widget_id)

    publish_event(event)

    wait_for(lambda: deadletter.list_dead_letters(config["AMQP_URI"], "consumer"),
             what="the message in the dead-letter queue")
    [letter] = deadletter.list_dead_letters(config["AMQP_URI"], "consumer")
    assert letter.event_id == event["event_id"]
    assert letter.attempts == config["EVENT_MAX_ATTEMPTS"]
    assert letter.error == "ValueError: scripted bug"
    assert letter.queue == "evt-producer-widget_made--consumer.on_widget_made"
    assert DELIVERIES[widget_id] == config["EVENT_MAX_ATTEMPTS"]
    assert count(consumer, widget_id) == 0
    # listing does not consume
    assert len(deadletter.list_dead_letters(config["AMQP_URI"], "consumer")) == 1

    # the fault is mended (the script is used up): replay applies it (the wait is for that run: the last
    # failed run's worker may not have ended yet, see succeeded)
    with entrypoint_waiter(consumer, "on_widget_made", timeout=10, callback=succeeded(event["event_id"])):
        assert deadletter.replay(config["AMQP_URI"], "consumer") == 1
    assert count(consumer, widget_id) == 1
    assert deadletter.list_dead_letters(config["AMQP_URI"], "consumer") == []


def test_a_hopeless_message_is_dead_lettered_at_once(consumer, publish_event, widget_id, config):
    SCRIPT[widget_id] = ["hopeless"]

    publish_event(envelope(widget_id))

    wait_for(lambda: deadletter.list_dead_letters(config["AMQP_URI"], "consumer"),
             what="the message in the dead-letter queue")
    assert DELIVERIES[widget_id] == 1
    assert deadletter.purge(config["AMQP_URI"], "consumer") == 1
    assert deadletter.list_dead_letters(config["AMQP_URI"], "consumer") == []


def test_a_malformed_message_is_dead_lettered_and_others_keep_flowing(consumer, publish_event,
                                                                       widget_id, config):
    publish_event({"event_type": "producer.widget_made", "garbage": True})
    publish_event(envelope(widget_id))

    wait_for(lambda: count(consumer, widget_id) == 1, what="the healthy message to apply")
    wait_for(lambda: deadletter.list_dead_letters(config["AMQP_URI"], "consumer"),
             what="the malformed message in the dead-letter queue")
    [letter] = deadletter.list_dead_letters(config["AMQP_URI"], "consumer")
    assert letter.error.startswith("ValidationError")
    assert letter.body == {"event_type": "producer.widget_made", "garbage": True}


def test_a_body_that_is_not_json_is_dead_lettered_and_others_keep_flowing(consumer, publish_event,
                                                                           widget_id, config):
    # no handler can read it, so nothing can ever succeed with it: not a loop of redeliveries
    exchange = get_event_exchange("producer", {})
    with Connection(config["AMQP_URI"], transport_options={"confirm_publish": True}) as connection:
        connection.Producer().publish(b'{"event_id": "cut-short", "payl', exchange=exchange,
                                      routing_key="widget_made", content_type="application/json",
                                      content_encoding="utf-8", declare=[exchange],
                                      user_id=broker_user(config["AMQP_URI"]))
    publish_event(envelope(widget_id))

    wait_for(lambda: count(consumer, widget_id) == 1, what="the healthy message to apply")
    [letter] = wait_for(lambda: deadletter.list_dead_letters(config["AMQP_URI"], "consumer"),
                        what="the unreadable message in the dead-letter queue")
    assert letter.error.startswith("ValidationError: not JSON")
    assert letter.body == '{"event_id": "cut-short", "payl'


def succeeded(event_id):
    """An ``entrypoint_waiter`` callback for this event's run that succeeded: a message's dead letter is
    listed before its failed run's worker has ended, and that worker must not end the wait."""
    return lambda worker_ctx, result, exc_info: (exc_info is None
                                                 and worker_ctx.args[0].event_id == event_id)


def test_replay_can_pick_messages_by_event_id(consumer, publish_event, config):
    ids = [f"w-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    events = []
    for widget_id in ids:
        SCRIPT[widget_id] = ["hopeless"]
        events.append(envelope(widget_id))
        publish_event(events[-1])
    wait_for(lambda: len(deadletter.list_dead_letters(config["AMQP_URI"], "consumer")) == 2,
             what="two dead letters")

    with entrypoint_waiter(consumer, "on_widget_made", callback=succeeded(events[0]["event_id"]),
                           timeout=10):
        assert deadletter.replay(config["AMQP_URI"], "consumer", {events[0]["event_id"]}) == 1

    assert count(consumer, ids[0]) == 1
    assert [d.event_id for d in deadletter.list_dead_letters(config["AMQP_URI"], "consumer")] == [
        events[1]["event_id"]]


def test_two_containers_in_one_process_use_their_own_databases(container_factory, config,
                                                               consumer, mongo_client):
    producer = container_factory(Producer, config)
    producer.start()
    with entrypoint_hook(producer, "make") as make:
        make("w-own-db")

    producer_db = mongo_client[database_name(config, "producer")]
    consumer_db = mongo_client[database_name(config, "consumer")]
    assert producer_db.name != consumer_db.name
    assert producer_db.widgets.count_documents({"_id": "w-own-db"}) == 1
    assert "widgets" not in consumer_db.list_collection_names()
    indexes = [i["key"] for i in producer_db.widgets.list_indexes()]
    assert {"pending_events.event_id": 1} in [dict(k) for k in indexes]
    assert Widget._get_collection_name() == "widgets"


def test_a_dead_letter_is_listed_and_replayed_to_its_queue(consumer, publish_event, widget_id, config):
    SCRIPT[widget_id] = ["hopeless"]
    event = envelope(widget_id)
    publish_event(event)
    [letter] = wait_for(lambda: deadletter.list_dead_letters(config["AMQP_URI"], "consumer"),
                        what="the dead letter")
    assert (letter.event_id, letter.error.split(":")[0]) == (event["event_id"], "PermanentFailure")

    with entrypoint_waiter(consumer, "on_widget_made", callback=succeeded(event["event_id"]), timeout=10):
        assert deadletter.replay(config["AMQP_URI"], "consumer", {event["event_id"]}) == 1
    assert count(consumer, widget_id) == 1
    assert deadletter.list_dead_letters(config["AMQP_URI"], "consumer") == []


def test_concurrent_updates_of_one_document_are_all_applied(container_factory, config,
                                                            widget_id):
    # FerretDB applies a filtered update as read-then-write: without the chassis' per-document
    # lock most of these are lost (ADR 0007); with it each applies once and a duplicate does not
    consumer = container_factory(Consumer, {**config, "max_workers": 50})
    consumer.start()
    event_ids = [str(uuid.uuid4()) for _ in range(100)]

    with ClusterRpcProxy(config) as cluster:
        replies = [cluster.consumer.bump.call_async(widget_id, event_id)
                   for event_id in event_ids + event_ids[:20]]
        applied = [reply.result() for reply in replies]

    assert applied.count(True) == 100 and applied.count(False) == 20
    assert count(consumer, widget_id) == 100
