"""Publishing a batch with one wait for the broker's confirms (ARCHITECTURE.md §3; ADR 0014).

nameko's Publisher waits for the broker's ``basic.ack`` after every message: a round trip to a disk
sync per event. The outbox relay instead keeps one channel in confirm mode, publishes a whole batch
(persistent, mandatory) and then waits until every delivery tag of it is confirmed. A message counts as
sent only when the broker acked it and did not return it: RabbitMQ sends ``basic.return`` for an
unroutable mandatory message before its ``basic.ack``, and a ``basic.nack`` means it may not be stored.
Anything not counted as sent stays in the outbox, so a failure anywhere here means "publish again".
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import amqp
from kombu import Connection

from services.common.messaging.identities import broker_user

log = logging.getLogger(__name__)

ACKED, RETURNED, NACKED = "acked", "returned", "nacked"
DEFAULT_CONFIRM_TIMEOUT = 10.0


class ConfirmTimeout(ConnectionError):
    """The broker did not confirm a batch in time: treated as the broker being down."""


@dataclass
class Outgoing:
    """One message of a batch: ``key`` is the caller's (the event id), echoed in the outcome;
    ``body`` is already JSON, so a message that cannot be encoded fails before anything is sent."""

    key: str
    routing_key: str
    body: str
    headers: dict = field(default_factory=dict)


class Confirms:
    """Outcomes of the delivery tags of one batch on one channel."""

    def __init__(self, first_tag: int, keys: list[str]):
        self.first_tag = first_tag
        self.keys = keys
        self.outcome: dict[str, str] = {}
        self.returned: set[str] = set()

    def _settle(self, tag: int, multiple: bool, outcome: str):
        low = self.first_tag if multiple else tag
        for t in range(max(low, self.first_tag), min(tag, self.first_tag + len(self.keys) - 1) + 1):
            key = self.keys[t - self.first_tag]
            if key not in self.outcome:
                self.outcome[key] = RETURNED if (outcome == ACKED and key in self.returned) else outcome

    def ack(self, tag, multiple):
        self._settle(tag, multiple, ACKED)

    def nack(self, tag, multiple):
        self._settle(tag, multiple, NACKED)

    def on_return(self, exc, exchange, routing_key, message):
        self.returned.add(message.properties.get("message_id"))

    @property
    def settled(self) -> bool:
        return len(self.outcome) == len(self.keys)


class BatchPublisher:
    """One long-lived connection and confirm-mode channel to an exchange; not shared between threads
    (the outbox serialises its relay runs)."""

    def __init__(self, amqp_uri: str, exchange, timeout: float = DEFAULT_CONFIRM_TIMEOUT):
        self.amqp_uri = amqp_uri
        self.exchange = exchange
        self.timeout = timeout
        # RabbitMQ checks user_id against the connection's user: consumers rely on it (consumer.py)
        self.user_id = broker_user(amqp_uri)
        self._conn: Connection | None = None
        self._channel = None
        self._next_tag = 1
        self._confirms: Confirms | None = None

    def _open(self):
        if self._channel is not None:
            return
        conn = Connection(self.amqp_uri)
        try:
            conn.connect()
            channel = conn.channel()
            self.exchange(channel).declare()  # idempotent; a fresh broker may not have it yet
            channel.confirm_select()
        except BaseException:
            conn.release()
            raise
        # the callbacks find the batch in flight; a tag outside it (none should come) is ignored
        channel.events["basic_ack"].add(lambda tag, multiple: self._confirms and
                                        self._confirms.ack(tag, multiple))
        channel.events["basic_nack"].add(lambda tag, multiple: self._confirms and
                                         self._confirms.nack(tag, multiple))
        channel.events["basic_return"].add(lambda *args: self._confirms and
                                           self._confirms.on_return(*args))
        self._conn, self._channel, self._next_tag = conn, channel, 1

    def publish(self, batch: list[Outgoing]) -> dict[str, str]:
        """Publish ``batch`` and wait for its confirms: ``{key: acked | returned | nacked}``.

        Raises (broker errors, ConfirmTimeout) with the connection closed: then nothing of the batch
        may be taken as sent."""
        if not batch:
            return {}
        try:
            self._open()
            self._confirms = Confirms(self._next_tag, [m.key for m in batch])
            for message in batch:
                self._channel.basic_publish(
                    amqp.Message(message.body, content_type="application/json",
                                 content_encoding="utf-8", delivery_mode=2, message_id=message.key,
                                 user_id=self.user_id, application_headers=message.headers),
                    exchange=self.exchange.name, routing_key=message.routing_key, mandatory=True)
                self._next_tag += 1
            deadline = time.monotonic() + self.timeout
            while not self._confirms.settled:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ConfirmTimeout(f"the broker confirmed {len(self._confirms.outcome)} of "
                                         f"{len(batch)} messages within {self.timeout} s")
                try:
                    self._conn.drain_events(timeout=remaining)
                except TimeoutError:
                    continue
            return dict(self._confirms.outcome)
        except BaseException:
            self.close()
            raise
        finally:
            self._confirms = None

    def close(self):
        conn, self._conn, self._channel = self._conn, None, None
        if conn is not None:
            try:
                conn.release()
            except Exception as exc:
                # closing a connection that already broke: the batch's events are still in the
                # outbox (nothing counted as sent), so there is nothing to lose here
                log.debug("closing the relay's broker connection: %s", exc)
