"""Fault 2: a consumer process killed with SIGKILL mid-stream, again and again, and restarted. What it
had taken but not acknowledged comes back (redelivered); what it had applied and not yet
acknowledged comes back too, and its inbox ignores it. Nothing lost, nothing applied twice."""

import os
import time

import eventlet

from tests.faults.stream import CONSUMERS, ignored, new_stream, redelivered, tally, wait_applied

EVENTS = int(os.environ.get("FAULT_KILL_EVENTS", 5_000))
KILLS = int(os.environ.get("FAULT_KILLS", 20))
VICTIM = "care"


def test_no_event_lost_or_doubled_when_a_consumer_is_killed(faults, figures):
    stream = new_stream(faults, EVENTS, rate=EVENTS / (KILLS * 4.0))  # spans the kills
    before = ignored(faults), redelivered(faults)
    publisher = eventlet.spawn(stream.run)
    restart_seconds = []
    for _ in range(KILLS):
        eventlet.sleep(1.5)  # let it take messages and apply some of them
        faults.kill(VICTIM)
        started = time.monotonic()
        faults.start(VICTIM)
        faults.wait_started(VICTIM)
        restart_seconds.append(time.monotonic() - started)
    publisher.wait()
    drained = wait_applied(faults, stream, timeout=600)
    eventlet.sleep(3)  # late redeliveries would show as doubles now
    result = tally(faults, stream)
    figures(events=EVENTS, consumers=len(CONSUMERS), killed=VICTIM, kills=KILLS, lost=result["lost"],
            doubled=result["doubled"], redelivered=redelivered(faults) - before[1],
            redeliveries_ignored=ignored(faults) - before[0],
            restart_s=f"{min(restart_seconds):.1f}-{max(restart_seconds):.1f}",
            drain_after_last_publish_s=round(drained, 1))
    assert result == {"lost": 0, "doubled": 0}
    assert redelivered(faults, [VICTIM]) > 0  # the kills landed mid-stream
