"""deploy/compose.yaml against the compose specification and against what the code says (facts.py).

No Docker engine is needed: the file is loaded with YAML (anchors and merge keys resolved), its
${NAME} interpolations are resolved here as compose does, and the result is validated against the
vendored compose-spec schema (tests/deploy/schemas/compose-spec.source.md says which)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
import yaml

from tests.deploy import facts
from tests.deploy.test_image import SECRET_NAME, URI_PASSWORD, probe_exit_code

COMPOSE = facts.DEPLOY / "compose.yaml"
ENV_EXAMPLE = facts.DEPLOY / "compose.env.example"
SCHEMA = Path(__file__).parent / "schemas" / "compose-spec.json"
DEPLOY_DOC = facts.ROOT / "docs" / "deploy.md"
INFRA = ("rabbitmq", "mongo")
# the secrets an operator supplies; compose must refuse to start without each
SECRETS = ("AUTH_SECRET", "RABBITMQ_PASSWORD", "MONGO_PASSWORD")


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
    assert set(services) == set(facts.service_classes()) | set(INFRA), \
        "compose services must be the code's processes plus the broker and the store"
    images = {services[name]["image"] for name in facts.service_classes()}
    assert len(images) == 1, f"one image for every process: {images}"
    assert all("${CADRE_IMAGE" in raw["services"][name]["image"] for name in facts.service_classes())
    for name in facts.service_classes():
        assert services[name]["command"] == [name], f"{name}: command must be [{name!r}]"


def test_every_container_has_a_healthcheck(resolved):
    for name, service in resolved["services"].items():
        check = service.get("healthcheck") or {}
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


def test_start_order_waits_for_health(apps):
    for name, service in apps.items():
        depends = service.get("depends_on") or {}
        assert isinstance(depends, dict), f"{name}: depends_on needs conditions"
        for needed in INFRA:
            assert depends.get(needed, {}).get("condition") == "service_healthy", \
                f"{name} must wait for {needed} to be healthy"
    gateway = apps[facts.GATEWAY[0]]["depends_on"]
    for name in facts.service_classes():
        if name != facts.GATEWAY[0]:
            assert gateway.get(name, {}).get("condition") == "service_healthy", \
                f"the gateway must wait for {name} to be healthy"


def test_restart_policy(resolved):
    for name, service in resolved["services"].items():
        assert service.get("restart") == "unless-stopped", name


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
    assert env.get("AUTH_SECRET") or env.get("AUTH_JWKS_URL"), "the gateway needs a token key"


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
