"""A service's read port (services/common/messaging/reads.py), talent as an in-process container on the real
store: a read over HTTP runs the same method as the broker's RPC -- the caller's token checked again where
the data lives, the call audited with the caller's correlation id before the answer leaves, a refusal
returned as the same error (tests/integration/test_reads.py: and not through the broker)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from devstack.common import free_port
from services.common.errors import Forbidden, NotFound, Unauthenticated
from services.common.messaging.reads import _Connections, _Reader
from services.common.storage.store import database_name
from services.talent.service import TalentService
from tests.helpers import ADMIN, actor, as_user, call

UNIT = {"unit_id": "U1", "name": "江汉区", "unit_type": "DISTRICT"}
CADRE = {"cadre_id": "C1", "name": "周一", "unit_id": "U1", "level": "SECTION", "is_leader": False,
         "is_principal": False, "birth_date": "1980-05-01", "grassroots_years": 6, "service_years": 12}


@pytest.fixture
def talent(running):
    port = free_port()
    container = running(TalentService, READ_ADDRESS=f"127.0.0.1:{port}")
    call(container, "register_unit", **UNIT)
    call(container, "register_cadre", **CADRE)
    container.read_url = f"http://127.0.0.1:{port}"
    return container


def reader(talent, user: dict | None, correlation_id: str = "corr-read-1") -> _Reader:
    context = {**(as_user(user) if user else {}), "correlation_id": correlation_id}
    return _Reader({"talent": _Connections(talent.read_url, timeout=10)},
                   SimpleNamespace(context_data=context))


def test_a_read_over_http_answers_as_the_rpc_does_and_is_audited_first(talent, mongo_client, config):
    answer = reader(talent, ADMIN).call("talent", "get_cadre", {"cadre_id": "C1"})
    assert answer == call(talent, "get_cadre", cadre_id="C1")
    assert answer["name"] == "周一" and answer["unit_id"] == "U1"
    trail = mongo_client[database_name(config, "talent") + "_audit"]["audit"]
    entry = trail.find_one({"correlation_id": "corr-read-1"})
    assert (entry["action"], entry["outcome"], entry["user_id"], entry["record_id"]) == \
        ("get_cadre", "OK", "admin", "C1")


def test_a_refusal_comes_back_as_the_same_error(talent):
    with pytest.raises(NotFound) as missing:
        reader(talent, ADMIN).call("talent", "get_cadre", {"cadre_id": "NOPE"})
    assert missing.value.code == "CADRE_NOT_FOUND"
    # a unit administrator of another unit: refused where the data lives
    with pytest.raises(Forbidden):
        reader(talent, actor("UNIT_ADMIN", user_id="ua2", unit_id="U2")).call("talent", "get_cadre",
                                                                               {"cadre_id": "C1"})


def test_a_read_names_its_user_by_a_token_the_service_checks(talent):
    with pytest.raises(Unauthenticated):
        reader(talent, None).call("talent", "get_cadre", {"cadre_id": "C1"})
    forged = reader(talent, None)
    forged.worker_ctx.context_data.update(auth_token="not.a.token", user_id="admin", roles=["ORG_ADMIN"])
    with pytest.raises(Unauthenticated):
        forged.call("talent", "get_cadre", {"cadre_id": "C1"})


def test_bad_arguments_are_refused_as_over_the_broker(talent):
    from services.common.errors import InvalidInput

    with pytest.raises(InvalidInput):
        reader(talent, ADMIN).call("talent", "get_cadre", {"cadre_id": "C1", "colour": "red"})
