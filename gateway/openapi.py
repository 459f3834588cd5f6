"""The OpenAPI 3 document of the HTTP API, built from ``gateway.routes.ROUTES`` (gateway/docs.py serves
Swagger UI on it).

Request and response bodies are the services' own marshmallow schemas, so the document cannot drift
from what the services accept and return.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from importlib import metadata
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow import resolver as default_schema_name
from marshmallow import RAISE, fields

from gateway.exports import EXPORTS, FORMATS, XLSX
from gateway.routes import ROUTES, Route
from services.common.service import AuditEntrySchema, AuditQuerySchema
from services.common.work import WorkItemSchema, WorkQuerySchema

OPENAPI_VERSION = "3.0.3"
TITLE = "Cadre incentive suite API"
DESCRIPTION = (
    "JSON over HTTP to the cadre-incentive services. Every call except the gateway's own endpoints "
    "needs a bearer JWT.\n\n"
    "Errors are `{\"error\": {\"code\", \"message\", \"rule\"?, \"fields\"?, \"details\"?}}`: `code` is "
    "stable and meant for programs; `rule`, when present, is the DOMAIN.md rule id that refused the "
    "request; `fields` maps invalid fields to their messages."
)
GATEWAY_TAG = "gateway"
SECURITY_SCHEME = "bearerAuth"
ERROR_SCHEMA = "Error"
ERROR_REF = f"#/components/schemas/{ERROR_SCHEMA}"

# Every route can answer with each of these; the gateway and exceptions.STATUS_BY_ERROR decide which.
ERROR_RESPONSES = {
    400: "Invalid input: a missing, invalid or unknown field, or a body that is not a JSON object "
         "(INVALID_INPUT, INVALID_ARGUMENTS, MALFORMED_REQUEST)",
    401: "No bearer token, or one that is invalid or expired (the answer carries WWW-Authenticate)",
    403: "The caller's role may not do this",
    404: "The thing named does not exist (…_NOT_FOUND)",
    409: "Clashes with the current state (duplicate, finalized cycle, concurrent update) or a DOMAIN.md "
         "rule refused it; `rule` names the rule",
    411: "A chunked body without Content-Length (LENGTH_REQUIRED)",
    412: "If-Match names a version the record no longer has: it changed since it was read "
         "(PRECONDITION_FAILED); read it again",
    413: "The request body is too large",
    415: "The request body is not application/json",
    503: "A service or its store is down or did not answer in time; retrying later may succeed",
}

# answered by the HTTP server itself before the gateway sees the request, with no body
SERVER_RESPONSES = {
    414: "The request line (path and query) is longer than the server reads (8 KiB)",
}

METHOD_ORDER = ("get", "put", "post", "patch", "delete", "head", "options")


def _decimal_properties(self, field, ret: dict, **kwargs: Any) -> dict:
    """apispec calls every Decimal a number and copies its Range bounds as Decimals, which JSON
    Schema refuses: the bounds become numbers, and a Decimal dumped as a string (money, a ratio:
    "150.00") is documented as the string it is."""
    if not isinstance(field, fields.Decimal):
        return {}
    bounds = {key: Decimal(str(ret[key])) for key in ("minimum", "maximum") if key in ret}
    found: dict[str, Any] = {key: int(value) if value == value.to_integral_value() else float(value)
                             for key, value in bounds.items()}
    if field.as_string:
        found.update(type="string", format="decimal")
    return found


def _version() -> str:
    try:
        return metadata.version("cadre-incentive")
    except metadata.PackageNotFoundError:  # running from a checkout that was never installed
        return "0.1.0"


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _error_schema() -> dict:
    free_form = {"type": "object", "additionalProperties": True}
    return {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "description": "Stable, for programs: e.g. CADRE_NOT_FOUND"},
                    "message": {"type": "string", "description": "For people; wording may change"},
                    "rule": {"type": "string", "description": "The DOMAIN.md rule id, when a rule refused"},
                    "fields": {**free_form, "description": "Field name to its error messages"},
                    "details": {**free_form, "description": "Anything else that explains the error"},
                },
                "additionalProperties": True,
            },
        },
        "additionalProperties": True,
    }


def _json_content(schema: Any) -> dict:
    return {"application/json": {"schema": schema}}


def _error_responses() -> dict:
    return {**{str(status): {"description": text, "content": _json_content({"$ref": ERROR_REF})}
               for status, text in ERROR_RESPONSES.items()},
            **{str(status): {"description": text} for status, text in SERVER_RESPONSES.items()}}


def _request_body(spec: APISpec, route: Route, registered: dict[tuple, str]) -> dict | None:
    """The route's body schema without the values its path supplies, as a named component.

    A variant with fields taken out gets a name of its own (``RecordGradeWithoutCycleId``): apispec
    keys components by class and modifiers, and two variants under one name would overwrite each other.
    """
    if route.body is None:
        return None
    excluded = tuple(sorted(p for p in route.path_params if p in route.body._declared_fields))
    key = (route.body, excluded)
    if key not in registered:
        name = default_schema_name(route.body)
        if excluded:
            name += "Without" + "".join(_camel(p) for p in excluded)
        # the services load with unknown=RAISE whatever the schema's Meta says (common/rpc.py)
        schema = route.body(exclude=excluded, unknown=RAISE)
        spec.components.schema(name, schema=schema)
        # said outright, not left to apispec's reading of `unknown`: an extra field is a 400
        spec.components.schemas[name]["additionalProperties"] = False
        registered[key] = name
    content = _json_content({"$ref": f"#/components/schemas/{registered[key]}"})
    if route.name == "import_roster":  # or the roster as an Excel workbook (GET /roster/template)
        content[XLSX] = {"schema": {"type": "string", "format": "binary"}}
    return {"required": True, "content": content}


def _route_operation(spec: APISpec, route: Route, registered: dict[tuple, str]) -> dict:
    response_schema: Any = route.response if route.response is not None else {"type": "object"}
    if route.many:
        response_schema = {"type": "array", "items": response_schema}
    operation: dict[str, Any] = {
        "operationId": route.name,
        "summary": route.summary,
        "description": f"Calls `{route.service}.{route.rpc}`." + (
            f" Takes a body of up to {route.max_body_bytes} bytes (other endpoints: the gateway's "
            "MAX_BODY_BYTES); a larger one is a 413." if route.max_body_bytes else ""),
        "tags": [route.service],
        "security": [{SECURITY_SCHEME: []}],
    }
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in route.path_params
    ]
    if route.query is not None:  # apispec spells out one parameter per field
        excluded = tuple(p for p in route.path_params if p in route.query._declared_fields)
        parameters.append({"in": "query", "schema": route.query(exclude=excluded)})
    if route.name in EXPORTS:
        parameters.append({"in": "query", "name": "format", "required": False,
                           "schema": {"type": "string", "enum": sorted(FORMATS)},
                           "description": "A download instead of JSON: an Excel workbook or a CSV file "
                                          "(UTF-8), with Chinese column headers and every code by its "
                                          "Chinese label"})
    if route.method != "GET" and route.path_params:
        parameters.append({"in": "header", "name": "If-Match", "required": False,
                           "schema": {"type": "string"},
                           "description": "No lost updates: the ETag of the record named in the path "
                                          "as it was read (e.g. \"7\"); if the record changed since, "
                                          "412 PRECONDITION_FAILED and nothing is changed"})
    if route.idempotent:
        parameters.append({"in": "header", "name": "Idempotency-Key", "required": False,
                           "schema": {"type": "string", "minLength": 1, "maxLength": 128,
                                      "pattern": "^[\\x21-\\x7e]+$"},
                           "description": "Safe retries: the same key with the same body answers the "
                                          "first answer again, creating nothing twice; with another "
                                          "body it is refused (409 IDEMPOTENCY_KEY_REUSED). Keys are "
                                          "kept IDEMPOTENCY_KEY_SECONDS (a day)"})
    if parameters:
        operation["parameters"] = parameters
    body = _request_body(spec, route, registered)
    if body is not None:
        operation["requestBody"] = body
    content = _json_content(response_schema)
    if route.name in EXPORTS:
        content.update({media.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
                        for media in FORMATS.values()})
    success: dict[str, Any] = {"description": "Success", "content": content}
    if route.paged:
        success["description"] = ("A page of the list: `limit` items (100 unless said) from `cursor` "
                                  "on; the next page's address is in the Link header")
        success["headers"] = PAGE_HEADERS
    operation["responses"] = {
        str(route.status): success,
        **_error_responses(),
    }
    return operation


PAGE_HEADERS = {
    "Link": {"description": "RFC 8288: the next page's address, `<...>; rel=\"next\"`; absent on "
                            "the last page. Items added meanwhile are neither repeated nor skipped",
             "schema": {"type": "string"}},
    "X-Total-Count": {"description": "How many items the whole list holds",
                      "schema": {"type": "integer", "minimum": 0}},
}


def _gateway_paths() -> dict[str, dict]:
    """What the gateway answers itself, without a token and without asking a service's data."""
    free_form = {"type": "object", "additionalProperties": True}
    return {
        "/health": {"get": {
            "operationId": "health",
            "summary": "Whether every service answers its health check, with a report per service",
            "tags": [GATEWAY_TAG],
            "security": [],
            "responses": {
                "200": {"description": "Every service is ok", "content": _json_content(free_form)},
                "503": {"description": "At least one service is down or degraded",
                        "content": _json_content(free_form)},
            },
        }},
        "/openapi.json": {"get": {
            "operationId": "openapi_document",
            "summary": "This document (OpenAPI 3)",
            "tags": [GATEWAY_TAG],
            "security": [],
            "responses": {"200": {"description": "The OpenAPI document",
                                  "content": _json_content(free_form)}},
        }},
        "/labels": {"get": {
            "operationId": "labels",
            "summary": "Every code the suite speaks, by family, with its Chinese (zh) and English (en) "
                       "label; the inaction and exemptable situations also with the policy's own "
                       "sentence (text). Cacheable: send If-None-Match with the ETag",
            "tags": [GATEWAY_TAG],
            "security": [],
            "responses": {
                "200": {"description": "The catalogue: {families: {family: {code: {zh, en, text?}}}}",
                        "headers": {"ETag": {"schema": {"type": "string"}}},
                        "content": _json_content(free_form)},
                "304": {"description": "Not modified: the caller's copy is current"},
            },
        }},
        "/roster/template": {"get": {
            "operationId": "roster_template",
            "summary": "A roster to fill in: the columns as officers' sheets head them (Chinese, as the "
                       "import reads them) and an example row; POST /roster/imports takes it back as "
                       "an .xlsx file or as CSV",
            "tags": [GATEWAY_TAG],
            "security": [],
            "parameters": [{"in": "query", "name": "format", "required": False,
                            "schema": {"type": "string", "enum": ["csv", "xlsx"]}}],
            "responses": {"200": {"description": "The template", "content": {
                media.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
                for media in FORMATS.values()}}, **_error_responses()},
        }},
        "/docs": {"get": {
            "operationId": "api_docs",
            "summary": "Swagger UI on this document: every operation, try-it-out, and Authorize for a "
                       "bearer token (nothing loaded from elsewhere)",
            "tags": [GATEWAY_TAG],
            "security": [],
            "responses": {"200": {"description": "An HTML page",
                                  "content": {"text/html": {"schema": {"type": "string"}}}}},
        }},
        "/docs/{asset}": {"get": {
            "operationId": "api_docs_asset",
            "summary": "The files the docs page loads (Swagger UI's script, style and icons)",
            "tags": [GATEWAY_TAG],
            "security": [],
            "parameters": [{"name": "asset", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": {"200": {"description": "The file", "content": {
                "text/javascript": {"schema": {"type": "string"}},
                "text/css": {"schema": {"type": "string"}},
                "image/png": {"schema": {"type": "string", "format": "binary"}}}},
                "404": {"description": "Not a file of the page",
                        "content": _json_content({"$ref": ERROR_REF})}},
        }},
        **_console_operations(),
    }


