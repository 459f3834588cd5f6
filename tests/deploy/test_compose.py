"""deploy/compose.yaml against the compose specification and against what the code says (facts.py).

No Docker engine is needed: the file is loaded with YAML (anchors and merge keys resolved), its
${NAME} interpolations are resolved here as compose does, and the result is validated against the
vendored compose-spec schema (tests/deploy/schemas/compose-spec.source.md says which)."""

from __future__ import annotations

import copy
import json
import os
import re
import sys
import types
from collections.abc import Callable
from pathlib import Path
from unittest import mock
from urllib.parse import parse_qs, unquote, urlsplit

import jsonschema
import pytest
import yaml

from services.common.messaging import identities
from services.common.messaging.reads import read_urls
from tests.deploy import facts
from tests.deploy.test_image import SECRET_NAME, URI_PASSWORD, probe_exit_code

COMPOSE = facts.DEPLOY / "compose.yaml"
ENV_EXAMPLE = facts.DEPLOY / "compose.env.example"
SCHEMA = Path(__file__).parent / "schemas" / "compose-spec.json"
DEPLOY_DOC = facts.ROOT / "docs" / "deploy.md"
INFRA = ("rabbitmq", "mongo")
# one-shot jobs that make the processes' own broker and store users before the processes start
JOBS = ("broker-users", "store-users")
# the operator's tool, run on demand (`run --rm cadrectl ...`), as cadrectl's own users
TOOL = facts.OPERATOR
IDENTITIES = facts.broker_identities()
BROKER_PASSWORDS = {name: f"RABBITMQ_PASSWORD_{name.upper()}" for name in IDENTITIES}
STORE_PASSWORDS = {name: f"MONGO_PASSWORD_{name.upper()}" for name in IDENTITIES}
# the broker's administrator and the store's root user
ADMIN_PASSWORDS = ("RABBITMQ_PASSWORD", "MONGO_PASSWORD")
# the secrets an operator supplies; compose must refuse to start without each
SECRETS = ("AUTH_SECRET", *ADMIN_PASSWORDS, *BROKER_PASSWORDS.values(), *STORE_PASSWORDS.values())


# --- compose's interpolation, as the spec defines it ----------------------------------------------------

VARIABLE = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)"
                      r"(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}|(?P<named>[A-Za-z_][A-Za-z0-9_]*))")


class Refused(Exception):
    """compose would refuse the file: a required variable is unset or empty."""


def interpolate(value, env: dict[str, str]):
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match) -> str:
        if match["escaped"]:
            return "$"
        name, op, arg = match["braced"] or match["named"], match["op"], match["arg"]
        val = env.get(name)
        missing = (not val) if op and op.startswith(":") else val is None
        if op in (":-", "-"):
            return arg if missing else val
        if op in (":?", "?"):
            if missing:
                raise Refused(f"{name}: {arg}")
            return val
        if op in (":+", "+"):
            return "" if missing else arg
        return val or ""

    return VARIABLE.sub(substitute, value)


def interpolations(value) -> list[re.Match]:
    """Every ${NAME...} in the file's values (comments are not values)."""
    if isinstance(value, dict):
        return [m for item in value.values() for m in interpolations(item)]
    if isinstance(value, list):
        return [m for item in value for m in interpolations(item)]
    if isinstance(value, str):
        return [m for m in VARIABLE.finditer(value) if not m["escaped"]]
    return []


