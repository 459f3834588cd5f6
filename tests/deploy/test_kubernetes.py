"""deploy/k8s against what the code says a deployment must be (facts.py) and against the API schemas.

No cluster: kustomize (v5, as in kubectl; ``make tools`` builds it into .stack/bin) renders the base and
each overlay as ``kubectl kustomize`` would. Every rendering is validated by kubeconform -strict, offline:
the built-in kinds against kubernetes-validate's schemas of Kubernetes KUBERNETES_VERSION, the custom
resources against the CRD schemas vendored in tests/deploy/schemas/crds/; and once more in Python, every
built-in resource with kubernetes-validate (unknown fields refused) and every custom resource with
jsonschema. Each ``check_*`` function returns the problems it finds in a rendering; the tests demand
none, and the tests at the end break a copy and demand that the check notices.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest
import yaml

from services.common.messaging import identities
from services.common.messaging.reads import read_urls
from tests.deploy import broker_topology, facts

K8S = facts.DEPLOY / "k8s"
README = facts.ROOT / "docs" / "deploy.md"  # its Kubernetes section
RENDERINGS = {
    "base": K8S / "base",
    "staging": K8S / "overlays" / "staging",
    "production": K8S / "overlays" / "production",
}
OVERLAYS = ("staging", "production")
KUBERNETES_VERSION = "1.30"
IMAGE = "registry.example.org/cadre-incentive"
NAMESPACES = {"base": "cadre", "staging": "cadre-staging", "production": "cadre-production"}
CRDS = Path(__file__).parent / "schemas" / "crds"
PROCESSES = sorted(facts.service_classes())
SERVICES = [name for name in PROCESSES if name != facts.GATEWAY[0]]
# a broker user and a store user each: the processes and cadrectl
IDENTITIES = facts.broker_identities()
AUTH_SECRET = ("cadre-auth", "AUTH_SECRET")
AMQP_PORT = 5672
READ_PORT = facts.READ_PORT
# the MongoDB compose runs (mongo:<version>): the store's one version everywhere
COMPOSE_MONGODB = re.search(r"image: mongo:(\S+)", (facts.DEPLOY / "compose.yaml").read_text()).group(1)


def store_password_secret(identity: str) -> str:
    return f"cadre-mongodb-{identity}-password"


# Secrets the manifests use but must not contain, with who makes them. Ops make these before the first
# apply (docs/deploy.md says how; test_readme_tells_ops_to_create_their_secrets checks it says so):
OPS_SECRETS = {
    AUTH_SECRET[0]: {AUTH_SECRET[1]},  # the key every process checks tokens with (none with AUTH_JWKS_URL)
    # each identity's RabbitMQ user, which its User imports, and its MongoDB password, which the MongoDB
    # operator reads
    **{broker_topology.secret_name(name): {"username", "password"} for name in IDENTITIES},
    **{store_password_secret(name): {"password"} for name in IDENTITIES},
}
# ... and the operators make these, named after the custom resources (operator_secrets() below):
RABBITMQ_DEFAULT_USER_KEYS = {"username", "password", "host", "port"}  # <cluster>-default-user
MONGODB_CONNECTION_KEYS = {"connectionString.standard", "connectionString.standardSrv", "username",
                           "password"}
# ConfigMaps the manifests use but do not render: none
EXTERNAL_CONFIGMAPS: dict[str, set[str]] = {}
# variables set only to be substituted into another one with $(NAME); config.yaml does not read them
SUBSTITUTION_ONLY = {"RABBITMQ_USERNAME", "RABBITMQ_PASSWORD"}

# kustomize and kubeconform, from `make tools`
TOOLS = facts.ROOT / ".stack" / "bin"

Resources = list[dict]


def tool(name: str) -> str:
    path = TOOLS / name
    if not path.is_file():
        pytest.fail(f"{name} is not installed at {path}: run `make tools`", pytrace=False)
    return str(path)


@functools.cache
def kustomize(directory: Path) -> tuple[str, str]:
    """``kustomize build DIRECTORY``: the YAML stream ``kubectl kustomize`` prints, and kustomize's
    warnings."""
    done = subprocess.run([tool("kustomize"), "build", str(directory)], capture_output=True, text=True,
                          timeout=60)
    if done.returncode:
        pytest.fail(f"kustomize build {directory} failed:\n{done.stderr}", pytrace=False)
    return done.stdout, done.stderr


def build(directory: Path) -> Resources:
    """The resources kustomize renders from DIRECTORY, a copy of their own for each call."""
    return [document for document in yaml.load_all(kustomize(directory)[0], Loader=yaml.CSafeLoader)
            if document]


@pytest.fixture(scope="module", params=list(RENDERINGS))
def rendering(request) -> tuple[str, Resources]:
    return request.param, build(RENDERINGS[request.param])


# helpers


def of_kind(resources: Resources, kind: str) -> list[dict]:
    return [r for r in resources if r["kind"] == kind]


def name_of(resource: dict) -> str:
    return resource["metadata"]["name"]


def selects(selector: dict | None, labels: dict) -> bool:
    """A LabelSelector ({matchLabels, matchExpressions}) or a Service's plain map, against labels."""
    if not selector:
        return False
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        selector = {"matchLabels": selector}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, op, values = expression["key"], expression["operator"], expression.get("values") or []
        ok = {"In": labels.get(key) in values, "NotIn": labels.get(key) not in values,
              "Exists": key in labels, "DoesNotExist": key not in labels}[op]
        if not ok:
            return False
    return True


def pod_labels(deployment: dict) -> dict:
    return deployment["spec"]["template"]["metadata"].get("labels") or {}


def container(deployment: dict) -> dict:
    return deployment["spec"]["template"]["spec"]["containers"][0]


def deployments_by_process(resources: Resources) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for deployment in of_kind(resources, "Deployment"):
        for c in deployment["spec"]["template"]["spec"]["containers"]:
            args = c.get("args") or []
            found.setdefault(args[0] if len(args) == 1 else repr(args), []).append(deployment)
    return found


def port_number(port, c: dict) -> int | None:
    """A probe's or Service's port: a number, or the name of one of the container's ports."""
    if isinstance(port, int):
        return port
    for declared in c.get("ports") or []:
        if declared.get("name") == port:
            return declared["containerPort"]
    return None


def split_image(image: str) -> tuple[str, str, str]:
    """"registry:5000/a/b:tag@sha256:..." -> ("registry:5000/a/b", ":tag", "@sha256:...")."""
    name, at, digest = image.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = ""
    if colon > slash:
        name, tag = name[:colon], name[colon:]
    return name, tag, at + digest


UNITS = {"m": 1e-3, "": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30,
         "Ti": 2**40}


def quantity(value) -> float:
    match = re.fullmatch(r"([0-9.]+)([a-zA-Z]*)", str(value))
    if not match or match.group(2) not in UNITS:
        raise ValueError(f"not a quantity this test reads: {value!r}")
    return float(match.group(1)) * UNITS[match.group(2)]


def config_default(name: str) -> str:
    match = re.search(r"\$\{" + name + r":([^}]*)\}", facts.CONFIG.read_text())
    return match.group(1) if match else ""


def operator_secrets(resources: Resources) -> dict[str, set[str]]:
    """The Secrets the operators make for the custom resources rendered, with their keys. (The Messaging
    Topology Operator makes none for a User that imports its credentials, from v1.20.)"""
    made = {f"{name_of(r)}-default-user": RABBITMQ_DEFAULT_USER_KEYS
            for r in of_kind(resources, "RabbitmqCluster")}
    for secret in store_users(resources):
        made[secret] = MONGODB_CONNECTION_KEYS
    return made


def store_users(resources: Resources) -> dict[str, dict]:
    """connection-string Secret -> the MongoDB user it logs in as."""
    found = {}
    for mongodb in of_kind(resources, "MongoDBCommunity"):
        for user in mongodb["spec"].get("users") or []:
            secret = user.get("connectionStringSecretName") or \
                f"{name_of(mongodb)}-{user.get('db', 'admin')}-{user['name']}"
            found[secret] = user
    return found


def broker_users(resources: Resources) -> dict[str, str]:
    """identity -> the credentials Secret of the User whose Permission grants exactly that identity's
    patterns (identities.permissions): who a Secret logs in as, told by what the broker lets it do."""
    users = {name_of(u): ((u["spec"].get("importCredentialsSecret") or {}).get("name"))
             for u in of_kind(resources, "User")}
    found = {}
    for permission in of_kind(resources, "Permission"):
        user = (permission["spec"].get("userReference") or {}).get("name")
        for identity in IDENTITIES:
            wanted = {k: identities.permissions(identity)[k] for k in ("configure", "write", "read")}
            if permission["spec"].get("permissions") == wanted and users.get(user):
                found[identity] = users[user]
    return found


