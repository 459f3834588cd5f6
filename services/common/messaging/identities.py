"""Who is who on the broker: one RabbitMQ user per service, the gateway and ``cadrectl``, each allowed
only what it uses (docs/adr/0022-trust-boundaries.md).

* A service may declare, write and read its own RPC queue, reply queues, event queues, dead letters and
  ``<service>.events`` exchange, bind its queues to the exchanges it consumes from, and nothing else:
  only appraisal can publish to ``appraisal.events``, and only talent reads talent's queues.
* On ``nameko-rpc`` (a topic exchange) topic permissions keep each user to its own routing keys: a
  service binds only ``<service>.*`` and reply keys, so no one can bind a queue of theirs to catch
  another service's requests (and the user tokens they carry); only the gateway sends requests to any
  service method, ``cadrectl`` only ``<service>.health``.
* Events are published with the ``user_id`` property, which RabbitMQ checks against the connection's
  user; a consumer accepts an event only from its producer's user (consumer.py).

``BROKER_USERS`` maps a service to its broker user where the names differ (default: the same name).
``python -m services.common.messaging.identities`` creates the users of the local stack (``local``) or
of a deployed broker (``provision``: each identity's password from ``RABBITMQ_PASSWORD_<IDENTITY>``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import sys
import time
from functools import cache
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

SERVICES = ("appraisal", "accountability", "tolerance", "talent", "care")
GATEWAY = "gateway"
OPERATOR = "cadrectl"
IDENTITIES = (*SERVICES, GATEWAY, OPERATOR)
RPC_EXCHANGE = "nameko-rpc"
# nameko's reply queues are bound by a uuid4 routing key
REPLY_KEY = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# a standalone ClusterRpcProxy (cadrectl) names its reply queue after this pseudo-service
STANDALONE = "standalone_rpc_proxy"


def broker_user(amqp_uri: str) -> str:
    """The user a connection to ``amqp_uri`` logs in as (kombu's default when the URI names none)."""
    return unquote(urlparse(amqp_uri).username or "guest")


def publisher_of(config, service: str) -> str:
    """The broker user ``service`` publishes as: ``BROKER_USERS`` (a mapping, or ``svc=user,...``),
    else the service's own name. ``*`` names the one user of a broker every process shares, as
    in-process test containers do; there the check can tell no one apart."""
    users = config.get("BROKER_USERS") or {}
    if isinstance(users, str):
        users = dict(pair.split("=", 1) for pair in users.replace(" ", "").split(",") if "=" in pair)
    return users.get(service) or users.get("*") or service


@cache
def consumed_sources(service: str) -> tuple[str, ...]:
    """The services whose events ``service`` handles, read from its ``@consume`` entrypoints."""
    import importlib
    import inspect

    from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

    module = importlib.import_module(f"services.{service}.service")
    [cls] = [c for c in vars(module).values() if inspect.isclass(c)
             and getattr(c, "name", None) == service and c.__module__ == module.__name__]
    return tuple(sorted({entrypoint.source_service
                         for _, method in inspect.getmembers(cls)
                         for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ())
                         if hasattr(entrypoint, "source_service")}))


def _any_of(*patterns: str) -> str:
    return "^(" + "|".join(patterns) + ")$"


def permissions(name: str) -> dict[str, str]:
    """configure / write / read patterns of ``name``'s broker user."""
    rpc = re.escape(RPC_EXCHANGE)
    if name in (GATEWAY, OPERATOR):
        caller = GATEWAY if name == GATEWAY else STANDALONE
        own = _any_of(rpc, rf"rpc\.reply-{caller}-.*")
        return {"configure": own, "write": own, "read": own}
    if name not in SERVICES:
        raise ValueError(f"no broker identity is defined for {name!r}")
    queues = (rf"rpc-{name}", rf"rpc\.reply-{name}-.*", rf"evt-.*--{name}\..*", rf"{name}\.dead-letters")
    sources = tuple(rf"{re.escape(source)}\.events" for source in consumed_sources(name))
    own_exchange = rf"{name}\.events"
    return {
        "configure": _any_of(rpc, own_exchange, *queues, *sources),
        # amq.default: retries and dead letters go to a queue by name; the queue's consumer checks
        # who published them (consumer.py), so this lets no one pass for another service
        "write": _any_of(rpc, own_exchange, *queues, r"amq\.default"),
        "read": _any_of(rpc, *queues, *sources),
    }


