"""``@rpc(request=..., response=...)``: nameko's @rpc with marshmallow at both ends (ARCHITECTURE.md §4).

Arguments, positional or keyword, are bound to the method's parameter names and loaded through the
request schema; the method is called with the loaded values; its result is dumped through the response
schema. Bad input is refused as ``InvalidInput`` with field errors before the method runs, and an
unreachable store becomes ``Unavailable``, so no caller ever sees a pymongo exception.
"""

from __future__ import annotations

import functools
import inspect
import logging

from marshmallow import RAISE, ValidationError
from nameko.rpc import rpc as nameko_rpc
from pymongo.errors import ConnectionFailure

from services.common.errors import EXPECTED_ERRORS, InvalidInput, Unavailable

log = logging.getLogger(__name__)


def _bind(signature: inspect.Signature, args, kwargs) -> dict:
    """The call's arguments by name; a method with ``**fields`` takes what its schema allows."""
    params = list(signature.parameters.values())[1:]  # without self
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params)
    unknown = sorted(set(kwargs) - {p.name for p in params})
    if unknown and not takes_any:
        raise InvalidInput("the request has unknown fields",
                           fields={name: ["Unknown field."] for name in unknown})
    try:
        bound = signature.bind_partial(None, *args, **kwargs)
    except TypeError as exc:
        raise InvalidInput(f"bad arguments: {exc}", code="INVALID_ARGUMENTS") from None
    arguments = {}
    for param in params:
        if param.name not in bound.arguments:
            continue
        if param.kind is param.VAR_KEYWORD:
            arguments.update(bound.arguments[param.name])
        else:
            arguments[param.name] = bound.arguments[param.name]
    return arguments


def rpc(fn=None, *, request=None, response=None, many=False):
    """Decorate a service method as a validated RPC entrypoint."""

    def decorate(method):
        signature = inspect.signature(method)
        request_schema = request(unknown=RAISE) if request is not None else None
        response_schema = response(many=many) if response is not None else None

        @functools.wraps(method)
        def entrypoint(self, *args, **kwargs):
            arguments = _bind(signature, args, kwargs)
            if request_schema is not None:
                try:
                    arguments = request_schema.load(arguments)
                except ValidationError as exc:
                    raise InvalidInput("the request has invalid fields",
                                       fields=exc.normalized_messages()) from None
            try:
                result = method(self, **arguments)
            except ConnectionFailure as exc:
                log.warning("%s.%s: store unavailable: %s", self.name, method.__name__, exc)
                raise Unavailable(f"the {self.name} store is unavailable, try again later",
                                  code="STORE_UNAVAILABLE") from None
            return response_schema.dump(result) if response_schema is not None else result

        return nameko_rpc(expected_exceptions=EXPECTED_ERRORS)(entrypoint)

    return decorate(fn) if fn is not None else decorate