def _console_operations() -> dict:
    """The officer console's page, configuration and built files (gateway/console.py)."""
    html = {"text/html": {"schema": {"type": "string"}}}

    def public(operation_id: str, summary: str, responses: dict, parameters=()) -> dict:
        operation = {"operationId": operation_id, "summary": summary, "tags": [GATEWAY_TAG],
                     "security": [], "responses": responses}
        if parameters:
            operation["parameters"] = list(parameters)
        return {"get": operation}

    return {
        "/console": public("console_redirect", "Sends the browser on to /console/",
                           {"308": {"description": "To /console/"}}),
        "/console/": public("console_page", "The officer console (Chinese by default)",
                            {"200": {"description": "The console's page", "content": html},
                             "503": {"description": "The console is not built", "content": html}}),
        "/console/config.json": public(
            "console_config", "The console's identity provider, client id and scopes",
            {"200": {"description": "Its settings", "content": _json_content({
                "type": "object", "properties": {"issuer": {"type": "string"},
                                                 "client_id": {"type": "string"},
                                                 "scopes": {"type": "string"}}})}}),
        "/console/{path}": public(
            "console_file", "A built file of the console, or its page for one of its own routes",
            {"200": {"description": "The file or the page", "content": {
                **html, "text/javascript": {"schema": {"type": "string"}},
                "text/css": {"schema": {"type": "string"}}}},
             "404": {"description": "No such built file",
                     "content": _json_content({"$ref": ERROR_REF})}},
            [{"name": "path", "in": "path", "required": True, "schema": {"type": "string"}}]),
    }


