"""The update documents the outbox and the inbox guard add to a state change."""

import pytest

from services.common.storage.documents import push_events, with_events
from services.common.storage.inbox import guarded_update


def test_events_are_pushed_with_the_change_in_one_update():
    update = {"$set": {"status": "FINALIZED"}, "$push": {"history": {"at": 1}}}
    merged = push_events(update, [{"event_id": "e1"}, {"event_id": "e2"}])
    # the flag is how the relay finds the document without reading the whole collection
    assert merged == {"$set": {"status": "FINALIZED", "outbox_pending": True},
                      "$push": {"history": {"at": 1},
                                "pending_events": {"$each": [{"event_id": "e1"},
                                                             {"event_id": "e2"}]}}}
    assert "pending_events" not in update["$push"]  # the caller's update is not changed
    assert "outbox_pending" not in update["$set"]


def test_a_new_document_carries_its_events_and_the_flag_only_with_events():
    assert with_events({"_id": "c1"}, [{"event_id": "e1"}]) == {
        "_id": "c1", "pending_events": [{"event_id": "e1"}], "outbox_pending": True}
    assert with_events({"_id": "c1"}, [])["outbox_pending"] is False


def test_no_events_leaves_the_update_alone():
    update = {"$set": {"a": 1}}
    assert push_events(update, []) is update


def test_the_guard_records_the_event_id_with_the_effect():
    assert guarded_update({"$inc": {"count": 1}}, "e1") == {
        "$inc": {"count": 1}, "$push": {"applied_events": "e1"}}


def test_the_guard_refuses_an_update_that_already_pushes_applied_events():
    with pytest.raises(ValueError):
        guarded_update({"$push": {"applied_events": "x"}}, "e1")
