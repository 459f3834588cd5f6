"""`make run`: the five services and the gateway as separate `nameko run` processes on the local stack,
detached (they outlive the command), logs in .stack/run/<name>.log.

Unless AUTH_JWKS_URL names an identity provider of your own, the local OpenID provider (console/idp/, at
IDP_ADDRESS) starts too: its demo users sign in to the officer console at /console/ (docs/console.md)."""

from __future__ import annotations

import os
import secrets

from devstack.common import ENV_FILE, STATE, StackError, read_env_file, write_private
from devstack.idp import IdentityProvider
from devstack.processes import PROCESSES, Processes
from services.common.messaging.identities import env_name, local

RUN = STATE / "run"
AUTH_ENV = STATE / "auth.env"
IDP_ENV = STATE / "idp.env"


def say(message: str) -> None:
    print(f"suite: {message}", flush=True)


def settings() -> dict[str, str]:
    """GATEWAY_ADDRESS, OPS_PORT_BASE, IDP_ADDRESS and SUITE_TIMEOUT, defaults filled in."""
    return {"GATEWAY_ADDRESS": os.environ.get("GATEWAY_ADDRESS", "127.0.0.1:8000"),
            "OPS_PORT_BASE": os.environ.get("OPS_PORT_BASE", "9100"),
            "IDP_ADDRESS": os.environ.get("IDP_ADDRESS", "127.0.0.1:8010"),
            "SUITE_TIMEOUT": os.environ.get("SUITE_TIMEOUT", "90")}


def processes(env: dict[str, str], broker_uris: dict[str, str] | None = None) -> Processes:
    """Each process serves /health/live, /health/ready and /metrics on its own port: base+1, base+2 ...;
    each service its read port for the gateway on base+101, base+102 ..."""
    base = int(settings()["OPS_PORT_BASE"])
    return Processes(env, RUN, broker_uris, detached=True,
                     ops_ports={name: base + i for i, name in enumerate(PROCESSES, 1)},
                     read_ports={name: base + 100 + i for i, name in enumerate(PROCESSES, 1)
                                 if name != "gateway"})


def provider(gateway: str) -> IdentityProvider:
    host, _, port = gateway.rpartition(":")
    return IdentityProvider(settings()["IDP_ADDRESS"], read_env_file(IDP_ENV).get("IDP_PASSWORD", ""),
                            [f"http://{host}:{port}/console/callback",
                             f"http://localhost:{port}/console/callback"],
                            RUN / "idp.log", state=STATE / "idp")


def start() -> None:
    """Start what is not running; wait for the gateway's /health."""
    if not ENV_FILE.exists():
        raise StackError("no local stack: run 'make stack-up' first")
    RUN.mkdir(parents=True, exist_ok=True)
    # a signing secret for local tokens, made once per checkout and kept out of git (.stack/)
    if not AUTH_ENV.exists():
        write_private(AUTH_ENV, f"AUTH_SECRET={secrets.token_urlsafe(48)}\n")
    config = settings()
    env = {**os.environ, **read_env_file(ENV_FILE), "GATEWAY_ADDRESS": config["GATEWAY_ADDRESS"],
           # a readable line in .stack/run/*.log; containers write JSON lines (config.yaml's LOGGING)
           "LOG_FORMAT": os.environ.get("LOG_FORMAT", "text"),
           # the libraries' import-time deprecation notes are not the suite's news (as in the tests)
           "PYTHONWARNINGS": os.environ.get("PYTHONWARNINGS", "ignore")}
    if not env.get("AUTH_SECRET") and not env.get("AUTH_JWKS_URL"):
        env.update(read_env_file(AUTH_ENV))
    idp = None
    if not env.get("AUTH_JWKS_URL"):
        # the services then trust the provider's key set for the console's tokens, and the local
        # secret for the suite's own (cadrectl token, the tests)
        if not IDP_ENV.exists():
            write_private(IDP_ENV, f"IDP_PASSWORD={secrets.token_urlsafe(9)}\n")
        idp = provider(config["GATEWAY_ADDRESS"])
        idp.start()
        env.update(AUTH_ISSUER=idp.issuer, AUTH_JWKS_URL=f"{idp.issuer}/jwks",
                   AUTH_SECRET_ISSUER="cadre-local")
    # one broker user per process, allowed what it uses (identities.py); each process gets its own
    # URI and no other
    broker_env = STATE / "broker.env"
    try:
        local(env["RABBIT_API_URI"], env["AMQP_URI"], broker_env)
    except Exception as exc:
        raise StackError(f"cannot create the broker users (is {env['RABBIT_API_URI'].split('@')[-1]} an "
                         f"administrator's management API?): {exc}") from None
    uris = read_env_file(broker_env)
    suite = processes(env, {name: uris[env_name(name)] for name in PROCESSES})
    for name in PROCESSES:
        if (pid := suite.running(name)) is not None:
            say(f"{name} already running (pid {pid})")
        else:
            suite.start(name)
    suite.wait_healthy(timeout=float(config["SUITE_TIMEOUT"]))
    gateway = config["GATEWAY_ADDRESS"]
    say(f"the suite is up: gateway at http://{gateway} (try: curl http://{gateway}/health)")
    say(f"the officer console: http://{gateway}/console/")
    if idp is not None:
        say("  sign in as a demo user of console/idp/users.json, e.g. wang.org (组织部门),")
        say("  zhao.jw (纪检监察), sun.care (关心关爱), wu.unit (单位管理员),")
        say("  cadre (干部本人), zheng.audit (审计员);")
        say(f"  password: {idp.password} (made for this checkout, in .stack/idp.env)")
    say("a token for requests: make -s token ARGS='--sub alice --role ORG_ADMIN'")
    say("logs in .stack/run/; stop everything with: make stop")


def stop() -> None:
    """SIGTERM each process, SIGKILL after 15 s; then the provider."""
    for name in processes({"GATEWAY_ADDRESS": settings()["GATEWAY_ADDRESS"]}).stop_detached():
        say(f"{name} stopped")
    if provider(settings()["GATEWAY_ADDRESS"]).stop():
        say("the local OpenID provider stopped")


def status() -> bool:
    suite = processes({"GATEWAY_ADDRESS": settings()["GATEWAY_ADDRESS"]})
    ok = True
    for name in PROCESSES:
        if (pid := suite.running(name)) is not None:
            say(f"{name} running (pid {pid}, ops http://127.0.0.1:{suite.ops_ports[name]})")
        else:
            say(f"{name} not running")
            ok = False
    idp = provider(settings()["GATEWAY_ADDRESS"])
    if (pid := idp.running()) is not None:
        say(f"idp running (pid {pid}, {idp.issuer})")
    return ok
