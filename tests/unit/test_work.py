"""Work lists (services/common/work.py): most urgent first -- overdue, then by due moment, then the
oldest waiting; and the gateway merges the services' lists the same way on their wire form."""

from datetime import UTC, date, datetime, timedelta

from gateway.service import merged_work
from services.common import work
from services.common.work import WorkItemSchema

NOW = datetime(2026, 6, 15, 2, tzinfo=UTC)


def make(record_id, due=None, since=None):
    return work.item("TALK_DUE", "talk", record_id, f"/care/talks/{record_id}", due=due, since=since,
                     now=NOW)


def test_overdue_first_then_by_due_then_the_oldest_waiting():
    items = [
        make("later", due=NOW + timedelta(days=9)),
        make("no-due-old", since=NOW - timedelta(days=30)),
        make("soon", due=date(2026, 6, 20)),
        make("overdue-a-little", due=NOW - timedelta(hours=1)),
        make("no-due-new", since=NOW - timedelta(days=1)),
        make("overdue-long", due=date(2026, 5, 1)),
    ]
    ordered = [i["record_id"] for i in work.most_urgent_first(items, 10)]
    assert ordered == ["overdue-long", "overdue-a-little", "soon", "later", "no-due-old", "no-due-new"]
    assert [i["overdue"] for i in work.most_urgent_first(items, 10)][:3] == [True, True, False]
    assert len(work.most_urgent_first(items, 2)) == 2


def test_the_gateway_merges_the_wire_form_in_the_same_order():
    items = [make("a", due=NOW + timedelta(days=1)), make("b", due=NOW - timedelta(days=1)),
             make("c", since=NOW - timedelta(days=3)), make("d", due=date(2026, 6, 15))]
    wire = WorkItemSchema(many=True).dump(items)
    assert [i["record_id"] for i in merged_work(wire, 10)] == [
        i["record_id"] for i in work.most_urgent_first(items, 10)]