def read_env_file(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, eq, value = line.partition("=")
            assert eq, f"{path.name}: not NAME=value: {line}"
            found[name.strip()] = value.strip()
    return found


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {name: ("" if value is None else str(value)) for name, value in env.items()}


def config_defaults() -> dict[str, str]:
    return dict(re.findall(r"\$\{([A-Z][A-Z0-9_]*):([^}]*)\}", facts.CONFIG.read_text(encoding="utf-8")))


# --- fixtures ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def example_env() -> dict[str, str]:
    return read_env_file(ENV_EXAMPLE)


@pytest.fixture(scope="module")
def filled_env(example_env) -> dict[str, str]:
    """The example with its secrets filled in, as an operator would."""
    return {**example_env, **{name: f"{name.lower()}-0123456789abcdef" for name in SECRETS}}


@pytest.fixture(scope="module")
def resolved(raw, filled_env) -> dict:
    return interpolate(raw, filled_env)


@pytest.fixture(scope="module")
def apps(resolved) -> dict[str, dict]:
    return {name: resolved["services"][name] for name in facts.service_classes()}


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


# --- the specification ---------------------------------------------------------------------------------

def test_valid_against_the_compose_spec_before_and_after_interpolation(raw, resolved, validator):
    for document in (raw, resolved):
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def test_the_schema_check_is_not_vacuous(raw, validator):
    broken = copy.deepcopy(raw)
    broken["services"]["talent"]["healthcheck"]["intervall"] = "15s"
    assert not validator.is_valid(broken)
    broken = copy.deepcopy(raw)
    broken["services"]["gateway"]["depends_on"]["talent"]["condition"] = "service_ready"
    assert not validator.is_valid(broken)


def test_no_version_key(raw):
    assert "version" not in raw, "the compose spec has no version: key (obsolete)"


# --- the processes -------------------------------------------------------------------------------------

def test_every_process_of_the_code_runs_from_the_one_image(raw, resolved):
    services = resolved["services"]
    assert set(services) == set(facts.service_classes()) | set(INFRA) | set(JOBS) | {TOOL}, \
        "compose services must be the code's processes, the broker, the store, the jobs and cadrectl"
    ours = [*facts.service_classes(), *JOBS, TOOL]
    images = {services[name]["image"] for name in ours}
    assert len(images) == 1, f"one image for every process and job: {images}"
    assert all("${CADRE_IMAGE" in raw["services"][name]["image"] for name in ours)
    for name in facts.service_classes():
        assert services[name]["command"] == [name], f"{name}: command must be [{name!r}]"
        assert "entrypoint" not in services[name], f"{name}: the image's entrypoint runs the process"


def test_every_long_running_container_has_a_healthcheck(resolved):
    for name, service in resolved["services"].items():
        check = service.get("healthcheck") or {}
        if name in JOBS or name == TOOL:
            # the image's own check asks a readiness endpoint that a job does not serve
            assert check == {"disable": True}, f"{name}: a one-shot job's health check must be disabled"
            continue
        assert check.get("test") and not check.get("disable"), f"{name}: no healthcheck"
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name


def test_app_healthchecks_ask_readiness_on_the_ops_port(apps):
    for name, service in apps.items():
        command = service["healthcheck"]["test"]
        assert command[0] == "CMD", name
        assert f"127.0.0.1:{facts.OPS_PORT}{facts.READINESS_PATH}" in " ".join(command), name
        assert not any("curl" in part or "wget" in part for part in command), f"{name}: no curl in slim"


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False), (None, False)])
def test_app_healthcheck_passes_only_on_200(apps, status, healthy):
    for name, service in apps.items():
        code = probe_exit_code(service["healthcheck"]["test"][1:], status)
        assert (code == 0) is healthy, f"{name}: readiness {status}, health check exited {code}"


def test_broker_and_store_healthchecks(resolved):
    rabbit = " ".join(resolved["services"]["rabbitmq"]["healthcheck"]["test"])
    assert "rabbitmq-diagnostics" in rabbit and re.search(r"\b(ping|check_port_connectivity)\b", rabbit)
    mongo = " ".join(resolved["services"]["mongo"]["healthcheck"]["test"])
    assert "rs.initiate(" in mongo, "the store's health check initiates the replica set"
    assert "isWritablePrimary" in mongo, "the store is healthy only once it is PRIMARY"
    assert "$MONGO_INITDB_ROOT_PASSWORD" in mongo, "the check reads the password from the container's env"


