"""Fault 1: a stream of 10,000 domain events while RabbitMQ is restarted five times. Nothing is lost
(every confirmed event applied by every consumer), nothing applied twice, and the redeliveries
that the restarts cause are counted -- they are the duplicates the inbox absorbed."""

import os

import eventlet

from tests.faults.stream import CONSUMERS, ignored, new_stream, redelivered, tally, wait_applied

EVENTS = int(os.environ.get("FAULT_EVENTS", 10_000))
RESTARTS = int(os.environ.get("FAULT_BROKER_RESTARTS", 5))
# the stream is paced on a fixed schedule (it catches up after an outage), so it lasts EVENTS / RATE
# seconds whatever the restarts cost; 48 s per restart covers the 5 s between them plus the slowest
# restart seen here (31 s) with room to spare
RATE = EVENTS / (48 * RESTARTS)


def test_no_event_lost_or_doubled_through_broker_restarts(faults, figures):
    stream = new_stream(faults, EVENTS, rate=RATE)
    before = ignored(faults), redelivered(faults)
    publisher = eventlet.spawn(stream.run)
    downtime, confirmed_at_restart = [], []
    for _ in range(RESTARTS):
        eventlet.sleep(5)  # consumers are mid-backlog, the publisher mid-stream
        confirmed_at_restart.append(stream.confirmed)
        downtime.append(faults.broker.restart())
    publisher.wait()
    drained = wait_applied(faults, stream, timeout=600)
    eventlet.sleep(3)  # late redeliveries would show as doubles now
    result = tally(faults, stream)
    figures(events=EVENTS, consumers=len(CONSUMERS), restarts=RESTARTS,
            restart_seconds=f"{min(downtime):.1f}-{max(downtime):.1f}", lost=result["lost"],
            doubled=result["doubled"], redelivered=redelivered(faults) - before[1],
            redeliveries_ignored=ignored(faults) - before[0],
            publisher_reconnects=stream.reconnects, drain_after_last_publish_s=round(drained, 1))
    assert result == {"lost": 0, "doubled": 0}
    # the restarts happened under the stream, not after it (how many reconnects that takes depends
    # on where in a restart the publisher was: it is a figure, not a check)
    assert max(confirmed_at_restart) < EVENTS and stream.reconnects >= 1
