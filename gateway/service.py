"""The HTTP API: authenticates people, forwards to the services over RPC, holds no business data.

Every endpoint that reaches a service is a row of gateway/routes.py; this module turns each row into a
nameko ``@http`` handler. The services decide what the user may do (services/common/boundary/access.py); the
gateway only establishes who the user is, and keeps its own audit of the requests it refused for want
of a valid token.
"""

from __future__ import annotations

import http.client as http_client
import json
import logging
import time
import uuid
from urllib.parse import urlencode

import eventlet
from marshmallow import RAISE, ValidationError
from nameko.dependency_providers import Config
from nameko.exceptions import RemoteError
from nameko.extensions import DependencyProvider
from pymongo.errors import PyMongoError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from gateway import docs
from gateway.auth import Authenticator
from gateway.console import Console, takes_gzip
from gateway.entrypoints import http
from gateway.exceptions import (
    LengthRequired,
    MalformedRequest,
    ServiceTimeout,
    Unauthenticated,
    UnsupportedMediaType,
)
from gateway.exports import EXPORTS, FORMATS, XLSX, export_response, roster_csv, roster_template
from gateway.i18n import CHINESE, language_of, localised_fields
from gateway.labels import labels_response
from gateway.openapi import build_spec, to_json
from gateway.routes import ROUTES, Route
from services.common import paging
from services.common.boundary.access import outcome_of
from services.common.boundary.audit import AuditTrail, audit_cursor, audit_key
from services.common.boundary.security import Actor
from services.common.boundary.tokens import CONTEXT_KEY
from services.common.errors import DomainError, InvalidInput, Unavailable
from services.common.messaging.amqp import ServiceProxy
from services.common.messaging.reads import ServiceReads
from services.common.ops.counters import RPC_TIMEOUTS
from services.common.ops.endpoints import Ops
from services.common.ops.logs import WorkerLogContext
from services.common.service import AuditEntrySchema, AuditQuerySchema
from services.common.storage.store import MongoStore
from services.common.work import WorkQuerySchema

log = logging.getLogger(__name__)

SERVICES = ("appraisal", "accountability", "tolerance", "talent", "care")
SPEC = build_spec()
DEFAULT_MAX_BODY_BYTES = 64 * 1024
DEFAULT_EXPORT_TIMEOUT = 120.0


def _unique_keys(pairs):
    """A JSON object with a key given twice is refused: which of the two counts is a guess."""
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise MalformedRequest(f"the key {key!r} appears twice in one object",
                                   code="DUPLICATE_KEY")
        seen[key] = value
    return seen


