"""The local stack's own logic (devstack/): what it prints of a URI, which process it takes for its own, how
it finds a broker's management API, the files that hold passwords, one up/down at a time. Starting the
servers themselves is exercised by every run of the tests (`make test` starts the stack; the fault suite
and the benchmarks start private brokers and stores)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from devstack import common, local
from devstack.common import StackError, host_port, our_pid, redact_uri, spawn, write_private
from devstack.processes import Processes


@pytest.mark.parametrize("uri, shown", [
    ("amqp://cadre-admin:s3cret@localhost:5672/", "amqp://cadre-admin@localhost:5672/"),
    # a password holding '@' and '/' must not leak through a naive split
    ("amqp://u:p@ss/w@rd@rabbit:5672/vh", "amqp://u@rabbit:5672/vh"),
    ("mongodb://localhost:27017/", "mongodb://localhost:27017/"),
    ("not a uri", "not a uri"),
])
def test_a_uri_is_printed_without_its_password(uri, shown):
    assert redact_uri(uri) == shown


@pytest.mark.parametrize("uri, default, expected", [
    ("amqp://u:p@rabbit:5673/", 5672, ("rabbit", 5673)),
    ("amqp://rabbit/", 5672, ("rabbit", 5672)),
    ("mongodb://a:1@db1:27018,db2:27019/?replicaSet=rs", 27017, ("db1", 27018)),
    ("amqp://u:p@[::1]:5672/", 5672, ("::1", 5672)),
])
def test_the_first_host_and_its_port(uri, default, expected):
    assert host_port(uri, default) == expected


@pytest.mark.parametrize("amqp, api", [
    ("amqp://alice:pw@rabbit.internal:5672/", "http://alice:pw@rabbit.internal:15672"),
    ("amqp://rabbit/", "http://guest:guest@rabbit:15672"),
    ("amqp://u:p@[::1]:5672/", "http://u:p@[::1]:15672"),
])
def test_the_management_api_beside_a_broker(amqp, api):
    assert local.api_uri_from_amqp(amqp) == api


def test_a_password_file_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "secret.env"
    write_private(path, "AUTH_SECRET=x\n")
    assert path.read_text() == "AUTH_SECRET=x\n"
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_process_is_ours_only_with_the_stacks_tag(tmp_path):
    """A pid file naming a live process that this checkout did not start (a pid used again) is not ours."""
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    ours = spawn([sys.executable, "-c", "import time; time.sleep(30)"], tmp_path / "ours.log",
                 pidfile=tmp_path / "ours.pid")
    try:
        (tmp_path / "stranger.pid").write_text(f"{stranger.pid}\n")
        assert our_pid(tmp_path / "stranger.pid") is None
        assert our_pid(tmp_path / "ours.pid") == ours.pid
        assert our_pid(tmp_path / "missing.pid") is None
        # ours, but not a `nameko run`: not taken for one of the suite's processes
        (tmp_path / "talent.pid").write_text(f"{ours.pid}\n")
        assert Processes({"GATEWAY_ADDRESS": "127.0.0.1:1"}, tmp_path).running("talent") is None
    finally:
        stranger.kill()
        common.kill_group(ours)
        stranger.wait()
    assert our_pid(tmp_path / "ours.pid") is None  # gone


def test_one_up_or_down_at_a_time(tmp_path, monkeypatch):
    monkeypatch.setattr(local, "STATE", tmp_path)
    order = []

    def second():
        with local.lock():
            order.append("second")

    with local.lock():
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(1.0)
        order.append("first")
    thread.join(timeout=10)
    assert order == ["first", "second"]
    assert (tmp_path / ".gitignore").read_text() == "*\n"


def test_a_wait_that_runs_out_says_what_it_waited_for_and_why():
    with pytest.raises(StackError, match=r"waiting for the store\nlast lines"):
        common.wait_until(lambda: False, 0.3, "the store", interval=0.1, explain=lambda: "last lines")


def test_settings_come_from_the_environment(monkeypatch):
    from devstack import run
    monkeypatch.setenv("GATEWAY_ADDRESS", "127.0.0.1:8123")
    monkeypatch.delenv("OPS_PORT_BASE", raising=False)
    assert run.settings()["GATEWAY_ADDRESS"] == "127.0.0.1:8123"
    suite = run.processes({"GATEWAY_ADDRESS": "127.0.0.1:8123"})
    # make run's processes each serve their ops endpoints on base+1, base+2 ... in start order
    assert list(suite.ops_ports.values()) == list(range(9101, 9107))
    assert os.fspath(suite.log_dir).endswith(".stack/run")