def effective_env(resources: Resources, c: dict) -> dict[str, dict]:
    """What the container's process sees: envFrom ConfigMaps' keys, then env over them, each as its
    env entry ({"value": ...} or {"valueFrom": ...})."""
    env: dict[str, dict] = {}
    configmaps = {name_of(r): r.get("data") or {} for r in of_kind(resources, "ConfigMap")}
    for source in c.get("envFrom") or []:
        ref = source.get("configMapRef")
        if ref:
            for key, value in configmaps.get(ref["name"], {}).items():
                env[(source.get("prefix") or "") + key] = {"value": value}
    for entry in c.get("env") or []:
        env[entry["name"]] = entry
    return env


# the checks


def crd_schema(path: Path) -> tuple[str, str, dict]:
    """(apiVersion, kind, JSON schema) of a vendored CRD's served version, made strict the way the API
    server's strict field validation is: an unknown field is an error, not pruned."""
    crd = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
    version = next(v for v in crd["spec"]["versions"] if v.get("served") and v.get("storage"))
    schema = copy.deepcopy(version["schema"]["openAPIV3Schema"])
    schema["properties"]["metadata"] = {"type": "object"}  # ObjectMeta, which the API server checks itself

    def strict(node):
        if isinstance(node, list):
            for item in node:
                strict(item)
            return
        if not isinstance(node, dict):
            return
        if node.get("nullable") and isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        if "properties" in node and "additionalProperties" not in node \
                and not node.get("x-kubernetes-preserve-unknown-fields"):
            node["additionalProperties"] = False
        for key in ("properties",):
            for child in (node.get(key) or {}).values():
                strict(child)
        for key in ("items", "additionalProperties", "anyOf", "allOf", "oneOf", "not"):
            if isinstance(node.get(key), dict | list):
                strict(node[key])

    strict(schema)
    return f"{crd['spec']['group']}/{version['name']}", crd["spec"]["names"]["kind"], schema


CUSTOM_SCHEMAS = {(api, kind): schema for api, kind, schema in map(crd_schema, sorted(CRDS.glob("*.yaml")))}