def check_start_order(resolved: dict) -> list[str]:
    """Broker and store healthy, then the jobs, then the processes; the gateway after the services."""
    problems = []
    services = resolved["services"]
    for name in facts.service_classes():
        depends = services[name].get("depends_on") or {}
        if not isinstance(depends, dict):
            problems.append(f"{name}: depends_on needs conditions")
            continue
        for needed in INFRA:
            if depends.get(needed, {}).get("condition") != "service_healthy":
                problems.append(f"{name} must wait for {needed} to be healthy")
        for job in JOBS:
            if depends.get(job, {}).get("condition") != "service_completed_successfully":
                problems.append(f"{name} must wait for {job} to have made its users")
    gateway = services[facts.GATEWAY[0]].get("depends_on") or {}
    for name in facts.service_classes():
        if name != facts.GATEWAY[0] and gateway.get(name, {}).get("condition") != "service_healthy":
            problems.append(f"the gateway must wait for {name} to be healthy")
    for job, needed in zip(JOBS, INFRA, strict=True):
        if (services[job].get("depends_on") or {}).get(needed, {}).get("condition") != "service_healthy":
            problems.append(f"{job} must wait for {needed} to be healthy")
    return problems


def test_restart_policy(resolved):
    for name, service in resolved["services"].items():
        once = name in JOBS or name == TOOL
        assert service.get("restart") == ("no" if once else "unless-stopped"), name


def test_the_operators_tool_is_never_started_by_up(resolved):
    tool = resolved["services"][TOOL]
    assert tool.get("profiles"), "cadrectl runs on demand only (docker compose run --rm cadrectl ...)"
    assert tool["entrypoint"] == ["cadrectl"]
    for name, service in resolved["services"].items():
        assert TOOL not in (service.get("depends_on") or {}), f"{name} must not depend on the tool"


# --- the environment -----------------------------------------------------------------------------------

def test_app_environment_names_are_ones_the_code_reads(apps):
    known = facts.config_env_names()
    for name, service in apps.items():
        unknown = set(environment(service)) - known
        assert not unknown, f"{name} sets {sorted(unknown)}, which config.yaml does not read"
        assert not service.get("env_file"), f"{name}: env_file would pass names the code does not read"


def test_production_settings_on_every_app(apps):
    for name, service in apps.items():
        env = environment(service)
        for required in ("AMQP_URI", "MONGODB_URI", "OPS_ADDRESS", "EVENT_QUEUE_TYPE",
                         "MONGODB_WRITE_CONCERN"):
            assert env.get(required), f"{name}: {required} must be set"
        assert env["EVENT_QUEUE_TYPE"] == "quorum", name
        assert env["MONGODB_WRITE_CONCERN"] == "majority", name
        host, _, port = env["OPS_ADDRESS"].rpartition(":")
        assert (host, int(port)) == ("0.0.0.0", facts.OPS_PORT), f"{name}: OPS_ADDRESS {env['OPS_ADDRESS']}"
        amqp = urlsplit(env["AMQP_URI"])
        assert (amqp.scheme, amqp.hostname) == ("amqp", "rabbitmq"), f"{name}: AMQP_URI {env['AMQP_URI']}"
        assert amqp.password, f"{name}: the broker needs credentials"
        mongo = urlsplit(env["MONGODB_URI"])
        query = parse_qs(mongo.query)
        assert (mongo.scheme, mongo.hostname) == ("mongodb", "mongo"), name
        assert query.get("replicaSet") == ["rs0"], f"{name}: MONGODB_URI needs replicaSet=rs0"
        assert query.get("w") == ["majority"], f"{name}: MONGODB_URI needs w=majority"
        assert mongo.password, f"{name}: the store needs credentials"


def test_gateway_settings(apps):
    env = environment(apps[facts.GATEWAY[0]])
    host, _, port = env.get("GATEWAY_ADDRESS", "").rpartition(":")
    assert (host, port) == ("0.0.0.0", str(facts.GATEWAY_PORT)), "the gateway must listen on all interfaces"


def test_the_gateway_reads_each_service_on_its_read_port(apps):
    """READ_URLS names every service by its container name on the port its READ_ADDRESS listens on."""
    urls = read_urls(environment(apps[facts.GATEWAY[0]]).get("READ_URLS"))
    services = {name: app for name, app in apps.items() if name != facts.GATEWAY[0]}
    assert set(urls) == set(services)
    for name, app in services.items():
        port = environment(app)["READ_ADDRESS"].rsplit(":", 1)[1]
        assert urls[name] == f"http://{name}:{port}", name


