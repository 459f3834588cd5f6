"""The base of every aggregate document: its outbox and its applied-event guard (ARCHITECTURE.md §3)."""

from mongoengine import DictField, Document, ListField, StringField


class Aggregate(Document):
    meta = {
        "abstract": True,
        # the relay scans for pending events by this field
        "indexes": ["pending_events.event_id"],
    }

    pending_events = ListField(DictField())  # outbox.py: envelopes written with the change
    applied_events = ListField(StringField())  # inbox.py: ids of events already applied here
