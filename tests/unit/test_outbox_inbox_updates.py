"""The update documents the outbox and the inbox guard add to a state change."""

import pytest

from services.common.inbox import guarded_update
from services.common.outbox import push_events


def test_events_are_pushed_with_the_change_in_one_update():
    update = {"$set": {"status": "FINALIZED"}, "$push": {"history": {"at": 1}}}
    merged = push_events(update, [{"event_id": "e1"}, {"event_id": "e2"}])
    assert merged == {"$set": {"status": "FINALIZED"},
                      "$push": {"history": {"at": 1},
                                "pending_events": {"$each": [{"event_id": "e1"},
                                                             {"event_id": "e2"}]}}}
    assert "pending_events" not in update["$push"]  # the caller's update is not changed


def test_no_events_leaves_the_update_alone():
    update = {"$set": {"a": 1}}
    assert push_events(update, []) is update


def test_the_guard_records_the_event_id_with_the_effect():
    assert guarded_update({"$inc": {"count": 1}}, "e1") == {
        "$inc": {"count": 1}, "$push": {"applied_events": "e1"}}


def test_the_guard_refuses_an_update_that_already_pushes_applied_events():
    with pytest.raises(ValueError):
        guarded_update({"$push": {"applied_events": "x"}}, "e1")
