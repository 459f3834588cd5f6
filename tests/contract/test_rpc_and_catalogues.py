"""Gateway -> service RPC contracts, and the committed catalogues (docs/asyncapi.yaml,
docs/rpc-catalogue.json) checked to be what the code says now."""

import json

import pytest
import yaml

from contracts import catalogue
from gateway.routes import ROUTES

METHODS = {(m["service"], m["method"]): m["function"] for m in catalogue.rpc_methods()}


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_each_gateway_route_calls_an_rpc_with_its_own_schemas(route):
    function = METHODS.get((route.service, route.rpc))
    assert function is not None, f"{route.name} calls {route.service}.{route.rpc}, which is no RPC"
    request = function.request_schema
    if route.body is not None:
        assert route.body is request, f"{route.name}: {route.body.__name__} is not the RPC's request"
    elif route.query is not None:
        assert route.query is request
    else:  # the path carries every argument
        assert request is None or set(request().fields) <= set(route.path_params) | {
            n for n, f in request().fields.items() if not f.required}
    assert route.response is function.response_schema, route.name
    assert route.many == function.many, route.name
    # an Idempotency-Key is passed on exactly to the RPCs that take a client key
    assert route.idempotent == function.idempotent, route.name


def test_the_event_catalogue_is_up_to_date():
    committed = catalogue.ASYNCAPI_FILE.read_text(encoding="utf-8")
    assert committed == catalogue.render()[catalogue.ASYNCAPI_FILE], \
        "docs/asyncapi.yaml is out of date: run `make catalogues`"


def test_the_rpc_catalogue_is_up_to_date():
    assert catalogue.RPC_FILE.read_text(encoding="utf-8") == catalogue.render()[catalogue.RPC_FILE], \
        "docs/rpc-catalogue.json is out of date: run `make catalogues`"


def test_the_event_catalogue_names_every_event_its_exchange_key_and_consumers():
    document = yaml.safe_load(catalogue.ASYNCAPI_FILE.read_text(encoding="utf-8"))
    assert document["asyncapi"] == "2.6.0"
    produced = catalogue.producers()
    assert len(document["channels"]) == len(produced)
    for event, schema in produced.items():
        source, key = schema.source_and_name()
        channel = document["channels"][f"{source}.events/{key}"]
        assert channel["bindings"]["amqp"]["exchange"]["name"] == f"{source}.events"
        assert channel["x-routing-key"] == key
        ref = channel["subscribe"]["message"]["$ref"].rsplit("/", 1)[1]
        message = document["components"]["messages"][ref]
        payload_ref = message["payload"]["allOf"][1]["properties"]["payload"]["$ref"].rsplit("/", 1)[1]
        assert set(document["components"]["schemas"][payload_ref]["properties"]) == {
            f.data_key or n for n, f in schema().fields.items()}
        assert message["examples"][0]["payload"]["event_type"] == event
    queues = {c["queue"] for ch in document["channels"].values() for c in ch["x-consumers"]}
    assert queues == {c.queue for c in catalogue.consumers()}


def test_the_rpc_catalogue_lists_every_method_with_who_may_call_it():
    document = json.loads(catalogue.RPC_FILE.read_text(encoding="utf-8"))
    listed = {(service, method) for service, methods in document["services"].items() for method in methods}
    assert listed == set(METHODS)
    assert document["services"]["care"]["approve_hardship"]["allow"] == {"CARE_OFFICER": "ANY",
                                                                          "ORG_ADMIN": "ANY"}
    assert "amount" in document["services"]["care"]["approve_hardship"]["request"]["properties"]