# the RPCs a service makes of another, as the user it acts for: tolerance holds a case before it
# accepts an application for it, and accountability asks whether the filing behind a stale hold
# completed (C-4)
CALLS = {"tolerance": ("accountability.hold_for_application",),
         "accountability": ("tolerance.application_exists",)}


def topic_permissions(name: str) -> dict[str, str]:
    """Routing keys ``name`` may publish with (write) and bind with (read) on ``nameko-rpc``."""
    services = "|".join(SERVICES)
    if name == GATEWAY:
        write, read = _any_of(rf"({services})\.[a-z_]+"), _any_of(REPLY_KEY)
    elif name == OPERATOR:
        write, read = _any_of(rf"({services})\.health"), _any_of(REPLY_KEY)
    else:  # a service answers on reply keys and binds its own requests; it calls only what CALLS says
        calls = tuple(re.escape(call) for call in CALLS.get(name, ()))
        write, read = _any_of(REPLY_KEY, *calls), _any_of(rf"{name}\.\*", REPLY_KEY)
    return {"exchange": RPC_EXCHANGE, "write": write, "read": read}


class Management:
    """The RabbitMQ management API, as an administrator (the local stack's, a test's, an operator's)."""

    def __init__(self, api_uri: str, auth: tuple[str, str] | None = None):
        """``auth`` (user, password), else the credentials in ``api_uri``."""
        import requests

        parts = urlparse(api_uri)
        self.base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}/api"
        self.session = requests.Session()
        self.session.auth = auth or (unquote(parts.username or "guest"), unquote(parts.password or "guest"))

    def _put(self, path: str, body: dict) -> None:
        response = self.session.put(self.base + path, json=body, timeout=30)
        if response.status_code not in (200, 201, 204):
            raise RuntimeError(f"RabbitMQ management API: PUT {path}: {response.status_code} "
                               f"{response.text[:200]}")

    def ensure_user(self, name: str, password: str, tags: str = "") -> None:
        self._put(f"/users/{quote(name, safe='')}", {"password": password, "tags": tags})

    def grant(self, vhost: str, user: str, identity: str) -> None:
        """``user`` gets on ``vhost`` what the identity ``identity`` is allowed (its patterns)."""
        where = f"{quote(vhost, safe='')}/{quote(user, safe='')}"
        self._put(f"/permissions/{where}", permissions(identity))
        self._put(f"/topic-permissions/{where}", topic_permissions(identity))

    def delete_user(self, name: str) -> None:
        self.session.delete(f"{self.base}/users/{quote(name, safe='')}", timeout=30)

    def provision(self, vhost: str, users: dict[str, tuple[str, str]]) -> None:
        """``users``: identity -> (broker user, password); created (or updated) and granted."""
        for identity, (user, password) in users.items():
            self.ensure_user(user, password)
            self.grant(vhost, user, identity)