def check_token_keys(resolved: dict) -> list[str]:
    """Every process checks the user's token itself (the services again after the gateway), so every
    process needs a key and the same issuer, audience and lifetime cap."""
    problems = []
    settings = set()
    for name in facts.service_classes():
        env = environment(resolved["services"][name])
        if not env.get("AUTH_SECRET") and not env.get("AUTH_JWKS_URL"):
            problems.append(f"{name}: neither AUTH_SECRET nor AUTH_JWKS_URL: it would refuse to start")
        settings.add(tuple(env.get(key) for key in ("AUTH_SECRET", "AUTH_JWKS_URL", "AUTH_ISSUER",
                                                     "AUTH_AUDIENCE", "AUTH_MAX_TOKEN_LIFETIME")))
    if len(settings) != 1:
        problems.append(f"the processes check tokens differently: {sorted(map(str, settings))}")
    return problems


def test_defaults_in_compose_are_config_yaml_defaults(raw):
    """A ${NAME:-default} for a setting must not drift from config.yaml's own default."""
    defaults = config_defaults()
    for match in interpolations(raw):
        name = match["braced"]
        if name in defaults and match["op"] in (":-", "-"):
            assert match["arg"] == defaults[name], \
                f"${{{name}:-{match['arg']}}}: config.yaml's default is {defaults[name]!r}"


def test_only_the_gateway_publishes_a_port(resolved):
    published = {}
    for name, service in resolved["services"].items():
        for port in service.get("ports") or []:
            if isinstance(port, dict):
                target = int(port["target"])
            else:  # [host_ip:][published:]target[/protocol]
                target = int(str(port).rsplit(":", 1)[-1].split("/")[0])
            published.setdefault(name, set()).add(target)
    assert published == {facts.GATEWAY[0]: {facts.GATEWAY_PORT}}, \
        f"only the gateway's API is published; ops ports, broker and store stay internal: {published}"


# --- broker, store, volumes ----------------------------------------------------------------------------

def test_store_is_a_single_node_replica_set(resolved):
    mongo = resolved["services"]["mongo"]
    assert re.fullmatch(r"mongo:7\.0\.\d+", mongo["image"]), f"pin mongo 7.0.x: {mongo['image']}"
    command = mongo["command"]
    assert "--replSet" in command and command[command.index("--replSet") + 1] == "rs0"
    assert "'rs0'" in " ".join(mongo["healthcheck"]["test"])


def test_broker_image_and_node_name(resolved):
    rabbit = resolved["services"]["rabbitmq"]
    assert re.fullmatch(r"rabbitmq:3\.13\.\d+-management", rabbit["image"]), \
        f"pin rabbitmq 3.13.x-management: {rabbit['image']}"
    assert rabbit.get("hostname"), "the node name (and its data directory) follows the hostname: fix it"


def test_data_lives_in_declared_named_volumes(resolved):
    declared = set(resolved.get("volumes") or {})
    used = set()
    for name, service in resolved["services"].items():
        for volume in service.get("volumes") or []:
            source, _, target = volume.partition(":") if isinstance(volume, str) else (
                volume.get("source"), None, volume.get("target"))
            assert not source.startswith((".", "/", "~")), f"{name}: {volume} is a bind mount, not a volume"
            used.add(source)
            assert source in declared, f"{name}: volume {source} is not declared"
    mounts = {name: {v.split(":")[1] for v in resolved["services"][name].get("volumes") or []}
              for name in INFRA}
    assert "/var/lib/rabbitmq" in mounts["rabbitmq"]
    assert "/data/db" in mounts["mongo"]
    assert used == declared, f"declared but unused: {sorted(declared - used)}"


# --- each process its own users ------------------------------------------------------------------------

