"""What operators and orchestrators ask of a process: is it alive, is it ready, what is it doing.

One dependency, declared once on every service and the gateway (like nameko-prometheus, but with a
registry per container, so that tests can run many containers in one process). When OPS_ADDRESS
is set (``0.0.0.0:9100`` in containers) it serves:

- ``GET /health/live``: 200 while the process answers at all (a liveness probe restarts it if not);
- ``GET /health/ready``: 200 when the broker and the store both answer within READY_TIMEOUT, else
  503 naming the one that did not (a readiness probe takes the pod out of rotation meanwhile);
- ``GET /metrics``: Prometheus text: calls and duration per entrypoint and outcome, workers
  running, and the outbox backlog read from the store at scrape time.
"""

from __future__ import annotations

import json
import logging
import time
from weakref import WeakKeyDictionary

import eventlet
from eventlet import wsgi
from kombu import Connection
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.timer import Timer
from nameko.web.handlers import HttpRequestHandler
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import generate_latest
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from services.common.clock import utcnow
from services.common.errors import DomainError, Unavailable
from services.common.messaging.outbox import Outbox
from services.common.messaging.reads import road_of
from services.common.ops.counters import ProcessCounters
from services.common.storage.store import MongoStore

log = logging.getLogger(__name__)

LIVENESS_PATH = "/health/live"
READINESS_PATH = "/health/ready"
METRICS_PATH = "/metrics"
READY_TIMEOUT = 2.0  # seconds per dependency; probes time out at 5
# RPCs answer in milliseconds; imports and slow stores take seconds
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


def outcome_of(exc: BaseException | None) -> str:
    """``ok``; ``refused`` for what the caller caused (a domain error: not found, a rule, a denial),
    which is normal traffic; ``error`` for the rest, a dependency that did not answer included. An
    alert on ``error`` then means something is wrong with the suite, not with its callers."""
    if exc is None:
        return "ok"
    if isinstance(exc, HTTPException):  # werkzeug's refusals in the gateway: a body too large
        return "refused" if (exc.code or 500) < 500 else "error"
    return "refused" if isinstance(exc, DomainError) and not isinstance(exc, Unavailable) else "error"


def worker_kind(worker_ctx) -> str:
    """The entrypoint's kind; ``read`` for an RPC method called on the read port, not through the broker
    (messaging/reads.py)."""
    return road_of(worker_ctx) or entrypoint_kind(worker_ctx.entrypoint)


def entrypoint_kind(entrypoint) -> str:
    for cls, kind in ((Rpc, "rpc"), (EventHandler, "event"), (HttpRequestHandler, "http"),
                      (Timer, "timer")):
        if isinstance(entrypoint, cls):
            return kind
    return type(entrypoint).__name__.lower()


def parse_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host or "0.0.0.0", int(port)


class OutboxBacklog:
    """A collector: the events written but not yet published, counted when Prometheus asks."""

    def __init__(self, ops: Ops):
        self.ops = ops

    @staticmethod
    def describe():
        """Its names, so that a scrape asking for other metrics (``name[]``) does not query the store."""
        return [GaugeMetricFamily("cadre_outbox_backlog",
                                  "Events written to the store and not yet published", labels=["service"]),
                GaugeMetricFamily("cadre_outbox_oldest_seconds",
                                  "Age of the oldest event not yet published (0: none waits)",
                                  labels=["service"])]

    def collect(self):
        outbox = self.ops.sibling(Outbox)
        if outbox is None:
            return
        family, age = self.describe()
        try:
            with eventlet.Timeout(READY_TIMEOUT):
                count, oldest = outbox.backlog_state()
        except (Exception, eventlet.Timeout) as exc:  # a scrape must not fail on a down store
            log.debug("outbox backlog unavailable: %s", exc)
            return
        service = self.ops.container.service_name
        family.add_metric([service], count)
        age.add_metric([service], max(0.0, (utcnow() - oldest).total_seconds()) if oldest else 0.0)
        yield family
        yield age


