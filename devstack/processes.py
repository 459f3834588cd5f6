"""The suite's processes: each service and the gateway a separate `nameko run`, as in production, each with
its own broker user and its own ops port (/health/live, /health/ready, /metrics). `make run` starts them
detached, with pid files; the tests and the benchmarks as children they stop themselves."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import requests

from devstack.common import ROOT, StackError, command_line, free_port, kill_pid, our_pid, spawn, wait_until

# name: service class, in start order (the gateway last: it calls the others)
PROCESSES = {
    "talent": "services.talent.service:TalentService",
    "appraisal": "services.appraisal.service:AppraisalService",
    "accountability": "services.accountability.service:AccountabilityService",
    "tolerance": "services.tolerance.service:ToleranceService",
    "care": "services.care.service:CareService",
    "gateway": "gateway.service:GatewayService",
}


class Processes:
    """`nameko run` processes by instance name (``talent``; ``tolerance#2`` is a second tolerance), each on
    ``env`` with its own AMQP_URI (``broker_uris`` by service; else env's) and OPS_ADDRESS, logging to
    ``log_dir/<instance>.log``. ``detached`` ones outlive this Python process (pid files in ``log_dir``)."""

    def __init__(self, env: dict[str, str], log_dir: Path, broker_uris: dict[str, str] | None = None,
                 targets: dict[str, str] = PROCESSES, detached: bool = False,
                 ops_ports: dict[str, int] | None = None, read_ports: dict[str, int] | None = None):
        self.env = env
        self.log_dir = log_dir
        self.broker_uris = broker_uris or {}
        self.targets = targets
        self.detached = detached
        self.procs: dict[str, subprocess.Popen] = {}
        self.ops_ports: dict[str, int] = dict(ops_ports or {})
        # each service's read port, which the gateway is given (services/common/messaging/reads.py)
        self.read_ports: dict[str, int] = dict(read_ports or {})
        self.url = self.gateway = f"http://{env['GATEWAY_ADDRESS']}"

    @staticmethod
    def service(instance: str) -> str:
        return instance.split("#")[0]

    def _file(self, instance: str, suffix: str) -> Path:
        return self.log_dir / f"{instance.replace('#', '-')}.{suffix}"

    def start(self, *instances: str) -> None:
        for instance in instances or self.targets:
            port = self.ops_ports.setdefault(instance, free_port())
            env = {**self.env, "OPS_ADDRESS": f"127.0.0.1:{port}",
                   "AMQP_URI": self.broker_uris.get(self.service(instance), self.env["AMQP_URI"]),
                   **self.reads(instance)}
            command = [sys.executable, "-m", "nameko", "run", "--config", "config.yaml",
                       self.targets[self.service(instance)]]
            if self.detached:
                self.procs[instance] = spawn(command, self._file(instance, "log"), env=env, cwd=ROOT,
                                             pidfile=self._file(instance, "pid"))
            else:
                with self._file(instance, "log").open("ab") as log:
                    self.procs[instance] = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                                            stderr=subprocess.STDOUT,
                                                            stdin=subprocess.DEVNULL)

    def reads(self, instance: str) -> dict[str, str]:
        """A service's READ_ADDRESS; for the gateway, READ_URLS naming each service's first instance
        started so far (unless the environment sets it: empty, every read goes through the broker)."""
        service = self.service(instance)
        if service == "gateway":
            if "READ_URLS" in self.env:
                return {}
            return {"READ_URLS": ",".join(f"{name}=http://127.0.0.1:{port}"
                                          for name, port in self.read_ports.items() if "#" not in name)}
        if service not in PROCESSES:
            return {}
        return {"READ_ADDRESS": f"127.0.0.1:{self.read_ports.setdefault(instance, free_port())}"}

    def running(self, instance: str) -> int | None:
        """A detached instance's pid, while that process is still our `nameko run` (pids are reused)."""
        pid = our_pid(self._file(instance, "pid"))
        return pid if pid is not None and "nameko run" in command_line(pid) else None

    def exited(self, instance: str) -> str | None:
        proc = self.procs.get(instance)
        if proc is not None and proc.poll() is not None:
            return f"{instance} exited with {proc.returncode}:\n{self.log_tail(instance)}"
        return None

    def ops(self, instance: str, path: str) -> requests.Response:
        return requests.get(f"http://127.0.0.1:{self.ops_ports[instance]}{path}", timeout=10)

    def ready(self, instance: str) -> bool:
        if (why := self.exited(instance)) is not None:
            raise StackError(why)
        try:
            return self.ops(instance, "/health/ready").status_code == 200
        except requests.RequestException:
            return False

    def wait_ready(self, *instances: str, timeout: float = 120.0) -> None:
        for instance in instances or list(self.procs):
            wait_until(lambda i=instance: self.ready(i), timeout, f"{instance} to be ready")

    def health(self) -> dict:
        try:
            return requests.get(f"{self.url}/health", timeout=15).json()
        except (requests.RequestException, ValueError):
            return {}

    def wait_healthy(self, timeout: float = 60.0) -> None:
        """Until the gateway reports every service healthy; a process that exits meanwhile fails it."""
        def healthy():
            for instance in self.procs:
                if (why := self.exited(instance)) is not None:
                    raise StackError(why)
            return self.health().get("status") == "ok"

        wait_until(healthy, timeout, "every service to be healthy", interval=0.3,
                   explain=lambda: f"/health: {self.health()}; logs in {self.log_dir}")

    def metric(self, instance: str, name: str, **labels: str) -> float:
        """The sum of a Prometheus metric's samples matching ``labels`` (services/common/ops/endpoints.py)."""
        total = 0.0
        # only this metric: a full scrape also counts the outbox's backlog in the store
        for line in self.ops(instance, f"/metrics?name[]={name}").text.splitlines():
            if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def stop(self, *instances: str, sig=signal.SIGTERM) -> None:
        """Signal them all, then wait for each (20 s, then SIGKILL)."""
        chosen = instances or list(self.procs)
        for instance in chosen:
            self.procs[instance].send_signal(sig)
        for instance in chosen:
            proc = self.procs.pop(instance)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def stop_all(self) -> None:
        self.stop()

    def stop_detached(self) -> list[str]:
        """Stop the detached instances their pid files name; the names stopped."""
        stopped = []
        for instance in self.targets:
            pid = self.running(instance)
            if pid is not None:
                kill_pid(pid, grace=15)
                stopped.append(instance)
            self._file(instance, "pid").unlink(missing_ok=True)
        return stopped

    def kill(self, instance: str) -> None:
        """SIGKILL: no clean shutdown, no acks or publishes in flight finished."""
        proc = self.procs.pop(instance)
        proc.kill()
        proc.wait()

    def log(self, instance: str) -> str:
        path = self._file(instance, "log")
        return path.read_text(errors="replace") if path.exists() else ""

    def log_tail(self, instance: str, lines: int = 30) -> str:
        return "\n".join(self.log(instance).splitlines()[-lines:])

    def pid(self, instance: str) -> int:
        return self.procs[instance].pid

    def cpu_roots(self) -> dict[int, str]:
        """Each instance's process by its service's name (``tolerance#2`` counts as tolerance)."""
        return {proc.pid: self.service(name) for name, proc in self.procs.items()}
