"""Small services built on the chassis, for testing the chassis itself against the real stack."""

from marshmallow import fields
from mongoengine import IntField, StringField

from services.common.boundary.rpc import rpc
from services.common.boundary.security import PUBLIC
from services.common.decision import Change, Event
from services.common.errors import Unavailable
from services.common.messaging.consumer import PermanentFailure, consume
from services.common.messaging.events import EventSchema, build_envelope
from services.common.messaging.outbox import Outbox
from services.common.service import ServiceBase
from services.common.storage.documents import Aggregate
from services.common.storage.inbox import apply_once
from services.common.storage.store import MongoStore


class WidgetMade(EventSchema):
    event_type = "producer.widget_made"
    schema_version = 1

    widget_id = fields.String(required=True)


def envelope(widget_id):
    """A ``widget_made`` envelope as the producer's outbox holds it."""
    return build_envelope(WidgetMade, {"widget_id": widget_id}, producer="producer")


class WidgetScrapped(EventSchema):
    """An event nobody consumes."""

    event_type = "producer.widget_scrapped"
    schema_version = 1

    widget_id = fields.String(required=True)


class Widget(Aggregate):
    meta = {"collection": "widgets"}

    widget_id = StringField(primary_key=True)


class Tally(Aggregate):
    meta = {"collection": "tallies"}

    tally_id = StringField(primary_key=True)
    count = IntField(default=0)


class Producer(ServiceBase):
    name = "producer"

    store = MongoStore(documents=[Widget])
    outbox = Outbox(Widget)

    @rpc(allow=PUBLIC)
    def make(self, widget_id):
        widget = Widget(widget_id=widget_id)
        widget.pending_events = [self.outbox.event(WidgetMade, {"widget_id": widget_id})]
        self.store.insert(widget)
        return widget_id

    @rpc(allow=PUBLIC)
    def announce(self, widget_id, events=1, times=1):
        """``times`` read-decide-writes of a widget (made if new), each announcing ``events`` events."""
        for _ in range(times):
            self.store.change(Widget, widget_id, lambda widget: Change(events=[
                Event(WidgetMade, {"widget_id": widget_id}) for _ in range(events)]), create=True)
        return widget_id


# How the consumer's handler behaves, per widget id: a list of outcomes, one per delivery,
# then success. Set by each test before it publishes.
SCRIPT: dict[str, list[str]] = {}
DELIVERIES: dict[str, int] = {}
# widget ids whose handler first waits for this event (a worker still busy while others finish)
HOLDS: dict[str, object] = {}


class Consumer(ServiceBase):
    name = "consumer"

    store = MongoStore(documents=[Tally])
    outbox = Outbox(Tally)

    @consume(WidgetMade)
    def on_widget_made(self, event):
        widget_id = event.payload["widget_id"]
        DELIVERIES[widget_id] = DELIVERIES.get(widget_id, 0) + 1
        if widget_id in HOLDS:
            HOLDS.pop(widget_id).wait()
        outcomes = SCRIPT.get(widget_id, [])
        outcome = outcomes.pop(0) if outcomes else "ok"
        if outcome == "outage":
            raise Unavailable("the store is down (scripted)")
        if outcome == "bug":
            raise ValueError("scripted bug")
        if outcome == "hopeless":
            raise PermanentFailure("scripted: cannot ever succeed")
        apply_once(self.store, Tally, {"_id": widget_id}, {"$inc": {"count": 1}},
                   event.event_id, upsert=True)

    @rpc(allow=PUBLIC)
    def bump(self, widget_id, event_id):
        """The effect of an event, applied directly: for hammering one document concurrently."""
        return apply_once(self.store, Tally, {"_id": widget_id}, {"$inc": {"count": 1}}, event_id,
                          upsert=True)

    @rpc(allow=PUBLIC)
    def count(self, widget_id):
        tally = self.store.collection(Tally).find_one({"_id": widget_id})
        return 0 if tally is None else tally["count"]
