import pytest
from kombu import Connection
from nameko.amqp.publish import Publisher
from nameko.events import get_event_exchange


@pytest.fixture
def publish_event(config):
    """Publish an envelope (or any body) as its producer would, straight to the broker."""
    publisher = Publisher(config["AMQP_URI"], serializer="json")

    def publish(body, source="producer", routing_key=None):
        exchange = get_event_exchange(source, config)
        with Connection(config["AMQP_URI"]) as conn:
            exchange(conn.default_channel).declare()
        key = routing_key or body["event_type"].split(".", 1)[1]
        publisher.publish(body, exchange=exchange, routing_key=key)

    return publish
