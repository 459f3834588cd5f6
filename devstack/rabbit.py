"""RabbitMQ nodes: the stack's own (``rabbit@localhost`` on 5672 with the management API, kept between runs,
for `make run` and the tests) and private ones on free ports (the fault suite's and the benchmarks', which
restart theirs without disturbing anything else). One way to start, wait for and stop either."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import requests
from kombu import Connection

from devstack.common import (
    STATE,
    StackError,
    free_port,
    kill_group,
    kill_pid,
    log_tail,
    our_pid,
    say,
    spawn,
    tcp_open,
    timeout,
    wait_until,
    write_private,
)
from devstack.tools import apt_install
from services.common.messaging.identities import IDENTITIES, definitions, uri_for

RMQ_BIN = Path(os.environ.get("RABBITMQ_BIN", "/usr/lib/rabbitmq/bin"))


def install() -> None:
    """Debian's rabbitmq-server, once; the system node its package may start is stopped (ours runs
    under .stack/, and the system one, without the management API, would hold port 5672)."""
    if (RMQ_BIN / "rabbitmq-server").exists():
        return
    apt_install("RabbitMQ", "rabbitmq-server")
    if not (RMQ_BIN / "rabbitmq-server").exists():
        raise StackError(f"RabbitMQ: {RMQ_BIN}/rabbitmq-server missing after install")
    if shutil.which("systemctl") and subprocess.run(
            ["systemctl", "is-active", "--quiet", "rabbitmq-server"], capture_output=True).returncode == 0:
        say("stopping and disabling the rabbitmq-server system service the package started "
            "(this stack runs its own node)")
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        subprocess.run([*sudo, "systemctl", "disable", "--now", "rabbitmq-server"], capture_output=True)


class RabbitNode:
    """A RabbitMQ node whose state (Mnesia, logs, pid file) lives in ``base``."""

    management = False

    def __init__(self, base: Path, node: str, port: int = 5672, config: str = ""):
        self.base, self.node, self.port, self.config = base, node, port, config
        self.pidfile = base / "pid"
        self.out = base / "server.out"
        self.proc: subprocess.Popen | None = None
        self.env = {
            **os.environ,
            "RABBITMQ_NODENAME": node,
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(self.pidfile),
        }
        if config:
            self.env["RABBITMQ_CONFIG_FILE"] = str(base / "rabbitmq")

    def start(self) -> None:
        install()
        (self.base / "log").mkdir(parents=True, exist_ok=True)
        (self.base / "mnesia").mkdir(parents=True, exist_ok=True)
        # without the management plugin a node boots faster
        (self.base / "enabled_plugins").write_text(
            "[rabbitmq_management].\n" if self.management else "[].\n")
        if self.config:
            (self.base / "rabbitmq.conf").write_text(self.config)
        self.out.write_bytes(b"")
        self.proc = spawn([str(RMQ_BIN / "rabbitmq-server")], self.out, env=self.env, pidfile=self.pidfile)
        self.wait()

    def wait(self) -> None:
        def up() -> bool:
            if self.pid() is None and (self.proc is None or self.proc.poll() is not None):
                raise StackError(f"RabbitMQ {self.node}: the server process exited during start-up\n"
                                 f"{self.logs()}")
            return self.answers()
        wait_until(up, timeout(), f"RabbitMQ {self.node} (STACK_TIMEOUT raises the limit)", interval=0.5,
                   explain=self.logs)

    def answers(self) -> bool:
        raise NotImplementedError

    def logs(self) -> str:
        # boot errors land in the console output before the node's own log file is set up
        node_log = self.base / "log" / f"{self.node}.log"
        return log_tail(self.out) + ("\n" + log_tail(node_log) if node_log.exists() else "")

    def pid(self) -> int | None:
        """The node's process (RabbitMQ rewrites the pid file with its Erlang VM's pid)."""
        return our_pid(self.pidfile)

    def ctl(self, *args: str, check: bool = False) -> str:
        """rabbitmqctl on this node: it talks to the node directly (Erlang cookie), not over AMQP."""
        result = self.run_ctl(*args)
        if check and result.returncode != 0:
            raise StackError(f"rabbitmqctl {args[0]}: {result.stderr.strip() or result.stdout.strip()}")
        return result.stdout

    def run_ctl(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(RMQ_BIN / "rabbitmqctl"), "-n", self.node, *args], env=self.env,
                              capture_output=True, text=True, timeout=60)

    def stop(self) -> None:
        """A whole node stop, as an operator's restart or the broker host going down does."""
        pid = self.pid()
        if pid is None and self.proc is None:
            return
        # `stop <pidfile>` shuts the node down cleanly and waits for its process to exit
        try:
            self.ctl("stop", str(self.pidfile))
        except subprocess.TimeoutExpired:
            pass
        if self.proc is not None:
            kill_group(self.proc)
            self.proc = None
        if pid is not None:
            kill_pid(pid)
        self.pidfile.unlink(missing_ok=True)


