"""Safe retries: a command that creates something, sent again with the same client key, answers its first
answer again -- no second record, no second event (``@rpc(idempotent=True)``; the gateway passes an HTTP
``Idempotency-Key`` as the ``client_key`` argument, and other services pass one over RPC).

A key is the caller's: ``<user>:<method>:<key>``, hashed. It is claimed in the service's ``client_keys``
collection with a fingerprint of the arguments before the command runs, and holds the command's answer
once it has run:

- the same key and the same arguments: the answer stored (``DONE``); while the first request is still
  running, ``IDEMPOTENCY_KEY_IN_USE`` (409, try again);
- the same key and other arguments: ``IDEMPOTENCY_KEY_REUSED`` (409), nothing done;
- a refusal leaves no key behind: sent again, the command is asked again;
- a key older than ``IDEMPOTENCY_KEY_SECONDS`` (a day by default) is forgotten and may be used anew.

While a key is claimed, the command's new ids derive from it (``ServiceBase._new_id``). A process that dies
between the command's write and the key's answer leaves the key claimed; after ``CLAIM_SECONDS`` a retry
takes the claim over and runs the command again, which then meets the record already written under the
same id and is refused (``IDEMPOTENCY_ANSWER_LOST``) rather than writing it twice.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from mongoengine import DateTimeField, DictField, StringField
from pymongo.errors import DuplicateKeyError

from services.common.errors import Conflict, DomainError, InvalidInput
from services.common.storage.documents import Aggregate
from services.common.storage.records import Records

PENDING, DONE = "PENDING", "DONE"
DEFAULT_KEY_SECONDS = 24 * 3600
CLAIM_SECONDS = 60
KEY = re.compile(r"^[\x21-\x7e]{1,128}$")  # printable ASCII, no spaces
IDS = uuid.UUID("0b6f9e5c-2a47-4d53-9c1e-7f3a8d2b6e90")


class ClientKey(Aggregate):
    meta = {"collection": "client_keys"}

    key_id = StringField(primary_key=True)
    fingerprint = StringField(required=True)
    state = StringField(required=True)
    claim = StringField(required=True)   # who holds it while PENDING
    at = DateTimeField(required=True)
    answer = DictField()                 # {"value": the answer as dumped}


class ClientKeys(Records):
    document = ClientKey
    noun = "client key"


def key_id(user_id: str, method: str, client_key: str) -> str:
    if not isinstance(client_key, str) or not KEY.match(client_key):
        raise InvalidInput("an idempotency key is 1-128 printable ASCII characters",
                           fields={"client_key": ["1-128 printable ASCII characters, no spaces."]})
    return hashlib.sha256(f"{user_id}\x1f{method}\x1f{client_key}".encode()).hexdigest()


def fingerprint(arguments: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(arguments, sort_keys=True, default=str,
                                     ensure_ascii=False).encode()).hexdigest()


def derived_id(key: str, suffix: str = "") -> str:
    """A new record's id while a key is claimed: the same on every run of the command."""
    return uuid.uuid5(IDS, f"{key}:{suffix}").hex


def once(keys: ClientKeys, key: str, arguments: dict[str, Any], run: Callable[[], Any], *,
         now: datetime, key_seconds: float = DEFAULT_KEY_SECONDS) -> Any:
    """Run the command once for this key and these arguments; the first answer for every retry."""
    print_ = fingerprint(arguments)
    held, ours = _claim(keys, key, print_, now, key_seconds)
    if held["fingerprint"] != print_:
        raise Conflict("this idempotency key was used for another request; use a new key for a new "
                       "request", code="IDEMPOTENCY_KEY_REUSED")
    if held["state"] == DONE:
        return held["answer"]["value"]
    if not ours:
        raise Conflict("a request with this idempotency key is still being carried out; try again "
                       "in a moment", code="IDEMPOTENCY_KEY_IN_USE")
    try:
        answer = run()
    except DomainError:
        keys.collection.delete_one({"_id": key, "claim": held["claim"]})
        raise
    except DuplicateKeyError:
        raise Conflict("an earlier attempt with this idempotency key created the record, but its "
                       "answer was lost; look the record up", code="IDEMPOTENCY_ANSWER_LOST") from None
    keys.collection.update_one({"_id": key, "claim": held["claim"]},
                               {"$set": {"state": DONE, "answer": {"value": answer}}})
    return answer


def _claim(keys: ClientKeys, key: str, print_: str, now: datetime,
           key_seconds: float) -> tuple[dict[str, Any], bool]:
    """The key as held, and whether this request holds it: a new key is claimed; an expired one, or
    one claimed by a request that died (PENDING past CLAIM_SECONDS), is claimed anew."""
    fresh = {"_id": key, "key_id": key, "fingerprint": print_, "state": PENDING,
             "claim": uuid.uuid4().hex, "at": now, "answer": {}, "version": 1}
    for _ in range(3):
        try:
            keys.collection.insert_one(fresh)
            return fresh, True
        except DuplicateKeyError:
            held = keys.collection.find_one({"_id": key})
        if held is None:
            continue  # forgotten meanwhile
        at = held["at"]
        expired = now - at > timedelta(seconds=key_seconds)
        dead = held["state"] == PENDING and now - at > timedelta(seconds=CLAIM_SECONDS)
        if not (expired or (dead and held["fingerprint"] == print_)):
            return held, False
        taken = keys.collection.update_one(
            {"_id": key, "version": held.get("version")},
            {"$set": {k: v for k, v in fresh.items() if k not in ("_id", "version")},
             "$inc": {"version": 1}})
        if taken.matched_count:
            return {**fresh, "version": held.get("version", 0) + 1}, True
    raise Conflict("this idempotency key is contended; try again", code="IDEMPOTENCY_KEY_IN_USE")
