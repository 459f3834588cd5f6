"""One place maps every error to an HTTP status and a JSON body without a stack trace."""

from types import SimpleNamespace

import pytest
from nameko.exceptions import IncorrectSignature, RemoteError, UnknownService
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound as RouteNotFound

from gateway.entrypoints import JsonHttpEntrypoint
from gateway.exceptions import MalformedRequest, ServiceTimeout, error_response
from services.common.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    RuleViolation,
    Unavailable,
)


@pytest.mark.parametrize("error,status", [
    (InvalidInput("bad"), 400),
    (MalformedRequest("bad json"), 400),
    (Forbidden("no"), 403),
    (NotFound("none"), 404),
    (Conflict("dup"), 409),
    (RuleViolation("quota", rule="A-1"), 409),
    (Unavailable("down"), 503),
    (ServiceTimeout("slow"), 503),
    (DomainError("other"), 400),
])
def test_domain_errors_keep_their_code_and_rule(error, status):
    got_status, body = error_response(error)
    assert got_status == status
    assert body == {"error": error.to_dict()}


def test_rule_id_reaches_the_client():
    _, body = error_response(RuleViolation("quota exceeded", code="QUOTA_EXCEEDED", rule="A-1"))
    assert body["error"]["rule"] == "A-1"


def test_a_service_that_is_not_running_is_a_503():
    status, body = error_response(UnknownService("talent"))
    assert status == 503
    assert body["error"]["code"] == "SERVICE_UNAVAILABLE"


@pytest.mark.parametrize("exc,status,code", [
    (RouteNotFound(), 404, "NO_SUCH_ENDPOINT"),
    (MethodNotAllowed(), 405, "METHOD_NOT_ALLOWED"),
])
def test_routing_errors_are_json(exc, status, code):
    got_status, body = error_response(exc)
    assert (got_status, body["error"]["code"]) == (status, code)


@pytest.mark.parametrize("exc", [RemoteError("KeyError", "'secret' at line 3"),
                                 RuntimeError("Traceback (most recent call last)")])
def test_unexpected_errors_reveal_nothing(exc):
    status, body = error_response(exc)
    assert status == 500
    assert body["error"]["code"] == "INTERNAL_ERROR"
    assert "secret" not in str(body) and "Traceback" not in str(body)


def test_a_failure_the_audit_store_cannot_take_still_answers_with_the_failure():
    """With the store down, a service timeout is audited if it can be; it is answered 503 either way,
    never 500 for the audit (which only a success may not go without)."""
    from types import SimpleNamespace

    from pymongo import MongoClient

    from gateway.service import Identity
    from services.common.boundary.audit import AuditTrail
    from services.common.boundary.security import Actor

    unreachable = MongoClient("mongodb://127.0.0.1:9/", serverSelectionTimeoutMS=50, connect=False)
    identity = Identity()
    identity._trail = AuditTrail(unreachable["gateway"], "gateway")
    handle = identity.get_dependency(SimpleNamespace(data={"correlation_id": "c-1"}))
    timeout = ServiceTimeout("slow")
    handle.failed("create_cadre", Actor("u-1", ("ORG_ADMIN",)), timeout, ("cadre", "C-1"))
    assert error_response(timeout)[0] == 503



def test_a_route_handler_called_with_the_wrong_arguments_is_an_incorrect_signature():
    """The gateway's entrypoint checks a call against the handler's signature, worked out once."""

    class Service:
        def handler(self, request, cadre_id):
            return cadre_id

    entrypoint = JsonHttpEntrypoint("GET", "/cadres/<cadre_id>")
    entrypoint.method_name, entrypoint.container = "handler", SimpleNamespace(service_cls=Service)

    entrypoint.check_signature(("request",), {"cadre_id": "C-1"})
    with pytest.raises(IncorrectSignature, match="cadre_id"):
        entrypoint.check_signature(("request",), {})
    with pytest.raises(IncorrectSignature):
        entrypoint.check_signature(("request",), {"cadre_id": "C-1", "unit_id": "U-1"})
