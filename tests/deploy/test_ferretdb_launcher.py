"""deploy/local/ferretdb/main.go: the launcher's garbage-collector defaults (ADR 0020).

The launcher runs on its SQLite backend in a temporary directory with Go's ``gctrace``, which prints
each collection's heap goal. Go's first goal is 4 MB x GOGC / 100: 64 MB at the launcher's 1600,
4 MB at Go's own 100."""

from __future__ import annotations

import os
import re
import subprocess
import threading

import pytest
from pymongo import MongoClient

from devstack.common import free_port, kill_group
from devstack.store import FERRETDB
from tests.helpers import wait_for

GOAL = re.compile(rb"(\d+) MB goal")


def first_heap_goal(tmp_path, **env) -> int:
    """Inserts into a fresh launcher until its collector has run once; that collection's goal, MB."""
    if not FERRETDB.exists():
        pytest.fail(f"{FERRETDB} is missing: `make stack-up` builds it", pytrace=False)
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k not in ("GOGC", "GOMEMLIMIT")}
    proc = subprocess.Popen([str(FERRETDB), "-listen", f"127.0.0.1:{port}", "-data", str(tmp_path),
                             "-log-level", "error"], env={**environment, **env, "GODEBUG": "gctrace=1"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    goals: list[int] = []

    def read():
        for line in proc.stderr:
            if found := GOAL.search(line):
                goals.append(int(found.group(1)))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    client = MongoClient(f"mongodb://127.0.0.1:{port}/", serverSelectionTimeoutMS=30_000)
    try:
        collection = client.launcher.documents
        filler = "x" * 2_000
        for batch in range(400):
            if goals:
                break
            collection.insert_many([{"batch": batch, "n": n, "filler": filler} for n in range(100)])
            list(collection.find({"batch": batch}))
        wait_for(lambda: goals, timeout=10, interval=0.1, what="a collection in the launcher")
        return goals[0]
    finally:
        client.close()
        kill_group(proc)


def test_the_launcher_collects_garbage_rarely_by_default(tmp_path):
    assert first_heap_goal(tmp_path) >= 32


def test_gogc_in_the_environment_wins(tmp_path):
    assert first_heap_goal(tmp_path, GOGC="100") <= 8