def check_own_users(resolved: dict, env: dict[str, str]) -> list[str]:
    """Each process (and the tool) logs in to the broker and to the store as the user of its own name,
    with its own password; the broker checks the events' user_id against that name."""
    problems = []
    for name in [*facts.service_classes(), TOOL]:
        settings = environment(resolved["services"][name])
        amqp, mongo = urlsplit(settings.get("AMQP_URI", "")), urlsplit(settings.get("MONGODB_URI", ""))
        if (unquote(amqp.username or ""), unquote(amqp.password or "")) \
                != (name, env[BROKER_PASSWORDS[name]]):
            problems.append(f"{name}: AMQP_URI logs in as {amqp.username!r}, not as {name} with "
                            f"{BROKER_PASSWORDS[name]}")
        if (unquote(mongo.username or ""), unquote(mongo.password or "")) \
                != (name, env[STORE_PASSWORDS[name]]):
            problems.append(f"{name}: MONGODB_URI logs in as {mongo.username!r}, not as {name} with "
                            f"{STORE_PASSWORDS[name]}")
        if parse_qs(mongo.query).get("authSource") != ["admin"]:
            problems.append(f"{name}: MONGODB_URI needs authSource=admin, where store-users makes users")
        if settings.get("BROKER_USERS"):
            problems.append(f"{name}: BROKER_USERS is set, but every process publishes as its own name")
    return problems


def expected_secrets() -> dict[str, set[str]]:
    """Which secrets each container may hold: its own, and the administrators' only where users are
    made."""
    expected = {"rabbitmq": {"RABBITMQ_PASSWORD"}, "mongo": {"MONGO_PASSWORD"},
                "broker-users": {"RABBITMQ_PASSWORD", *BROKER_PASSWORDS.values()},
                "store-users": {"MONGO_PASSWORD", *STORE_PASSWORDS.values()},
                TOOL: {BROKER_PASSWORDS[TOOL], STORE_PASSWORDS[TOOL]}}
    for name in facts.service_classes():
        expected[name] = {"AUTH_SECRET", BROKER_PASSWORDS[name], STORE_PASSWORDS[name]}
    return expected


def check_secret_exposure(resolved: dict, env: dict[str, str]) -> list[str]:
    """No container holds a secret it does not need: no process the administrator's or the root
    password, nor another process's."""
    problems = []
    for name, service in resolved["services"].items():
        text = json.dumps(service)
        held = {secret for secret in SECRETS if env[secret] in text}
        wanted = expected_secrets().get(name, set())
        if held - wanted:
            problems.append(f"{name}: holds {sorted(held - wanted)}, which it has no use for")
        if wanted - held:
            problems.append(f"{name}: lacks {sorted(wanted - held)}")
    return problems


class FakeManagement:
    """The management API as broker-users would call it: what it was asked, nothing sent."""

    made: list[FakeManagement] = []

    def __init__(self, api_uri, auth=None):
        self.api_uri, self.auth, self.provisioned = api_uri, auth, []
        FakeManagement.made.append(self)

    def provision(self, vhost, users):
        self.provisioned.append((vhost, users))


def check_broker_job(resolved: dict, env: dict[str, str]) -> list[str]:
    """broker-users, run as compose would run it (its entrypoint, command and environment) against a
    stand-in for the management API: every identity of the code, as a user of its name, with its
    password, made by the broker's administrator."""
    job = resolved["services"]["broker-users"]
    if job.get("entrypoint") != ["python", "-m", identities.__name__]:
        return [f"broker-users: entrypoint {job.get('entrypoint')}, expected python -m {identities.__name__}"]
    FakeManagement.made = []
    with mock.patch.object(identities, "Management", FakeManagement), \
            mock.patch.dict(os.environ, environment(job), clear=True):
        try:
            code = identities.main(list(job.get("command") or []))
        except SystemExit as exc:
            code = exc.code
    if code != 0 or len(FakeManagement.made) != 1:
        return [f"broker-users: exited {code} without provisioning the users"]
    [management] = FakeManagement.made
    rabbit = environment(resolved["services"]["rabbitmq"])
    problems = []
    if urlsplit(management.api_uri)[:2] != ("http", "rabbitmq:15672"):
        problems.append(f"broker-users: asks {management.api_uri}, not the broker's management API")
    if management.auth != (rabbit["RABBITMQ_DEFAULT_USER"], rabbit["RABBITMQ_DEFAULT_PASS"]):
        problems.append("broker-users: does not log in as the broker's administrator")
    wanted = [("/", {name: (name, env[BROKER_PASSWORDS[name]]) for name in IDENTITIES})]
    if management.provisioned != wanted:
        problems.append(f"broker-users: provisions {management.provisioned}, expected {wanted}")
    return problems