class LocalBroker(RabbitNode):
    """The stack's node: ``rabbit@localhost`` on 5672, its management API on 15672, state in
    .stack/rabbitmq. It has no guest: an administrator of its own (user:password generated once, in
    .stack/rabbitmq-admin, owner-only) for the tests and the operator, and one user per process
    (identities.py)."""

    management = True
    ADMIN = "cadre-admin"
    admin_file = STATE / "rabbitmq-admin"

    def __init__(self):
        super().__init__(STATE / "rabbitmq", "rabbit@localhost")

    def admin_userinfo(self) -> str:
        return self.admin_file.read_text().strip() if self.admin_file.exists() else "guest:guest"

    @property
    def api_uri(self) -> str:
        return f"http://{self.admin_userinfo()}@localhost:15672"

    @property
    def amqp_uri(self) -> str:
        return f"amqp://{self.admin_userinfo()}@localhost:5672/"

    @staticmethod
    def api_answers(userinfo: str) -> bool:
        user, _, password = userinfo.partition(":")
        try:
            return requests.get("http://localhost:15672/api/overview", auth=(user, password),
                                timeout=3).status_code == 200
        except requests.RequestException:
            return False

    def answers(self) -> bool:
        return tcp_open("127.0.0.1", 5672) and (self.api_answers(self.admin_userinfo())
                                                or self.api_answers("guest:guest"))

    def up(self) -> bool:
        """The node answering, secured; True when this call started it."""
        install()
        started = False
        if self.answers():
            say("RabbitMQ already running")
        elif self.pid() is not None:
            say("RabbitMQ: waiting for the node started earlier by this stack")
            self.wait()
        elif tcp_open("127.0.0.1", 5672):
            # another broker may still be loading its management plugin: a moment, then refuse
            deadline = time.monotonic() + 15
            while not self.answers():
                if time.monotonic() > deadline:
                    raise StackError("RabbitMQ: port 5672 is taken by a server without the management "
                                     "API on 15672 (a system rabbitmq-server? stop it, or enable "
                                     "rabbitmq_management, or set AMQP_URI)")
                time.sleep(1)
            say("RabbitMQ already running")
            return False
        else:
            say(f"starting RabbitMQ (node {self.node}, state in .stack/rabbitmq)")
            self.start()
            started = True
        self.secure()
        return started

    def secure(self) -> None:
        """An administrator with a generated password, and no guest/guest that any program on the machine
        could log in as."""
        if self.pid() is None:
            return  # not ours to change
        if not self.admin_file.exists():
            write_private(self.admin_file, f"{self.ADMIN}:{secrets.token_hex(24)}\n")
        password = self.admin_userinfo().split(":", 1)[1]
        if not self.api_answers(self.admin_userinfo()):
            if self.run_ctl("add_user", self.ADMIN, password).returncode != 0:
                self.ctl("change_password", self.ADMIN, password, check=True)
            self.ctl("set_user_tags", self.ADMIN, "administrator", check=True)
            self.ctl("set_permissions", "-p", "/", self.ADMIN, ".*", ".*", ".*", check=True)
        if self.api_answers("guest:guest"):
            self.ctl("delete_user", "guest")
            say("RabbitMQ: guest removed; the administrator's password is in .stack/rabbitmq-admin")


class Broker(RabbitNode):
    """A node of a harness's own (the fault suite, the benchmarks): its own node name, ports and state
    directory; every process its own user, as in production (identities.py), and guest the harness's
    administrator on this private node."""

    def __init__(self, base: Path):
        port = free_port()
        self.users = {identity: (identity, secrets.token_urlsafe(16)) for identity in IDENTITIES}
        base.mkdir(parents=True, exist_ok=True)
        (base / "definitions.json").write_text(json.dumps(definitions(self.users, admin=("guest", "guest"))))
        super().__init__(base, f"faults{uuid.uuid4().hex[:6]}@localhost", port, config=(
            f"listeners.tcp.default = {port}\nloopback_users = none\n"
            f"load_definitions = {base / 'definitions.json'}\n"))
        self.env.update(RABBITMQ_NODE_PORT=str(port), RABBITMQ_DIST_PORT=str(free_port()))

    @property
    def uri(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    @property
    def uris(self) -> dict[str, str]:
        """Each identity's own URI (the harness's processes connect with these)."""
        return {identity: uri_for(self.uri, user, password, "/")
                for identity, (user, password) in self.users.items()}

    def answers(self) -> bool:
        try:
            with Connection(self.uri, connect_timeout=1) as connection:
                connection.ensure_connection(max_retries=1)
            return True
        except Exception:
            return False

    def restart(self) -> float:
        started = time.monotonic()
        self.stop()
        self.start()
        return time.monotonic() - started
