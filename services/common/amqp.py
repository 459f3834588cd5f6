"""nameko's AMQP consumers, made to survive the broker going away.

nameko 2.14 acks and requeues only while it believes the connection alive, and ignores amqp's
ConnectionError, but a socket error (connection reset, broken pipe) from a broker that has just
died escapes; in a worker's result handler it kills the whole container, so a broker restart
took every service down with it (found by tests/faults/test_broker_restarts.py). Here the ack or
the reply that cannot be sent is logged and dropped: the message was not acknowledged, so the
broker delivers it again once the consumer reconnects, and the inbox makes that harmless.
"""

from __future__ import annotations

import logging

from amqp.exceptions import ConnectionError as AMQPConnectionError
from kombu.exceptions import OperationalError
from nameko.messaging import QueueConsumer
from nameko.rpc import ReplyListener, Rpc, RpcConsumer, RpcProxy

log = logging.getLogger(__name__)

BROKER_GONE = (OSError, AMQPConnectionError, OperationalError)  # socket errors are OSErrors


class ResilientQueueConsumer(QueueConsumer):
    def ack_message(self, message):
        try:
            super().ack_message(message)
        except BROKER_GONE as exc:
            log.warning("cannot ack, the broker connection is gone (%s): it will be redelivered", exc)

    def requeue_message(self, message):
        try:
            super().requeue_message(message)
        except BROKER_GONE as exc:
            log.warning("cannot requeue, the broker connection is gone (%s): it will be redelivered", exc)

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
