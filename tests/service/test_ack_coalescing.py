"""Coalesced acks (ADR 0021) on the real RabbitMQ: fewer frames, and never an ack for a message that
is still being worked on. "Redelivered" is read from the broker: what a closed channel had not
acknowledged is back in the queue."""

import uuid

import eventlet
import pytest
from eventlet.event import Event
from kombu import Connection, Queue
from nameko.testing.services import entrypoint_waiter

from services.common.messaging.amqp import AckCoalescer, ResilientQueueConsumer
from tests.helpers import wait_for
from tests.service.toys import DELIVERIES, HOLDS, Consumer, envelope


@pytest.fixture
def queue(config):
    """A queue holding messages 0..9, read back on a channel of its own."""
    name = f"acks-{uuid.uuid4().hex[:8]}"
    with Connection(config["AMQP_URI"]) as conn:
        declared = Queue(name, durable=False, auto_delete=False)(conn.default_channel)
        declared.declare()
        for n in range(10):
            conn.Producer().publish({"n": n}, routing_key=name, serializer="json")
    yield name
    with Connection(config["AMQP_URI"]) as conn:
        conn.default_channel.queue_delete(name)


def take(config, name, count):
    """A fresh connection's channel, its first ``count`` deliveries (tags 1..count) and the list of
    the ack frames it sends from now on."""
    conn = Connection(config["AMQP_URI"])
    channel = conn.channel()
    bound = Queue(name, durable=False, auto_delete=False)(channel)
    messages = [bound.get(no_ack=False) for _ in range(count)]
    assert [m.delivery_tag for m in messages] == list(range(1, count + 1))
    return conn, channel, messages, counting(channel)


def left_in(config, name) -> list[int]:
    """What the queue holds now, in order (taken and acked)."""
    with Connection(config["AMQP_URI"]) as conn:
        bound = Queue(name, durable=False, auto_delete=False)(conn.default_channel)
        left = []
        while (message := bound.get(no_ack=True)) is not None:
            left.append(message.payload["n"])
        return left


def counting(channel):
    """Counts the channel's ack frames (the real method still runs)."""
    sent = []
    real = channel.basic_ack

    def basic_ack(delivery_tag, multiple=False):
        sent.append((delivery_tag, multiple))
        return real(delivery_tag, multiple=multiple)

    channel.basic_ack = basic_ack
    return sent


def coalescer_of(messages):
    """A coalescer that has seen ``messages`` delivered."""
    coalescer = AckCoalescer()
    for message in messages:
        coalescer.received(message)
    return coalescer


def consumer_of(messages):
    """nameko's queue consumer, as ours, having seen ``messages`` delivered."""
    consumer = ResilientQueueConsumer()
    consumer.acks = coalescer_of(messages)
    return consumer


def test_acks_of_a_run_of_tags_go_as_one_frame(config, queue):
    conn, channel, messages, sent = take(config, queue, 10)
    coalescer = coalescer_of(messages)
    for message in reversed(messages):
        coalescer.ack(message)

    coalescer.flush()
    assert sent == [(10, True)]
    assert all(m.acknowledged for m in messages)
    conn.close()
    assert left_in(config, queue) == []


def test_a_message_still_being_worked_on_is_never_acked(config, queue):
    conn, channel, messages, sent = take(config, queue, 5)
    coalescer = coalescer_of(messages)
    for message in messages[1:]:  # the first is still with its worker
        coalescer.ack(message)

    coalescer.flush()
    assert sent == [(2, False), (3, False), (4, False), (5, False)]
    conn.close()  # the worker dies with its connection
    assert left_in(config, queue) == [0, *range(5, 10)]


def test_once_the_slow_one_is_done_its_ack_covers_only_what_is_settled(config, queue):
    conn, channel, messages, sent = take(config, queue, 4)
    coalescer = coalescer_of(messages)
    coalescer.ack(messages[1])
    coalescer.ack(messages[2])
    coalescer.flush()
    coalescer.ack(messages[0])  # then the first; the fourth is still being worked on

    coalescer.flush()  # a multiple ack of 1: of 3 it would be refused, closing the channel
    assert sent == [(2, False), (3, False), (1, True)]
    conn.close()
    assert left_in(config, queue) == [3, *range(4, 10)]


