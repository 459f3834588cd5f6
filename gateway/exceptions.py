"""Every error a client can get, mapped to an HTTP status and a JSON body in one place.

Body: ``{"error": {"code", "message", "rule"?, "fields"?, "details"?}}``. Domain errors keep their
code and rule id across the RPC hop; anything unexpected is logged here with its trace and reaches the
client only as ``INTERNAL_ERROR`` -- never a stack trace.
"""

from __future__ import annotations

import logging

from nameko.exceptions import RemoteError, UnknownService
from werkzeug.exceptions import HTTPException

from services.common.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    RuleViolation,
    Unauthenticated,
    Unavailable,
)

log = logging.getLogger(__name__)

class UnsupportedMediaType(DomainError):
    code = "UNSUPPORTED_MEDIA_TYPE"


class LengthRequired(DomainError):
    code = "LENGTH_REQUIRED"


class RequestTimeout(DomainError):
    code = "BODY_TIMEOUT"


class TooManyRequests(DomainError):
    code = "TOO_MANY_REQUESTS"


STATUS_BY_ERROR = (
    (RequestTimeout, 408),
    (TooManyRequests, 429),
    (Unauthenticated, 401),
    (UnsupportedMediaType, 415),
    (LengthRequired, 411),
    (InvalidInput, 400),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (PreconditionFailed, 412),
    (RuleViolation, 409),
    (Unavailable, 503),
    (DomainError, 400),
)


class MalformedRequest(InvalidInput):
    code = "MALFORMED_REQUEST"


class ServiceTimeout(Unavailable):
    code = "SERVICE_TIMEOUT"


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def error_response(exc: BaseException) -> tuple[int, dict]:
    """(status, body) for any exception raised while handling a request."""
    if isinstance(exc, DomainError):
        status = next(status for cls, status in STATUS_BY_ERROR if isinstance(exc, cls))
        return status, {"error": exc.to_dict()}
    if isinstance(exc, UnknownService):
        return 503, error_body("SERVICE_UNAVAILABLE",
                               f"the {exc.args[0]} service is not running")
    if isinstance(exc, HTTPException):  # routing: unknown path, wrong method
        code = {404: "NO_SUCH_ENDPOINT", 405: "METHOD_NOT_ALLOWED",
                413: "PAYLOAD_TOO_LARGE"}.get(exc.code, "HTTP_ERROR")
        return exc.code or 500, error_body(code, exc.description or exc.name)
    if isinstance(exc, RemoteError):
        log.error("unexpected error in a service: %s %s", exc.exc_type, exc.value)
    else:
        log.error("unexpected error in the gateway", exc_info=exc)
    return 500, error_body("INTERNAL_ERROR", "something went wrong on our side; it has been logged")
