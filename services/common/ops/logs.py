"""Log lines an on-call engineer can follow (config.yaml's LOGGING uses what is here).

- One JSON object a line by default (python-json-logger: the suite logs through the standard library,
  as nameko, kombu and eventlet do, so a formatter is all it takes), or a readable line locally
  (``LOG_FORMAT=text``).
- Every line written while a worker runs names its service, entrypoint, correlation id and acting
  user, and for an event its id and type: read from the worker's context when the line is written
  (``WorkerLogContext`` keeps which worker this green thread runs).
- A refusal the caller caused (a domain error: not found, refused by a rule, denied) is one INFO line
  with its code and no stack (in the gateway its access line, which names the code); a dependency
  that did not answer (``Unavailable``) one WARNING line; an unexpected error stays ERROR with its
  stack (``Refusals``, on nameko's container logger).
- Nothing secret: the fields are codes and ids; a worker's arguments are never written, and
  ``Redacted`` masks a bearer token or a password that a library's message carries.
"""

from __future__ import annotations

import logging
import re
import threading
import time

from nameko.extensions import DependencyProvider
from pythonjsonlogger.json import JsonFormatter
from werkzeug.exceptions import HTTPException

from services.common.errors import DomainError
from services.common.ops.endpoints import outcome_of, worker_kind

# the fields a worker's lines carry, in the order the text format shows them
CONTEXT_FIELDS = ("service", "entrypoint", "correlation_id", "user", "event_id", "event_type")
_local = threading.local()  # green-thread local under eventlet's monkey patch
_process = {"service": None}  # the process's service, for lines written outside any worker
handled_log = logging.getLogger("cadre.handled")


def current_worker():
    return getattr(_local, "worker_ctx", None)


def context_of(worker_ctx) -> dict:
    """The fields of a worker's lines, as things stand (the user is known once access is checked)."""
    if worker_ctx is None:
        return {"service": _process["service"]} if _process["service"] else {}
    data = worker_ctx.data or {}
    actor = data.get("actor") if isinstance(data.get("actor"), dict) else {}
    fields = {"service": worker_ctx.container.service_name,
              "entrypoint": worker_ctx.entrypoint.method_name,
              "correlation_id": data.get("correlation_id"), "user": actor.get("user_id")}
    event = worker_ctx.args[0] if worker_ctx.args else None
    event_id = getattr(event, "event_id", None)
    if isinstance(event_id, str):
        fields.update(event_id=event_id, event_type=getattr(event, "event_type", None))
    return {k: v for k, v in fields.items() if v}


class WorkerLogContext(DependencyProvider):
    """Declared once on every service and the gateway: which worker a green thread runs, for the
    lines it writes; and one line for each call or event handled, so that a request can be followed
    into every service it reaches (a refusal or an error has its own line instead; a timer's tick and
    an HTTP call, which has the gateway's access line, are DEBUG)."""

    def setup(self):
        _process["service"] = _process["service"] or self.container.service_name

    def worker_setup(self, worker_ctx):
        _local.worker_ctx = worker_ctx
        _local.started = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        if exc_info is not None:
            return
        kind = worker_kind(worker_ctx)
        level = logging.DEBUG if kind in ("timer", "http") else logging.INFO
        if handled_log.isEnabledFor(level):
            ms = 1000 * (time.perf_counter() - getattr(_local, "started", time.perf_counter()))
            handled_log.log(level, "%s %s ok %.1f ms", kind, worker_ctx.entrypoint.method_name, ms,
                            extra={"outcome": "ok", "duration_ms": round(ms, 1)})

    def worker_teardown(self, worker_ctx):
        if current_worker() is worker_ctx:
            _local.worker_ctx = None


class WorkerContext(logging.Filter):
    """On the handler: every line gets the fields of the worker that wrote it."""

    def filter(self, record):
        for name, value in context_of(current_worker()).items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


EXPECTED = "(expected) error handling worker"


class Refusals(logging.Filter):
    """On ``nameko.containers``: its WARNING with a stack for every expected error becomes one line
    without one -- INFO for a refusal the caller caused, WARNING for a dependency that did not answer."""

    def filter(self, record):
        if not (isinstance(record.msg, str) and record.msg.startswith(EXPECTED) and record.exc_info):
            return True
        exc = record.exc_info[1]
        outcome = outcome_of(exc)  # as the metrics count it: the caller's refusal, or the suite's error
        if isinstance(exc, HTTPException) and outcome == "refused":
            code, message = f"HTTP_{exc.code}", exc.name  # werkzeug's own: a body too large
        elif isinstance(exc, DomainError):
            code, message = exc.code, exc.message
        else:
            return True
        level = logging.INFO if outcome == "refused" else logging.WARNING
        worker_ctx = current_worker()
        if worker_ctx is not None and worker_kind(worker_ctx) == "http":
            level = logging.DEBUG  # the gateway's access line has the answer's status and code
        if not logging.getLogger(record.name).isEnabledFor(level):
            return False
        record.levelno, record.levelname = level, logging.getLevelName(level)
        record.msg, record.args = "%s %s: %s", (outcome, code, message)
        record.exc_info, record.exc_text = None, None
        record.error_code, record.outcome = code, outcome
        if getattr(exc, "rule", None):
            record.rule = exc.rule
        return True


# a bearer token, a JWT, a password or secret in a URL or a key=value: never written as it is
SECRETS = re.compile(r"(?i)(bearer\s+)[\w.~+/=-]+|eyJ[\w-]+\.[\w-]+\.[\w-]*"
                     r"|(://[^:/@\s]+:)[^@\s]+(@)|((?:password|secret|token)=)[^&\s]+")


def redact(text: str) -> str:
    return SECRETS.sub(lambda m: (m.group(1) or m.group(2) or m.group(4) or "") + "***"
                       + (m.group(3) or ""), text)


class Redacted(logging.Filter):
    """On the handler, last: a message that carries a credential (a broker URI with its password in
    kombu's reconnect warning, a token in a library's debug line) is written masked."""

    def filter(self, record):
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class Json(JsonFormatter):
    """One object a line: time (UTC, ISO 8601), level, logger, message, the worker's fields, any extra
    the line was given, and the stack of an unexpected error."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s",
                         rename_fields={"asctime": "time", "levelname": "level", "name": "logger",
                                        "exc_info": "stack"},
                         json_ensure_ascii=False)  # a Chinese message reads as Chinese

    def formatTime(self, record, datefmt=None):  # noqa: N802 - logging's name
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + \
            f".{int(record.msecs):03d}Z"


class Text(logging.Formatter):
    """The readable line for a terminal: time, level, logger, the worker's fields, the message."""

    converter = time.gmtime

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s%(context)s: %(message)s")

    def format(self, record):
        fields = [f"{name}={getattr(record, name)}" for name in (*CONTEXT_FIELDS, "error_code", "rule")
                  if getattr(record, name, None)]
        record.context = f" [{' '.join(fields)}]" if fields else ""
        return super().format(record)