def test_a_requeued_message_is_passed_by_the_run_and_comes_back(config, queue):
    conn, channel, messages, sent = take(config, queue, 3)
    consumer = consumer_of(messages)
    consumer.requeue_message(messages[1])
    consumer.ack_message(messages[0])
    consumer.ack_message(messages[2])

    consumer.acks.flush()
    assert sent == [(3, True)]
    conn.close()
    assert left_in(config, queue) == [1, *range(3, 10)]


def test_acks_wait_only_for_the_next_pass_of_the_hub(config, queue):
    conn, channel, messages, sent = take(config, queue, 10)
    consumer = consumer_of(messages)
    for message in messages:
        consumer.ack_message(message)
    assert sent == []

    eventlet.sleep(0)
    eventlet.sleep(0)
    assert sent == [(10, True)]
    conn.close()
    assert left_in(config, queue) == []


def test_a_flush_blocked_on_the_socket_is_not_overtaken(config, queue):
    conn, channel, messages, sent = take(config, queue, 10)
    real = channel.basic_ack

    def slow(delivery_tag, multiple=False):  # as a write that waits for the socket
        eventlet.sleep(0.01)
        return real(delivery_tag, multiple=multiple)

    channel.basic_ack = slow
    coalescer = coalescer_of(messages)
    for message in messages:
        coalescer.ack(message)

    flushes = [eventlet.spawn(coalescer.flush) for _ in range(2)]
    for flush in flushes:
        flush.wait()
    assert sent == [(10, True)]  # twice, and the broker would close the channel
    channel.basic_qos(0, 10, False)  # still open
    conn.close()
    assert left_in(config, queue) == []


def waiting_for(container_factory, config, publish_event, widgets):
    """``widgets``' events waiting in the consumer's queue, in this order, before it starts."""
    first = container_factory(Consumer, config)
    first.start()  # declares the handler's queue
    first.stop()
    for widget_id in widgets:
        publish_event(envelope(widget_id))


def test_a_consumer_acks_a_backlog_in_fewer_frames_and_loses_nothing(container_factory, config,
                                                                     publish_event):
    widgets = [f"w-{uuid.uuid4().hex[:8]}" for _ in range(60)]
    waiting_for(container_factory, config, publish_event, widgets)  # as a season's copies find it

    container = container_factory(Consumer, {**config, "max_workers": 20})
    handler = next(e for e in container.entrypoints if e.method_name == "on_widget_made")
    with entrypoint_waiter(container, "on_widget_made", timeout=20,
                           callback=lambda *_: all(DELIVERIES.get(w) for w in widgets)):
        container.start()
    container.stop()

    assert [DELIVERIES[w] for w in widgets] == [1] * 60
    assert handler.queue_consumer.acks.frames < 60
    with Connection(config["AMQP_URI"]) as conn:
        _, ready, _ = conn.default_channel.queue_declare(handler.queue.name, passive=True)
    assert ready == 0


def test_a_consumer_never_acks_past_a_delivery_still_with_its_worker(container_factory, config,
                                                                      publish_event):
    slow, quick = (f"w-{uuid.uuid4().hex[:8]}" for _ in range(2))
    HOLDS[slow] = Event()
    waiting_for(container_factory, config, publish_event, [slow, quick])  # slow: the lower tag

    container = container_factory(Consumer, config)
    handler = next(e for e in container.entrypoints if e.method_name == "on_widget_made")
    with entrypoint_waiter(container, "on_widget_made", timeout=10,
                           callback=lambda *_: DELIVERIES.get(quick) == 1):
        container.start()
    wait_for(lambda: handler.queue_consumer.acks.frames, timeout=5, what="the quick one's ack")
    container.kill()  # the slow worker dies with its connection

    with Connection(config["AMQP_URI"]) as conn:
        bound = Queue(handler.queue.name)(conn.default_channel)
        back = bound.get(no_ack=True)
        assert back is not None and back.payload["payload"]["widget_id"] == slow
        assert bound.get(no_ack=True) is None  # the quick one was acked
