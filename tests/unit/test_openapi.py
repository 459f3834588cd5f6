"""The OpenAPI document is built from ROUTES and the services' schemas, and the docs page renders it."""

import dataclasses
import json
import re
import warnings

import pytest
from openapi_spec_validator import validate

from gateway.exports import EXPORTS
from gateway.openapi import ERROR_RESPONSES, SERVER_RESPONSES, build_spec, to_json
from gateway.routes import ROUTES
from services.appraisal.rules import GRADES, KINDS
from services.appraisal.schemas import CycleSchema, RecordGradeSchema
from services.talent.rules import LEVELS, UNIT_TYPES

ERROR_REF = "#/components/schemas/Error"


@pytest.fixture(scope="module")
def spec():
    return build_spec()


def resolve(spec, schema):
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def refs(node):
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def fake_route(**changes):
    # from a real route, so a field added to Route later does not break these tests
    return dataclasses.replace(ROUTES[0], **changes)


def test_the_document_is_valid_openapi_3(spec):
    assert spec["openapi"] == "3.0.3"
    validate(spec)


def test_building_it_raises_no_warnings():
    # apispec warns when two schemas resolve to one component name and renames one behind our back
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        build_spec()


def test_every_ref_points_at_a_component(spec):
    components = spec["components"]["schemas"]
    for ref in refs(spec):
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[-1] in components, ref


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.name)
def test_every_route_is_an_operation(spec, route):
    operation = spec["paths"][route.openapi_path][route.method.lower()]
    assert operation["operationId"] == route.name
    assert operation["tags"] == [route.service]
    assert operation["summary"] == route.summary
    assert operation["security"] == [{"bearerAuth": []}]
    parameters = operation.get("parameters", [])
    assert [p for p in parameters if p["in"] == "path"] == [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in route.path_params
    ]
    query = {p["name"] for p in parameters if p["in"] == "query"}
    downloads = {"format"} if route.name in EXPORTS else set()  # gateway/exports.py
    assert query == (set(route.query._declared_fields) - set(route.path_params) if route.query
                     else set()) | downloads
    success = operation["responses"][str(route.status)]["content"]["application/json"]["schema"]
    if route.response is None:
        assert success == {"type": "object"}
    else:
        if route.many:  # a list of them
            assert success["type"] == "array"
            success = success["items"]
        declared = {field.data_key or name for name, field in route.response._declared_fields.items()}
        assert set(resolve(spec, success)["properties"]) == declared