class FakeAdminDatabase:
    """The admin database as store-users uses it: users and roles kept, each command recorded."""

    def __init__(self, state: dict):
        self.state = state

    def command(self, name, value, **spec):
        kinds = {"rolesInfo": "roles", "usersInfo": "users"}
        if name in kinds:
            return {kinds[name]: [{"name": value}] if value in self.state[kinds[name]] else []}
        verb, kind = re.fullmatch(r"(create|update)(Role|User)", name).groups()
        kept = self.state[kind.lower() + "s"]
        assert (value in kept) == (verb == "update"), f"{name} {value}: exists={value in kept}"
        kept[value] = spec
        return {"ok": 1}


def run_store_job(job: dict, state: dict) -> dict:
    """store-users' script, run with its environment against a stand-in for the store; returns how it
    connected. ``state`` keeps the users and roles, so that a second run shows the job idempotent."""
    entrypoint = job.get("entrypoint") or []
    assert entrypoint[:2] == ["python", "-c"] and len(entrypoint) == 3, f"store-users: {entrypoint}"
    connected = {}

    class FakeClient:
        def __init__(self, uri, **options):
            connected.update(options, uri=uri)

        def __getitem__(self, database):
            assert database == "admin", f"store-users touches {database}: users and roles live in admin"
            return FakeAdminDatabase(state)

    pymongo = types.ModuleType("pymongo")
    pymongo.MongoClient = FakeClient
    with mock.patch.dict(sys.modules, {"pymongo": pymongo}), \
            mock.patch.dict(os.environ, environment(job), clear=True):
        exec(compile(entrypoint[2], "store-users", "exec"), {"__name__": "__main__"})  # noqa: S102
    return connected


def granted(user: dict, roles: dict) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """A user's (built-in role, database) pairs, and the (database, action) pairs its own roles add."""
    builtin, actions = set(), set()
    for role in user["roles"]:
        custom = roles.get(role["role"]) if role["db"] == "admin" else None
        if custom is None:
            builtin.add((role["role"], role["db"]))
            continue
        if custom.get("roles"):
            actions.add(("inherits", repr(custom["roles"])))
        for privilege in custom.get("privileges") or []:
            resource = privilege["resource"]
            where = resource.get("db", "*") if resource.get("collection") == "" else repr(resource)
            actions |= {(where, action) for action in privilege["actions"]}
    return builtin, actions


def check_store_job(resolved: dict, env: dict[str, str]) -> list[str]:
    """store-users, run twice against a stand-in store: as the root user; each process readWrite on its
    database and only the audit actions on its audit database; cadrectl read on every audit database
    and nothing else; each with its own password; the second run updating what the first made."""
    job = resolved["services"]["store-users"]
    mongo = environment(resolved["services"]["mongo"])
    prefix = facts.config_default("MONGODB_DATABASE_PREFIX")
    state: dict = {"users": {}, "roles": {}}
    problems = []
    try:
        connected = run_store_job(job, state)
        first = copy.deepcopy(state)
        run_store_job(job, state)
    except (AssertionError, SystemExit, KeyError, AttributeError) as exc:
        return [f"store-users: fails: {type(exc).__name__}: {exc}"]
    if state != first:
        problems.append("store-users: a second run grants differently from the first")
    if (connected.get("username"), connected.get("password")) \
            != (mongo["MONGO_INITDB_ROOT_USERNAME"], mongo["MONGO_INITDB_ROOT_PASSWORD"]):
        problems.append("store-users: does not log in as the store's root user")
    where = urlsplit(connected.get("uri", ""))
    if where.hostname != "mongo" or parse_qs(where.query).get("replicaSet") != ["rs0"]:
        problems.append(f"store-users: connects to {connected.get('uri')}, not the replica set rs0")
    if set(state["users"]) != set(IDENTITIES):
        problems.append(f"store-users: makes users {sorted(state['users'])}, expected {sorted(IDENTITIES)}")
    audit_databases = {prefix + name + facts.AUDIT_SUFFIX for name in facts.service_classes()}
    for name, user in state["users"].items():
        if user.get("pwd") != env.get(STORE_PASSWORDS.get(name, ""), object()):
            problems.append(f"store-users: {name}'s password is not {STORE_PASSWORDS.get(name)}")
        builtin, actions = granted(user, state["roles"])
        if name == TOOL:
            wanted_builtin, wanted_actions = {("read", db) for db in audit_databases}, set()
        else:
            wanted_builtin = {("readWrite", prefix + name)}
            wanted_actions = {(prefix + name + facts.AUDIT_SUFFIX, action) for action in facts.AUDIT_ACTIONS}
        if builtin != wanted_builtin:
            problems.append(f"store-users: {name} has roles {sorted(builtin)}, expected "
                            f"{sorted(wanted_builtin)}")
        if actions != wanted_actions:
            problems.append(f"store-users: {name} may {sorted(actions - wanted_actions)} and not "
                            f"{sorted(wanted_actions - actions)}")
    return problems


