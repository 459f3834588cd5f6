"""The relay empties documents whose one event went out with one write (ADR 0018), and publishes what
a worker wrote without reading it back, on the real broker and store.

The relay of a running Producer container publishes for real; its store here is one watched by a
command listener, so the test sees how many writes the take-out cost and what they left behind.
"""

import uuid

import eventlet
import pytest
from nameko.testing.services import entrypoint_hook
from pymongo import MongoClient

from services.common.messaging.outbox import Outbox
from services.common.storage.documents import FLAG, FLAGGED, PENDING
from services.common.storage.store import Store, database_name
from tests.helpers import Commands, together, wait_for
from tests.service.toys import DELIVERIES, Consumer, Producer, Widget, envelope


@pytest.fixture
def relay(container_factory, config, mongo_uri, db_prefix):
    """The running producer's outbox (its timer kept out of the way) and a watched store on its
    database: ``(outbox, store, commands)``. A consumer is running, so the events have a queue."""
    container_factory(Consumer, config).start()
    container = container_factory(Producer, {**config, "OUTBOX_RELAY_INTERVAL": 3600})
    container.start()
    outbox = next(d for d in container.dependencies if isinstance(d, Outbox))
    commands = Commands()
    client = MongoClient(mongo_uri, tz_aware=True, event_listeners=[commands])
    yield outbox, Store(client[f"{db_prefix}producer"], [Widget]), commands
    client.close()


def flagged_widgets(store, count, events=1):
    ids = [f"w-{uuid.uuid4().hex[:8]}" for _ in range(count)]
    store.collection(Widget).insert_many([
        {"_id": i, PENDING: [envelope(i) for _ in range(events)], FLAG: True} for i in ids])
    return ids


def read_back(store, ids):
    """The documents as the relay reads them."""
    return list(store.collection(Widget).find({"_id": {"$in": ids}}, {PENDING: 1, FLAG: 1}))


def publish_and_take_out(outbox, store, docs, unroutable, together):
    """One batch as the relay sends it: published, then its take-out run; how many went."""
    return outbox._publish(store, Widget, docs, unroutable, together, read=True)()


def updates(commands):
    return [command for name, _, command in commands.seen if name == "update"]


def test_documents_with_one_event_each_are_emptied_by_one_write(relay):
    outbox, store, commands = relay
    ids = flagged_widgets(store, 30)
    commands.seen.clear()

    sent = publish_and_take_out(outbox, store, read_back(store, ids), set(), together=True)

    assert sent == 30
    assert len(updates(commands)) == 1 and len(updates(commands)[0]["updates"]) == 1
    assert all(doc[PENDING] == [] and doc[FLAG] is False for doc in read_back(store, ids))


def test_a_document_given_another_event_after_the_read_keeps_it_and_its_flag(relay):
    outbox, store, _ = relay
    ids = flagged_widgets(store, 5)
    read = read_back(store, ids)
    later = envelope(ids[2])
    store.collection(Widget).update_one({"_id": ids[2]}, {"$push": {PENDING: later}})

    sent = publish_and_take_out(outbox, store, read, set(), together=True)

    assert sent == 5
    now = {doc["_id"]: doc for doc in read_back(store, ids)}
    assert now[ids[2]][PENDING] == [later] and now[ids[2]][FLAG] is True
    assert all(now[i][PENDING] == [] and now[i][FLAG] is False for i in ids if i != ids[2])


def test_documents_with_several_events_are_emptied_one_by_one(relay):
    outbox, store, commands = relay
    ids = flagged_widgets(store, 3, events=2)
    commands.seen.clear()

    assert publish_and_take_out(outbox, store, read_back(store, ids), set(), together=True) == 6

    assert [len(command["updates"]) for command in updates(commands)] == [1, 1, 1]
    assert all(doc[PENDING] == [] and doc[FLAG] is False for doc in read_back(store, ids))