def _sorted_operations(operations: dict[str, dict]) -> dict[str, dict]:
    return {m: operations[m] for m in sorted(operations, key=lambda m: (METHOD_ORDER.index(m), m))}


def _audit_operation() -> dict:
    """GET /audit: the gateway gathers every service's trail (each refuses anyone but an AUDITOR)."""
    return {
        "operationId": "audit_trail",
        "summary": "The audit trail of every service and the gateway, newest first (AUDITOR)",
        "tags": [GATEWAY_TAG],
        "security": [{SECURITY_SCHEME: []}],
        "parameters": [{"in": "query", "schema": AuditQuerySchema}],
        "responses": {
            "200": {"description": "A page of audit entries: `limit` (100 unless said) from `cursor` "
                                   "on; the next page's address is in the Link header",
                    "headers": PAGE_HEADERS,
                    "content": _json_content({"type": "array", "items": AuditEntrySchema})},
            **_error_responses(),
        },
    }


def _work_operation() -> dict:
    """GET /work: the gateway gathers what every service holds for the caller's roles."""
    return {
        "operationId": "work_list",
        "summary": "What waits for the caller, most urgent first: overdue, then by due date, then "
                   "oldest waiting (DOMAIN.md \"Work lists\"); each item's section is labelled in "
                   "/labels (family work_section) and its path opens the record. A service that did "
                   "not answer is named in unavailable",
        "tags": [GATEWAY_TAG],
        "security": [{SECURITY_SCHEME: []}],
        "parameters": [{"in": "query", "schema": WorkQuerySchema}],
        "responses": {
            "200": {"description": "The work list",
                    "content": _json_content({"type": "object", "properties": {
                        "items": {"type": "array", "items": WorkItemSchema},
                        "unavailable": {"type": "array", "items": {"type": "string"}}}})},
            **_error_responses(),
        },
    }