class Ops(DependencyProvider):
    def setup(self):
        config = self.container.config
        self.amqp_uri = config[AMQP_URI_CONFIG_KEY]
        self.address = config.get("OPS_ADDRESS") or None
        self.registry = CollectorRegistry()
        self.calls = Counter("cadre_entrypoint_calls", "Entrypoint calls by outcome: ok, refused or error",
                             ["service", "entrypoint", "method", "outcome"], registry=self.registry)
        self.duration = Histogram("cadre_entrypoint_duration_seconds", "Entrypoint duration",
                                  ["service", "entrypoint", "method"], buckets=BUCKETS,
                                  registry=self.registry)
        self.running = Gauge("cadre_workers_running", "Workers running now", ["service"],
                             registry=self.registry)
        # the gateway's answers by route template and status class (2xx, 4xx, 5xx)
        self.http_requests = Counter("cadre_http_requests", "HTTP requests answered",
                                     ["route", "method", "status_class"], registry=self.registry)
        self.http_duration = Histogram("cadre_http_request_duration_seconds",
                                       "HTTP request duration, admission to answer",
                                       ["route", "method"], buckets=BUCKETS, registry=self.registry)
        ProcessCollector(registry=self.registry)  # CPU, memory, open files of this process
        self.registry.register(OutboxBacklog(self))
        self.registry.register(ProcessCounters())  # retries, dead letters, RPC timeouts … (counters.py)
        # labelled children looked up once: prometheus takes a lock and builds a key on every labels()
        self._running = self.running.labels(self.container.service_name)
        self._children: dict[tuple, tuple] = {}
        self._started: WeakKeyDictionary = WeakKeyDictionary()
        self._sock = None
        self._server = None

    def start(self):
        if self.address:
            # eventlet listens with SO_REUSEPORT unless told not to: a port another process holds would be
            # shared without a word, the kernel spreading probes and scrapes over both. Taken is an error
            self._sock = eventlet.listen(parse_address(self.address), reuse_port=False)
            self._server = self.container.spawn_managed_thread(self._serve, identifier="ops.server")
            log.info("%s: ops endpoints on http://%s", self.container.service_name, self.address)

    def stop(self):
        if self._server is not None:
            self._server.kill()
            self._server = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def kill(self):
        self.stop()

    @property
    def port(self) -> int | None:
        return self._sock.getsockname()[1] if self._sock is not None else None

    def sibling(self, kind: type):
        """Another dependency of this container (the store, the outbox), if it has one."""
        return next((d for d in self.container.dependencies if isinstance(d, kind)), None)

    # metrics per worker

    def worker_setup(self, worker_ctx):
        self._started[worker_ctx] = time.perf_counter()
        self._running.inc()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, None)
        self._running.dec()
        outcome = outcome_of(exc_info[1] if exc_info else None)
        calls, duration = self._metrics_of(worker_ctx, outcome)
        calls.inc()
        if started is not None:
            duration.observe(time.perf_counter() - started)

    def http_answered(self, method: str, route: str, status: int, seconds: float) -> None:
        key = ("http", method, route, status // 100)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = (
                self.http_requests.labels(route, method, f"{status // 100}xx"),
                self.http_duration.labels(route, method))
        found[0].inc()
        found[1].observe(seconds)

    def _metrics_of(self, worker_ctx, outcome: str) -> tuple:
        kind = worker_kind(worker_ctx)
        key = (worker_ctx.entrypoint, kind, outcome)
        found = self._children.get(key)
        if found is None:
            labels = (self.container.service_name, kind, worker_ctx.entrypoint.method_name)
            found = self._children[key] = (self.calls.labels(*labels, outcome),
                                           self.duration.labels(*labels))
        return found

    # the HTTP side

    def _serve(self):
        wsgi.server(self._sock, self._app, log=log, log_output=False, debug=False)

    def _app(self, environ, start_response):
        request = Request(environ)
        if request.method != "GET":
            response = Response(status=405)
        elif request.path == LIVENESS_PATH:
            response = self._json(200, {"service": self.container.service_name, "status": "alive"})
        elif request.path == READINESS_PATH:
            checks = self.readiness()
            ready = all(state == "ok" for state in checks.values())
            response = self._json(200 if ready else 503, {
                "service": self.container.service_name, "status": "ready" if ready else "not ready",
                "checks": checks})
        elif request.path == METRICS_PATH:
            # ?name[]=… as Prometheus's own handler: only those metrics, and only their collectors run
            names = request.args.getlist("name[]")
            registry = self.registry.restricted_registry(names) if names else self.registry
            response = Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
        else:
            response = Response(status=404)
        return response(environ, start_response)

    @staticmethod
    def _json(status: int, body: dict) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json")

    def readiness(self) -> dict[str, str]:
        checks = {"broker": self._check(self._broker)}
        store = self.sibling(MongoStore)
        if store is not None:
            checks["store"] = self._check(lambda: store.store.ping())
        return checks

    @staticmethod
    def _check(probe) -> str:
        try:
            with eventlet.Timeout(READY_TIMEOUT):
                probe()
        except (Exception, eventlet.Timeout) as exc:
            return f"unreachable: {type(exc).__name__}"
        return "ok"

    def _broker(self):
        with Connection(self.amqp_uri, connect_timeout=READY_TIMEOUT) as connection:
            connection.ensure_connection(max_retries=1)
