"""The local OpenID provider (console/idp/server.mjs): the demo users' sign-in to the officer console under
`make run`, and users of the caller's own for the browser tests and the desk's timing in the benchmarks --
the same sign-in an officer goes through."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from contextlib import contextmanager
from pathlib import Path

import requests

from devstack.common import (
    ROOT,
    StackError,
    command_line,
    free_port,
    kill_pid,
    log_tail,
    our_pid,
    spawn,
    wait_until,
)

SERVER = ROOT / "console" / "idp" / "server.mjs"


class IdentityProvider:
    """server.mjs at ``address`` with ``password`` for every user; ``users_file`` replaces
    console/idp/users.json, ``state`` keeps its keys between runs."""

    def __init__(self, address: str, password: str, redirect_uris: list[str], log: Path,
                 users_file: Path | None = None, state: Path | None = None):
        self.issuer = f"http://{address}"
        self.password, self.log = password, log
        self.env = {**os.environ, "IDP_ISSUER": self.issuer, "IDP_PASSWORD": password,
                    "IDP_REDIRECT_URIS": ",".join(redirect_uris)}
        if users_file is not None:
            self.env["IDP_USERS"] = str(users_file)
        if state is not None:
            self.env["IDP_STATE"] = str(state)
        self.pidfile = log.with_suffix(".pid")
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        if self.running() is None:
            self.proc = spawn(["node", str(SERVER)], self.log, env=self.env, pidfile=self.pidfile)
        wait_until(self.answers, 30, f"the local OpenID provider at {self.issuer}",
                   explain=lambda: log_tail(self.log))

    def answers(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise StackError(f"the local OpenID provider exited\n{log_tail(self.log)}")
        try:
            return requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=2).ok
        except requests.RequestException:
            return False

    def running(self) -> int | None:
        pid = our_pid(self.pidfile)
        return pid if pid is not None and "idp/server.mjs" in command_line(pid) else None

    def stop(self) -> bool:
        pid = self.running()
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None
        elif pid is not None:
            kill_pid(pid)
        self.pidfile.unlink(missing_ok=True)
        return pid is not None


@contextmanager
def identity_provider(users: dict, gateway_address: str, log_dir: Path):
    """A provider on a port of its own with these users and a password of this run: (issuer, password)."""
    users_file = log_dir / "idp-users.json"
    users_file.write_text(json.dumps({"users": [{"username": name, **user} for name, user in users.items()]}),
                          encoding="utf-8")
    provider = IdentityProvider(f"127.0.0.1:{free_port()}", secrets.token_urlsafe(12),
                                [f"http://{gateway_address}/console/callback"], log_dir / "idp.log",
                                users_file=users_file)
    provider.start()
    try:
        yield provider.issuer, provider.password
    finally:
        provider.stop()
