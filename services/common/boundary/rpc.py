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
from pymongo.errors import ConnectionFailure

from services.common import idempotency
from services.common.boundary.schemas import strip_hidden
from services.common.boundary.security import PUBLIC, denied
from services.common.clock import utcnow
from services.common.errors import EXPECTED_ERRORS, InvalidInput, Unavailable
from services.common.messaging.amqp import ResilientRpc
from services.common.paging import Page

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


def _with_nul(value, path: str = ""):
    """Fields whose text holds U+0000: no name or reason has one, and PostgreSQL (FerretDB's
    backend) cannot store it, so it is refused here as bad input, not failed on in the store."""
    if isinstance(value, str):
        if "\x00" in value:
            yield path or "_", ["Text must not contain the NUL character (U+0000)."]
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _with_nul(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _with_nul(item, f"{path}.{index}")


def _record_field(signature: inspect.Signature) -> str | None:
    """The record a method acts on: its first ``*_id`` parameter, in the order the method declares
    them -- never the order a caller happened to send its fields in."""
    return next((name for name in list(signature.parameters)[1:] if name.endswith("_id")), None)


def _record_hint(field: str | None, arguments: dict) -> tuple[str, str] | None:
    """The record a call names, for the audit of a call refused before it loads anything."""
    value = arguments.get(field) if field else None
    return (field[:-3], value) if isinstance(value, str) else None


def expect(service, key, version) -> None:
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise InvalidInput("If-Match names a version: a whole number",
                           fields={"expected_version": ["A whole number."]})
    service.store.expect(key, version)


def once(service, method: str, client_key, arguments: dict, run):
    """The command run once for the caller's key (services/common/idempotency.py); while it runs,
    the ids it makes derive from the key."""
    key = idempotency.key_id(service.access.actor.user_id, method, client_key)
    service._client_key = key
    try:
        return idempotency.once(
            service.store.client_keys, key, arguments, run, now=utcnow(),
            key_seconds=float(service.config.get("IDEMPOTENCY_KEY_SECONDS")
                              or idempotency.DEFAULT_KEY_SECONDS))
    finally:
        service._client_key = None


def rpc(fn=None, *, request=None, response=None, many=False, allow=None, idempotent=False,
        paged=False):
    """Decorate a service method as a validated, permission-checked RPC entrypoint.

    ``allow`` says who may call it: ``{ROLE: SCOPE, ...}`` (see security.py), or ``PUBLIC``.
    ``idempotent``: a command that creates something; it takes a ``client_key`` argument, and the same
    key with the same arguments answers the first answer again (services/common/idempotency.py).
    ``paged``: a list a page at a time (services/common/paging.py); the method takes ``cursor`` and
    ``limit`` and returns a Page, and a caller passing ``paged=True`` gets the page's
    ``{"items", "next_cursor", "total"}``, any other the items alone.
    """
    if allow is not PUBLIC and not allow:
        raise TypeError("say who may call it: allow={ROLE: SCOPE, ...} or allow=PUBLIC")

    def decorate(method):
        signature = inspect.signature(method)
        record_field = _record_field(signature)
        request_schema = request(unknown=RAISE) if request is not None else None
        response_schema = response(many=many) if response is not None else None

        @functools.wraps(method)
        def entrypoint(self, *args, **kwargs):
            client_key = kwargs.pop("client_key", None) if idempotent else None
            # If-Match: the version of the record the call names (its first *_id argument)
            expected = kwargs.pop("expected_version", None) if record_field else None
            with_page = kwargs.pop("paged", False) is True if paged else False
            if allow is PUBLIC:
                return call(self, _bind(signature, args, kwargs), None, with_page)
            try:
                # who first: a caller without the role learns nothing about the arguments
                grant = self.access.begin(method.__name__, allow,
                                          record=_record_hint(record_field, kwargs))
                arguments = _bind(signature, args, kwargs)
                if expected is not None:
                    expect(self, arguments.get(record_field), expected)
                if client_key is None:
                    result = call(self, arguments, grant, with_page)
                else:
                    result = once(self, method.__name__, client_key, arguments,
                                  lambda: call(self, arguments, grant, False))
            except Exception as exc:
                self.access.audit(exc)
                raise
            # written before the reply leaves: no answer without its audit line
            self.access.audit(None)
            return result

        def call(self, arguments, grant, with_page):
            if request_schema is not None:
                try:
                    arguments = request_schema.load(arguments)
                except ValidationError as exc:
                    raise InvalidInput("the request has invalid fields",
                                       fields=exc.normalized_messages()) from None
            nul = dict(_with_nul(arguments))
            if nul:
                raise InvalidInput("the request has invalid fields", fields=nul)
            try:
                result = method(self, **arguments)
            except ConnectionFailure as exc:
                log.warning("%s.%s: store unavailable: %s", self.name, method.__name__, exc)
                raise Unavailable(f"the {self.name} store is unavailable, try again later",
                                  code="STORE_UNAVAILABLE") from None
            if grant is not None and not grant.unrestricted and not grant.checked:
                # fail closed: a scoped role got an answer nobody checked against its scope
                log.error("%s.%s returned without access.check() for a scoped role",
                          self.name, method.__name__)
                raise denied(grant.actor, method.__name__)
            if response_schema is None:
                return result
            dumped = strip_hidden(response_schema, response_schema.dump(result),
                                  grant.actor.roles if grant is not None else ())
            if not with_page:
                return dumped
            page = result if isinstance(result, Page) else Page(result)
            return {"items": dumped, "next_cursor": page.next_cursor, "total": page.total}

        entrypoint.allow = allow
        entrypoint.idempotent = idempotent
        entrypoint.paged = paged
        # read by contracts/catalogue.py: the RPC catalogue is generated from these
        entrypoint.request_schema, entrypoint.response_schema, entrypoint.many = request, response, many
        return ResilientRpc.decorator(expected_exceptions=EXPECTED_ERRORS)(entrypoint)

    return decorate(fn) if fn is not None else decorate