def build_spec(routes: Iterable[Route] = ROUTES, include_audit: bool = True) -> dict:
    """The OpenAPI 3.0.3 document for ``routes`` plus the gateway's own endpoints, as a plain dict.

    Paths, methods, responses and components come out in a fixed order, so a committed copy diffs
    cleanly; properties keep their schema's declaration order, which is how people read them.
    """
    routes = tuple(routes)
    names = [route.name for route in routes]
    if len(set(names)) != len(names):
        raise ValueError(f"route names must be unique (they are operationIds): {names}")
    marshmallow = MarshmallowPlugin()
    spec = APISpec(title=TITLE, version=_version(), openapi_version=OPENAPI_VERSION,
                   plugins=[marshmallow], info={"description": DESCRIPTION})
    marshmallow.converter.add_attribute_function(_decimal_properties)
    spec.components.schema(ERROR_SCHEMA, _error_schema())
    spec.components.security_scheme(SECURITY_SCHEME, {"type": "http", "scheme": "bearer",
                                                      "bearerFormat": "JWT"})
    registered: dict[tuple, str] = {}
    by_path: dict[str, dict[str, dict]] = {}
    for route in routes:
        operations = by_path.setdefault(route.openapi_path, {})
        method = route.method.lower()
        if method in operations:
            raise ValueError(f"two routes for {route.method} {route.openapi_path}")
        operations[method] = _route_operation(spec, route, registered)
    if include_audit:
        by_path.setdefault("/audit", {})["get"] = _audit_operation()
        by_path.setdefault("/work", {})["get"] = _work_operation()
    for path, gateway_operations in _gateway_paths().items():
        operations = by_path.setdefault(path, {})
        if operations.keys() & gateway_operations.keys():
            raise ValueError(f"a route takes the gateway's own {path}")
        operations.update(gateway_operations)
    for path, operations in sorted(by_path.items()):
        spec.path(path=path, operations=_sorted_operations(operations))

    document = spec.to_dict()
    for operations in document["paths"].values():
        for operation in operations.values():
            operation["responses"] = dict(sorted(operation["responses"].items()))
    for section in document.get("components", {}).values():
        items = sorted(section.items())
        section.clear()
        section.update(items)
    tags = [{"name": name, "description": f"Data owned by the {name} service"}
            for name in sorted({route.service for route in routes})]
    tags.append({"name": GATEWAY_TAG, "description": "The gateway's own endpoints; public"})
    # the order a reader expects; apispec puts paths first
    return {"openapi": document["openapi"], "info": document["info"], "tags": tags,
            "paths": document["paths"], "components": document["components"]}


def to_json(spec: dict) -> str:
    """The document as served and as it would be committed: stable, readable, UTF-8."""
    return json.dumps(spec, indent=2, ensure_ascii=False) + "\n"


# The page
