"""A private stack for the benchmarks: a RabbitMQ node and a FerretDB of their own on free ports (devstack's
``Broker`` and ``PrivateStore``, as the fault suite has), and the suite's processes on them, so that
nothing else on the machine disturbs the figures and the figures disturb nothing else.

Each benchmark starts the processes it needs with a fresh database prefix and stops them afterwards;
devstack's ``Processes`` runs any number of instances of a service (``tolerance#2``), each with its own
ops port.
"""

from __future__ import annotations

import json
import os
import platform
import re
import secrets
import time
import uuid
from pathlib import Path
from typing import NamedTuple

from kombu import Connection
from pymongo import MongoClient

from devstack.common import StackError, free_port, kill_group, wait_until
from devstack.processes import PROCESSES, Processes
from devstack.rabbit import Broker
from devstack.store import PrivateStore
from gateway.auth import issue_token

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("talent", "appraisal", "accountability", "tolerance", "care")
BARE = {"bare_producer": "bench.bare:BareProducer", "bare_consumer": "bench.bare:BareConsumer"}


# the harness could not do what it set out to (not a slow figure: those never fail)
BenchError = StackError


def cpu_times() -> tuple[float, float]:
    """The machine's (busy, total) CPU time so far, from /proc/stat."""
    # user nice system idle iowait irq softirq steal, then guest and guest_nice, which user and nice hold
    user, nice, system, idle, iowait, irq, softirq, steal = (
        [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]] + [0.0] * 8)[:8]
    busy = user + nice + system + irq + softirq
    return busy, busy + idle + iowait + steal


def settle(max_s: float, busy_below: float = 0.15, quiet_s: float = 3.0, interval: float = 0.5,
           read=cpu_times, clock=time.monotonic, sleep=time.sleep) -> tuple[float, bool]:
    """Wait until the machine is quiet -- CPU busy below ``busy_below`` for ``quiet_s`` in a row -- so that a
    figure does not carry the previous one's cleanup (PostgreSQL's autovacuum and checkpoints after large
    inserts and dropped databases, seen to move a figure by a third). Gives up after ``max_s``; returns
    (seconds waited, whether it settled)."""
    started = clock()
    quiet_since = None
    busy, total = read()
    while True:
        sleep(interval)
        now = clock()
        busy2, total2 = read()
        share = (busy2 - busy) / (total2 - total) if total2 > total else 0.0
        busy, total = busy2, total2
        quiet_since = (quiet_since if quiet_since is not None else now - interval) \
            if share < busy_below else None
        if quiet_since is not None and now - quiet_since >= quiet_s:
            return now - started, True
        if now - started >= max_s:
            return now - started, False


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")  # the unit of /proc's CPU times


class Proc(NamedTuple):
    name: str
    parent: int
    cpu: float  # seconds used by it and by the children it has waited for
    started: int  # clock ticks after boot: a pid used again is a new process


def process_table(proc: Path = Path("/proc")) -> dict[int, Proc]:
    """Every process now, by pid."""
    table = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:  # ended meanwhile
            continue
        close = text.rindex(")")  # the name may hold spaces and parentheses
        # state, ppid, ... utime (11), stime, cutime, cstime (14), ... starttime (19)
        fields = text[close + 2:].split()
        table[int(entry.name)] = Proc(text[text.index("(") + 1:close], int(fields[1]),
                                      sum(int(x) for x in fields[11:15]) / CLOCK_TICKS, int(fields[19]))
    return table


# PostgreSQL is the stack's own (started by `make stack-up`, not by the harness): found by name
BY_NAME = {"postgres": "PostgreSQL"}


def cpu_by_group(before: dict, after: dict, roots: dict[int, str],
                 by_name: dict[str, str] = BY_NAME) -> dict[str, float]:
    """CPU seconds each group of processes used between two ``process_table`` readings. A process belongs
    to its nearest ancestor (itself included) in ``roots``, else to the group ``by_name`` gives its name,
    else to "other". It counts what it and the children it waited for used since ``before`` (all of it if it
    started since), so a process that ended in between counts in the parent that waited for it -- less what
    it had used before ``before``, which its parent's count takes in whole."""
    def group(pid: int) -> str:
        seen, at = set(), pid
        while at in after and at not in seen:
            if at in roots:
                return roots[at]
            seen.add(at)
            at = after[at].parent
        return by_name.get(after[pid].name, "other")

    spent: dict[str, float] = {}
    for pid, now in after.items():
        earlier = before.get(pid)
        # the same process (its start time, not its name: a kernel worker's name says what it is doing)
        same = earlier is not None and earlier.started == now.started
        key = group(pid)
        spent[key] = spent.get(key, 0.0) + (now.cpu - earlier.cpu if same else now.cpu)
    for pid, gone in before.items():
        if pid in after and after[pid].started == gone.started:
            continue  # still there
        parent = after.get(gone.parent)
        waited = before.get(gone.parent)
        if parent is not None and waited is not None and parent.started == waited.started:
            key = group(gone.parent)
            spent[key] = spent.get(key, 0.0) - gone.cpu
    return spent


