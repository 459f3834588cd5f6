"""Baselines, measured in the same run on the same private broker as the suite figures.

raw kombu, ``publish with confirms -> ack-consume``: the publisher (this process) sends ``n`` persistent
messages of about an event envelope's size to a durable classic queue; a consumer in a process of its
own (``python -m bench.baselines consume``, prefetch 100, one ack per message) receives them. Two ways
of waiting for the broker's confirms:

- ``per_message``: kombu's ``confirm_publish`` transport option -- py-amqp waits for the broker's
  ``basic.ack`` after every ``basic.publish`` (what nameko's Publisher and the outbox relay do);
- ``batched``: the channel in confirm mode (``confirm.select``), ``batch`` messages published without
  waiting, then the connection drained until the broker acked every one of them (delivery tags, with
  ``multiple``); the next batch only after that. Nothing is considered sent before its ack.

Figures: end-to-end events/s = n / (last consumed - first published), and the lag from publish to
consume (p50/p99). The bare nameko pipeline and RPC round trip are in ``bare_pipeline`` and
``bare_rpc`` (services in bench/bare.py, run as processes like the suite's).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from urllib.parse import unquote, urlparse

import amqp
import eventlet
from kombu import Connection, Exchange, Producer, Queue

from bench.report import percentile
from bench.stack import ROOT, BenchError, PrivateStack, wait_until

BODY_PAD = "x" * 600  # an event envelope is ~700 bytes of JSON


def _publish_per_message(uri: str, queue: str, n: int) -> float:
    exchange = Exchange("", type="direct")
    with Connection(uri, transport_options={"confirm_publish": True}) as conn:
        producer = Producer(conn.channel(), exchange=exchange, serializer="json")
        first = time.time()
        for seq in range(n):
            producer.publish({"seq": seq, "sent_at": time.time(), "pad": BODY_PAD}, routing_key=queue,
                             delivery_mode=2, retry=False)
    return first


class Confirms:
    """The broker's confirms on one channel: ``count`` is how many of tags 1..n are confirmed in a row
    (``multiple`` acks cover every lower tag; single ones may come in any order)."""

    def __init__(self):
        self.count = 0
        self.singles: set[int] = set()
        self.nacked: list[int] = []

    def ack(self, tag, multiple):
        if multiple:
            self.count = max(self.count, tag)
        else:
            self.singles.add(tag)
        while self.count + 1 in self.singles:
            self.count += 1
            self.singles.discard(self.count)
        self.singles = {t for t in self.singles if t > self.count}

    def nack(self, tag, multiple):
        self.nacked.append(tag)


def publish_batched(uri: str, routing_key: str, bodies, batch: int, exchange: str = "") -> float:
    """Publish JSON ``bodies`` (persistent) in batches, each batch's confirms awaited before the next;
    returns the time the first was sent. Bodies may be callables (built at send time)."""
    parts = urlparse(uri)
    user = unquote(parts.username or "guest")
    conn = amqp.Connection(f"{parts.hostname}:{parts.port or 5672}", userid=user,
                           password=unquote(parts.password or "guest"),
                           virtual_host=unquote(parts.path[1:]) or "/")
    conn.connect()
    try:
        channel = conn.channel()
        channel.confirm_select()
        confirms = Confirms()
        channel.events["basic_ack"].add(confirms.ack)
        channel.events["basic_nack"].add(confirms.nack)
        first = time.time()
        sent = 0
        bodies = list(bodies)
        while sent < len(bodies):
            for body in bodies[sent:sent + batch]:
                text = body() if callable(body) else body
                # user_id, checked by RabbitMQ: consumers accept events from their producer only
                channel.basic_publish(amqp.Message(text, delivery_mode=2, content_type="application/json",
                                                   content_encoding="utf-8",
                                                   user_id=user),
                                      exchange=exchange, routing_key=routing_key)
                sent += 1
            while confirms.count < sent:  # delivery tags are 1..sent
                conn.drain_events(timeout=10)
            if confirms.nacked:
                raise BenchError(f"the broker nacked {len(confirms.nacked)} messages")
        return first
    finally:
        conn.close()


def _publish_batched(uri: str, queue: str, n: int, batch: int) -> float:
    def body(seq):
        return lambda: json.dumps({"seq": seq, "sent_at": time.time(), "pad": BODY_PAD})
    return publish_batched(uri, queue, [body(seq) for seq in range(n)], batch)


def raw_kombu(stack: PrivateStack, n: int, batch: int | None) -> dict:
    """One run: a fresh queue, the consumer process, ``n`` messages; events/s and lag."""
    queue = f"bench.raw.{uuid.uuid4().hex[:8]}"
    with Connection(stack.amqp_uri) as conn:
        Queue(queue, durable=True)(conn.channel()).declare()
    consumer = subprocess.Popen([sys.executable, "-m", "bench.rawconsumer", stack.amqp_uri, queue, str(n)],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if consumer.stdout.readline().strip() != "ready":
            raise BenchError(f"raw consumer did not start: {consumer.stderr.read()[-2000:]}")
        if batch:
            first = _publish_batched(stack.amqp_uri, queue, n, batch)
        else:
            first = _publish_per_message(stack.amqp_uri, queue, n)
        published = time.time()
        out, err = consumer.communicate(timeout=max(60, n / 100))
    finally:
        if consumer.poll() is None:
            consumer.kill()
    result = json.loads(out.strip().splitlines()[-1])
    if result["count"] != n:
        raise BenchError(f"raw consumer received {result['count']} of {n}: {err[-2000:]}")
    with Connection(stack.amqp_uri) as conn:
        conn.channel().queue_delete(queue)
    seconds = result["last"] - first
    return {"events": n, "seconds": seconds, "events_per_s": n / seconds,
            "publish_per_s": n / (published - first),
            "lag_p50_ms": percentile(result["lags"], 50) * 1000,
            "lag_p99_ms": percentile(result["lags"], 99) * 1000}


# the bare nameko pipeline and RPC (bench/bare.py)

def start_bare(stack: PrivateStack):
    procs = stack.processes("bare")
    procs.start("bare_producer", "bare_consumer")
    from nameko.standalone.rpc import ClusterRpcProxy

    config = {"AMQP_URI": stack.amqp_uri, "serializer": "json"}

    def answers():
        try:
            with ClusterRpcProxy(config, timeout=3) as rpc:
                rpc.bare_consumer.ping(1)
                rpc.bare_producer.emit(0, "warm")
            return True
        except Exception:
            for name in ("bare_producer", "bare_consumer"):
                if procs.procs[name].poll() is not None:
                    raise BenchError(f"{name} exited:\n{procs.log_tail(name)}") from None
            return False

    wait_until(answers, 90, "the bare nameko services", interval=0.5)
    return procs, config


def bare_pipeline(config: dict, n: int) -> dict:
    """EventDispatcher -> @event_handler, n events from one dispatching worker."""
    from nameko.standalone.rpc import ClusterRpcProxy

    tag = uuid.uuid4().hex[:8]
    with ClusterRpcProxy(config, timeout=max(60, n / 50)) as rpc:
        sent = rpc.bare_producer.emit(n, tag)
        stats = wait_until(lambda: (s := rpc.bare_consumer.stats(tag))["count"] >= n and s,
                           max(60, n / 50), f"{n} bare events", interval=0.1)
        stats = rpc.bare_consumer.stats(tag, with_lags=True)
    if stats["count"] != n:
        raise BenchError(f"bare consumer counted {stats['count']} of {n}")
    seconds = stats["last"] - sent["started"]
    return {"events": n, "seconds": seconds, "events_per_s": n / seconds,
            "publish_per_s": n / (sent["finished"] - sent["started"]),
            "lag_p50_ms": percentile(stats["lags"], 50) * 1000,
            "lag_p99_ms": percentile(stats["lags"], 99) * 1000}


def bare_rpc(config: dict, clients: int, seconds: float, warmup: float = 2.0) -> dict:
    """``clients`` greenlets, each with its own standalone proxy, calling ``ping`` for ``seconds``."""
    from nameko.standalone.rpc import ClusterRpcProxy

    latencies: list[float] = []
    stop_at = {"t": 0.0}

    def client():
        with ClusterRpcProxy(config, timeout=30) as rpc:
            rpc.bare_consumer.ping(0)
            while time.monotonic() < stop_at["t"]:
                started = time.monotonic()
                rpc.bare_consumer.ping(0)
                latencies.append(time.monotonic() - started)

    stop_at["t"] = time.monotonic() + seconds + warmup  # the proxies' own set-up is not counted
    pool = eventlet.GreenPool(clients)
    threads = [pool.spawn(client) for _ in range(clients)]
    eventlet.sleep(warmup)
    del latencies[:]
    counted_from = time.monotonic()
    for thread in threads:
        thread.wait()
    elapsed = time.monotonic() - counted_from
    return {"clients": clients, "requests": len(latencies), "requests_per_s": len(latencies) / elapsed,
            "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000}


def stop_bare(procs) -> None:
    procs.stop()


__all__ = ["bare_pipeline", "bare_rpc", "raw_kombu", "start_bare", "stop_bare"]

