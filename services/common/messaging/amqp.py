"""nameko's AMQP consumers, made to survive the broker going away.

nameko 2.14 acks and requeues only while it believes the connection alive, and ignores amqp's
ConnectionError, but a socket error (connection reset, broken pipe) from a broker that has just
died escapes; in a worker's result handler it kills the whole container, so a broker restart
took every service down with it (found by tests/faults/test_broker_restarts.py). Here the ack or
the reply that cannot be sent is logged and dropped: the message was not acknowledged, so the
broker delivers it again once the consumer reconnects, and the inbox makes that harmless.

Acks are coalesced (ADR 0021): one ``multiple`` ack settles every message of a channel up to a
delivery tag, but nameko consumes all of a service's queues on one channel, so such an ack stops
below the lowest delivery still with its worker. The acks of the workers that finish in one pass of
the hub go out together in the next.
"""

from __future__ import annotations

import logging

import eventlet
from amqp.exceptions import ConnectionError as AMQPConnectionError
from eventlet.semaphore import Semaphore
from kombu.exceptions import OperationalError
from nameko.exceptions import RemoteError, UnknownService
from nameko.messaging import QueueConsumer
from nameko.rpc import ReplyListener, Rpc, RpcConsumer, RpcProxy

log = logging.getLogger(__name__)

# the broker cannot be reached, or went away mid-call: socket errors (reset, broken pipe, refused,
# timed out, name not resolved) are OSErrors; amqp and kombu raise their own for a closed connection
BROKER_DOWN = (OSError, AMQPConnectionError, OperationalError)


class ChannelAcks:
    """One channel's deliveries still with their workers, and the acks not sent yet."""

    def __init__(self, channel):
        self.channel = channel
        self.working: set[int] = set()  # delivered, neither acked nor requeued yet
        self.waiting: dict[int, object] = {}  # acked by their workers, not sent yet

    def flush(self) -> int:
        """Sends what is waiting: one ``multiple`` ack for every waiting tag below the lowest tag
        still being worked on, one ack each for those above it (so no ack waits on a slow worker).
        Returns the frames sent."""
        low = min(self.working, default=None)
        covered = [tag for tag in self.waiting if low is None or tag < low]
        frames = 0
        if covered:
            # the highest of them was never sent, so the broker knows it; every delivery below it
            # is waiting here or already settled
            self.channel.basic_ack(max(covered), multiple=True)
            frames += 1
            for tag in covered:
                self.waiting.pop(tag)._state = "ACK"  # kombu's own record: never acked twice
        for tag in sorted(self.waiting):
            self.waiting[tag].ack()
            del self.waiting[tag]
            frames += 1
        return frames


class AckCoalescer:
    """Collects acks, per channel, until the next pass of the hub (or ``flush``)."""

    def __init__(self):
        self.channels: dict[object, ChannelAcks] = {}  # by channel: a reconnection makes a new one
        self._scheduled = False
        self._flushing = Semaphore()  # a flush blocked on the socket must not be overtaken
        self.frames = 0  # ack frames sent, for the tests and the ADR's measurement

    def _of(self, message) -> ChannelAcks:
        acks = self.channels.get(message.channel)
        if acks is None:
            acks = self.channels[message.channel] = ChannelAcks(message.channel)
        return acks

    def received(self, message) -> None:
        """Every delivery, before anything can settle it: a ``multiple`` ack stops below it."""
        self._of(message).working.add(message.delivery_tag)

    def ack(self, message) -> None:
        acks = self._of(message)
        acks.working.discard(message.delivery_tag)
        acks.waiting[message.delivery_tag] = message
        if not self._scheduled:
            self._scheduled = True
            eventlet.spawn_after(0, self.flush)

    def settled(self, message) -> None:
        """``message`` was requeued on its own."""
        self._of(message).working.discard(message.delivery_tag)

    def flush(self) -> None:
        with self._flushing:
            self._scheduled = False
            for channel, acks in list(self.channels.items()):
                if not channel.connection:  # closed: the broker has taken its messages back
                    del self.channels[channel]
                    continue
                try:
                    self.frames += acks.flush()
                except BROKER_DOWN as exc:
                    log.warning("cannot ack, the broker connection is gone (%s): it will be "
                                "redelivered", exc)
                except Exception:  # kept: the next flush tries the acks still waiting again
                    log.exception("cannot ack on channel %s", channel.channel_id)


class ResilientQueueConsumer(QueueConsumer):
    def __init__(self):
        super().__init__()
        self.acks = AckCoalescer()

    def handle_message(self, provider, body, message):
        self.acks.received(message)
        super().handle_message(provider, body, message)

    def ack_message(self, message):
        # as nameko: a message of a closed connection has already been taken back by the broker
        if message.channel.connection:
            self.acks.ack(message)

    def requeue_message(self, message):
        try:
            super().requeue_message(message)
        except BROKER_DOWN as exc:
            log.warning("cannot requeue, the broker connection is gone (%s): it will be redelivered", exc)
            return
        self.acks.settled(message)

    def on_decode_error(self, message, exc):
        """kombu's default acks an undecodable body with a log line, which loses it; an event
        handler dead-letters it instead, like any other poison (consumer.py). Other queues (RPC,
        replies) ack it as kombu would, but through the coalescer, which must see every ack."""
        self.acks.received(message)
        tag = message.delivery_info.get("consumer_tag")
        for provider, consumer in list(self._consumers.items()):
            if tag in consumer._active_tags.values() and hasattr(provider, "undecodable"):
                provider.undecodable(message, exc)
                return
        log.error("cannot decode message %s (%s): dropped", message.delivery_tag, exc)
        self.ack_message(message)


class ResilientRpcConsumer(RpcConsumer):
    queue_consumer = ResilientQueueConsumer()


class ResilientRpc(Rpc):
    rpc_consumer = ResilientRpcConsumer()

    def handle_result(self, message, worker_ctx, result, exc_info):
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        except BROKER_DOWN as exc:
            # the caller times out; the request, never acknowledged, is delivered again
            log.warning("cannot reply to %s, the broker connection is gone (%s)",
                        worker_ctx.entrypoint.method_name, exc)
            return result, exc_info


class ResilientReplyListener(ReplyListener):
    queue_consumer = ResilientQueueConsumer()


class ResilientRpcProxy(RpcProxy):
    rpc_reply_listener = ResilientReplyListener()


class ServiceProxy(ResilientRpcProxy):
    """An RPC request that expires when the caller stops waiting (RPC_TIMEOUT): a command
    answered with 503 is not carried out later, when the service comes back."""

    def setup(self):
        super().setup()
        self.options.setdefault("expiration", float(self.container.config.get("RPC_TIMEOUT", 10)))


class NoAnswer(Exception):
    """Another service gave no answer: not running, slower than RPC_TIMEOUT, or failed unexpectedly."""


def ask(config, method, **arguments):
    """One service calling another (a ServiceProxy's ``method``) as the user it acts for, within
    RPC_TIMEOUT. The other's refusals (DomainErrors) are raised as they are; no answer is NoAnswer,
    for the caller to say what that means for its own command."""
    try:
        with eventlet.Timeout(float(config.get("RPC_TIMEOUT", 10))):
            return method(**arguments)
    except (eventlet.Timeout, UnknownService, RemoteError) as exc:
        raise NoAnswer(type(exc).__name__) from None
