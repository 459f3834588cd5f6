"""The examples of docs/consuming.md run against the running suite: an outside consumer gets a real event
once, and an outside caller gets answers over HTTP and RPC."""

import eventlet
import pytest

from examples.call_api import eligibility_over_http, eligibility_over_rpc
from examples.consume_events import consume
from tests.helpers import wait_for
from tests.integration.test_slice import register_cadre, register_unit

pytestmark = pytest.mark.integration


def test_an_outside_consumer_receives_the_event_once(suite):
    received = eventlet.spawn(consume, suite.amqp_uri, "talent", "cadre_registered",
                              consumer="example-it", handle=lambda envelope: None, limit=1, timeout=30)
    wait_for(lambda: suite.queue_exists("evt-talent-cadre_registered--example-it"), timeout=10,
             what="the example's queue")
    unit_id = register_unit(suite)
    cadre_id = register_cadre(suite, unit_id)
    [envelope] = received.wait()
    assert (envelope["event_type"], envelope["payload"]["cadre_id"]) == ("talent.cadre_registered", cadre_id)
    assert envelope["schema_version"] == 1 and envelope["actor"]["roles"] == ["ORG_ADMIN"]


def test_an_outside_caller_over_http_and_over_rpc(suite):
    unit_id = register_unit(suite)
    cadre_id = register_cadre(suite, unit_id)
    over_http = eligibility_over_http(suite.url, suite.token("ORG_ADMIN"), cadre_id)
    over_rpc = eligibility_over_rpc(suite.amqp_uri, suite.token("ORG_ADMIN", sub="outside"), cadre_id)
    assert over_http["cadre_id"] == over_rpc["cadre_id"] == cadre_id
    with pytest.raises(RuntimeError, match="403 FORBIDDEN"):
        eligibility_over_http(suite.url, suite.token("AUDITOR"), cadre_id)