def test_every_process_of_the_code_has_a_broker_and_a_store_identity():
    assert set(IDENTITIES) == set(facts.service_classes()) | {TOOL}


def test_the_apps_keep_the_database_prefix_the_store_job_grants(apps):
    for name, service in apps.items():
        assert "MONGODB_DATABASE_PREFIX" not in environment(service), \
            f"{name}: store-users grants config.yaml's default prefix; change both together"


CHECKS: dict[str, Callable[[dict, dict], list[str]]] = {
    "start order": lambda resolved, env: check_start_order(resolved),
    "token keys": lambda resolved, env: check_token_keys(resolved),
    "own users": check_own_users,
    "secret exposure": check_secret_exposure,
    "broker job": check_broker_job,
    "store job": check_store_job,
}


@pytest.mark.parametrize("check", list(CHECKS))
def test_compose_passes(resolved, filled_env, check):
    assert CHECKS[check](resolved, filled_env) == []


def _service(resolved: dict, name: str) -> dict:
    return resolved["services"][name]


def _env(resolved: dict, name: str) -> dict:
    return resolved["services"][name]["environment"]


def _script(resolved: dict, old: str, new: str) -> None:
    entrypoint = resolved["services"]["store-users"]["entrypoint"]
    assert old in entrypoint[2], f"the mutation no longer applies: {old!r}"
    entrypoint[2] = entrypoint[2].replace(old, new)


