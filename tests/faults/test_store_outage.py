"""Fault 3: the store stopped for 30 s under load -- callers writing through the gateway and a stream
of events arriving. Callers get a clear 503 ("unavailable"), never a 500 or a half-written record;
no event is dead-lettered for the outage; within 60 s of the store's return every backlog is
drained: all events applied everywhere, every written record's event delivered."""

import os
import time
import uuid

import eventlet

from services.common.messaging.deadletter import list_dead_letters
from tests.faults.stream import CONSUMERS, new_stream, tally, wait_applied
from tests.helpers import wait_for

OUTAGE_S = float(os.environ.get("FAULT_STORE_OUTAGE_S", 30))
CLIENTS = 4
# the store is down (a service's own, or the audit trail's) / a service did not answer in time
UNAVAILABLE = {"STORE_UNAVAILABLE", "AUDIT_UNAVAILABLE", "UNAVAILABLE", "SERVICE_TIMEOUT"}
DEAD_LETTER_QUEUES = (*CONSUMERS, "talent")


def dead_letters(faults) -> dict[str, int]:
    return {s: len(list_dead_letters(faults.broker.uri, s, limit=None)) for s in DEAD_LETTER_QUEUES}


def test_a_store_outage_gives_clear_errors_and_loses_nothing(faults, figures):
    unit_id = f"U-outage-{uuid.uuid4().hex[:6]}"
    assert faults.post("/units", {"unit_id": unit_id, "name": "洪山区", "unit_type": "DISTRICT"}
                       ).status_code == 201
    stream = new_stream(faults, int(OUTAGE_S * 40), rate=20)  # spans the outage and beyond
    dead_before = dead_letters(faults)  # earlier tests' poison stays where it was put
    outcomes: list[tuple[str, int, str | None]] = []
    stop = eventlet.event.Event()

    def client():
        while not stop.ready():
            cadre_id = f"C-out-{uuid.uuid4().hex[:8]}"
            response = faults.post("/cadres", {
                "cadre_id": cadre_id, "name": "赵六", "unit_id": unit_id, "level": "SECTION",
                "is_leader": False, "is_principal": False, "birth_date": "1988-08-08",
                "grassroots_years": 2, "service_years": 6})
            code = response.json().get("error", {}).get("code") if response.status_code != 201 else None
            outcomes.append((cadre_id, response.status_code, code))
            eventlet.sleep(0.1)

    clients = [eventlet.spawn(client) for _ in range(CLIENTS)]
    publisher = eventlet.spawn(stream.run)
    eventlet.sleep(3)
    faults.store.stop()
    down_at = time.monotonic()
    eventlet.sleep(OUTAGE_S)
    faults.store.start()
    recovered_at = time.monotonic()
    eventlet.sleep(3)
    stop.send(True)
    for green in clients:
        green.wait()
    publisher.wait()

    written = [cadre_id for cadre_id, status, _ in outcomes if status == 201]
    refused = [(status, code) for _, status, code in outcomes if status != 201]
    during = len(refused)

    def talent_cadres():
        return {doc["_id"]: doc for doc in faults.database("talent").cadres.find(
            {"unit_id": unit_id}, {"pending_events": 1})}

    def copies_complete():
        stored = talent_cadres()
        if any(doc.get("pending_events") for doc in stored.values()):
            return False
        return all(set(stored) <= {d["_id"] for d in faults.database(s).cadres.find(
            {"unit_id": unit_id}, {"_id": 1})} for s in CONSUMERS)

    wait_applied(faults, stream, timeout=60)
    wait_for(copies_complete, timeout=max(1.0, 60 - (time.monotonic() - recovered_at)), interval=0.5,
             what="every cadre written to reach every consumer")
    drained = time.monotonic() - recovered_at
    result = tally(faults, stream)
    stored = talent_cadres()
    dead = {s: n - dead_before[s] for s, n in dead_letters(faults).items()}
    figures(outage_s=round(recovered_at - down_at, 1), rpc_calls=len(outcomes), rpc_ok=len(written),
            rpc_refused=during, refused_as={f"{s} {c}": refused.count((s, c)) for s, c in set(refused)},
            events=len(stream.events), lost=result["lost"], doubled=result["doubled"],
            dead_lettered=sum(dead.values()), drained_after_recovery_s=round(drained, 1),
            written_despite_503=len(set(stored) - set(written)))
    assert during > 0  # the outage was felt by the callers
    assert {status for status, _ in refused} == {503}
    assert {code for _, code in refused} <= UNAVAILABLE
    assert set(written) <= set(stored)  # every 201 is stored, and with its event delivered (above)
    assert result == {"lost": 0, "doubled": 0}
    assert dead == dict.fromkeys(dead, 0)
    assert drained <= 60
