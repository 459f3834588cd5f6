"""A small HTTP load generator: ``clients`` greenlets, each with its own keep-alive connection, sending
requests back to back for ``seconds`` (after ``warmup`` seconds not counted); prints one JSON line with
the latencies of the counted requests and the status codes.

    python -m bench.load '{"base": "http://127.0.0.1:8000", "token": "...", "clients": 25,
                           "seconds": 10, "warmup": 2, "kind": "read", "cadres": ["C1", ...]}'

``kind`` read: ``GET /cadres/<random roster cadre>``; write: ``POST /cadres`` (a new cadre each time, in
``unit``). The harness runs two of these processes (25 clients each), so the client side has a core's
worth of Python like the gateway it loads.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import http.client  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from urllib.parse import urlparse  # noqa: E402


def cadre_body(cadre_id: str, unit_id: str) -> dict:
    return {"cadre_id": cadre_id, "name": "张三", "unit_id": unit_id, "level": "DIVISION",
            "is_leader": True, "is_principal": False, "birth_date": "1980-01-02",
            "grassroots_years": 5, "service_years": 12}


def run(spec: dict) -> dict:
    target = urlparse(spec["base"])
    tokens = spec.get("tokens") or [spec["token"]]
    tag = uuid.uuid4().hex[:6]
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    sent = [0]  # every request, warm-up included (the CPU account's unit)
    counting = {"from": time.monotonic() + spec["warmup"],
                "until": time.monotonic() + spec["warmup"] + spec["seconds"]}

    def client(index: int):
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
        headers = {"Authorization": f"Bearer {tokens[index % len(tokens)]}",
                   "Content-Type": "application/json"}
        seq = 0
        while time.monotonic() < counting["until"]:
            if spec["kind"] == "read":
                method, path, body = "GET", f"/cadres/{random.choice(spec['cadres'])}", None
            else:
                seq += 1
                method, path = "POST", "/cadres"
                body = json.dumps(cadre_body(f"W{tag}-{index:02d}-{seq:06d}", spec["unit"]))
            started = time.monotonic()
            sent[0] += 1
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = str(response.status)
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
            finished = time.monotonic()
            if started >= counting["from"] and finished <= counting["until"]:
                latencies.append(finished - started)
                statuses[status] = statuses.get(status, 0) + 1
        conn.close()

    pool = eventlet.GreenPool(spec["clients"])
    for index in range(spec["clients"]):
        pool.spawn(client, index)
    pool.waitall()
    return {"latencies": latencies, "statuses": statuses, "seconds": spec["seconds"], "sent": sent[0]}


if __name__ == "__main__":
    print(json.dumps(run(json.loads(sys.argv[1]))), flush=True)
