"""The local OpenID provider (console/idp/server.mjs) on a port of its own, for the browser tests and the
desk's timing in the benchmarks: the same sign-in an officer goes through, with users of the caller's."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import requests

from console.e2e.browser import CONSOLE
from tests.integration.conftest import free_port


@contextmanager
def identity_provider(users: dict, gateway_address: str, log_dir: Path):
    """console/idp/server.mjs on a port of its own, with these users and a password of this run."""
    port, password = free_port(), secrets.token_urlsafe(12)
    issuer = f"http://127.0.0.1:{port}"
    users_file = log_dir / "idp-users.json"
    users_file.write_text(json.dumps({"users": [{"username": name, **user}
                                                for name, user in users.items()]}), encoding="utf-8")
    log = (log_dir / "idp.log").open("wb")
    process = subprocess.Popen(
        ["node", str(CONSOLE / "idp" / "server.mjs")], stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "IDP_ISSUER": issuer, "IDP_PASSWORD": password, "IDP_USERS": str(users_file),
             "IDP_REDIRECT_URIS": f"http://{gateway_address}/console/callback"})
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the local OpenID provider did not start: {(log_dir / 'idp.log').read_text()}")
            time.sleep(0.2)
        yield issuer, password
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