def password_hash(password: str) -> str:
    """RabbitMQ's rabbit_password_hashing_sha256, for a definitions file: base64(salt + sha256(salt +
    password)) with a 4-byte salt."""
    import base64
    import hashlib

    salt = secrets.token_bytes(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def definitions(users: dict[str, tuple[str, str]], vhost: str = "/",
                admin: tuple[str, str] | None = None) -> dict:
    """A RabbitMQ definitions file (``load_definitions``) creating ``users`` (identity -> (user,
    password)) with their permissions, and ``admin`` if given; for a broker started with it."""
    people = [(identity, user, password) for identity, (user, password) in users.items()]
    listed = [{"name": user, "password_hash": password_hash(password), "tags": "",
               "hashing_algorithm": "rabbit_password_hashing_sha256"} for _, user, password in people]
    granted = [{"user": user, "vhost": vhost, **permissions(identity)} for identity, user, _ in people]
    topics = [{"user": user, "vhost": vhost, **topic_permissions(identity)}
              for identity, user, _ in people]
    if admin:
        listed.append({"name": admin[0], "password_hash": password_hash(admin[1]),
                       "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": "administrator"})
        granted.append({"user": admin[0], "vhost": vhost, "configure": ".*", "write": ".*",
                        "read": ".*"})
    return {"users": listed, "vhosts": [{"name": vhost}], "permissions": granted,
            "topic_permissions": topics}


def uri_for(amqp_uri: str, user: str, password: str, vhost: str | None = None) -> str:
    """``amqp_uri`` with another user (and optionally another vhost)."""
    parts = urlparse(amqp_uri)
    host = f"{parts.hostname}:{parts.port or 5672}"
    path = quote(vhost, safe="") if vhost is not None else parts.path.lstrip("/")
    return f"amqp://{quote(user, safe='')}:{quote(password, safe='')}@{host}/{path}"


def env_name(identity: str) -> str:
    return f"AMQP_URI_{identity.upper()}"


def local(api_uri: str, amqp_uri: str, env_file: Path) -> None:
    """The local stack's users, one per identity, on vhost ``/``; their URIs go to ``env_file``
    (AMQP_URI_<IDENTITY>=...), passwords kept from an earlier run."""
    known = {}
    if env_file.exists():
        for line in env_file.read_text().splitlines():
            key, _, value = line.partition("=")
            known[key] = value
    users = {}
    for identity in IDENTITIES:
        uri = known.get(env_name(identity))
        password = unquote(urlparse(uri).password) if uri else secrets.token_urlsafe(24)
        users[identity] = (identity, password)
    Management(api_uri).provision("/", users)
    lines = [f"{env_name(identity)}={uri_for(amqp_uri, user, password, '/')}"
             for identity, (user, password) in users.items()]
    env_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = env_file.with_suffix(".tmp")
    tmp.touch(mode=0o600)
    tmp.write_text("\n".join(lines) + "\n")
    tmp.replace(env_file)


def password_env(identity: str) -> str:
    return f"RABBITMQ_PASSWORD_{identity.upper()}"


def deployed_users(environ=None) -> dict[str, tuple[str, str]]:
    """Every identity as a user of its own name, its password from ``RABBITMQ_PASSWORD_<IDENTITY>``;
    refused, naming the variables (never a value), when any is unset or empty."""
    environ = os.environ if environ is None else environ
    missing = [password_env(identity) for identity in IDENTITIES if not environ.get(password_env(identity))]
    if missing:
        raise ValueError(f"set {', '.join(missing)}: each identity's broker password")
    return {identity: (identity, environ[password_env(identity)]) for identity in IDENTITIES}


def provision(api_uri: str, admin: tuple[str, str], vhost: str = "/", environ=None,
              wait: float = 60.0) -> list[str]:
    """A deployed broker's users (``deployed_users``), created or updated and granted on ``vhost``,
    as the administrator ``admin``; waits up to ``wait`` seconds for the management API to answer.
    Returns the users provisioned."""
    import requests

    if urlparse(api_uri).password is not None:
        raise ValueError("--api must not carry a password; the administrator's comes from the environment")
    users = deployed_users(environ)
    management = Management(api_uri, auth=admin)
    deadline = time.monotonic() + wait
    while True:
        try:
            management.provision(vhost, users)
            return [user for user, _ in users.values()]
        except requests.ConnectionError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(2)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("local", help="create the local stack's users; write their URIs to a file")
    up.add_argument("--api", required=True, help="management API URI of an administrator")
    up.add_argument("--amqp", required=True, help="the broker's AMQP URI (host and port are used)")
    up.add_argument("--file", required=True, type=Path)
    # no abbreviations: --admin-password must not pass for --admin-password-env
    deployed = sub.add_parser(
        "provision", allow_abbrev=False,
        help="create or update every identity's user on a deployed broker; each password from "
             "RABBITMQ_PASSWORD_<IDENTITY>, never from the command line")
    deployed.add_argument("--api", required=True, help="management API URI, without credentials "
                                                       "(http://rabbitmq:15672)")
    deployed.add_argument("--admin-user", required=True, help="an administrator of the broker")
    deployed.add_argument("--admin-password-env", required=True, metavar="VAR",
                          help="the environment variable holding that administrator's password")
    deployed.add_argument("--vhost", default="/")
    deployed.add_argument("--wait", type=float, default=60.0,
                          help="seconds to wait for the management API to answer")
    sub.add_parser("permissions", help="print every identity's permissions as JSON")
    args = parser.parse_args(argv)
    if args.command == "local":
        local(args.api, args.amqp, args.file)
    elif args.command == "provision":
        admin_password = os.environ.get(args.admin_password_env)
        if not admin_password:
            parser.error(f"{args.admin_password_env} (--admin-password-env) is not set")
        try:
            done = provision(args.api, (args.admin_user, admin_password), args.vhost, wait=args.wait)
        except ValueError as exc:
            parser.error(str(exc))
        except Exception as exc:  # the broker refused or never answered: say so, without a traceback
            print(f"identities provision: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
        print(f"broker users provisioned on vhost {args.vhost}: {', '.join(done)}")
    else:
        json.dump({name: {**permissions(name), "topic": topic_permissions(name)}
                   for name in IDENTITIES}, sys.stdout, indent=2)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
