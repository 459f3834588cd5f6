import json

import pytest
from kombu import Connection
from nameko.amqp.publish import Publisher
from nameko.events import get_event_exchange

from services.common.messaging.identities import broker_user


@pytest.fixture
def publish_event(config):
    """Publish an envelope (or any body) as its producer would, straight to the broker."""
    # as its producer would: RabbitMQ checks user_id, and consumers check who that is
    publisher = Publisher(config["AMQP_URI"], serializer="json", user_id=broker_user(config["AMQP_URI"]))

    def publish(body, source="producer", routing_key=None):
        exchange = get_event_exchange(source, config)
        with Connection(config["AMQP_URI"]) as conn:
            exchange(conn.default_channel).declare()
        key = routing_key or body["event_type"].split(".", 1)[1]
        publisher.publish(body, exchange=exchange, routing_key=key)

    return publish


@pytest.fixture
def running(container_factory, config):
    """Start a service class as an in-process container on this test's vhost and databases."""

    def start(service_cls, **overrides):
        container = container_factory(service_cls, {**config, **overrides})
        container.start()
        return container

    return start


@pytest.fixture
def deliver_event(publish_event):
    """Publish an event as its producer would and wait until ``container``'s ``handler`` ran."""
    from nameko.testing.services import entrypoint_waiter

    from services.common.messaging.events import build_envelope

    def deliver(container, schema, payload, handler, envelope=None, actor=None):
        source = schema.event_type.split(".")[0]
        envelope = envelope or build_envelope(schema, payload, producer=source, actor=actor)
        with entrypoint_waiter(container, handler, timeout=10):
            publish_event(envelope, source=source)
        return envelope

    return deliver


@pytest.fixture
def spy(config):
    """``spy(producer, routing_key)`` binds a queue now and returns ``next_event()``: the next
    envelope published there, in order, waiting up to 10 s."""
    from kombu import Connection, Queue
    from nameko.events import get_event_exchange

    from tests.helpers import wait_for

    def bind(producer, routing_key):
        name = f"spy-{producer}-{routing_key}"
        with Connection(config["AMQP_URI"]) as conn:
            Queue(name, exchange=get_event_exchange(producer, config),
                  routing_key=routing_key)(conn.default_channel).declare()

        def next_event():
            def get():
                with Connection(config["AMQP_URI"]) as conn:
                    message = conn.default_channel.basic_get(name, no_ack=True)
                    return message and [message]
            [message] = wait_for(get, timeout=10, interval=0.05, what=f"an event on {routing_key}")
            return json.loads(message.body)

        return next_event

    return bind


@pytest.fixture()
def web_session(web_config_port):
    """nameko's fixture of this name, without werkzeug.urls.url_join (gone in werkzeug 3): a requests
    session whose paths are relative to the test's web server."""
    from urllib.parse import urljoin

    from requests import Session

    class WebSession(Session):
        def request(self, method, url, *args, **kwargs):
            return super().request(method, urljoin(f"http://127.0.0.1:{web_config_port}/", url),
                                   *args, **kwargs)

    with WebSession() as session:
        yield session
