"""The bare nameko baselines: what nameko itself does on this broker, with no store and no chassis.

- ``bare_producer.emit(n)`` dispatches ``n`` events with nameko's ``EventDispatcher`` (publisher confirms
  on, persistent, one confirm waited for per event -- nameko's default), each carrying its send time;
- ``bare_consumer`` receives them with a plain ``@event_handler`` (service pool, reliable delivery: a
  durable queue, acked after the handler) and keeps arrival count, times and lags;
- ``bare_consumer.ping()`` is the bare RPC round trip.

Both run as `nameko run` processes with the suite's config.yaml (same ``max_workers``, so the same
prefetch), like the services they are compared with.
"""

from __future__ import annotations

import time

from nameko.events import SERVICE_POOL, EventDispatcher, event_handler
from nameko.rpc import rpc

SOURCE = "bare_producer"
EVENT = "tick"


class BareProducer:
    name = SOURCE
    dispatch = EventDispatcher()

    @rpc
    def emit(self, n, tag):
        started = time.time()
        for seq in range(n):
            self.dispatch(EVENT, {"seq": seq, "tag": tag, "sent_at": time.time()})
        return {"started": started, "finished": time.time()}


class BareConsumer:
    name = "bare_consumer"
    received: dict[str, dict] = {}  # per tag: count, first, last, lags (one process, one instance)

    @event_handler(SOURCE, EVENT, handler_type=SERVICE_POOL, reliable_delivery=True)
    def on_tick(self, payload):
        now = time.time()
        seen = self.received.setdefault(payload["tag"], {"count": 0, "first": now, "last": now, "lags": []})
        seen["count"] += 1
        seen["last"] = now
        seen["lags"].append(now - payload["sent_at"])

    @rpc
    def stats(self, tag, with_lags=False):
        seen = self.received.get(tag) or {"count": 0, "first": None, "last": None, "lags": []}
        return {**seen, "lags": seen["lags"] if with_lags else []}

    @rpc
    def ping(self, value=None):
        return value
