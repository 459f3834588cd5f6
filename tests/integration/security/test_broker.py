"""The broker as an attacker on it would try it: every process is its own RabbitMQ user, allowed only what it
uses, and a consumer believes an event only from its producer's user (services/common/messaging/identities.py,
consumer.py). The suite runs as production does, one user per process (tests/integration/conftest.py)."""

from __future__ import annotations

import uuid
from urllib.parse import urlparse

import pytest
from amqp.exceptions import AccessRefused, PreconditionFailed
from kombu import Connection, Exchange, Queue
from nameko.events import get_event_exchange

from services.appraisal.events import ResultFinalized
from services.common.clock import utcnow
from services.common.messaging import deadletter
from services.common.messaging.events import build_envelope
from services.common.messaging.identities import broker_user
from tests.helpers import wait_for
from tests.integration.security.world import new_id

pytestmark = pytest.mark.integration


def finalized(cadre_id: str) -> dict:
    return build_envelope(ResultFinalized, {
        "cycle_id": new_id("cy"), "unit_id": "U", "year": 2025, "kind": "ANNUAL",
        "cadre_id": cadre_id, "grade": "EXCELLENT", "finalized_at": utcnow()}, producer="appraisal")


def publish(uri: str, exchange, routing_key: str, body, user_id: str | None) -> None:
    """Publish with confirms, so that a refusal by the broker raises here."""
    with Connection(uri, transport_options={"confirm_publish": True}) as connection:
        producer = connection.Producer()
        extra = {"user_id": user_id} if user_id else {}
        producer.publish(body, exchange=exchange, routing_key=routing_key, serializer="json",
                         retry=False, **extra)


def eligibility(suite, cadre_id):
    response = suite.get(f"/cadres/{cadre_id}/eligibility")
    assert response.status_code == 200, response.text
    return response.json()


def test_a_hand_published_result_from_the_wrong_user_is_dead_lettered_and_not_applied(suite, world):
    """A-5: a result appraisal never granted gives no selection or training priority."""
    cadre_id = world.self_id
    before = eligibility(suite, cadre_id)
    event = finalized(cadre_id)
    admin = broker_user(suite.amqp_uri)  # an administrator of the vhost: may write anywhere
    publish(suite.amqp_uri, get_event_exchange("appraisal", {}), "result_finalized", event, admin)
    publish(suite.amqp_uri, get_event_exchange("appraisal", {}), "result_finalized",
            {**event, "event_id": str(uuid.uuid4())}, None)  # no user_id at all

    def letters():
        found = [d for d in deadletter.list_dead_letters(suite.amqp_uri, "talent", limit=None)
                 if d.body.get("payload", {}).get("cadre_id") == cadre_id]
        return len(found) == 2 and found

    found = wait_for(letters, timeout=20, interval=0.3, what="both forged events dead-lettered")
    assert all("WrongPublisher" in d.error and "not by appraisal's broker user" in d.error
               for d in found), [d.error for d in found]
    assert f"published by {admin}" in found[0].error + found[1].error
    assert all(d.attempts == 1 for d in found)  # refused at once, never handled
    after = eligibility(suite, cadre_id)
    assert (after["selection_priority"], after["training_priority"]) == (
        before["selection_priority"], before["training_priority"])
    assert [r for r in after["reasons"] if r.get("source_event_id") == event["event_id"]] == []

    # replayed as talent, a forged event is refused again: the replay launders nothing
    assert deadletter.replay(suite.broker_uris["talent"], "talent", {event["event_id"]}) == 1
    wait_for(lambda: [d for d in deadletter.list_dead_letters(suite.amqp_uri, "talent", limit=None)
                      if d.event_id == event["event_id"] and f"published by {admin}" in d.error],
             timeout=20, interval=0.3, what="the replayed forgery refused again")
    assert eligibility(suite, cadre_id)["selection_priority"] == before["selection_priority"]
    deadletter.purge(suite.broker_uris["talent"], "talent")


def test_another_service_cannot_publish_to_appraisal_events(suite):
    talent = suite.broker_uris["talent"]
    with pytest.raises(AccessRefused):
        publish(talent, get_event_exchange("appraisal", {}), "result_finalized",
                finalized("C-x"), broker_user(talent))


def test_no_one_can_publish_as_another_user(suite):
    """RabbitMQ checks user_id against the connection: talent cannot sign as appraisal."""
    talent = suite.broker_uris["talent"]
    with pytest.raises(PreconditionFailed):
        publish(talent, get_event_exchange("talent", {}), "cadre_registered", {"x": 1},
                broker_user(suite.broker_uris["appraisal"]))


@pytest.mark.parametrize("queue", ["care.dead-letters", "rpc-care",
                                   "evt-talent-cadre_registered--care.on_cadre_registered"])
def test_a_service_reads_only_its_own_queues(suite, queue):
    with Connection(suite.broker_uris["talent"]) as connection:
        with pytest.raises(AccessRefused):
            connection.default_channel.basic_get(queue, no_ack=True)


def test_no_one_binds_a_queue_to_catch_another_service_s_requests(suite):
    """The requests carry the user's token: only care's own queue may receive care's requests."""
    with Connection(suite.broker_uris["talent"]) as connection:
        spy = Queue("rpc-talent", exchange=Exchange("nameko-rpc", type="topic", durable=True),
                    routing_key="care.*", durable=True, no_declare=False)
        with pytest.raises(AccessRefused):
            spy(connection.default_channel).declare()
    for who in ("gateway", "cadrectl"):
        with Connection(suite.broker_uris[who]) as connection:
            channel = connection.channel()
            with pytest.raises(AccessRefused):
                channel.queue_declare(f"rpc.reply-{who}-spy", auto_delete=True)
                channel.queue_bind(f"rpc.reply-{who}-spy", "nameko-rpc", routing_key="care.*")


def test_the_broker_has_no_default_administrator(suite):
    parts = urlparse(suite.amqp_uri)
    with pytest.raises(AccessRefused):
        with Connection(f"amqp://guest:guest@{parts.hostname}:{parts.port or 5672}/") as connection:
            connection.ensure_connection(max_retries=1)
