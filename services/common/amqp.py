"""nameko's AMQP consumers, made to survive the broker going away.

nameko 2.14 acks and requeues only while it believes the connection alive, and ignores amqp's
ConnectionError, but a socket error (connection reset, broken pipe) from a broker that has just
died escapes; in a worker's result handler it kills the whole container, so a broker restart
took every service down with it (found by tests/faults/test_broker_restarts.py). Here the ack or
the reply that cannot be sent is logged and dropped: the message was not acknowledged, so the
broker delivers it again once the consumer reconnects, and the inbox makes that harmless.

Acks are coalesced (ADR 0021): one ``multiple`` ack settles every message of a channel up to a
delivery tag, but nameko consumes all of a service's queues on one channel, so such an ack is sent
only over tags that are all settled. The acks of the workers that finish in one pass of the hub go
out together in the next.
"""

from __future__ import annotations

import logging

import eventlet
from amqp.exceptions import ConnectionError as AMQPConnectionError
from kombu.exceptions import OperationalError
from nameko.messaging import QueueConsumer
from nameko.rpc import ReplyListener, Rpc, RpcConsumer, RpcProxy

log = logging.getLogger(__name__)

BROKER_GONE = (OSError, AMQPConnectionError, OperationalError)  # socket errors are OSErrors


class ChannelAcks:
    """The acks of one channel not yet sent, and which delivery tags are settled.

    Delivery tags count a channel's deliveries from 1. ``floor``: every tag up to it is settled on
    the broker. Above it, ``settled`` holds tags already acked or requeued one by one, ``waiting``
    the messages whose ack is not sent yet."""

    def __init__(self, channel):
        self.channel = channel
        self.floor = 0
        self.settled: set[int] = set()
        self.waiting: dict[int, object] = {}

    def flush(self) -> int:
        """Sends what is waiting: one ``multiple`` ack for the run of settled tags just above the
        floor, one ack each for those past a tag still being worked on. Returns the frames sent."""
        if not self.waiting:
            return 0
        top = self.floor
        while top + 1 in self.waiting or top + 1 in self.settled:
            top += 1
        covered = [tag for tag in self.waiting if tag <= top]
        frames = 0
        if covered:
            self.channel.basic_ack(max(covered), multiple=True)
            frames += 1
            for tag in covered:
                self.waiting.pop(tag)._state = "ACK"  # kombu's own record: never acked twice
        self.settled = {tag for tag in self.settled if tag > top}
        self.floor = top
        for tag in sorted(self.waiting):  # past a gap: one by one, so no ack waits on a slow worker
            self.waiting.pop(tag).ack()
            self.settled.add(tag)
            frames += 1
        return frames


class AckCoalescer:
    """Collects acks, per channel, until the next pass of the hub (or ``flush``)."""

    def __init__(self):
        self.channels: dict[int, ChannelAcks] = {}
        self._scheduled = False
        self.frames = 0  # ack frames sent, for the tests and the ADR's measurement

    def _of(self, message) -> ChannelAcks:
        acks = self.channels.get(id(message.channel))
        if acks is None or acks.channel is not message.channel:
            acks = self.channels[id(message.channel)] = ChannelAcks(message.channel)
        return acks

    def ack(self, message) -> None:
        self._of(message).waiting[message.delivery_tag] = message
        if not self._scheduled:
            self._scheduled = True
            eventlet.spawn_after(0, self.flush)

    def settled(self, message) -> None:
        """``message`` was requeued or rejected on its own: a ``multiple`` ack may pass its tag."""
        acks = self._of(message)
        if message.delivery_tag > acks.floor:
            acks.settled.add(message.delivery_tag)

    def flush(self) -> None:
        self._scheduled = False
        for key, acks in list(self.channels.items()):
            if not acks.channel.connection:  # closed: the broker has taken its messages back
                del self.channels[key]
                continue
            try:
                self.frames += acks.flush()
            except BROKER_GONE as exc:
                del self.channels[key]
                log.warning("cannot ack, the broker connection is gone (%s): it will be redelivered",
                            exc)
            except Exception:  # a broker refusing an ack closes the channel: redelivered then
                del self.channels[key]
                log.exception("cannot ack on channel %s: its messages will be redelivered", key)


class ResilientQueueConsumer(QueueConsumer):
    def __init__(self):
        super().__init__()
        self.acks = AckCoalescer()

    def ack_message(self, message):
        # as nameko: a message of a closed connection has already been taken back by the broker
        if message.channel.connection:
            self.acks.ack(message)

    def requeue_message(self, message):
        try:
            super().requeue_message(message)
        except BROKER_GONE as exc:
            log.warning("cannot requeue, the broker connection is gone (%s): it will be redelivered", exc)
            return
        self.acks.settled(message)

    def stop(self):
        self.acks.flush()  # the last workers' acks, before the connection closes
        super().stop()

    def on_decode_error(self, message, exc):
        """kombu's default acks an undecodable body with a log line, which loses it; an event
        handler dead-letters it instead, like any other poison (consumer.py)."""
        tag = message.delivery_info.get("consumer_tag")
        for provider, consumer in list(self._consumers.items()):
            if tag in consumer._active_tags.values() and hasattr(provider, "undecodable"):
                provider.undecodable(message, exc)
                return
        super().on_decode_error(message, exc)


class ResilientRpcConsumer(RpcConsumer):
    queue_consumer = ResilientQueueConsumer()


class ResilientRpc(Rpc):
    rpc_consumer = ResilientRpcConsumer()

    def handle_result(self, message, worker_ctx, result, exc_info):
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        except BROKER_GONE as exc:
            # the caller times out; the request, never acknowledged, is delivered again
            log.warning("cannot reply to %s, the broker connection is gone (%s)",
                        worker_ctx.entrypoint.method_name, exc)
            return result, exc_info


class ResilientReplyListener(ReplyListener):
    queue_consumer = ResilientQueueConsumer()


class ResilientRpcProxy(RpcProxy):
    rpc_reply_listener = ResilientReplyListener()
