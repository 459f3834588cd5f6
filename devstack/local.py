"""The stack this checkout keeps running between commands: the broker and the store `make run`, `make test`
and `make bench` work on, their URIs in .stack/env (AMQP_URI, RABBIT_API_URI, MONGODB_URI, and
STACK_POSTGRESQL_URL where the harnesses make stores of their own).

AMQP_URI / RABBIT_API_URI / MONGODB_URI in the environment point at servers of your own; nothing is
started for them."""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from contextlib import contextmanager
from urllib.parse import urlsplit

import requests

from devstack.common import (
    ENV_FILE,
    STATE,
    StackError,
    host_port,
    read_env_file,
    redact_uri,
    say,
    tcp_open,
    write_private,
)
from devstack.rabbit import LocalBroker
from devstack.store import Postgres, Store, build_ferretdb, local_store

DEFAULT_AMQP_URI = "amqp://guest:guest@localhost:5672/"
DEFAULT_MONGODB_URI = "mongodb://localhost:27017/"
STARTED = STATE / "started"


@contextmanager
def lock():
    """One up/down at a time per checkout."""
    STATE.mkdir(parents=True, exist_ok=True)
    # the state stays out of git even where the project's .gitignore does not list it
    ignore = STATE / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    with (STATE / "lock").open("w") as handle:
        deadline = time.monotonic() + 900
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise StackError("another up/down is still running in this checkout") from None
                time.sleep(0.5)
        yield


def api_uri_from_amqp(uri: str) -> str:
    """http://<user>:<password>@<host>:15672 from an AMQP URI (guest:guest when it names no user)."""
    netloc = urlsplit(uri).netloc
    userinfo, _, hosts = netloc.rpartition("@")
    host, _ = host_port(f"//{hosts}", 5672)
    host = f"[{host}]" if ":" in host else host
    return f"http://{userinfo or 'guest:guest'}@{host}:15672"


def up() -> list[str]:
    """Start what is missing, wait until it answers, write .stack/env; what this call started."""
    started: list[str] = []
    with lock():
        try:
            if os.environ.get("AMQP_URI"):
                say(f"RabbitMQ: using AMQP_URI {redact_uri(os.environ['AMQP_URI'])} (nothing started)")
            elif LocalBroker().up():
                started.append("rabbit")
            if up_store():
                started.append("store")
            write_env(started)
        except BaseException:
            # a half-done up stops what it started, so the next one starts clean
            if started:
                say(f"stopping what this run started: {', '.join(started)}")
                stop_pieces(started)
            raise
    return started


def up_store() -> bool:
    if os.environ.get("MONGODB_URI"):
        say(f"store: using MONGODB_URI {redact_uri(os.environ['MONGODB_URI'])} (nothing started)")
        return False
    if tcp_open("127.0.0.1", 27017):
        say("store already running on 127.0.0.1:27017")
        # the fault suite and the benchmarks start FerretDBs of their own from the launcher
        if not shutil.which("mongod"):
            build_ferretdb()
        return False
    store = local_store()
    if store.kind == "FerretDB":
        build_ferretdb()
        Postgres().start()
        say("starting FerretDB on 127.0.0.1:27017 (PostgreSQL database ferretdb)")
    else:
        say("starting mongod on 127.0.0.1:27017 (data in .stack/mongo/data)")
    store.start()
    return True


def write_env(started: list[str]) -> None:
    broker = LocalBroker()
    amqp = os.environ.get("AMQP_URI") or broker.amqp_uri
    mongo = os.environ.get("MONGODB_URI") or DEFAULT_MONGODB_URI
    api = os.environ.get("RABBIT_API_URI") or (
        api_uri_from_amqp(os.environ["AMQP_URI"]) if os.environ.get("AMQP_URI") else broker.api_uri)
    lines = [f"AMQP_URI={amqp}", f"RABBIT_API_URI={api}", f"MONGODB_URI={mongo}"]
    postgres = Postgres()
    if postgres.ready():
        # where a FerretDB of a harness's own keeps its data (tests/faults, bench/)
        lines.append(f"STACK_POSTGRESQL_URL={postgres.url}")
    # may hold a password the user gave: readable by its owner only
    write_private(ENV_FILE, "\n".join(lines) + "\n")
    # what this up had to start, for down-started (make test stops only what it started)
    STARTED.write_text("".join(f"{piece}\n" for piece in started))
    say(f"up (RabbitMQ {redact_uri(amqp)}, store {redact_uri(mongo)})")


def stop_pieces(pieces: list[str]) -> None:
    for piece in pieces:
        if piece == "rabbit":
            broker = LocalBroker()
            if (pid := broker.pid()) is not None:
                say(f"stopping RabbitMQ (pid {pid})")
                broker.stop()
        elif piece == "store":
            for store in (Store(STATE / "ferretdb", 27017, None), Store(STATE / "mongo", 27017, None)):
                store.stop()
            Postgres().stop()


def down() -> None:
    """Stop what this checkout's .stack/ says it started."""
    if not STATE.is_dir():
        say("nothing to stop (no .stack/)")
        return
    with lock():
        stop_pieces(["rabbit", "store"])
    say("down")


def down_started() -> None:
    """Stop only what the last up started, so a test run leaves a stack it found running alone."""
    if not STARTED.exists():
        return
    with lock():
        stop_pieces([p for p in STARTED.read_text().split() if p])
        STARTED.unlink(missing_ok=True)


def current(key: str, default: str = "") -> str:
    """A URI as status checks it: the environment first, then .stack/env, then the default."""
    return os.environ.get(key) or read_env_file(ENV_FILE).get(key) or default


def status() -> bool:
    """One line per piece; True when both answer."""
    ok = True
    amqp = current("AMQP_URI", DEFAULT_AMQP_URI)
    api = current("RABBIT_API_URI") or api_uri_from_amqp(amqp)
    pid = LocalBroker().pid()
    who = f"pid {pid}" if pid else "not started by this stack"
    host, port = host_port(amqp, 5672)
    problem = ""
    if not tcp_open(host, port):
        problem = f"nothing answers on {host}:{port}"
    else:
        parts = urlsplit(api)
        try:
            code = requests.get(f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}/api/overview",
                                auth=(parts.username or "", parts.password or ""), timeout=3).status_code
        except requests.RequestException:
            code = "000"
        if code != 200:
            problem = f"management API {redact_uri(api)} answered HTTP {code}"
    if problem:
        say(f"RabbitMQ not running ({who}, {redact_uri(amqp)}: {problem})")
        ok = False
    else:
        say(f"RabbitMQ running ({who}, {redact_uri(amqp)}, management {redact_uri(api)})")

    mongo = current("MONGODB_URI", DEFAULT_MONGODB_URI)
    who = "not started by this stack"
    for kind, store in (("FerretDB", Store(STATE / "ferretdb", 27017, None)),
                        ("mongod", Store(STATE / "mongo", 27017, None))):
        if (pid := store.pid()) is not None:
            who = f"pid {pid}, {kind}"
    host, port = host_port(mongo, 27017)
    if tcp_open(host, port):
        say(f"store running ({who}, {redact_uri(mongo)})")
    else:
        say(f"store not running ({who}, {redact_uri(mongo)}: nothing answers on {host}:{port})")
        ok = False
    return ok
