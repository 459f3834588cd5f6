"""The base of every aggregate document: its outbox and its applied-event guard (ARCHITECTURE.md §3)."""

from mongoengine import BooleanField, DictField, Document, ListField, StringField


class Aggregate(Document):
    meta = {
        "abstract": True,
        # the relay finds pending events by the flag; its sweep by the events themselves
        "indexes": ["outbox_pending", "pending_events.event_id"],
    }

    pending_events = ListField(DictField())  # outbox.py: envelopes written with the change
    outbox_pending = BooleanField(default=False)  # outbox.py: set while pending_events has any
    applied_events = ListField(StringField())  # inbox.py: ids of events already applied here

    def clean(self):
        self.outbox_pending = bool(self.pending_events)