# each breaks a copy of the resolved file; the check named must notice
MUTATIONS: dict[str, tuple[str, Callable[[dict, dict], None]]] = {
    "a process connects to the broker as another": (
        "own users", lambda r, e: _env(r, "talent").update(
            AMQP_URI=_env(r, "talent")["AMQP_URI"].replace("amqp://talent:", "amqp://appraisal:"))),
    "a process connects to the store as root": (
        "secret exposure", lambda r, e: _env(r, "gateway").update(
            MONGODB_URI=f"mongodb://cadre:{e['MONGO_PASSWORD']}@mongo:27017/?replicaSet=rs0&authSource=admin")),
    "a process holds the broker administrator's password": (
        "secret exposure", lambda r, e: _env(r, "care").update(
            AMQP_URI=f"amqp://cadre:{e['RABBITMQ_PASSWORD']}@rabbitmq:5672/")),
    "a process holds another process's password": (
        "secret exposure", lambda r, e: _env(r, "tolerance").update(LOG_LEVEL=e["MONGO_PASSWORD_CARE"])),
    "the store job holds the broker's administrator": (
        "secret exposure",
        lambda r, e: _env(r, "store-users").update(RABBITMQ_PASSWORD=e["RABBITMQ_PASSWORD"])),
    "the tool holds a process's password": (
        "secret exposure", lambda r, e: _env(r, TOOL).update(
            AMQP_URI=f"amqp://talent:{e['RABBITMQ_PASSWORD_TALENT']}@rabbitmq:5672/")),
    "a process publishes as another": (
        "own users", lambda r, e: _env(r, "appraisal").update(BROKER_USERS="appraisal=talent")),
    "a service without a token key": (
        "token keys", lambda r, e: _env(r, "care").pop("AUTH_SECRET")),
    "a service with another issuer": (
        "token keys", lambda r, e: _env(r, "talent").update(AUTH_ISSUER="elsewhere")),
    "a process starts before its users exist": (
        "start order", lambda r, e: _service(r, "accountability")["depends_on"].pop("broker-users")),
    "the store job does not wait for the store": (
        "start order", lambda r, e: _service(r, "store-users").pop("depends_on")),
    "the broker job misses an identity": (
        "broker job", lambda r, e: _env(r, "broker-users").pop(BROKER_PASSWORDS[TOOL])),
    "the broker job logs in as someone else": (
        "broker job", lambda r, e: _service(r, "broker-users")["command"].__setitem__(4, "guest")),
    "the audit trail may be updated": (
        "store job", lambda r, e: _script(r, '"insert", ', '"insert", "update", ')),
    "the audit trail may be removed from": (
        "store job", lambda r, e: _script(r, '"find", ', '"find", "remove", ')),
    "the audit trail may be dropped": (
        "store job", lambda r, e: _script(r, '"listCollections"]', '"listCollections", "dropCollection"]')),
    "the audit trail may not be read": (
        "store job", lambda r, e: _script(r, '"find", ', "")),
    "a process may readWrite its audit trail": (
        "store job", lambda r, e: _script(r, '{"role": "audit_append_" + name, "db": "admin"}',
                                          '{"role": "readWrite", "db": audit}')),
    "cadrectl may change the audit trails": (
        "store job", lambda r, e: _script(r, '"role": "read",', '"role": "readWrite",')),
    "a process is left without a user": (
        "store job", lambda r, e: _script(r, '"care", ', "")),
    "every user gets one password": (
        "store job", lambda r, e: _script(r, '"MONGO_PASSWORD_" + user.upper()', '"MONGO_PASSWORD_TALENT"')),
    "the store job logs in as a process": (
        "store job", lambda r, e: _env(r, "store-users").update(MONGO_USER="talent")),
}


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_a_check_notices(resolved, filled_env, mutation):
    check, mutate = MUTATIONS[mutation]
    broken = copy.deepcopy(resolved)
    assert CHECKS[check](broken, filled_env) == []
    mutate(broken, filled_env)
    assert CHECKS[check](broken, filled_env), f"{check} did not notice: {mutation}"


# --- secrets -------------------------------------------------------------------------------------------

def test_no_literal_secrets_only_required_interpolations(raw):
    interpolation = re.compile(r"\$\{[A-Z][A-Z0-9_]*:\?[^}]*\}")
    for name, service in raw["services"].items():
        for key, value in environment(service).items():
            if SECRET_NAME.search(key):
                assert interpolation.fullmatch(value), f"{name}: {key} must be ${{NAME:?...}}, not a value"
    for match in (m for value in _strings(raw) for m in URI_PASSWORD.finditer(value)):
        assert interpolation.fullmatch(match.group(1)), f"a literal password in a URI: {match.group(0)}"
    for match in interpolations(raw):
        if match["braced"] in SECRETS:
            assert match["op"] == ":?", f"${{{match['braced']}...}} must be required (:?), never defaulted"


def _strings(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


@pytest.mark.parametrize("secret", SECRETS)
def test_compose_refuses_to_start_without_each_secret(raw, filled_env, secret):
    interpolate(raw, filled_env)  # complete: fine
    for absent in ({k: v for k, v in filled_env.items() if k != secret}, {**filled_env, secret: ""}):
        with pytest.raises(Refused, match=secret):
            interpolate(raw, absent)


def test_env_example_documents_every_variable_and_holds_no_secret(raw, example_env):
    used = {m["braced"] or m["named"] for m in interpolations(raw)}
    assert used == set(example_env), (f"compose.env.example misses {sorted(used - set(example_env))}, "
                                      f"or documents unused {sorted(set(example_env) - used)}")
    for name, value in example_env.items():
        if SECRET_NAME.search(name):
            assert value == "", f"compose.env.example: {name} must be empty (compose then refuses to start)"
    with pytest.raises(Refused):
        interpolate(raw, example_env)  # copied but not filled in: refused


def test_deploy_doc_lists_every_setting():
    text = DEPLOY_DOC.read_text(encoding="utf-8")
    missing = sorted(name for name in facts.config_env_names() if f"`{name}`" not in text)
    assert not missing, f"docs/deploy.md's configuration reference misses {missing}"
