"""What the code says a deployment must match: the processes, the ports, the probe paths and the
environment names config.yaml reads. The deploy checks compare deploy/ against these, so a new
service or setting that deploy/ does not know about fails a test instead of a rollout."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import services
from services.common.boundary import audit
from services.common.messaging import identities
from services.common.ops import endpoints as ops
from services.common.service import ServiceBase

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
CONFIG = ROOT / "config.yaml"

# the ops endpoints every process serves on OPS_ADDRESS, as the code names them; the port is deploy's
OPS_PORT = 9100
READ_PORT = 8090  # a service's read port in containers (READ_ADDRESS)
LIVENESS_PATH, READINESS_PATH, METRICS_PATH = ops.LIVENESS_PATH, ops.READINESS_PATH, ops.METRICS_PATH
# the gateway's public API (WEB_SERVER_ADDRESS, from GATEWAY_ADDRESS)
GATEWAY_PORT = 8000
GATEWAY = ("gateway", "gateway.service:GatewayService")

# who connects to the broker and the store, each as a user of its own: every process, and the operator's
# tool (docs/adr/0022-trust-boundaries.md)
OPERATOR = identities.OPERATOR
# each process's audit trail lives in <its database>_audit, where its user may append and read, and never
# update, remove or drop (services/common/boundary/audit.py)
AUDIT_SUFFIX = audit.DATABASE_SUFFIX
AUDIT_ACTIONS = frozenset({"find", "insert", "createIndex", "listIndexes", "listCollections"})


def service_classes() -> dict[str, str]:
    """Every nameko service in the code: name -> "module:Class", the gateway included."""
    found = {}
    for info in pkgutil.iter_modules(services.__path__):
        if info.name == "common":
            continue
        module = importlib.import_module(f"services.{info.name}.service")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, ServiceBase) and cls is not ServiceBase and cls.__module__ == module.__name__:
                found[cls.name] = f"{module.__name__}:{cls.__name__}"
    found[GATEWAY[0]] = GATEWAY[1]
    return found


def broker_identities() -> tuple[str, ...]:
    """The broker users the code defines permissions for (identities.IDENTITIES): the processes and
    cadrectl; a test demands that they are exactly those."""
    return identities.IDENTITIES


def config_default(name: str) -> str:
    match = re.search(r"\$\{" + name + r":([^}]*)\}", CONFIG.read_text())
    return match.group(1) if match else ""


def config_env_names() -> set[str]:
    """The environment variables config.yaml reads (its ``${NAME:default}`` substitutions)."""
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)[:}]", CONFIG.read_text()))
