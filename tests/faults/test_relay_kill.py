"""Fault 5: the outbox relay dies between the write and the publish. The broker refuses talent's
events for a moment (the relay cannot publish; the state change is already written with its event
in the outbox), talent is killed with SIGKILL, the broker accepts again, talent restarts: its relay
publishes the event and each consumer applies it once."""

import time
import uuid

from services.common.messaging.identities import permissions
from tests.faults.stream import CONSUMERS
from tests.helpers import wait_for


def pending(faults, cadre_id):
    doc = faults.database("talent").cadres.find_one({"_id": cadre_id}, {"pending_events": 1})
    return [] if doc is None else doc.get("pending_events", [])


def copies(faults, cadre_id):
    """consumer -> the event ids its copy of the cadre records."""
    found = {}
    for service in CONSUMERS:
        doc = faults.database(service).cadres.find_one({"_id": cadre_id}, {"applied_events": 1})
        found[service] = doc.get("applied_events", []) if doc else []
    return found


def test_an_event_written_but_not_published_is_published_after_a_crash(faults, figures):
    unit_id, cadre_id = f"U-relay-{uuid.uuid4().hex[:6]}", f"C-relay-{uuid.uuid4().hex[:6]}"
    assert faults.post("/units", {"unit_id": unit_id, "name": "青山区", "unit_type": "DISTRICT"}
                       ).status_code == 201
    allowed = permissions("talent")
    faults.broker.ctl("set_permissions", "-p", "/", "talent", allowed["configure"],
                      allowed["write"].replace(r"talent\.events|", ""), allowed["read"])
    # a channel keeps the permissions it opened with: make every process reconnect under the new ones
    faults.broker.ctl("close_all_connections", "fault injection: talent's events refused")
    try:
        body = {"cadre_id": cadre_id, "name": "李四", "unit_id": unit_id, "level": "DIVISION",
                "is_leader": True, "is_principal": False, "birth_date": "1980-01-02",
                "grassroots_years": 5, "service_years": 12}
        # written; the answer does not wait for the relay (503s while the processes reconnect)
        wait_for(lambda: faults.post("/cadres", body).status_code in (201, 409), timeout=30,
                 interval=0.5, what="the gateway to reach talent again")
        [event] = pending(faults, cadre_id)
        time.sleep(2)  # the relay's timer tries again meanwhile, and is refused again
        assert [e["event_id"] for e in pending(faults, cadre_id)] == [event["event_id"]]
        faults.kill("talent")
    finally:
        faults.broker.ctl("set_permissions", "-p", "/", "talent", allowed["configure"],
                          allowed["write"], allowed["read"])
    assert all(ids == [] for ids in copies(faults, cadre_id).values())  # nobody has it

    started = time.monotonic()
    faults.start("talent")
    wait_for(lambda: all(copies(faults, cadre_id).values()), timeout=60, interval=0.3,
             what="every consumer to apply the event the relay published after the restart")
    applied_after = time.monotonic() - started
    time.sleep(2)  # a second publish would show now
    found = copies(faults, cadre_id)
    figures(pending_before_kill=1, consumers=len(CONSUMERS), lost=sum(not ids for ids in found.values()),
            doubled=sum(max(len(ids) - 1, 0) for ids in found.values()),
            applied_everywhere_after_restart_s=round(applied_after, 1))
    assert found == {service: [event["event_id"]] for service in CONSUMERS}
    assert pending(faults, cadre_id) == []
    faults.wait_started("talent")
