"""The OpenAPI 3 document of the HTTP API, built from ``gateway.routes.ROUTES``, and a page to read it.

Request and response bodies are the services' own marshmallow schemas, so the document cannot drift
from what the services accept and return. ``docs_html`` renders the document as one self-contained page:
no CDN, no scripts, because the suite runs on machines that may be offline.
"""

from __future__ import annotations

import html
import json
import re
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
    return {str(status): {"description": text, "content": _json_content({"$ref": ERROR_REF})}
            for status, text in ERROR_RESPONSES.items()}


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
    operation["responses"] = {
        str(route.status): {"description": "Success", "content": content},
        **_error_responses(),
    }
    return operation


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
            "summary": "This document as a page to read (no external resources)",
            "tags": [GATEWAY_TAG],
            "security": [],
            "responses": {"200": {"description": "An HTML page",
                                  "content": {"text/html": {"schema": {"type": "string"}}}}},
        }},
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
            "200": {"description": "Audit entries",
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


CSS = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem 2rem;
       color: #1d1d1f; }
h1 { margin-bottom: .2rem; } h2 { border-bottom: 2px solid #ccc; margin-top: 2.5rem; }
h3 { margin: 0; font-size: 1.05rem; } h4 { margin: 1rem 0 .3rem; font-size: .95rem; }
code, .path { font-family: ui-monospace, Menlo, Consolas, monospace; }
.op { border: 1px solid #d0d0d0; border-radius: 6px; padding: .8rem 1rem; margin: 1rem 0; }
.method { display: inline-block; min-width: 4.5rem; text-align: center; border-radius: 4px;
          color: #fff; font-weight: 600; padding: 0 .4rem; margin-right: .5rem; }
.get { background: #2f6db5; } .post { background: #23803c; } .put, .patch { background: #a76a00; }
.delete { background: #b3261e; }
.summary { color: #444; margin: .3rem 0; } .muted { color: #666; font-size: .9rem; }
table { border-collapse: collapse; width: 100%; margin: .3rem 0; font-size: .92rem; }
th, td { border: 1px solid #ddd; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } .req { color: #b3261e; font-weight: 600; }
nav ul { columns: 2; } a { color: #2f6db5; }
"""


REQUIRED = '<span class="req">required</span>'


def _anchor(prefix: str, name: str) -> str:
    return prefix + "-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _text(value: Any) -> str:
    """Escaped prose, with `backticks` shown as code as in the document's own Markdown."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", _esc(value))


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec.get("components", {}).get("schemas", {}).get(_ref_name(schema["$ref"]), {})
    return schema


def _type_label(schema: dict) -> str:
    """A field's type as HTML: a link for a component, 'array of …', the format in brackets."""
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        return f'<a href="#{_esc(_anchor("schema", name))}">{_esc(name)}</a>'
    kind = schema.get("type", "any")
    if kind == "array":
        label = "array of " + _type_label(schema.get("items", {}))
    elif kind == "object" and not schema.get("properties"):
        label = "object (free-form)" if schema.get("additionalProperties", True) is not False else "object"
    else:
        label = _esc(kind)
    if schema.get("format"):
        label += f" ({_esc(schema['format'])})"
    if schema.get("nullable"):
        label += " or null"
    return label


def _constraints(schema: dict) -> str:
    parts = []
    if "enum" in schema:
        values = (v if isinstance(v, str) else json.dumps(v) for v in schema["enum"])
        parts.append("one of " + ", ".join(f"<code>{_esc(v)}</code>" for v in values))
    for key, text in (("minLength", "min length"), ("maxLength", "max length"),
                      ("minimum", "min"), ("maximum", "max"), ("minItems", "min items"),
                      ("maxItems", "max items")):
        if key in schema:
            parts.append(f"{text} {_esc(schema[key])}")
    if "pattern" in schema:
        parts.append(f"pattern <code>{_esc(schema['pattern'])}</code>")
    if schema.get("readOnly"):
        parts.append("read-only")
    if schema.get("description"):
        parts.append(_text(schema["description"]))
    return "; ".join(parts)


def _fields_table(spec: dict, schema: dict) -> str:
    """The fields of an object schema, its ``$ref`` followed; anything else as its type."""
    name = _ref_name(schema["$ref"]) if "$ref" in schema else None
    resolved = _resolve(spec, schema)
    heading = (f'<p class="muted">Schema <a href="#{_esc(_anchor("schema", name))}">{_esc(name)}</a></p>'
               if name else "")
    properties = resolved.get("properties")
    if not properties:
        return f"{heading}<p>{_type_label(schema)}</p>"
    required = set(resolved.get("required", []))
    rows = "".join(
        f"<tr><td><code>{_esc(field)}</code></td><td>{_type_label(sub)}</td>"
        f"<td>{REQUIRED if field in required else ''}</td>"
        f"<td>{_constraints(sub)}</td></tr>"
        for field, sub in properties.items()
    )
    extra = resolved.get("additionalProperties", True)
    note = '<p class="muted">No fields other than these.</p>' if extra is False else ""
    return (f"{heading}<table><tr><th>field</th><th>type</th><th></th><th>values and notes</th></tr>"
            f"{rows}</table>{note}")


def _operation_html(spec: dict, path: str, method: str, operation: dict) -> str:
    parts = [
        f'<section class="op" id="{_esc(_anchor("op", operation.get("operationId", method + path)))}">',
        f'<h3><span class="method {_esc(method)}">{_esc(method.upper())}</span>'
        f'<span class="path">{_esc(path)}</span></h3>',
        f'<p class="summary">{_text(operation.get("summary", ""))}</p>',
        *([f'<p>{_text(operation["description"])}</p>'] if operation.get("description") else []),
    ]
    meta = [f"operationId <code>{_esc(operation.get('operationId', ''))}</code>"]
    security = operation.get("security", spec.get("security", []))
    schemes = sorted({name for requirement in security for name in requirement})
    meta.append("needs " + ", ".join(f"<code>{_esc(s)}</code>" for s in schemes) if schemes
                else "public: no token needed")
    parts.append(f'<p class="muted">{" · ".join(meta)}</p>')

    parameters = operation.get("parameters", [])
    if parameters:
        rows = []
        for p in parameters:
            notes = _constraints({**p.get("schema", {}), "description": p.get("description", "")})
            rows.append(f"<tr><td><code>{_esc(p['name'])}</code></td><td>{_esc(p['in'])}</td>"
                        f"<td>{_type_label(p.get('schema', {}))}</td>"
                        f"<td>{REQUIRED if p.get('required') else ''}</td><td>{notes}</td></tr>")
        rows = "".join(rows)
        parts.append("<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>type</th><th></th>"
                     f"<th>values and notes</th></tr>{rows}</table>")

    body = operation.get("requestBody")
    if body:
        for media, content in sorted(body.get("content", {}).items()):
            required = " (required)" if body.get("required") else ""
            parts.append(f"<h4>Request body <code>{_esc(media)}</code>{_esc(required)}</h4>")
            parts.append(_fields_table(spec, content.get("schema", {})))

    parts.append("<h4>Responses</h4>")
    rows = []
    details = []
    for status, response in operation.get("responses", {}).items():
        content = response.get("content", {})
        bodies = ", ".join(f"<code>{_esc(media)}</code> {_type_label(c.get('schema', {}))}"
                           for media, c in sorted(content.items()))
        rows.append(f"<tr><td>{_esc(status)}</td><td>{_text(response.get('description', ''))}</td>"
                    f"<td>{bodies}</td></tr>")
        # success bodies in full; error bodies are all the one Error schema, listed below
        if str(status).startswith("2"):
            for media, c in sorted(content.items()):
                details.append(f"<h4>{_esc(status)} <code>{_esc(media)}</code></h4>"
                               + _fields_table(spec, c.get("schema", {})))
    parts.append("<table><tr><th>status</th><th>meaning</th><th>body</th></tr>" + "".join(rows) + "</table>")
    parts.extend(details)
    parts.append("</section>")
    return "\n".join(parts)


def _operations_by_tag(spec: dict) -> dict[str, list[tuple[str, str, dict]]]:
    grouped: dict[str, list[tuple[str, str, dict]]] = {}
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in METHOD_ORDER:  # path-level keys: parameters, summary ...
                continue
            for tag in operation.get("tags") or ["other"]:
                grouped.setdefault(tag, []).append((path, method, operation))
    declared = [t["name"] for t in spec.get("tags", [])]
    order = [t for t in declared if t in grouped] + sorted(t for t in grouped if t not in declared)
    return {tag: sorted(grouped[tag], key=lambda item: (item[0], METHOD_ORDER.index(item[1])))
            for tag in order}


def docs_html(spec: dict) -> str:
    """The document as one HTML page: operations grouped by tag, then every schema; all text escaped."""
    info = spec.get("info", {})
    title = info.get("title", "API")
    tag_text = {t["name"]: t.get("description", "") for t in spec.get("tags", [])}
    grouped = _operations_by_tag(spec)
    schemas = spec.get("components", {}).get("schemas", {})

    nav = "".join(
        f'<li><a href="#{_esc(_anchor("tag", tag))}">{_esc(tag)}</a><ul>'
        + "".join(f'<li><a href="#{_esc(_anchor("op", op.get("operationId", m + p)))}">'
                  f"{_esc(m.upper())} {_esc(p)}</a></li>" for p, m, op in ops)
        + "</ul></li>"
        for tag, ops in grouped.items()
    )
    body = [
        f"<h1>{_esc(title)}</h1>",
        f'<p class="muted">version {_esc(info.get("version", ""))} · OpenAPI {_esc(spec.get("openapi", ""))}'
        ' · the machine-readable document: <a href="/openapi.json">/openapi.json</a></p>',
    ]
    body.extend(f"<p>{_text(paragraph)}</p>" for paragraph in info.get("description", "").split("\n\n")
                if paragraph)
    body.append(f"<nav><h2>Contents</h2><ul>{nav}"
                '<li><a href="#schemas">Schemas</a></li></ul></nav>')
    for tag, ops in grouped.items():
        body.append(f'<h2 id="{_esc(_anchor("tag", tag))}">{_esc(tag)}</h2>')
        if tag_text.get(tag):
            body.append(f'<p class="muted">{_text(tag_text[tag])}</p>')
        body.extend(_operation_html(spec, path, method, op) for path, method, op in ops)
    body.append('<h2 id="schemas">Schemas</h2>')
    for name, schema in schemas.items():
        body.append(f'<section class="op" id="{_esc(_anchor("schema", name))}"><h3>{_esc(name)}</h3>'
                    f"{_fields_table(spec, schema)}")
        # the Error body nests its fields one level down; show them too
        for field, sub in schema.get("properties", {}).items():
            if sub.get("type") == "object" and sub.get("properties"):
                body.append(f"<h4><code>{_esc(field)}</code></h4>{_fields_table(spec, sub)}")
        body.append("</section>")

    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_esc(title)}</title><style>{CSS}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")