def check_schemas(resources: Resources) -> list[str]:
    problems = []
    for r in resources:
        where = f"{r['kind']} {r['metadata'].get('name')}"
        if (r["apiVersion"], r["kind"]) in CUSTOM_SCHEMAS:
            validator = jsonschema.Draft202012Validator(CUSTOM_SCHEMAS[r["apiVersion"], r["kind"]])
            problems += [f"{where}: {'.'.join(map(str, e.absolute_path))}: {e.message}"
                         for e in validator.iter_errors(r)]
            continue
        try:
            kubernetes_validate.validate(r, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as e:
            problems.append(f"{where}: {'.'.join(map(str, e.path))}: {e.message}")
        except kubernetes_validate.SchemaNotFoundError:
            problems.append(f"{where}: no schema for {r['apiVersion']} {r['kind']} in Kubernetes "
                            f"{KUBERNETES_VERSION} nor among the CRDs in {CRDS}")
    return problems


# kubeconform, offline: its -schema-location templates point into a directory made for the test run
# from the vendored CRDs and kubernetes-validate's schemas (its default location is on the internet)

KUBECONFORM_K8S_VERSION = f"{KUBERNETES_VERSION}.0"
# kubernetes-validate's layout, v1.30.0-local-strict/deployment-apps-v1.json, which kubeconform's
# templates can name; and kubeconform's own for CRDs, rabbitmqcluster_v1beta1.json
BUILTIN_LOCATION = ("{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}/"
                    "{{ .ResourceKind }}{{ .KindSuffix }}.json")
CRD_LOCATION = "crds/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
BUILTIN_SCHEMAS = (Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
                   / f"v{KUBECONFORM_K8S_VERSION}-local-strict")
DEFINITION_REF = re.compile(r'"\$ref": "#/\$defs/([^"]+)"')


def kubeconform_crd_schema(schema: dict) -> dict:
    """What kubeconform's scripts/openapi2jsonschema.py makes of a CRD version's openAPIV3Schema for
    -strict, the root included (its DENY_ROOT_ADDITIONAL_PROPERTIES): additionalProperties false wherever
    properties are listed and nothing else is said, int-or-string as a string or an integer; and, as the
    API server reads it, nullable as null allowed."""
    def convert(node):
        if not isinstance(node, dict):
            return node
        if node.get("format") == "int-or-string":
            return {"oneOf": [{"type": "string"}, {"type": "integer"}]}
        node = dict(node)
        if "properties" in node:
            node["properties"] = {name: convert(child) for name, child in node["properties"].items()}
            node.setdefault("additionalProperties", False)
        for key in ("items", "additionalProperties", "not"):
            if key in node:
                node[key] = convert(node[key])
        for key in ("anyOf", "allOf", "oneOf"):
            if key in node:
                node[key] = [convert(child) for child in node[key]]
        if node.get("nullable") and isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        return node

    return convert(schema)


@functools.cache
def kubernetes_definitions() -> dict:
    return json.loads((BUILTIN_SCHEMAS / "_definitions.json").read_text())["$defs"]


def standalone_builtin_schema(source: Path) -> dict:
    """kubernetes-validate's schema of a kind, with the definitions it uses inlined: as shipped, its $refs
    name https://kubernetes.io/api/_definitions.json (by its $id), which kubeconform would download."""
    text = source.read_text().replace('"/api/_definitions.json#/$defs/', '"#/$defs/')
    schema = {key: value for key, value in json.loads(text).items() if key != "$id"}
    definitions, wanted = {}, set(DEFINITION_REF.findall(text))
    while wanted:
        name = wanted.pop()
        if name not in definitions:
            definitions[name] = kubernetes_definitions()[name]
            wanted |= set(DEFINITION_REF.findall(json.dumps(definitions[name])))
    schema["$defs"] = definitions
    return schema


@functools.cache
def kubeconform_registry() -> tempfile.TemporaryDirectory:
    """The schemas' directory (removed when the tests end), the CRDs' written in it."""
    registry = tempfile.TemporaryDirectory(prefix="kubeconform-schemas-")
    crds = Path(registry.name) / "crds"
    crds.mkdir()
    for path in sorted(CRDS.glob("*.yaml")):
        crd = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
        for version in crd["spec"]["versions"]:
            name = f"{crd['spec']['names']['kind']}_{version['name']}".lower()
            schema = kubeconform_crd_schema(version["schema"]["openAPIV3Schema"])
            (crds / f"{name}.json").write_text(json.dumps(schema))
    (Path(registry.name) / BUILTIN_SCHEMAS.name).mkdir()
    return registry


def kubeconform(stream: str, resources: Resources) -> list[str]:
    """kubeconform -strict's complaints about a YAML stream holding RESOURCES, and one if it does not
    find every resource valid (a resource without a schema is an error, never skipped)."""
    registry = Path(kubeconform_registry().name)
    for r in resources:  # the built-in kinds' schemas, each written once, when first met
        group, _, version = r["apiVersion"].rpartition("/")
        name = "-".join([r["kind"].lower(), *([group.split(".")[0]] if group else []), version]) + ".json"
        target = registry / BUILTIN_SCHEMAS.name / name
        if not target.exists() and (BUILTIN_SCHEMAS / name).is_file():
            target.write_text(json.dumps(standalone_builtin_schema(BUILTIN_SCHEMAS / name)))
    return list(run_kubeconform(stream, len(resources)))


@functools.cache  # the mutation tests validate the same production rendering before each mutation
def run_kubeconform(stream: str, count: int) -> tuple[str, ...]:
    registry = Path(kubeconform_registry().name)
    done = subprocess.run([tool("kubeconform"), "-strict", "-summary", "-output", "json",
                           "-kubernetes-version", KUBECONFORM_K8S_VERSION,
                           "-schema-location", f"{registry}/{BUILTIN_LOCATION}",
                           "-schema-location", f"{registry}/{CRD_LOCATION}"],
                          input=stream, capture_output=True, text=True, timeout=120)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        return (f"kubeconform exited {done.returncode}: {done.stdout}{done.stderr}",)
    problems = [f"{r['kind']} {r['name']}: {r['msg']}" for r in report["resources"]]
    if report["summary"]["valid"] != count:
        problems.append(f"kubeconform: {report['summary']} of {count} resources; all must be valid")
    return tuple(problems)


def check_kubeconform(resources: Resources) -> list[str]:
    return kubeconform(yaml.dump_all(resources, Dumper=yaml.CSafeDumper), resources)


def check_processes(resources: Resources) -> list[str]:
    problems = []
    found = deployments_by_process(resources)
    for extra in sorted(set(found) - set(PROCESSES)):
        problems.append(f"a Deployment runs {extra}, which is not a process of the code: {PROCESSES}")
    for process in PROCESSES:
        if len(found.get(process, [])) != 1:
            problems.append(f"{process}: {len(found.get(process, []))} Deployments run it, expected 1")
            continue
        deployment = found[process][0]
        where = f"Deployment {name_of(deployment)}"
        pod = deployment["spec"]["template"]
        containers = pod["spec"]["containers"]
        if len(containers) != 1:
            problems.append(f"{where}: {len(containers)} containers, expected the process alone")
        c = containers[0]
        if c.get("args") != [process] or c.get("command"):
            problems.append(f"{where}: runs command {c.get('command')} args {c.get('args')}, expected the "
                            f"image's entrypoint with args [{process}]")
        name, tag, digest = split_image(c.get("image", ""))
        if name != IMAGE or not (tag or digest) or tag == ":latest":
            problems.append(f"{where}: image {c.get('image')!r}, expected {IMAGE} with a pinned tag or "
                            "digest")
        ports = {p["containerPort"]: p for p in c.get("ports") or []}
        if ports.get(facts.OPS_PORT, {}).get("name") != "ops":
            problems.append(f"{where}: no container port {facts.OPS_PORT} named ops")
        if process == facts.GATEWAY[0] and facts.GATEWAY_PORT not in ports:
            problems.append(f"{where}: no container port {facts.GATEWAY_PORT}")
        for probe, path, required in (("readinessProbe", facts.READINESS_PATH, True),
                                      ("livenessProbe", facts.LIVENESS_PATH, True),
                                      ("startupProbe", facts.LIVENESS_PATH, False)):
            get = (c.get(probe) or {}).get("httpGet")
            if get is None:
                if required or probe in c:
                    problems.append(f"{where}: {probe} is not an httpGet")
                continue
            if get.get("path") != path or port_number(get.get("port"), c) != facts.OPS_PORT:
                problems.append(f"{where}: {probe} asks port {get.get('port')} path {get.get('path')}, "
                                f"expected port {facts.OPS_PORT} path {path}")
        resources_ = c.get("resources") or {}
        for kind in ("cpu", "memory"):
            request = (resources_.get("requests") or {}).get(kind)
            limit = (resources_.get("limits") or {}).get(kind)
            if request is None or limit is None:
                problems.append(f"{where}: {kind} request and limit must both be set")
            elif quantity(request) > quantity(limit):
                problems.append(f"{where}: {kind} request {request} above its limit {limit}")
        pod_security = pod["spec"].get("securityContext") or {}
        security = c.get("securityContext") or {}
        if not security.get("runAsNonRoot", pod_security.get("runAsNonRoot")) \
                or security.get("runAsUser", pod_security.get("runAsUser", 1)) == 0:
            problems.append(f"{where}: may run as root")
        if security.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{where}: root filesystem is writable")
        if security.get("allowPrivilegeEscalation") is not False or security.get("privileged"):
            problems.append(f"{where}: privilege escalation is allowed")
        if "ALL" not in ((security.get("capabilities") or {}).get("drop") or []) \
                or (security.get("capabilities") or {}).get("add"):
            problems.append(f"{where}: capabilities are not all dropped")
        if pod["spec"].get("enableServiceLinks") is not False:
            problems.append(f"{where}: enableServiceLinks is not false: every Service would add variables "
                            "(GATEWAY_PORT, ...) to the environment the code reads")
        annotations = pod["metadata"].get("annotations") or {}
        expected = {"prometheus.io/scrape": "true", "prometheus.io/port": str(facts.OPS_PORT),
                    "prometheus.io/path": facts.METRICS_PATH}
        if {k: annotations.get(k) for k in expected} != expected:
            problems.append(f"{where}: pod annotations {annotations}, expected {expected}")
    for deployment in of_kind(resources, "Deployment"):
        where = f"Deployment {name_of(deployment)}"
        if not selects(deployment["spec"].get("selector"), pod_labels(deployment)):
            problems.append(f"{where}: its selector does not select its own pod template")
        for spread in deployment["spec"]["template"]["spec"].get("topologySpreadConstraints") or []:
            if not selects(spread.get("labelSelector"), pod_labels(deployment)):
                problems.append(f"{where}: a topology spread constraint does not select its own pods")
        for other in of_kind(resources, "Deployment"):
            if other is not deployment and selects(deployment["spec"].get("selector"), pod_labels(other)):
                problems.append(f"{where}: its selector also selects the pods of {name_of(other)}")
    return problems


def check_disruption_budgets(resources: Resources) -> list[str]:
    problems = []
    budgets = of_kind(resources, "PodDisruptionBudget")
    for deployment in of_kind(resources, "Deployment"):
        mine = [b for b in budgets if selects(b["spec"].get("selector"), pod_labels(deployment))]
        if len(mine) != 1:
            problems.append(f"Deployment {name_of(deployment)}: {len(mine)} PodDisruptionBudgets select its "
                            "pods, expected 1")
            continue
        spec = mine[0]["spec"]
        replicas = deployment["spec"].get("replicas", 1)
        if "maxUnavailable" in spec:
            allows = spec["maxUnavailable"] != 0 and spec["maxUnavailable"] != "0%"
        else:
            allows = isinstance(spec.get("minAvailable"), int) and spec["minAvailable"] < replicas
        if not allows:
            problems.append(f"PodDisruptionBudget {name_of(mine[0])}: lets no pod be evicted with {replicas} "
                            "replicas, so a node drain would hang")
    for budget in budgets:
        selector = budget["spec"].get("selector")
        if not any(selects(selector, labels) for labels in [
                *(pod_labels(d) for d in of_kind(resources, "Deployment")), BROKER_PODS, STORE_PODS]):
            problems.append(f"PodDisruptionBudget {name_of(budget)}: selects no Deployment's, broker's "
                            "or store's pods")
    return problems


# the pods the operators make, by the labels they give them, and a cadrectl pod run from the image
BROKER_PODS = {"app.kubernetes.io/name": "cadre-rabbitmq"}
STORE_PODS = {"app": "cadre-mongodb-svc"}
CADRECTL_POD = {"app.kubernetes.io/part-of": "cadre-incentive", "app.kubernetes.io/component": "cadrectl"}


def check_operator_budgets(resources: Resources) -> list[str]:
    """The broker and the store lose at most one of their three to a drain."""
    problems = []
    for what, labels in (("broker", BROKER_PODS), ("store", STORE_PODS)):
        mine = [b for b in of_kind(resources, "PodDisruptionBudget")
                if selects(b["spec"].get("selector"), labels)]
        if [b["spec"].get("maxUnavailable") for b in mine] != [1]:
            problems.append(f"the {what}'s pods: {len(mine)} PodDisruptionBudgets, expected one with "
                            "maxUnavailable 1")
    return problems


def peer_of(peer: dict | None, resources: Resources) -> str:
    """A NetworkPolicy peer as a word: any, ns:<name>, broker, store, apps, ip:<cidr>."""
    if peer is None:
        return "any"
    if "ipBlock" in peer:
        return f"ip:{peer['ipBlock']['cidr']}"
    if "namespaceSelector" in peer:
        names = (peer["namespaceSelector"].get("matchLabels") or {}).get("kubernetes.io/metadata.name")
        return f"ns:{names or peer['namespaceSelector']}"
    selector = peer.get("podSelector") or {}
    apps = [pod_labels(d) for d in of_kind(resources, "Deployment")] + [CADRECTL_POD]
    if selector == {}:
        return "namespace"
    if all(selects(selector, labels) for labels in apps) and not selects(selector, BROKER_PODS) \
            and not selects(selector, STORE_PODS):
        return "apps"
    chosen = {name_of(d) for d in of_kind(resources, "Deployment") if selects(selector, pod_labels(d))}
    if chosen == {facts.GATEWAY[0]} and not selects(selector, CADRECTL_POD):
        return "gateway"
    if chosen == set(SERVICES) and not selects(selector, CADRECTL_POD):
        return "services"
    return next((word for word, labels in (("broker", BROKER_PODS), ("store", STORE_PODS))
                 if selects(selector, labels)), repr(selector))


def allowed(resources: Resources, labels: dict, direction: str) -> set[tuple]:
    """What the NetworkPolicies of the rendering let pods with ``labels`` take in (``Ingress``) or
    reach (``Egress``): (peer, protocol, port, end port)."""
    found = set()
    for policy in of_kind(resources, "NetworkPolicy"):
        spec = policy["spec"]
        if direction not in spec.get("policyTypes", []):
            continue
        if spec["podSelector"] != {} and not selects(spec["podSelector"], labels):
            continue
        for rule in spec.get(direction.lower()) or []:
            for peer in rule.get("from" if direction == "Ingress" else "to") or [None]:
                for port in rule.get("ports") or [{}]:
                    found.add((peer_of(peer, resources), port.get("protocol", "TCP"), port.get("port"),
                               port.get("endPort")))
    return found


DNS = {("ns:kube-system", "UDP", 53, None), ("ns:kube-system", "TCP", 53, None)}
APPS_EGRESS = DNS | {("broker", "TCP", AMQP_PORT, None), ("store", "TCP", 27017, None),
                     ("any", "TCP", 443, None)}  # the identity provider's key set
SCRAPE = ("ns:monitoring", "TCP", 9100, None)
# the services' read ports, for the gateway only (services/common/messaging/reads.py)
READS = ("gateway", "TCP", READ_PORT, None)


def check_network_policies(resources: Resources) -> list[str]:
    """Nothing talks to anything unless a policy says so: the apps reach only the broker, the store,
    DNS and the identity provider, and the gateway the services' read ports, which take nothing else;
    only the gateway takes requests; the ops port only monitoring's."""
    problems = []
    policies = of_kind(resources, "NetworkPolicy")
    if not any(p["spec"]["podSelector"] == {} and not p["spec"].get("ingress") and not p["spec"].get("egress")
               and set(p["spec"].get("policyTypes", [])) == {"Ingress", "Egress"} for p in policies):
        problems.append("no default-deny NetworkPolicy (every pod, ingress and egress, no rule)")
    pods = {name_of(d): pod_labels(d) for d in of_kind(resources, "Deployment")}
    for name, labels in {**pods, "cadrectl": CADRECTL_POD}.items():
        gateway = name == facts.GATEWAY[0]
        ingress = {SCRAPE, ("any", "TCP", 8000, None)} if gateway else \
            {SCRAPE, READS} if name in SERVICES else {SCRAPE}
        egress = APPS_EGRESS | {("services", "TCP", READ_PORT, None)} if gateway else APPS_EGRESS
        for direction, wanted in (("Ingress", ingress), ("Egress", egress)):
            found = allowed(resources, labels, direction)
            if found != wanted:
                problems.append(f"{name}: {direction} allows {sorted(map(str, found - wanted))} and not "
                                f"{sorted(map(str, wanted - found))}")
    broker_in = {rule for rule in allowed(resources, BROKER_PODS, "Ingress") if rule[0] == "apps"}
    store_in = {rule for rule in allowed(resources, STORE_PODS, "Ingress") if rule[0] == "apps"}
    if broker_in != {("apps", "TCP", AMQP_PORT, None)} or store_in != {("apps", "TCP", 27017, None)}:
        problems.append(f"the apps reach the broker on {sorted(broker_in)} and the store on "
                        f"{sorted(store_in)}, expected AMQP and 27017 only")
    for what, labels in (("broker", BROKER_PODS), ("store", STORE_PODS)):
        if any(rule[0] in ("any", "namespace") for rule in allowed(resources, labels, "Ingress")):
            problems.append(f"the {what} takes connections from anyone")
    return problems


def check_autoscalers(resources: Resources) -> list[str]:
    problems = []
    deployments = {name_of(d): d for d in of_kind(resources, "Deployment")}
    targets: dict[str, list[dict]] = {}
    for hpa in of_kind(resources, "HorizontalPodAutoscaler"):
        where = f"HorizontalPodAutoscaler {name_of(hpa)}"
        spec = hpa["spec"]
        ref = spec["scaleTargetRef"]
        if hpa["apiVersion"] != "autoscaling/v2":
            problems.append(f"{where}: {hpa['apiVersion']}, expected autoscaling/v2")
        if (ref.get("apiVersion"), ref.get("kind")) != ("apps/v1", "Deployment") \
                or ref["name"] not in deployments:
            problems.append(f"{where}: targets {ref}, which is not a Deployment rendered here")
            continue
        targets.setdefault(ref["name"], []).append(hpa)
        cpu = [m for m in spec.get("metrics") or [] if m.get("type") == "Resource"
               and m["resource"]["name"] == "cpu" and m["resource"]["target"].get("type") == "Utilization"]
        if not cpu:
            problems.append(f"{where}: does not scale on CPU utilisation")
        low, high = spec.get("minReplicas", 1), spec["maxReplicas"]
        if not 1 <= low <= high:
            problems.append(f"{where}: minReplicas {low} maxReplicas {high}")
        replicas = deployments[ref["name"]]["spec"].get("replicas", 1)
        if replicas != low:
            problems.append(f"{where}: minReplicas {low} but the Deployment asks {replicas} replicas: an "
                            "apply would fight the autoscaler (docs/deploy.md, Scaling)")
    for name, hpas in targets.items():
        if len(hpas) > 1:
            problems.append(f"Deployment {name}: {len(hpas)} autoscalers")
    by_process = deployments_by_process(resources)
    for service in SERVICES:
        deployment = (by_process.get(service) or [None])[0]
        if deployment is None or name_of(deployment) not in targets:
            problems.append(f"{service}: no HorizontalPodAutoscaler scales its Deployment")
    return problems


def check_environment(resources: Resources) -> list[str]:
    problems = []
    read = facts.config_env_names()
    for configmap in of_kind(resources, "ConfigMap"):
        for key in sorted(set(configmap.get("data") or {}) - read):
            problems.append(f"ConfigMap {name_of(configmap)}: {key} is not a variable config.yaml reads")
    clusters = {name_of(r) for r in of_kind(resources, "RabbitmqCluster")}
    own_broker = broker_users(resources)
    logins = store_users(resources)
    for process, deployments in deployments_by_process(resources).items():
        if process not in PROCESSES:
            continue
        c = container(deployments[0])
        where = f"Deployment {name_of(deployments[0])}"
        defined: set[str] = set()
        for source in c.get("envFrom") or []:
            if source.get("prefix"):
                problems.append(f"{where}: envFrom with a prefix renames the variables the code reads")
            if source.get("secretRef"):
                problems.append(f"{where}: envFrom a Secret: its keys cannot be checked here; use "
                                "secretKeyRef")
        env = effective_env(resources, c)
        defined |= set(env) - {e["name"] for e in c.get("env") or []}
        used: set[str] = set()
        for entry in c.get("env") or []:
            name = entry["name"]
            if name not in read and name not in SUBSTITUTION_ONLY:
                problems.append(f"{where}: {name} is not a variable config.yaml reads")
            for ref in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", entry.get("value") or ""):
                used.add(ref)
                if ref not in defined:
                    problems.append(f"{where}: {name} uses $({ref}) before (or without) defining it; "
                                    "Kubernetes would leave the text as it is")
            defined.add(name)
        for name in sorted(SUBSTITUTION_ONLY & {e["name"] for e in c.get("env") or []} - used):
            problems.append(f"{where}: {name} is set but substituted nowhere")

        def value(name: str, env=env) -> str | None:
            return (env.get(name) or {}).get("value")

        def secret_ref(name: str, env=env) -> tuple[str, str] | None:
            ref = ((env.get(name) or {}).get("valueFrom") or {}).get("secretKeyRef")
            return (ref["name"], ref["key"]) if ref else None

        expected = {"OPS_ADDRESS": f"0.0.0.0:{facts.OPS_PORT}", "EVENT_QUEUE_TYPE": "quorum",
                    "MONGODB_WRITE_CONCERN": "majority"}
        if process == facts.GATEWAY[0]:
            expected["GATEWAY_ADDRESS"] = f"0.0.0.0:{facts.GATEWAY_PORT}"
        for name, want in expected.items():
            if value(name) != want:
                problems.append(f"{where}: {name}={value(name)!r}, production needs {want!r}")
        if not re.fullmatch(r"[1-9][0-9]*", value("EVENT_DELIVERY_LIMIT") or ""):
            problems.append(f"{where}: EVENT_DELIVERY_LIMIT={value('EVENT_DELIVERY_LIMIT')!r}, production "
                            "needs a positive number")
        # the broker: as this process's own user, at the RabbitmqCluster's Service
        amqp = value("AMQP_URI") or ""
        match = re.fullmatch(r"amqps?://\$\((\w+)\):\$\((\w+)\)@([a-z0-9.-]+):(\d+)/", amqp)
        refs = [secret_ref(name) for name in match.groups()[:2]] if match else []
        own = own_broker.get(process)
        if not match or refs != [(own, "username"), (own, "password")]:
            problems.append(f"{where}: AMQP_URI={amqp!r} is not built from the username and password of "
                            f"{process}'s own broker user (the Secret {own}, which the User granted "
                            f"{process}'s permissions imports)")
        elif match.group(3).split(".")[0] not in clusters or int(match.group(4)) != AMQP_PORT:
            problems.append(f"{where}: AMQP_URI reaches {match.group(3)}:{match.group(4)}, not a "
                            f"RabbitmqCluster's Service ({sorted(clusters)}) on {AMQP_PORT}")
        # the store: as the MongoDB user of this process's name
        mongo = secret_ref("MONGODB_URI")
        if not mongo or mongo[1] not in ("connectionString.standard", "connectionString.standardSrv"):
            problems.append(f"{where}: MONGODB_URI is not a MongoDB operator's connection string ({mongo})")
        elif (logins.get(mongo[0]) or {}).get("name") != process:
            problems.append(f"{where}: MONGODB_URI logs in as {(logins.get(mongo[0]) or {}).get('name')!r}, "
                            f"not as {process}'s own MongoDB user")
        # every process checks the user's token itself, the services again after the gateway
        if secret_ref("AUTH_SECRET") != AUTH_SECRET and not value("AUTH_JWKS_URL"):
            problems.append(f"{where}: neither AUTH_SECRET from {AUTH_SECRET[0]} nor AUTH_JWKS_URL: it "
                            "would refuse to start")
    return problems


def referenced_secrets(deployment: dict) -> set[str]:
    """Every Secret a Deployment's pods can read: env, envFrom, volumes, projected volumes."""
    spec = deployment["spec"]["template"]["spec"]
    found = set()
    for c in spec.get("containers", []) + spec.get("initContainers", []):
        found |= {source["secretRef"]["name"] for source in c.get("envFrom") or [] if "secretRef" in source}
        found |= {((entry.get("valueFrom") or {}).get("secretKeyRef") or {}).get("name")
                  for entry in c.get("env") or []}
    for volume in spec.get("volumes") or []:
        if "secret" in volume:
            found.add(volume["secret"]["secretName"])
        for source in (volume.get("projected") or {}).get("sources") or []:
            if "secret" in source:
                found.add(source["secret"]["name"])
    return found - {None}


def check_credentials(resources: Resources) -> list[str]:
    """A process's pods can read the token key, its own broker user's Secret and its own store user's
    connection string, and no other Secret: not the broker's administrator, not another process's."""
    problems = []
    own_broker = broker_users(resources)
    logins = store_users(resources)
    for process, deployments in deployments_by_process(resources).items():
        if process not in PROCESSES:
            continue
        mine = {AUTH_SECRET[0], own_broker.get(process)} | {
            secret for secret, user in logins.items() if user["name"] == process}
        for extra in sorted(referenced_secrets(deployments[0]) - mine):
            problems.append(f"Deployment {name_of(deployments[0])}: reads the Secret {extra}, which is not "
                            f"{process}'s own")
    return problems


def check_broker_users(resources: Resources) -> list[str]:
    """The Messaging Topology Operator's Users, Permissions and TopicPermissions are exactly what the
    code grants each identity (tests/deploy/broker_topology.py renders them from identities.py)."""
    kinds = ("User", "Permission", "TopicPermission")
    rendered = {(r["kind"], name_of(r)): r for r in resources if r["kind"] in kinds}
    wanted = {(r["kind"], name_of(r)): r for r in broker_topology.resources()}
    regenerate = "python -m tests.deploy.broker_topology > deploy/k8s/base/broker-users.yaml"
    problems = [f"{kind} {name}: the code grants nothing to it"
                for kind, name in sorted(set(rendered) - set(wanted))]
    problems += [f"{kind} {name}: missing ({regenerate})"
                 for kind, name in sorted(set(wanted) - set(rendered))]
    for key in sorted(set(wanted) & set(rendered)):
        if rendered[key]["spec"] != wanted[key]["spec"]:
            problems.append(f"{key[0]} {key[1]}: differs from the code's {wanted[key]['spec']} "
                            f"({regenerate})")
    clusters = {name_of(r) for r in of_kind(resources, "RabbitmqCluster")}
    for key in sorted(set(rendered)):
        if (rendered[key]["spec"].get("rabbitmqClusterReference") or {}).get("name") not in clusters:
            problems.append(f"{key[0]} {key[1]}: not for a RabbitmqCluster rendered here")
    if set(broker_users(resources)) != set(IDENTITIES):
        problems.append(f"broker users for {sorted(broker_users(resources))}, expected {sorted(IDENTITIES)}")
    return problems


def check_references(resources: Resources) -> list[str]:
    """Every Secret and ConfigMap named is rendered, made by an operator, or made by ops (allow-lists
    above), and has the key asked for."""
    problems = []
    secrets = {**OPS_SECRETS, **operator_secrets(resources)}
    configmaps = {**EXTERNAL_CONFIGMAPS,
                  **{name_of(r): set(r.get("data") or {}) for r in of_kind(resources, "ConfigMap")}}
    secrets.update({name_of(r): set(r.get("data") or {}) | set(r.get("stringData") or {})
                    for r in of_kind(resources, "Secret")})

    def need(kind: str, known: dict[str, set[str]], name: str, key: str | None, where: str) -> None:
        if name not in known:
            problems.append(f"{where}: {kind} {name!r} is neither rendered nor made by ops or an operator")
        elif key is not None and key not in known[name]:
            problems.append(f"{where}: {kind} {name!r} has no key {key!r} (it has {sorted(known[name])})")

    for deployment in of_kind(resources, "Deployment"):
        spec = deployment["spec"]["template"]["spec"]
        for c in spec.get("containers", []) + spec.get("initContainers", []):
            where = f"Deployment {name_of(deployment)} container {c['name']}"
            for source in c.get("envFrom") or []:
                if "configMapRef" in source:
                    need("ConfigMap", configmaps, source["configMapRef"]["name"], None, where)
                if "secretRef" in source:
                    need("Secret", secrets, source["secretRef"]["name"], None, where)
            for entry in c.get("env") or []:
                value_from = entry.get("valueFrom") or {}
                if "secretKeyRef" in value_from:
                    ref = value_from["secretKeyRef"]
                    need("Secret", secrets, ref["name"], ref["key"], where)
                if "configMapKeyRef" in value_from:
                    ref = value_from["configMapKeyRef"]
                    need("ConfigMap", configmaps, ref["name"], ref["key"], where)
        for volume in spec.get("volumes") or []:
            where = f"Deployment {name_of(deployment)} volume {volume['name']}"
            if "secret" in volume:
                need("Secret", secrets, volume["secret"]["secretName"], None, where)
            if "configMap" in volume:
                need("ConfigMap", configmaps, volume["configMap"]["name"], None, where)
    ops_made = {k: v for k, v in secrets.items() if k in OPS_SECRETS}
    for mongodb in of_kind(resources, "MongoDBCommunity"):
        for user in mongodb["spec"].get("users") or []:
            ref = user.get("passwordSecretRef")
            if ref:
                need("Secret", ops_made, ref["name"], ref.get("key", "password"),
                     f"MongoDBCommunity {name_of(mongodb)} user {user['name']}")
    for user in of_kind(resources, "User"):
        ref = user["spec"].get("importCredentialsSecret")
        for key in ("username", "password") if ref else ():
            need("Secret", ops_made, ref["name"], key, f"User {name_of(user)}")
    return problems


def check_no_secret_data(resources: Resources) -> list[str]:
    return [f"Secret {name_of(r)}: secret values are committed; ops create Secrets (docs/deploy.md)"
            for r in of_kind(resources, "Secret") if r.get("data") or r.get("stringData")]


def check_gateway_service(resources: Resources) -> list[str]:
    gateway = (deployments_by_process(resources).get(facts.GATEWAY[0]) or [None])[0]
    if gateway is None:
        return ["no gateway Deployment"]
    c = container(gateway)
    problems = []
    serving = [service for service in of_kind(resources, "Service")
               if selects(service["spec"].get("selector"), pod_labels(gateway))]
    if not serving:
        return ["no Service selects the gateway's pods"]
    for service in serving:
        for other in of_kind(resources, "Deployment"):
            if other is not gateway and selects(service["spec"].get("selector"), pod_labels(other)):
                problems.append(f"Service {name_of(service)}: also selects the pods of {name_of(other)}")
    ports = [p for service in serving for p in service["spec"].get("ports") or []]
    if not any(p["port"] == facts.GATEWAY_PORT
               and port_number(p.get("targetPort", p["port"]), c) == facts.GATEWAY_PORT for p in ports):
        problems.append(f"no Service port {facts.GATEWAY_PORT} reaches the gateway's container port "
                        f"{facts.GATEWAY_PORT}")
    return problems


def check_reads(resources: Resources) -> list[str]:
    """The gateway's READ_URLS name, for each service, a Service that reaches that service's read port
    (its READ_ADDRESS) and no other pods (services/common/messaging/reads.py)."""
    by_process = deployments_by_process(resources)
    gateway = (by_process.get(facts.GATEWAY[0]) or [None])[0]
    if gateway is None:
        return ["no gateway Deployment"]
    urls = read_urls(next((e.get("value") for e in container(gateway).get("env") or []
                           if e["name"] == "READ_URLS"), ""))
    services = {name_of(s): s for s in of_kind(resources, "Service")}
    problems = []
    for service in SERVICES:
        deployment = (by_process.get(service) or [None])[0]
        if deployment is None:
            continue
        c = container(deployment)
        address = next((e.get("value") for e in c.get("env") or [] if e["name"] == "READ_ADDRESS"), "")
        if not address:
            problems.append(f"{service}: no READ_ADDRESS, so its reads go through the broker")
            continue
        if service not in urls:
            problems.append(f"the gateway's READ_URLS does not name {service}")
            continue
        url = urlsplit(urls[service])
        target = services.get(url.hostname)
        if target is None:
            problems.append(f"READ_URLS names {url.hostname} for {service}: no such Service")
            continue
        chosen = [name_of(d) for d in of_kind(resources, "Deployment")
                  if selects(target["spec"].get("selector"), pod_labels(d))]
        if chosen != [name_of(deployment)]:
            problems.append(f"Service {url.hostname} selects {chosen}, expected {service}'s pods only")
        port = int(address.rsplit(":", 1)[1])
        if not any(p["port"] == (url.port or 80) and port_number(p.get("targetPort", p["port"]), c) == port
                   for p in target["spec"].get("ports") or []):
            problems.append(f"Service {url.hostname}: no port {url.port} reaching {service}'s read "
                            f"port {port}")
    return problems


def check_broker(resources: Resources) -> list[str]:
    clusters = of_kind(resources, "RabbitmqCluster")
    if len(clusters) != 1:
        return [f"{len(clusters)} RabbitmqClusters, expected 1"]
    spec = clusters[0]["spec"]
    problems = []
    if spec.get("replicas", 1) != 3:
        problems.append(f"RabbitmqCluster: {spec.get('replicas', 1)} replicas; quorum queues need 3 nodes")
    for kind in ("requests", "limits"):
        if set((spec.get("resources") or {}).get(kind) or {}) != {"cpu", "memory"}:
            problems.append(f"RabbitmqCluster: resources.{kind} must set cpu and memory")
    if not (spec.get("persistence") or {}).get("storage"):
        problems.append("RabbitmqCluster: no persistent storage size")
    return problems


def check_store(resources: Resources) -> list[str]:
    stores = of_kind(resources, "MongoDBCommunity")
    if len(stores) != 1:
        return [f"{len(stores)} MongoDBCommunity resources, expected 1"]
    spec = stores[0]["spec"]
    problems = []
    if spec.get("type") != "ReplicaSet" or spec.get("members") != 3:
        problems.append(f"MongoDBCommunity: {spec.get('type')} of {spec.get('members')}, expected a "
                        "ReplicaSet of 3 (majority writes survive one member)")
    if str(spec.get("version")) != COMPOSE_MONGODB:
        problems.append(f"MongoDBCommunity: version {spec.get('version')!r}, expected compose's "
                        f"{COMPOSE_MONGODB}: one MongoDB everywhere")
    if "SCRAM" not in spec["security"]["authentication"]["modes"]:
        problems.append("MongoDBCommunity: SCRAM authentication is not enabled")
    users = spec.get("users") or []
    for user in users:
        if not user.get("scramCredentialsSecretName") or not user.get("passwordSecretRef"):
            problems.append(f"MongoDBCommunity user {user['name']}: needs passwordSecretRef and "
                            "scramCredentialsSecretName")
    for field in ("passwordSecretRef", "scramCredentialsSecretName"):
        values = [repr(user.get(field)) for user in users]
        for shared in sorted({v for v in values if values.count(v) > 1}):
            problems.append(f"MongoDBCommunity: users share the {field} {shared}; each needs its own")
    prefix = config_default("MONGODB_DATABASE_PREFIX")
    for configmap in of_kind(resources, "ConfigMap"):
        prefix = (configmap.get("data") or {}).get("MONGODB_DATABASE_PREFIX", prefix)
    names = [user["name"] for user in users]
    if sorted(names) != sorted(IDENTITIES):
        problems.append(f"MongoDBCommunity: users {sorted(names)}, expected one per identity "
                        f"{sorted(IDENTITIES)}")
    roles = {(role["role"], role["db"]): role for role in spec["security"].get("roles") or []}
    audit_databases = {prefix + process + facts.AUDIT_SUFFIX for process in PROCESSES}
    for user in users:
        builtin, actions = store_grants(user, roles)
        if user["name"] == facts.OPERATOR:
            wanted_builtin, wanted_actions = {("read", db) for db in audit_databases}, set()
        else:
            own = prefix + user["name"]
            wanted_builtin = {("readWrite", own)}
            wanted_actions = {(own + facts.AUDIT_SUFFIX, action) for action in facts.AUDIT_ACTIONS}
        if builtin != wanted_builtin:
            problems.append(f"MongoDBCommunity user {user['name']}: roles {sorted(builtin)}, expected "
                            f"{sorted(wanted_builtin)}")
        if actions != wanted_actions:
            problems.append(f"MongoDBCommunity user {user['name']}: may {sorted(actions - wanted_actions)} "
                            f"and not {sorted(wanted_actions - actions)}")
    return problems


def store_grants(user: dict, roles: dict) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """A MongoDB user's (built-in role, database) pairs, and the (database, action) pairs that the
    custom roles of spec.security.roles add."""
    builtin, actions = set(), set()
    for role in user.get("roles") or []:
        custom = roles.get((role["name"], role["db"]))
        if custom is None:
            builtin.add((role["name"], role["db"]))
            continue
        if custom.get("roles"):
            actions.add(("inherits", repr(custom["roles"])))
        for privilege in custom.get("privileges") or []:
            resource = privilege["resource"]
            where = resource.get("db") if resource.get("collection") == "" and resource.get("db") \
                else repr(resource)
            actions |= {(where, action) for action in privilege["actions"]}
    return builtin, actions


CHECKS: list[Callable[[Resources], list[str]]] = [
    check_schemas, check_processes, check_disruption_budgets, check_operator_budgets,
    check_network_policies, check_autoscalers, check_environment,
    check_credentials, check_references, check_no_secret_data, check_gateway_service, check_reads,
    check_broker,
    check_broker_users, check_store,
]


# every rendering passes every check


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_rendering_passes(rendering, check):
    name, resources = rendering
    assert check(resources) == [], f"{name}: {check.__name__}"


@pytest.mark.parametrize("name", list(RENDERINGS))
def test_kubeconform_finds_every_resource_valid(name):
    """kustomize's own output, as kubectl would send it."""
    stream = kustomize(RENDERINGS[name])[0]
    assert kubeconform(stream, build(RENDERINGS[name])) == [], name


def test_everything_is_in_the_namespace(rendering):
    name, resources = rendering
    assert resources, f"{name} renders nothing"
    assert {r["metadata"].get("namespace") for r in resources} == {NAMESPACES[name]}


def test_no_secret_is_committed_anywhere():
    """Not even in a file no kustomization lists yet."""
    for path in sorted(K8S.rglob("*.y*ml")):
        for document in yaml.safe_load_all(path.read_text()):
            if isinstance(document, dict):
                assert document.get("kind") != "Secret", f"{path}: a Secret; ops create Secrets"


def test_the_overlays_size_the_suite_differently():
    staging, production = (build(RENDERINGS[name]) for name in OVERLAYS)

    def deployments(resources):
        return {name_of(d): (d["spec"]["replicas"], container(d)["resources"])
                for d in of_kind(resources, "Deployment")}

    def autoscalers(resources):
        return {name_of(h): (h["spec"]["minReplicas"], h["spec"]["maxReplicas"])
                for h in of_kind(resources, "HorizontalPodAutoscaler")}

    for name, (replicas, resources) in deployments(production).items():
        assert deployments(staging)[name][0] < replicas, name
        assert deployments(staging)[name][1] != resources, name
    for name, (_, most) in autoscalers(production).items():
        assert autoscalers(staging)[name][1] < most, name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_overlay_sets_the_image_tag(overlay):
    kustomization = yaml.safe_load((RENDERINGS[overlay] / "kustomization.yaml").read_text())
    [entry] = [e for e in kustomization.get("images") or [] if e["name"] == IMAGE]
    tag = str(entry.get("newTag", ""))
    assert tag and tag != "latest" or entry.get("digest")
    images = {container(d)["image"] for d in of_kind(build(RENDERINGS[overlay]), "Deployment")}
    assert images == ({f"{IMAGE}:{tag}"} if tag else {f"{IMAGE}@{entry['digest']}"})
    if overlay == "production":
        assert re.fullmatch(r"\d+\.\d+\.\d+", tag) or entry.get("digest"), "production runs a release"


def documented_commands(text: str) -> list[str]:
    """The shell commands of the README's code blocks, continuation lines joined, each ``for id in
    LIST; do ... done`` loop unrolled (``$id`` / ``${id}`` replaced by each item)."""
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    lines = [line.strip() for block in blocks for line in block.replace("\\\n", " ").splitlines()]
    commands, loop = [], None
    for line in lines:
        if match := re.fullmatch(r"for (\w+) in ([\w ]+); do", line):
            loop = (match.group(1), match.group(2).split(), [])
        elif line == "done" and loop:
            variable, items, body = loop
            commands += [re.sub(rf"\$\{{?{variable}\}}?", item, command)
                         for item in items for command in body]
            loop = None
        elif loop:
            loop[2].append(line)
        else:
            commands.append(line)
    return commands


def test_readme_tells_ops_to_create_their_secrets():
    commands = documented_commands(README.read_text())
    for secret, keys in OPS_SECRETS.items():
        [create] = [c for c in commands if re.search(rf"kubectl create secret generic {secret}(\s|$)", c)] \
            or [""]
        assert create, f"docs/deploy.md does not say how to create {secret}"
        for key in keys:
            assert f"--from-literal={key}=" in create, (secret, key)
    for identity in IDENTITIES:
        secret = broker_topology.secret_name(identity)
        [create] = [c for c in commands if f"create secret generic {secret} " in c]
        assert f"--from-literal=username={identity} " in create + " ", \
            f"{secret} must name the user {identity}: consumers check who published an event by name"
        assert any(re.search(rf"kubectl label secret {secret}\b.*rabbitmq\.com/topology-operator=true", c)
                   for c in commands), f"{secret}: the topology operator reads only labelled Secrets"
    assert "kubectl apply -k deploy/k8s/overlays/production" in README.read_text()


def test_operator_made_secrets_are_the_documented_ones(production):
    """The operators name their Secrets after the custom resources; the README tells ops which."""
    made = operator_secrets(production)
    assert set(made) == {"cadre-rabbitmq-default-user"} | {f"cadre-mongodb-admin-{name}"
                                                           for name in IDENTITIES}
    text = README.read_text()
    for secret in made:
        assert f"`{secret}`" in text or f"`{secret.rsplit('-', 1)[0]}-<name>`" in text, secret


def test_crd_schemas_are_vendored():
    assert set(CUSTOM_SCHEMAS) == {("rabbitmq.com/v1beta1", "RabbitmqCluster"),
                                   ("mongodbcommunity.mongodb.com/v1", "MongoDBCommunity"),
                                   ("rabbitmq.com/v1beta1", "User"),
                                   ("rabbitmq.com/v1beta1", "Permission"),
                                   ("rabbitmq.com/v1beta1", "TopicPermission")}


def test_the_broker_users_file_is_what_the_generator_writes():
    """Comments included, so that regenerating it changes nothing but what the code changed."""
    assert (K8S / "base" / "broker-users.yaml").read_text() == broker_topology.render(), \
        "python -m tests.deploy.broker_topology > deploy/k8s/base/broker-users.yaml"


# the checks notice what they are there for: each mutation breaks a copy of the production rendering


def first(resources: Resources, kind: str, name: str | None = None) -> dict:
    return next(r for r in resources if r["kind"] == kind and (name is None or name_of(r) == name))


def deployment_of(resources: Resources, process: str) -> dict:
    return deployments_by_process(resources)[process][0]


def env_entry(resources: Resources, process: str, name: str) -> dict:
    return next(e for e in container(deployment_of(resources, process))["env"] if e["name"] == name)


def c_of(resources: Resources, process: str) -> dict:
    return container(deployment_of(resources, process))


def template_of(resources: Resources, process: str) -> dict:
    return deployment_of(resources, process)["spec"]["template"]


MUTATIONS = {
    "a service's read port not reached by its Service": (
        check_reads, lambda rs: first(rs, "Service", "care")["spec"]["ports"][0].update(port=8091)),
    "READ_URLS naming no Service": (
        check_reads, lambda rs: env_entry(rs, "gateway", "READ_URLS").update(
            value=env_entry(rs, "gateway", "READ_URLS")["value"].replace("http://talent:", "http://talnet:"))),
    "readiness probe path": (
        check_processes, lambda rs: c_of(rs, "talent")["readinessProbe"]["httpGet"].update(path="/ready")),
    "liveness probe port": (
        check_processes, lambda rs: c_of(rs, "care")["livenessProbe"]["httpGet"].update(port=8000)),
    "wrong process name": (check_processes, lambda rs: c_of(rs, "care").update(args=["carer"])),
    "no memory limit": (
        check_processes, lambda rs: c_of(rs, "tolerance")["resources"]["limits"].pop("memory")),
    "writable root": (
        check_processes,
        lambda rs: c_of(rs, "gateway")["securityContext"].update(readOnlyRootFilesystem=False)),
    "another image": (
        check_processes, lambda rs: c_of(rs, "appraisal").update(image="example.org/other:1.0")),
    "a prometheus annotation missing": (
        check_processes, lambda rs: template_of(rs, "talent")["metadata"]["annotations"].popitem()),
    "service links": (check_processes, lambda rs: template_of(rs, "care")["spec"].pop("enableServiceLinks")),
    "selector misses pods": (
        check_processes, lambda rs: deployment_of(rs, "care")["spec"]["selector"]["matchLabels"]
        .update({"app.kubernetes.io/name": "cares"})),
    "no budget": (
        check_disruption_budgets, lambda rs: rs.remove(first(rs, "PodDisruptionBudget", "appraisal"))),
    "budget blocks drains": (
        check_disruption_budgets,
        lambda rs: first(rs, "PodDisruptionBudget", "talent")["spec"].update(maxUnavailable=0)),
    "no autoscaler": (
        check_autoscalers, lambda rs: rs.remove(first(rs, "HorizontalPodAutoscaler", "tolerance"))),
    "autoscaler targets nothing": (
        check_autoscalers,
        lambda rs: first(rs, "HorizontalPodAutoscaler", "care")["spec"]["scaleTargetRef"]
        .update(name="carer")),
    "replicas below the autoscaler": (
        check_autoscalers, lambda rs: deployment_of(rs, "talent")["spec"].update(replicas=1)),
    "unknown ConfigMap key": (
        check_environment, lambda rs: first(rs, "ConfigMap")["data"].update(LOG_LEVL="DEBUG")),
    "unknown env name": (
        check_environment, lambda rs: c_of(rs, "care")["env"].append({"name": "MONGO_URL", "value": "x"})),
    "classic queues": (
        check_environment, lambda rs: first(rs, "ConfigMap")["data"].update(EVENT_QUEUE_TYPE="classic")),
    "substitution before definition": (
        check_environment, lambda rs: c_of(rs, "talent")["env"].sort(key=lambda e: e["name"] != "AMQP_URI")),
    "no token key for the gateway": (
        check_environment,
        lambda rs: c_of(rs, "gateway")["env"].remove(env_entry(rs, "gateway", "AUTH_SECRET"))),
    "no token key for a service": (
        check_environment, lambda rs: c_of(rs, "care")["env"].remove(env_entry(rs, "care", "AUTH_SECRET"))),
    "a token key from another Secret": (
        check_environment, lambda rs: env_entry(rs, "talent", "AUTH_SECRET")["valueFrom"]["secretKeyRef"]
        .update(name="cadre-rabbitmq-talent", key="password")),
    "a process connects to the broker as another": (
        check_environment, lambda rs: [env_entry(rs, "talent", name)["valueFrom"]["secretKeyRef"]
                                       .update(name="cadre-rabbitmq-appraisal")
                                       for name in ("RABBITMQ_USERNAME", "RABBITMQ_PASSWORD")]),
    "a process connects to the broker as its administrator": (
        check_environment, lambda rs: [env_entry(rs, "care", name)["valueFrom"]["secretKeyRef"]
                                       .update(name="cadre-rabbitmq-default-user")
                                       for name in ("RABBITMQ_USERNAME", "RABBITMQ_PASSWORD")]),
    "the broker is not the cluster's Service": (
        check_environment, lambda rs: env_entry(rs, "tolerance", "AMQP_URI").update(
            value="amqp://$(RABBITMQ_USERNAME):$(RABBITMQ_PASSWORD)@rabbitmq.example.org:5672/")),
    "a process connects to the store as another": (
        check_environment, lambda rs: env_entry(rs, "accountability", "MONGODB_URI")["valueFrom"]
        ["secretKeyRef"].update(name="cadre-mongodb-admin-care")),
    "a process can read the broker administrator's Secret": (
        check_credentials, lambda rs: c_of(rs, "gateway")["env"].append(
            {"name": "LOG_LEVEL", "valueFrom": {"secretKeyRef": {"name": "cadre-rabbitmq-default-user",
                                                                 "key": "password"}}})),
    "a process can read another process's Secret": (
        check_credentials, lambda rs: template_of(rs, "talent")["spec"]["volumes"].append(
            {"name": "other", "secret": {"secretName": "cadre-mongodb-admin-care"}})),
    "a process can read every Secret of a kind": (
        check_credentials, lambda rs: c_of(rs, "appraisal")["envFrom"].append(
            {"secretRef": {"name": "cadre-rabbitmq-cadrectl"}})),
    "a permission drifts from the code": (
        check_broker_users, lambda rs: first(rs, "Permission", "cadre-rabbitmq-talent")["spec"]["permissions"]
        .update(write=".*")),
    "a topic permission drifts from the code": (
        check_broker_users, lambda rs: first(rs, "TopicPermission", "cadre-rabbitmq-gateway")["spec"]
        ["permissions"].update(read=".*")),
    "a permission on another vhost": (
        check_broker_users, lambda rs: first(rs, "Permission", "cadre-rabbitmq-care")["spec"]
        .update(vhost="other")),
    "an identity without a broker user": (
        check_broker_users, lambda rs: rs.remove(first(rs, "User", "cadre-rabbitmq-cadrectl"))),
    "a broker user with management access": (
        check_broker_users, lambda rs: first(rs, "User", "cadre-rabbitmq-appraisal")["spec"]
        .update(tags=["administrator"])),
    "a broker user the code does not know": (
        check_broker_users, lambda rs: rs.append(
            {**copy.deepcopy(first(rs, "User", "cadre-rabbitmq-talent")),
             "metadata": {"name": "cadre-rabbitmq-extra", "namespace": NAMESPACES["production"]}})),
    "database not granted": (
        check_store, lambda rs: first(rs, "MongoDBCommunity")["spec"]["users"][0]["roles"].pop(0)),
    "the audit trail may be updated": (
        check_store, lambda rs: first(rs, "MongoDBCommunity")["spec"]["security"]["roles"][0]["privileges"][0]
        ["actions"].append("update")),
    "the audit trail may be dropped": (
        check_store, lambda rs: first(rs, "MongoDBCommunity")["spec"]["security"]["roles"][2]["privileges"][0]
        ["actions"].append("dropCollection")),
    "an audit role that inherits": (
        check_store, lambda rs: first(rs, "MongoDBCommunity")["spec"]["security"]["roles"][1]
        .update(roles=[{"name": "readWrite", "db": "cadre_appraisal_audit"}])),
    "a process may readWrite its audit trail": (
        check_store, lambda rs: first(rs, "MongoDBCommunity")["spec"]["users"][0]["roles"].append(
            {"name": "readWrite", "db": "cadre_talent_audit"})),
    "a process may read another's database": (
        check_store, lambda rs: first(rs, "MongoDBCommunity")["spec"]["users"][3]["roles"].append(
            {"name": "read", "db": "cadre_care"})),
    "cadrectl may change an audit trail": (
        check_store, lambda rs: first(rs, "MongoDBCommunity")["spec"]["users"][-1]["roles"][0]
        .update(name="readWrite")),
    "two users share a password": (
        check_store, lambda rs: first(rs, "MongoDBCommunity")["spec"]["users"][4]["passwordSecretRef"]
        .update(name="cadre-mongodb-talent-password")),
    "an identity without a store user": (
        check_store, lambda rs: first(rs, "MongoDBCommunity")["spec"]["users"].pop(2)),
    "secret name typo": (
        check_references, lambda rs: env_entry(rs, "appraisal", "MONGODB_URI")["valueFrom"]["secretKeyRef"]
        .update(name="cadre-mongodb-admin-apraisal")),
    "an imported broker Secret no one makes": (
        check_references, lambda rs: first(rs, "User", "cadre-rabbitmq-care")["spec"]
        ["importCredentialsSecret"].update(name="cadre-rabbitmq-carer")),
    "secret key typo": (
        check_references, lambda rs: env_entry(rs, "gateway", "AUTH_SECRET")["valueFrom"]["secretKeyRef"]
        .update(key="AUTH_SECRETS")),
    "committed secret": (
        check_no_secret_data, lambda rs: rs.append(
            {"apiVersion": "v1", "kind": "Secret",
             "metadata": {"name": "cadre-auth", "namespace": NAMESPACES["production"]},
             "stringData": {"AUTH_SECRET": "hunter2"}})),
    "service on the ops port": (
        check_gateway_service,
        lambda rs: first(rs, "Service", "gateway")["spec"]["ports"][0].update(targetPort="ops")),
    "two brokers nodes": (check_broker, lambda rs: first(rs, "RabbitmqCluster")["spec"].update(replicas=2)),
    "unknown field in a CRD resource": (
        check_schemas, lambda rs: first(rs, "RabbitmqCluster")["spec"].update(replica=3)),
    "wrong type in a CRD resource": (
        check_schemas, lambda rs: first(rs, "MongoDBCommunity")["spec"].update(members="three")),
    "unknown field in a broker user": (
        check_schemas, lambda rs: first(rs, "User")["spec"].update(importCredentials={"name": "x"})),
    "wrong type in a topic permission": (
        check_schemas, lambda rs: first(rs, "TopicPermission")["spec"].update(permissions=".*")),
    "unknown field in a Deployment": (check_schemas, lambda rs: c_of(rs, "talent").update(probe={})),
    "unknown kind": (
        check_schemas, lambda rs: rs.append(
            {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": {"name": "x"}})),
    "kubeconform: unknown field in a Deployment": (
        check_kubeconform, lambda rs: c_of(rs, "talent").update(probe={})),
    "kubeconform: unknown field in a RabbitmqCluster": (
        check_kubeconform, lambda rs: first(rs, "RabbitmqCluster")["spec"].update(replica=3)),
    "kubeconform: a kind without a schema": (
        check_kubeconform, lambda rs: rs.append(
            {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": {"name": "x"}})),
    "no default deny": (
        check_network_policies, lambda rs: rs.remove(first(rs, "NetworkPolicy", "default-deny"))),
    "apps reach anywhere": (
        check_network_policies, lambda rs: first(rs, "NetworkPolicy", "apps")["spec"]["egress"].append({})),
    "a service takes requests": (
        check_network_policies, lambda rs: first(rs, "NetworkPolicy", "gateway-ingress")["spec"].update(
            podSelector={"matchLabels": {"app.kubernetes.io/part-of": "cadre-incentive"}})),
    "the store open to all": (
        check_network_policies, lambda rs: first(rs, "NetworkPolicy", "store")["spec"]["ingress"].append(
            {"ports": [{"port": 27017}]})),
    "no budget for the broker": (
        check_operator_budgets, lambda rs: rs.remove(first(rs, "PodDisruptionBudget", "cadre-rabbitmq"))),
}


@pytest.fixture(scope="module")
def production() -> Resources:
    return build(RENDERINGS["production"])


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_a_check_notices(production, mutation):
    check, mutate = MUTATIONS[mutation]
    broken = copy.deepcopy(production)
    assert check(broken) == []
    mutate(broken)
    assert check(broken), f"{check.__name__} did not notice: {mutation}"


def test_a_broken_overlay_on_disk_is_noticed(tmp_path):
    """The whole way: a patch added to a copy of the production overlay reaches the rendering."""
    shutil.copytree(K8S, tmp_path / "k8s")
    overlay = tmp_path / "k8s" / "overlays" / "production"
    kustomization = yaml.safe_load((overlay / "kustomization.yaml").read_text())
    ops = [{"op": "replace", "path": "/spec/template/spec/containers/0/readinessProbe/httpGet/path",
            "value": "/health"}]
    kustomization["patches"].append({"target": {"kind": "Deployment", "name": "gateway"},
                                     "patch": yaml.safe_dump(ops)})
    (overlay / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
    assert any("readinessProbe" in problem for problem in check_processes(build(overlay)))


# kustomize: the overlays render with no warning, each of their patches does something, and a missing
# tool fails the tests


@pytest.mark.parametrize("name", list(RENDERINGS))
def test_kustomize_warns_of_nothing(name):
    """A deprecated field (commonLabels, patchesJson6902, ...) would be a warning here."""
    assert kustomize(RENDERINGS[name])[1] == ""


def test_a_kustomize_warning_is_noticed(tmp_path):
    shutil.copytree(K8S, tmp_path / "k8s")
    overlay = tmp_path / "k8s" / "overlays" / "staging"
    kustomization = yaml.safe_load((overlay / "kustomization.yaml").read_text())
    kustomization["commonLabels"] = {"team": "cadre"}
    (overlay / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
    assert "commonLabels" in kustomize(overlay)[1]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_patch_changes_the_rendering(overlay, tmp_path):
    """kustomize applies a patch whose target selects nothing (a name misspelt) to nothing, silently."""
    shutil.copytree(K8S, tmp_path / "k8s")
    kustomization = yaml.safe_load((RENDERINGS[overlay] / "kustomization.yaml").read_text())
    whole = kustomize(RENDERINGS[overlay])[0]
    for i, patch in enumerate(kustomization["patches"]):
        # beside the overlay, so that its ../../base still names the base
        without = tmp_path / "k8s" / "overlays" / f"{overlay}-without-patch-{i}"
        without.mkdir()
        patches = kustomization["patches"][:i] + kustomization["patches"][i + 1:]
        (without / "kustomization.yaml").write_text(yaml.safe_dump({**kustomization, "patches": patches}))
        assert kustomize(without)[0] != whole, f"{overlay}: the patch of {patch['target']} changes nothing"


def test_the_overlays_keep_the_selectors():
    """A Deployment's selector is immutable once applied: an overlay's labels (with includeSelectors, or
    the deprecated commonLabels) must not reach it."""
    def selectors(resources: Resources) -> dict:
        return {name_of(d): d["spec"]["selector"] for d in of_kind(resources, "Deployment")}

    for overlay in OVERLAYS:
        assert selectors(build(RENDERINGS[overlay])) == selectors(build(RENDERINGS["base"])), overlay


def test_a_missing_tool_fails_the_tests(monkeypatch, tmp_path):
    monkeypatch.setitem(globals(), "TOOLS", tmp_path)
    with pytest.raises(pytest.fail.Exception, match=re.escape("run `make tools`")):
        build(tmp_path)


def test_split_image():
    assert split_image("localhost:5000/a/b:1.2@sha256:ff") == ("localhost:5000/a/b", ":1.2", "@sha256:ff")
    assert split_image("localhost:5000/a/b") == ("localhost:5000/a/b", "", "")
    assert split_image("busybox:1") == ("busybox", ":1", "")
