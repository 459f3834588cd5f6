"""A stream of real domain events -- talent's ``cadre_registered``, one new cadre each -- and the
count of what every consumer applied: the figures the fault tests assert on.

Every consumer keeps a copy of the roster (ARCHITECTURE.md §2) whose ``applied_events`` records the
event ids applied to it; a cadre gets exactly one event, so:
- lost    = ids published (confirmed) that a consumer's copy does not record;
- doubled = ids recorded more than once (the inbox guard failing would show here);
- ignored = redeliveries the inbox recognised and ignored (from the consumers' logs).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import date

import eventlet
from kombu import Connection, Producer
from nameko.events import get_event_exchange

from services.common.messaging.events import build_envelope
from services.common.messaging.identities import broker_user
from services.talent.events import CadreRegistered

CONSUMERS = ("appraisal", "accountability", "tolerance", "care")  # of talent.cadre_registered
IGNORED_LINES = ("was already applied", "or has event")  # inbox.py's two "ignored" log lines


def cadre_events(n: int, tag: str) -> list[dict]:
    return [build_envelope(CadreRegistered, {
        "cadre_id": f"F{tag}-{i:06d}", "name": "张三", "unit_id": f"U-F{tag}", "level": "DIVISION",
        "is_leader": True, "is_principal": False, "birth_date": date(1980, 1, 2), "grassroots_years": 5,
        "service_years": 12, "revision": 1}, producer="talent") for i in range(n)]


@dataclass
class Publishing:
    """Publishes events with publisher confirms, each until confirmed: through a broker restart the
    publisher reconnects and sends again (at least once -- a consumer may see a duplicate)."""

    amqp_uri: str
    events: list[dict]
    rate: float = 0.0  # events per second; 0 = as fast as confirms allow
    confirmed: int = 0
    reconnects: int = 0
    done: bool = False
    started: float = field(default_factory=time.monotonic)

    def run(self) -> None:
        exchange = get_event_exchange("talent", {})
        connection = None
        index = 0
        while index < len(self.events):
            try:
                if connection is None:
                    connection = Connection(self.amqp_uri, transport_options={"confirm_publish": True},
                                            connect_timeout=2)
                    producer = Producer(connection.channel(), exchange=exchange, serializer="json")
                # as talent itself: consumers accept talent's events from talent's broker user only
                producer.publish(self.events[index], routing_key="cadre_registered", delivery_mode=2,
                                 user_id=broker_user(self.amqp_uri),
                                 declare=[exchange], retry=False)
            except Exception:
                self.reconnects += 1
                if connection is not None:
                    try:
                        connection.release()
                    except Exception:
                        pass
                connection = None
                eventlet.sleep(0.5)
                continue
            index += 1
            self.confirmed = index
            if self.rate:
                eventlet.sleep(max(0.0, self.started + index / self.rate - time.monotonic()))
            elif index % 200 == 0:
                eventlet.sleep(0)
        if connection is not None:
            connection.release()
        self.done = True


def new_stream(suite, n: int, rate: float = 0.0) -> Publishing:
    return Publishing(suite.broker.uris["talent"], cadre_events(n, uuid.uuid4().hex[:6]), rate=rate)


def applied(suite, service: str, stream: Publishing) -> dict[str, int]:
    """event id -> how many times the consumer's copy records it (only this stream's events)."""
    wanted = {e["event_id"] for e in stream.events}
    unit = stream.events[0]["payload"]["unit_id"]
    counts: dict[str, int] = {}
    for doc in suite.database(service).cadres.find({"unit_id": unit}, {"applied_events": 1}):
        for event_id in doc.get("applied_events", []):
            if event_id in wanted:
                counts[event_id] = counts.get(event_id, 0) + 1
    return counts


def tally(suite, stream: Publishing, consumers=CONSUMERS) -> dict[str, int]:
    lost = doubled = 0
    for service in consumers:
        counts = applied(suite, service, stream)
        lost += len(stream.events) - len(counts)
        doubled += sum(n - 1 for n in counts.values() if n > 1)
    return {"lost": lost, "doubled": doubled}


def wait_applied(suite, stream: Publishing, timeout: float, consumers=CONSUMERS) -> float:
    """Until every consumer applied every event; returns the seconds it took."""
    from tests.helpers import wait_for

    started = time.monotonic()
    wait_for(lambda: stream.done and tally(suite, stream, consumers)["lost"] == 0, timeout=timeout,
             interval=1.0, what=f"{len(stream.events)} events applied by {', '.join(consumers)}")
    return time.monotonic() - started


def ignored(suite, consumers=CONSUMERS) -> int:
    return sum(suite.count(line, *consumers) for line in IGNORED_LINES)


def redelivered(suite, consumers=CONSUMERS) -> int:
    """Deliveries the broker flagged as redelivered (consumer.py logs each)."""
    return suite.count(": redelivered event ", *consumers)