def test_operation_ids_are_unique_and_the_openapi_paths_match_werkzeug_rules(spec):
    ids = [op["operationId"] for ops in spec["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    assert spec["paths"]["/appraisal/cycles/{cycle_id}/grades"]["post"]["operationId"] == "record_grade"


@pytest.mark.parametrize("route", [r for r in ROUTES if r.body is not None], ids=lambda route: route.name)
def test_request_bodies_leave_out_path_values_and_forbid_other_fields(spec, route):
    body = spec["paths"][route.openapi_path][route.method.lower()]["requestBody"]
    assert body["required"] is True
    schema = resolve(spec, body["content"]["application/json"]["schema"])
    fields = route.body._declared_fields
    expected = [name for name in fields if name not in route.path_params]
    assert list(schema["properties"]) == expected
    assert sorted(schema.get("required", [])) == sorted(n for n in expected if fields[n].required)
    # the services load with unknown=RAISE: an extra field is a 400, so generators must not send one
    assert schema["additionalProperties"] is False


def test_record_grade_takes_the_cycle_from_the_path_only(spec):
    operation = spec["paths"]["/appraisal/cycles/{cycle_id}/grades"]["post"]
    schema = resolve(spec, operation["requestBody"]["content"]["application/json"]["schema"])
    assert set(schema["properties"]) == {"cadre_id", "grade", "comment"}
    assert [(p["name"], p["in"]) for p in operation["parameters"]] == [
        ("cycle_id", "path"), ("If-Match", "header")]


@pytest.mark.parametrize("route", [r for r in ROUTES if r.body is None], ids=lambda route: route.name)
def test_routes_without_a_body_document_none(spec, route):
    assert "requestBody" not in spec["paths"][route.openapi_path][route.method.lower()]


@pytest.mark.parametrize("component,field,values", [
    ("Unit", "unit_type", UNIT_TYPES),
    ("Cadre", "level", LEVELS),
    ("OpenCycle", "kind", KINDS),
    ("RecordGradeWithoutCycleId", "grade", GRADES),
])
def test_enums_come_from_the_schemas(spec, component, field, values):
    assert spec["components"]["schemas"][component]["properties"][field]["enum"] == list(values)


def test_field_rules_come_from_the_schemas(spec):
    schemas = spec["components"]["schemas"]
    assert schemas["OpenCycle"]["properties"]["year"] == {"type": "integer", "minimum": 2000,
                                                          "maximum": 2100}
    assert schemas["Cadre"]["properties"]["birth_date"] == {"type": "string", "format": "date"}
    assert "pattern" in schemas["Cadre"]["properties"]["cadre_id"]
    assert schemas["Cycle"]["properties"]["results"]["items"] == {"$ref": "#/components/schemas/Result"}
    assert schemas["Cycle"]["properties"]["finalized_at"]["nullable"] is True


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.name)
def test_errors_use_the_error_component(spec, route):
    responses = spec["paths"][route.openapi_path][route.method.lower()]["responses"]
    for status in (400, 401, 403, 404, 409, 413, 415, 503):
        assert responses[str(status)]["content"]["application/json"]["schema"] == {"$ref": ERROR_REF}
        assert responses[str(status)]["description"]
    assert set(responses) == {str(route.status), *map(str, ERROR_RESPONSES), *map(str, SERVER_RESPONSES)}
    # a request line too long is the HTTP server's own answer, before the gateway: no body
    assert "content" not in responses["414"]


def test_the_error_component_is_the_gateways_error_body(spec):
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    inner = error["properties"]["error"]
    assert sorted(inner["required"]) == ["code", "message"]
    assert inner["properties"]["code"]["type"] == inner["properties"]["message"]["type"] == "string"
    assert inner["properties"]["rule"]["type"] == "string"
    for free_form in ("fields", "details"):
        assert inner["properties"][free_form]["type"] == "object"
        assert inner["properties"][free_form]["additionalProperties"] is True
    # the body may grow: a client must not break on a new key
    assert error.get("additionalProperties", True) is not False
    assert inner.get("additionalProperties", True) is not False


def test_bearer_jwt_is_the_security_scheme(spec):
    assert spec["components"]["securitySchemes"] == {
        "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}


def test_the_gateways_own_endpoints_are_public(spec):
    health = spec["paths"]["/health"]["get"]
    assert health["security"] == []
    assert set(health["responses"]) == {"200", "503"}
    assert spec["paths"]["/openapi.json"]["get"]["security"] == []
    docs = spec["paths"]["/docs"]["get"]
    assert docs["security"] == []
    assert list(docs["responses"]["200"]["content"]) == ["text/html"]


def test_info_names_the_api_and_the_error_contract(spec):
    info = spec["info"]
    assert info["title"] == "Cadre incentive suite API"
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", info["version"])
    assert "code" in info["description"] and "DOMAIN.md" in info["description"]


def test_the_output_is_deterministic_and_ordered(spec):
    assert to_json(build_spec()) == to_json(spec)
    assert list(spec["paths"]) == sorted(spec["paths"])
    assert list(spec["components"]["schemas"]) == sorted(spec["components"]["schemas"])
    for operations in spec["paths"].values():
        for operation in operations.values():
            assert list(operation["responses"]) == sorted(operation["responses"])
    assert json.loads(to_json(spec)) == spec


def test_a_body_with_and_without_a_path_value_are_two_components():
    with_cycle = fake_route(name="grade_any", method="POST", path="/grades", body=RecordGradeSchema,
                            response=CycleSchema)
    from_path = fake_route(name="grade_one", method="POST", path="/cycles/<string:cycle_id>/grades",
                           body=RecordGradeSchema, response=CycleSchema)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        spec = build_spec([with_cycle, from_path])
    validate(spec)
    schemas = spec["components"]["schemas"]
    assert "cycle_id" in schemas["RecordGrade"]["properties"]
    assert "cycle_id" not in schemas["RecordGradeWithoutCycleId"]["properties"]


def test_a_route_without_a_response_schema_answers_an_object():
    spec = build_spec([fake_route(name="ping", method="POST", path="/ping", body=None, response=None)])
    validate(spec)
    content = spec["paths"]["/ping"]["post"]["responses"]["201"]["content"]
    assert content == {"application/json": {"schema": {"type": "object"}}}


def test_route_names_must_be_unique():
    with pytest.raises(ValueError, match="unique"):
        build_spec([ROUTES[0], ROUTES[0]])


def test_a_route_cannot_take_the_gateways_own_endpoints():
    with pytest.raises(ValueError, match="/health"):
        build_spec([fake_route(name="shadow", method="GET", path="/health")])


# The page (Swagger UI, gateway/docs.py)


def test_the_page_loads_only_files_the_gateway_serves():
    from gateway import docs
    page = docs.page().get_data(as_text=True)
    loaded = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page)
    assert loaded and all(url.startswith("/docs/") for url in loaded), loaded
    for url in loaded:
        response = docs.asset(url.removeprefix("/docs/"))
        assert response.status_code == 200 and response.get_data(), url
    assert "/openapi.json" in docs.asset("swagger-initializer.js").get_data(as_text=True)
    assert "default-src 'self'" in docs.page().headers["Content-Security-Policy"]


def test_nothing_else_of_the_package_is_served():
    from werkzeug.exceptions import NotFound

    from gateway import docs
    for name in ("index.html", "../__init__.py", "swagger-ui.js.map", ""):
        with pytest.raises(NotFound):
            docs.asset(name)


def test_a_route_with_its_own_body_limit_says_so(spec):
    [import_roster] = [route for route in ROUTES if route.name == "import_roster"]
    assert import_roster.max_body_bytes == 8 * 1024 * 1024
    operation = spec["paths"]["/roster/imports"]["post"]
    assert f"up to {import_roster.max_body_bytes} bytes" in operation["description"]
    # every other route keeps the configured limit and says nothing of its own
    for route in ROUTES:
        if route is not import_roster:
            assert route.max_body_bytes is None, route.name
            description = spec["paths"][route.openapi_path][route.method.lower()]["description"]
            assert description == f"Calls `{route.service}.{route.rpc}`.", route.name


def test_update_cadre_is_a_patch_taking_the_cadre_from_the_path(spec):
    operation = spec["paths"]["/cadres/{cadre_id}"]["patch"]
    schema = resolve(spec, operation["requestBody"]["content"]["application/json"]["schema"])
    assert "cadre_id" not in schema["properties"] and "unit_id" not in schema["properties"]
    assert schema.get("required", []) == []
    assert spec["paths"]["/cadres/{cadre_id}"]["get"]["operationId"] == "get_cadre"