def test_after_an_outage_many_flagged_documents_are_emptied_one_by_one(relay):
    # one write reads every flagged document of the collection; a long backlog is not read again
    # for each batch
    outbox, store, commands = relay
    ids = flagged_widgets(store, 4)
    commands.seen.clear()

    publish_and_take_out(outbox, store, read_back(store, ids), set(), together=False)

    assert len(updates(commands)) == 4
    assert all(doc[PENDING] == [] and doc[FLAG] is False for doc in read_back(store, ids))


def test_the_relay_takes_the_one_write_only_while_few_documents_are_flagged(relay):
    outbox, _, _ = relay
    limit = outbox.batch * 4
    assert outbox.together.pays("widgets", limit)
    assert not outbox.together.pays("widgets", limit + 1)
    outbox.together.passed("widgets", limit + 1)  # the last pass drained a backlog
    assert not outbox.together.pays("widgets", 1)


def test_events_written_while_the_one_write_runs_are_kept(relay):
    # FerretDB applies update_many as a read and then a write of each document (ADR 0007): an event
    # pushed in between would be lost, unless the take-out holds every document's lock meanwhile
    outbox, store, _ = relay
    ids = flagged_widgets(store, 40)
    read = read_back(store, ids)
    later = {i: envelope(i) for i in ids}

    def push(widget_id):
        return lambda: store.update_one(Widget, {"_id": widget_id},
                                        {"$push": {PENDING: later[widget_id]}, "$set": {FLAG: True}})

    together(lambda: publish_and_take_out(outbox, store, read, set(), together=True),
             *(push(i) for i in ids))

    now = {doc["_id"]: doc for doc in read_back(store, ids)}
    assert all(now[i][PENDING] == [later[i]] and now[i][FLAG] is True for i in ids)


def test_a_several_event_document_given_another_event_after_the_read_keeps_it(relay):
    outbox, store, _ = relay
    [widget] = flagged_widgets(store, 1, events=3)
    read = read_back(store, [widget])
    later = envelope(widget)
    store.collection(Widget).update_one({"_id": widget}, {"$push": {PENDING: later}})

    assert publish_and_take_out(outbox, store, read, set(), together=True) == 3

    [doc] = read_back(store, [widget])
    assert doc[PENDING] == [later] and doc[FLAG] is True


def test_one_taken_out_and_one_added_after_the_read_is_not_mistaken_for_no_change(relay):
    # the same count as read, but not the same events: another instance's relay took the first out
    # and a new event came; the new one must stay (a compare-and-set on the count alone loses it)
    outbox, store, _ = relay
    [widget] = flagged_widgets(store, 1, events=3)
    read = read_back(store, [widget])
    first, later = read[0][PENDING][0], envelope(widget)
    store.collection(Widget).update_one({"_id": widget}, {"$pullAll": {PENDING: [first]}})
    store.collection(Widget).update_one({"_id": widget}, {"$push": {PENDING: later}})

    publish_and_take_out(outbox, store, read, set(), together=True)

    [doc] = read_back(store, [widget])
    assert doc[PENDING] == [later] and doc[FLAG] is True


def test_a_flagged_document_with_nothing_left_is_unflagged(relay):
    # what two relays taking out of one document can leave: the flag kept by one's $pullAll after
    # the other emptied it; otherwise every pass would read it again
    outbox, store, _ = relay
    store.collection(Widget).insert_one({"_id": "w-empty", PENDING: [], FLAG: True})

    publish_and_take_out(outbox, store, read_back(store, ["w-empty"]), set(), together=True)

    assert read_back(store, ["w-empty"]) == [{"_id": "w-empty", PENDING: [], FLAG: False}]


def test_an_empty_flagged_document_given_an_event_after_the_read_stays_flagged(relay):
    outbox, store, _ = relay
    store.collection(Widget).insert_one({"_id": "w-refilled", PENDING: [], FLAG: True})
    read = read_back(store, ["w-refilled"])
    later = envelope("w-refilled")
    store.collection(Widget).update_one({"_id": "w-refilled"}, {"$push": {PENDING: later}})

    publish_and_take_out(outbox, store, read, set(), together=True)

    assert read_back(store, ["w-refilled"]) == [{"_id": "w-refilled", PENDING: [later], FLAG: True}]