class CpuWindow:
    """What a figure's work cost in CPU, by process: readings of /proc at its start and its end (taken while
    the processes measured still run). Per unit of work, in ms, with the machine's own busy time beside it
    (what no process accounts for: interrupts, and processes that ended unwaited)."""

    def __init__(self, roots: dict[int, str], read=process_table, machine=cpu_times):
        self.roots, self.read, self.machine = roots, read, machine
        self.table, self.busy = read(), machine()[0]

    def close(self, work: int, unit: str) -> dict:
        """The account; per unit of work only when there was work (a smoke drain can be over before the
        window opens)."""
        after, busy = self.read(), self.machine()[0]
        spent = cpu_by_group(self.table, after, self.roots)
        busy_s = (busy - self.busy) / CLOCK_TICKS
        per = 1000 / work if work > 0 else None
        return {"work": work, "unit": unit, "machine_busy_s": busy_s,
                "ms_per_unit": None if per is None else
                {k: v * per for k, v in sorted(spent.items(), key=lambda kv: -kv[1])},
                "machine_ms_per_unit": None if per is None else busy_s * per}


class PrivateStack:
    """Broker + store of the harness's own, and helpers to run the suite on them."""

    def __init__(self, base: Path):
        self.base = base
        base.mkdir(parents=True, exist_ok=True)
        self.broker = Broker(base / "rabbitmq")
        self.store: PrivateStore | None = None
        self.secret = secrets.token_urlsafe(32)
        self._mongo: MongoClient | None = None

    def start(self) -> None:
        if not os.environ.get("STACK_POSTGRESQL_URL"):
            raise BenchError("STACK_POSTGRESQL_URL is not set: run `make stack-up` and source "
                             ".stack/env (`make bench` does both)")
        self.store = PrivateStore(self.base / "store")
        self.broker.start()
        self.store.start()
        self._mongo = MongoClient(self.store.uri, tz_aware=True)

    def stop(self) -> None:
        if self._mongo is not None:
            self._mongo.close()
        self.broker.stop()
        if self.store is not None:
            self.store.stop()
            self.store.drop()

    @property
    def mongo(self) -> MongoClient:
        return self._mongo

    @property
    def amqp_uri(self) -> str:
        return self.broker.uri

    def env(self, prefix: str, **overrides: str) -> dict[str, str]:
        """The processes' environment: config.yaml's defaults (as `make run` has them) on this stack."""
        return {
            **os.environ,
            "AMQP_URI": self.broker.uri,
            "MONGODB_URI": self.store.uri,
            "MONGODB_DATABASE_PREFIX": prefix,
            "GATEWAY_ADDRESS": f"127.0.0.1:{free_port()}",
            "AUTH_SECRET": self.secret,
            "PYTHONWARNINGS": "ignore",
            "LOG_LEVEL": "WARNING",
            **overrides,
        }

    def processes(self, name: str, **overrides: str) -> Processes:
        """A fresh set of processes (none started) on fresh databases ``bench<id>_<service>``."""
        prefix = f"b{uuid.uuid4().hex[:8]}_"
        log_dir = self.base / "logs" / f"{name}-{prefix.rstrip('_')}"
        log_dir.mkdir(parents=True, exist_ok=True)
        return Processes(self.env(prefix, **overrides), log_dir, self.broker.uris,
                         targets={**PROCESSES, **BARE})

    def cpu_window(self, procs: Processes | None = None, others: dict[int, str] | None = None) -> CpuWindow:
        """A CPU reading by process: the broker, FerretDB, PostgreSQL, ``procs``' services, ``others`` (pid:
        group), and the harness with what it started besides (the load generators, which the gateway figure
        includes)."""
        return CpuWindow({os.getpid(): "harness", self.broker.proc.pid: "RabbitMQ",
                          self.store.proc.pid: "FerretDB", **(procs.cpu_roots() if procs else {}),
                          **(others or {})})

    def database(self, procs: Processes, service: str):
        return self._mongo[f"{procs.env['MONGODB_DATABASE_PREFIX']}{service}"]

    def drop_databases(self, procs: Processes) -> None:
        prefix = procs.env["MONGODB_DATABASE_PREFIX"]
        for name in self._mongo.list_database_names():
            if name.startswith(prefix):
                self._mongo.drop_database(name)

    def queue_names(self) -> list[str]:
        return [n for n in self.broker.ctl("list_queues", "-q", "--no-table-headers", "name").split()
                if n and not n.startswith("amq.")]

    def purge_queues(self) -> int:
        """Empty every queue, so that a backlog one benchmark left cannot reach the next."""
        names = self.queue_names()
        purged = 0
        with Connection(self.broker.uri) as conn:
            channel = conn.channel()
            for name in names:
                try:
                    purged += channel.queue_purge(name) or 0
                except Exception:
                    channel = conn.channel()
        return purged

    def wait_queues_empty(self, timeout: float) -> float:
        """Until no queue holds a message (the consumers caught up); returns the seconds waited."""
        started = time.monotonic()

        def empty():
            out = self.broker.ctl("list_queues", "-q", "--no-table-headers", "name", "messages")
            depths = [line.split()[-1] for line in out.splitlines() if line.split()]
            return all(int(depth) == 0 for depth in depths if depth.isdigit())

        wait_until(empty, timeout, "every queue to be empty", interval=1.0)
        return time.monotonic() - started

    def wait_none_ready(self, names: list[str], timeout: float) -> None:
        """Until none of ``names`` holds a message ready for its consumers, asked over AMQP: cheap enough to
        run inside a CPU window, where `rabbitmqctl` (an Erlang VM a call) is not. Messages delivered and
        not yet acked are not seen: ``wait_queues_empty`` waits for those."""
        with Connection(self.broker.uri) as conn:
            channel = conn.channel()

            def none_ready():
                return all(channel.queue_declare(n, passive=True).message_count == 0 for n in names)

            wait_until(none_ready, timeout, "no message ready in any queue", interval=0.2)

    def queue_depth(self, name: str) -> int:
        with Connection(self.broker.uri) as conn:
            return conn.channel().queue_declare(name, passive=True).message_count

    def token(self, *roles: str, sub: str = "bench", **claims) -> str:
        return issue_token(self.secret, sub=sub, roles=list(roles or ["ORG_ADMIN"]), **claims)

    def versions(self) -> dict[str, str]:
        from importlib.metadata import version

        found = {"python": platform.python_version()}
        for package in ("nameko", "kombu", "amqp", "eventlet", "pymongo"):
            found[package] = version(package)
        with Connection(self.broker.uri) as conn:
            conn.connect()
            found["rabbitmq"] = conn.connection.server_properties.get("version", b"?")
            if isinstance(found["rabbitmq"], bytes):
                found["rabbitmq"] = found["rabbitmq"].decode()
        info = self._mongo.admin.command("buildInfo")
        found["store"] = f"MongoDB {info.get('version')}"
        if "ferretdbVersion" in info:  # built from source it says "unknown": the launcher pins it
            pinned = re.search(r"FerretDB/FerretDB (v[\d.]+)", (ROOT / "deploy/local/ferretdb/go.mod")
                               .read_text()) if (ROOT / "deploy/local/ferretdb/go.mod").exists() else None
            found["store"] = "FerretDB " + (pinned.group(1) if pinned else info["ferretdbVersion"])
        if self.store.cluster is not None:
            found["postgresql"] = self.store.cluster.version()
        return found


def machine() -> dict:
    meminfo = Path("/proc/meminfo").read_text().splitlines() if Path("/proc/meminfo").exists() else []
    total_kb = next((int(line.split()[1]) for line in meminfo if line.startswith("MemTotal")), 0)
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                  if line.startswith("model name")), platform.processor())
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0, 0, 0)
    return {"cores": os.cpu_count(), "memory_gib": round(total_kb / 1024 / 1024, 1), "cpu": model,
            "os": platform.platform(), "load_at_start": [round(x, 2) for x in load]}


def dump_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


__all__ = ["BenchError", "PrivateStack", "Processes", "SERVICES", "kill_group", "machine", "wait_until"]
