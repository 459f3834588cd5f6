"""The raw kombu baseline's consumer, a process of its own (bench/baselines.py): prefetch 100, one ack
per message; prints ``ready`` once consuming, then one JSON line: count, last arrival, lags.

    python -m bench.rawconsumer AMQP_URI QUEUE N
"""

from __future__ import annotations

import json
import sys
import time

from kombu import Connection, Queue

PREFETCH = 100


def main(uri: str, queue: str, n: int) -> None:
    lags: list[float] = []
    state = {"last": 0.0}

    def on_message(body, message):
        state["last"] = time.time()
        lags.append(state["last"] - body["sent_at"])
        message.ack()

    with Connection(uri) as conn:
        channel = conn.channel()
        channel.basic_qos(0, PREFETCH, False)
        with conn.Consumer(Queue(queue, durable=True), channel=channel, callbacks=[on_message],
                           accept=["json"]):
            print("ready", flush=True)
            deadline = time.time() + max(60, n / 100)
            while len(lags) < n and time.time() < deadline:
                try:
                    conn.drain_events(timeout=1)
                except TimeoutError:
                    continue
    print(json.dumps({"count": len(lags), "last": state["last"], "lags": lags}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