# what a worker wrote, published as written (outbox.Outbox.worker_teardown)

def as_written(store, widget_id):
    """A widget as the store tells the relay it wrote it: its pending events, flagged."""
    doc = store.collection(Widget).find_one({"_id": widget_id})
    return {"_id": widget_id, PENDING: doc[PENDING], FLAG: True}


@pytest.fixture
def announce(container_factory, config, mongo_client):
    """``announce(events, times=1)``: a running producer (its timer an hour away) writes a new widget
    ``times`` times, each with ``events`` events, in one worker; returns the widget's id once a running
    consumer has counted them all and the widget's outbox is empty and unflagged (or fails the test).
    ``announce.producer``: the producer's container."""
    consumer = container_factory(Consumer, config)
    consumer.start()
    producer = container_factory(Producer, {**config, "OUTBOX_RELAY_INTERVAL": 3600})
    producer.start()
    widgets = mongo_client[database_name(config, "producer")].widgets

    def announced(events, times=1):
        widget_id = f"w-{uuid.uuid4().hex[:8]}"
        with entrypoint_hook(producer, "announce") as call:
            call(widget_id, events, times=times)
        wait_for(lambda: count(consumer, widget_id) == events * times, timeout=15)
        wait_for(lambda: (widget := widgets.find_one({"_id": widget_id}))[PENDING] == []
                 and widget[FLAG] is False, timeout=15, what="the widget's outbox emptied")
        return widget_id

    announced.producer = producer
    return announced


def test_what_a_worker_wrote_goes_out_without_the_relay_reading_it(announce, monkeypatch):
    reads = []  # the producer's relay's reads (the consumer's outbox has a timer of its own)
    producer_outbox = next(d for d in announce.producer.dependencies if isinstance(d, Outbox))
    real = Outbox._relay_collection
    monkeypatch.setattr(Outbox, "_relay_collection", lambda self, *args: (
        self is producer_outbox and reads.append(args[2])) or real(self, *args))

    announce(3)

    assert reads == []  # nothing read back (the timer is an hour away)
    with entrypoint_hook(announce.producer, "make") as make:  # written without the store's word: read
        make(f"w-{uuid.uuid4().hex[:8]}")
    assert reads


def test_a_document_a_worker_wrote_twice_goes_out_once_as_last_written(announce):
    DELIVERIES.clear()

    widget_id = announce(1, times=2)

    assert DELIVERIES[widget_id] == 2  # each event once, not the first one again


def count(container, widget_id):
    with entrypoint_hook(container, "count") as get_count:
        return get_count(widget_id)


def test_an_event_another_writer_added_after_the_worker_wrote_stays(relay):
    outbox, store, _ = relay
    [widget] = flagged_widgets(store, 1, events=2)
    written, later = as_written(store, widget), envelope(widget)
    store.collection(Widget).update_one({"_id": widget}, {"$push": {PENDING: later}})
    outbox._known.append((Widget, written))

    assert outbox.relay(None) == 2

    [doc] = read_back(store, [widget])
    assert doc[PENDING] == [later] and doc[FLAG] is True


def test_what_a_worker_wrote_and_a_relay_took_out_meanwhile_is_not_lost_or_left(relay):
    outbox, store, _ = relay
    [widget] = flagged_widgets(store, 1, events=2)
    written = as_written(store, widget)
    first = written[PENDING][0]
    store.collection(Widget).update_one({"_id": widget}, {"$pullAll": {PENDING: [first]}})
    outbox._known.append((Widget, written))

    assert outbox.relay(None) == 2  # sent again: at least once

    [doc] = read_back(store, [widget])
    assert doc[PENDING] == []


def test_a_pass_that_read_a_document_drops_what_a_worker_said_of_it(relay):
    outbox, store, _ = relay
    [widget] = flagged_widgets(store, 1, events=2)
    outbox._known.append((Widget, as_written(store, widget)))

    assert outbox.relay(FLAGGED) == 2
    assert outbox._known == [] and outbox.relay(None) == 0  # not published twice