def json_body(request, max_bytes: int) -> dict:
    """The request's JSON object; anything else is refused before any service is called."""
    if request.content_length is None and request.headers.get("Transfer-Encoding"):
        # werkzeug would read a body without Content-Length as empty: say so rather than guess
        raise LengthRequired("send the body with a Content-Length (chunked bodies are not read)")
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("send the body as JSON (Content-Type: application/json)")
    request.max_content_length = max_bytes  # werkzeug answers 413 past it
    data = request.get_data()  # read already, with its deadline, before admission (entrypoints.py)
    if len(data) > max_bytes:
        raise RequestEntityTooLarge()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedRequest(f"the body is not valid UTF-8 (byte {exc.start})",
                               code="INVALID_UTF8") from None
    try:
        body = json.loads(text or "{}", object_pairs_hook=_unique_keys)
    except MalformedRequest:
        raise
    except ValueError as exc:
        raise MalformedRequest(f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise MalformedRequest("the body is nested too deeply") from None
    if not isinstance(body, dict):
        raise MalformedRequest("the body must be a JSON object")
    try:  # a lone surrogate (\ud800) is valid JSON but no character: nothing could store it
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedRequest("the body holds a lone surrogate (\\uD800-\\uDFFF), which is no "
                               "character", code="INVALID_TEXT") from None
    return body


class Identity(DependencyProvider):
    """``self.identity.establish(request, action)``: the caller's Actor; their token goes in the
    worker's context data so that every RPC made for this request carries it; a refusal is audited here."""

    def setup(self):
        self.authenticator = Authenticator.from_config(self.container.config)
        [self.mongo] = [d for d in self.container.dependencies if isinstance(d, MongoStore)]

    def trail(self) -> AuditTrail:
        if getattr(self, "_trail", None) is None:  # one per process: it holds the chain's head
            self._trail = AuditTrail.beside(self.mongo.store.database, "gateway")
        return self._trail

    def record_failure(self, **entry) -> None:
        """Audit a refusal or failure. The caller still gets the failure itself (a 503, say), not a
        500 for an audit the store cannot take: as in the services, only a success may not go
        unaudited."""
        try:
            self.trail().record(**entry)
        except PyMongoError:
            log.exception("AUDIT WRITE FAILED for %s by %s", entry["action"], entry["user_id"])

    def get_dependency(self, worker_ctx):
        return IdentityHandle(self, worker_ctx)


class IdentityHandle:
    """What a worker sees of :class:`Identity` (a class of its own: one made per request cost more
    than the token check)."""

    def __init__(self, provider: Identity, worker_ctx):
        self.provider, self.worker_ctx = provider, worker_ctx

    def establish(self, request, action: str) -> Actor:
        provider, data = self.provider, self.worker_ctx.data
        # the entrypoint gave the request its id; a new one only for a worker started otherwise
        correlation_id = data.get("correlation_id") or data.setdefault("correlation_id", str(uuid.uuid4()))
        try:
            token = provider.authenticator.token(request.headers.get("Authorization"))
            actor = provider.authenticator.verifier.actor(token)
        except Unauthenticated as exc:
            provider.record_failure(action=action, outcome="DENIED", error_code=exc.code,
                                    user_id=None, correlation_id=correlation_id)
            raise
        # the token itself goes on: each service checks it again, and believes nothing else
        data[CONTEXT_KEY] = token
        return actor

    def trail(self) -> AuditTrail:
        return self.provider.trail()

    def failed(self, action: str, actor: Actor, exc: BaseException,
               record: tuple[str, str] | None) -> None:
        """A request refused or failed here, before or without a service's answer: the gateway
        audits it, as the service would have."""
        outcome, code = outcome_of(exc)
        self.provider.record_failure(action=action, outcome=outcome, error_code=code,
                                     user_id=actor.user_id, roles=actor.roles, record=record,
                                     correlation_id=self.worker_ctx.data.get("correlation_id"))


class GatewayService:
    name = "gateway"

    config = Config()
    store = MongoStore()  # the gateway's own audit trail only
    identity = Identity()
    appraisal = ServiceProxy("appraisal")
    accountability = ServiceProxy("accountability")
    tolerance = ServiceProxy("tolerance")
    talent = ServiceProxy("talent")
    care = ServiceProxy("care")
    reads = ServiceReads()  # the GET routes' calls, over HTTP to READ_URLS
    ops = Ops()  # /health/live, /health/ready, /metrics on OPS_ADDRESS
    logs = WorkerLogContext()  # each log line names its worker's service, call, user and event

    @property
    def timeout(self) -> float:
        return float(self.config.get("RPC_TIMEOUT", 10))

    @property
    def export_timeout(self) -> float:
        """A download's wait for each page: its first may rank the whole roster (100,000 cadres)."""
        return float(self.config.get("EXPORT_TIMEOUT") or DEFAULT_EXPORT_TIMEOUT)

    def call(self, service: str, method: str, arguments: dict, read: bool = False,
             timeout: float | None = None):
        """Call a service; one that does not answer within ``timeout`` (RPC_TIMEOUT) seconds is a 503. A
        ``read`` goes to the service's read port where READ_URLS names one, not through the broker."""
        timeout = timeout or self.timeout
        try:
            with eventlet.Timeout(timeout):
                if read and self.reads.serves(service):
                    try:
                        return self.reads.call(service, method, arguments, timeout)
                    except (OSError, http_client.HTTPException) as exc:
                        raise ServiceTimeout(f"the {service} service did not answer ({type(exc).__name__})",
                                             details={"service": service}) from None
                return getattr(getattr(self, service), method)(**arguments)
        except eventlet.Timeout:
            RPC_TIMEOUTS.labels("gateway", service).inc()
            raise ServiceTimeout(f"the {service} service did not answer within {timeout:g} s",
                                 details={"service": service}) from None

    def forward(self, route: Route, request, path_values: dict):
        actor = self.identity.establish(request, route.name)
        # the record is the route's, named by its path: never chosen by the body
        record = next(((name[:-3], value) for name, value in path_values.items()
                       if name.endswith("_id")), None)
        try:
            fmt = export_format(route, request)
            read = route.method == "GET"
            arguments = self.arguments(route, request, path_values)
            if fmt is not None:
                arguments.pop("format", None)
            if "client_key" in arguments:  # the RPC's, from the Idempotency-Key header only
                raise InvalidInput("the request has unknown fields",
                                   fields={"client_key": ["Unknown field."]})
            key = request.headers.get(IDEMPOTENCY_HEADER) if route.idempotent else None
            if key is not None:
                arguments["client_key"] = key
            if route.paged and fmt is None:
                arguments["paged"] = True
            expected = if_match(request) if route.method != "GET" and path_values else None
            if expected is not None:
                arguments["expected_version"] = expected
            if fmt is not None:
                answers = self.every_page(route, {**arguments, **path_values}) if route.paged \
                    else [self.call(route.service, route.rpc, {**arguments, **path_values}, read,
                                    self.export_timeout)]
                return export_response(EXPORTS[route.name], answers, fmt, route.name)
            result = self.call(route.service, route.rpc, {**arguments, **path_values}, read)
            if route.name == "import_roster" and result.get("errors"):
                # row errors read in the caller's language, as refusals are
                language = language_of(request, self.config.get("DEFAULT_LANGUAGE") or CHINESE)
                result["errors"] = [{**error, "fields": localised_fields(error["fields"], language)}
                                    for error in result["errors"]]
            if route.paged and fmt is None:
                return route.status, result["items"], page_headers(request, result)
            return route.status, result, etag_of(result)
        except RemoteError:
            raise  # the service failed and audited it itself
        except DomainError as exc:
            if not exc.remote:
                self.identity.failed(route.name, actor, exc, record)
            raise
        except Exception as exc:
            self.identity.failed(route.name, actor, exc, record)
            raise

    def every_page(self, route: Route, arguments: dict):
        """A download is the whole list: its pages one after another, the largest the service gives,
        each let go once its rows are written."""
        arguments = {**arguments, "paged": True, "limit": paging.MAX_LIMIT}
        arguments.pop("cursor", None)
        while True:
            page = self.call(route.service, route.rpc, arguments, route.method == "GET",
                             self.export_timeout)
            yield page["items"]
            if page["next_cursor"] is None:
                return
            arguments["cursor"] = page["next_cursor"]

    def arguments(self, route: Route, request, path_values: dict) -> dict:
        arguments = {}
        if route.body is not None:
            max_bytes = route.max_body_bytes or int(
                self.config.get("MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))
            if route.name == "import_roster" and request.mimetype == XLSX:
                # an Excel roster is read here into the CSV the import takes, rows in their order
                data = request.get_data()
                if len(data) > max_bytes:
                    raise RequestEntityTooLarge()
                return {"csv": roster_csv(data)}
            arguments = json_body(request, max_bytes)
            clash = sorted(set(arguments) & set(path_values))
            if clash:
                raise InvalidInput("these fields come from the path, not the body",
                                   fields={name: ["Unknown field."] for name in clash})
        elif request.content_length or request.headers.get("Transfer-Encoding"):
            raise MalformedRequest("this endpoint takes no body")
        if route.query is not None:
            # the service's request schema checks them (unknown ones are refused)
            arguments = request.args.to_dict()
            clash = sorted(set(arguments) & set(path_values))
            if clash:
                raise InvalidInput("these parameters come from the path",
                                   fields={name: ["Unknown field."] for name in clash})
        return arguments

    @http("GET", "/health")
    def health(self, request):
        """Readiness: every service answers its own health check over the broker, at once."""
        calls, report = {}, {}
        for service in SERVICES:
            try:
                calls[service] = getattr(self, service).health.call_async()
            except Exception as exc:  # not running: nothing consumes its queue
                report[service] = {"service": service, "status": "unreachable",
                                   "error": type(exc).__name__}
        deadline = time.monotonic() + self.timeout
        for service, reply in calls.items():
            try:
                # a slow one uses up the shared deadline; replies already in are still read
                with eventlet.Timeout(max(deadline - time.monotonic(), 0.05)):
                    report[service] = reply.result()
            except eventlet.Timeout:
                report[service] = {"service": service, "status": "unreachable", "error": "Timeout"}
            except Exception as exc:
                report[service] = {"service": service, "status": "unreachable",
                                   "error": type(exc).__name__}
        report = {service: report[service] for service in SERVICES}
        healthy = all(item.get("status") == "ok" for item in report.values())
        return (200 if healthy else 503), {"status": "ok" if healthy else "degraded",
                                           "services": report}

    @http("GET", "/openapi.json")
    def openapi(self, request):
        return Response(to_json(SPEC), mimetype="application/json")

    @http("GET", "/labels")
    def labels(self, request):
        """Every code with its Chinese and English label (no token: codes and their names only)."""
        return labels_response(request)

    @http("GET", "/roster/template")
    def roster_template(self, request):
        """The roster's columns as officers' sheets head them, with an example row (no token)."""
        fmt = request.args.get("format", "xlsx")
        if fmt not in FORMATS:
            raise InvalidInput("a template is xlsx or csv",
                               fields={"format": ["Must be one of: xlsx, csv."]})
        return roster_template(fmt)

    @http("GET", "/docs")
    def docs(self, request):
        """Swagger UI on this API's document, with try-it-out (gateway/docs.py)."""
        return docs.page()

    @http("GET", "/docs/<string:asset>")
    def docs_asset(self, request, asset):
        return docs.asset(asset)

    @http("GET", "/console")
    def console_root(self, request):
        return Response(status=308, headers={"Location": "/console/"})

    @http("GET", "/console/")
    def console_page(self, request):
        """The officer console (gateway/console.py): its page; it signs in and calls this API."""
        return Console(self.config).page(takes_gzip(request))

    @http("GET", "/console/config.json")
    def console_config(self, request):
        return Console(self.config).config_response()

    @http("GET", "/console/<path:path>")
    def console_file(self, request, path):
        return Console(self.config).file(path, takes_gzip(request))

    @http("GET", "/audit")
    def audit(self, request):
        """The audit trail of every service and the gateway, newest first (AUDITOR only: each
        service refuses, and audits, anyone else)."""
        self.identity.establish(request, "audit")
        filters = request.args.to_dict()
        try:
            query = AuditQuerySchema(unknown=RAISE).load(filters)
        except ValidationError as exc:
            raise InvalidInput("the query has invalid parameters",
                               fields=exc.normalized_messages()) from None
        pages = [self.call(service, "audit_trail", {**filters, "paged": True}, read=True)
                 for service in SERVICES]
        own = self.identity.trail().query(**query)
        pages.append({"items": AuditEntrySchema(many=True).dump(own), "total": own.total,
                      "next_cursor": own.next_cursor})
        return 200, *merged_trail(pages, query["limit"], request)


    @http("GET", "/work")
    def work(self, request):
        """What waits for the caller: every service's work list for the caller's roles, asked at
        once, merged most urgent first. A service that does not answer is named, not a failure of
        the whole list."""
        self.identity.establish(request, "work_list")
        try:
            query = WorkQuerySchema(unknown=RAISE).load(request.args.to_dict())
        except ValidationError as exc:
            raise InvalidInput("the query has invalid parameters",
                               fields=exc.normalized_messages()) from None
        replies, unavailable, items = {}, [], []
        for service in SERVICES:
            try:
                replies[service] = getattr(self, service).work_list.call_async(**query)
            except Exception:  # not running: nothing consumes its queue
                unavailable.append(service)
        deadline = time.monotonic() + self.timeout
        for service, reply in replies.items():
            try:
                with eventlet.Timeout(max(deadline - time.monotonic(), 0.05)):
                    items += reply.result()
            except (eventlet.Timeout, Unavailable):
                unavailable.append(service)
        return {"items": merged_work(items, query["limit"]), "unavailable": sorted(unavailable)}


IDEMPOTENCY_HEADER = "Idempotency-Key"


def export_format(route: Route, request) -> str | None:
    """``?format=xlsx`` or ``csv`` on a route with a download (gateway/exports.py)."""
    fmt = request.args.get("format") if route.name in EXPORTS else None
    if fmt is not None and fmt not in FORMATS:
        raise InvalidInput("a download is xlsx or csv", fields={"format": ["Must be one of: xlsx, csv."]})
    return fmt


def if_match(request) -> int | None:
    """The version an ``If-Match`` names (``"7"`` or ``W/"7"``); None for none or ``*``."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    tag = header.split(",")[0].strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise InvalidInput("If-Match names the ETag of the record as read, e.g. \"7\"",
                           fields={"If-Match": ["An ETag this API gave, e.g. \"7\"."]})
    return int(tag)


def page_headers(request, page: dict) -> dict[str, str]:
    """RFC 8288: the next page's address (this request's, with the page's cursor) and the list's
    size."""
    headers = {"X-Total-Count": str(page["total"])}
    if page["next_cursor"] is not None:
        query = [(k, v) for k, v in request.args.items(multi=True) if k != "cursor"]
        query.append(("cursor", page["next_cursor"]))
        headers["Link"] = f'<{request.path}?{urlencode(query)}>; rel="next"'
    return headers


def merged_trail(pages: list[dict], limit: int, request) -> tuple[list[dict], dict[str, str]]:
    """Every trail's page after the same cursor, as one page of the merged trail: newest first
    (then by service, then by place in its chain), with the merged list's next cursor and size."""
    entries = sorted((e for page in pages for e in page["items"]), key=audit_key, reverse=True)
    more = len(entries) > limit or any(page["next_cursor"] for page in pages)
    shown = entries[:limit]
    return shown, page_headers(request, {
        "total": sum(page["total"] for page in pages),
        "next_cursor": audit_cursor(shown[-1]) if more and shown else None})


def etag_of(result) -> dict[str, str]:
    """A record's ETag: its roster revision (a cadre) or its version; none for a list."""
    if isinstance(result, dict):
        version = result.get("revision", result.get("version"))
        if isinstance(version, int) and not isinstance(version, bool):
            return {"ETag": f'"{version}"'}
    return {}


def merged_work(items: list[dict], limit: int) -> list[dict]:
    """The services' items as one list, most urgent first (services/common/work.py's order, on
    the items as they came over the wire: ISO 8601 moments compare as text)."""
    return sorted(items, key=lambda i: (not i["overdue"], i.get("due") or "~", i.get("since") or "~",
                                        i["record_id"]))[:limit]


def _forwarding_handler(route: Route):
    def handler(self, request, **path_values):
        return self.forward(route, request, path_values)

    handler.__name__ = handler.__qualname__ = route.name
    handler.__doc__ = route.summary
    return http(route.method, route.path)(handler)


for _route in ROUTES:
    setattr(GatewayService, _route.name, _forwarding_handler(_route))