# a batch taken out while the next one is published (outbox.TakingOut)

class Log(list):
    """What the relay did, in order. ``reached(entry)``: an event sent once ``entry`` is logged."""

    def __init__(self):
        super().__init__()
        self._waiting: dict = {}

    def append(self, entry):
        super().append(entry)
        for event in self._waiting.pop(entry, []):
            event.send()

    def reached(self, entry) -> eventlet.Event:
        event = eventlet.Event()
        self._waiting.setdefault(entry, []).append(event)
        return event


@pytest.fixture
def watched(relay, monkeypatch):
    """The relay with what it does logged in order: ``("published", widget)`` once a batch's confirms
    are in, ``("taken out", widget)`` once a widget's events are out of it, ``("read",)`` when a pass
    reads flagged widgets. ``watch.widgets(n)``: new widgets of two events each (emptied by a write
    each), known to the relay as a worker wrote them, a batch each. ``watch.hold(widget, entry)``: the
    widget's take-out waits until ``entry`` is logged, a second at most."""
    outbox, store, _ = relay
    log, held, owners = Log(), {}, {}
    publish, take_out, read = outbox.publisher.publish, outbox._take_out, outbox._relay_collection

    def publishing(outgoing):
        outcome = publish(outgoing)
        for widget in dict.fromkeys(owners[message.key] for message in outgoing):
            log.append(("published", widget))
        return outcome

    def taking_out(store_, aggregate, doc, pending, published):
        if doc["_id"] in held:
            with eventlet.Timeout(1, False):
                held[doc["_id"]].wait()
        take_out(store_, aggregate, doc, pending, published)
        log.append(("taken out", doc["_id"]))

    def reading(*args):
        log.append(("read",))
        return read(*args)

    monkeypatch.setattr(outbox.publisher, "publish", publishing)
    monkeypatch.setattr(outbox, "_take_out", taking_out)
    monkeypatch.setattr(outbox, "_relay_collection", reading)

    def widgets(count):
        ids = flagged_widgets(store, count, events=2)
        for doc in read_back(store, ids):
            owners.update({e["event_id"]: doc["_id"] for e in doc[PENDING]})
        outbox._known.extend((Widget, as_written(store, widget)) for widget in ids)
        outbox.batch = 2
        return ids

    def hold(widget, entry):
        held[widget] = log.reached(entry)

    watch = type("Watch", (), {})()
    watch.log, watch.widgets, watch.hold = log, widgets, hold
    return outbox, store, watch


def emptied(store, ids):
    return all(doc[PENDING] == [] and doc[FLAG] is False for doc in read_back(store, ids))


def test_the_next_batch_is_published_while_the_one_before_is_taken_out(watched):
    outbox, store, watch = watched
    first, second = watch.widgets(2)
    watch.hold(first, ("published", second))

    assert outbox.relay(None) == 4

    assert watch.log == [("published", first), ("published", second),
                         ("taken out", first), ("taken out", second)]
    assert emptied(store, [first, second])


def test_a_pass_that_reads_flagged_documents_waits_for_the_take_out_in_flight(watched, monkeypatch):
    outbox, store, watch = watched
    [widget] = watch.widgets(1)
    watch.hold(widget, ("read",))  # were the read not to wait, it would find both events again
    known = outbox._relay_known

    def known_pass(*args):
        sent = known(*args)
        outbox._again = True  # a worker asked for a pass that reads while this one ran
        return sent

    monkeypatch.setattr(outbox, "_relay_known", known_pass)

    assert outbox.relay(None) == 2

    assert watch.log == [("published", widget), ("taken out", widget), ("read",)]  # published once
    assert emptied(store, [widget])


def test_a_run_of_the_relay_ends_when_its_last_take_out_is_stored(watched):
    outbox, store, watch = watched
    [widget] = watch.widgets(1)
    watch.hold(widget, ("never",))  # the take-out waits its full second

    assert outbox.relay(None) == 2

    assert watch.log == [("published", widget), ("taken out", widget)]
    assert emptied(store, [widget])
