"""Kept views (services/common/views.py): worked out on the first read, read as kept after that, worked
out again once old while someone reads them (or the service names them), let go when nobody does; a
store that is down keeps the last one; a long working out lets other requests run."""

import pytest
from pymongo.errors import ServerSelectionTimeoutError

from services.common.views import IDLE_SECONDS, Kept


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class Service:
    name = "talent"

    def __init__(self):
        self.rows, self.reads, self.down = ["a"], 0, False

    def department(self):
        if self.down:
            raise ServerSelectionTimeoutError("store down")
        self.reads += 1
        return list(self.rows)


@pytest.fixture
def kept():
    return Kept(seconds=30, clock=Clock())


def test_the_first_read_works_it_out_and_later_reads_take_what_is_kept(kept):
    service = Service()
    assert kept.read("work", Service.department, service) == ["a"]
    service.rows.append("b")
    assert kept.read("work", Service.department, service) == ["a"]  # kept, not read again
    assert service.reads == 1


def test_the_timer_works_it_out_again_once_old_and_only_then(kept):
    service = Service()
    kept.read("work", Service.department, service)
    service.rows.append("b")
    kept.clock.now += 29
    assert kept.refresh(service) == [] and service.reads == 1
    kept.clock.now += 1
    assert kept.refresh(service) == ["work"]
    assert kept.read("work", Service.department, service) == ["a", "b"] and service.reads == 2


def test_a_view_nobody_reads_is_let_go_and_worked_out_afresh_when_read_again(kept):
    service = Service()
    kept.read("work", Service.department, service)
    kept.clock.now += IDLE_SECONDS
    assert kept.refresh(service) == [] and "work" not in kept.entries
    service.rows.append("c")
    assert kept.read("work", Service.department, service) == ["a", "c"]


def test_a_store_that_is_down_keeps_the_last_view_until_it_is_back(kept):
    service = Service()
    kept.read("work", Service.department, service)
    service.down, service.rows = True, ["a", "b"]
    kept.clock.now += 60
    assert kept.refresh(service) == []
    assert kept.read("work", Service.department, service) == ["a"]
    service.down = False
    assert kept.refresh(service) == ["work"]
    assert kept.read("work", Service.department, service) == ["a", "b"]


def test_a_named_view_is_worked_out_by_the_timer_before_anyone_reads_it_and_kept_unread(kept):
    service = Service()
    kept.warm({"work": Service.department})
    kept.warm({"work": Service.department})  # once per process
    assert service.reads == 0
    assert kept.refresh(service) == ["work"] and service.reads == 1
    assert kept.read("work", Service.department, service) == ["a"] and service.reads == 1
    service.rows.append("b")
    kept.clock.now += IDLE_SECONDS  # nobody read it since: a named view is kept worked out all the same
    assert kept.refresh(service) == ["work"] and service.reads == 2
    assert kept.read("work", Service.department, service) == ["a", "b"] and service.reads == 2


def test_a_long_working_out_lets_the_process_s_other_requests_run_meanwhile():
    import eventlet

    from services.common.views import cooperative

    happened = []
    request = eventlet.spawn(happened.append, "request")  # runs once the process is free
    for item in cooperative(range(1200), every=500):
        happened.append(item)
    request.wait()
    assert happened.index("request") == 499  # within the first slice of 500, not after all 1,200


def test_a_view_that_takes_long_is_worked_out_again_only_after_twenty_times_as_long(kept):
    class Slow(Service):
        def department(self):
            kept.clock.now += 10  # ten seconds of the store's time, every time
            return super().department()

    service = Slow()
    kept.warm({"work": Slow.department})
    assert kept.refresh(service) == ["work"]
    kept.clock.now += 199  # older than WORK_VIEW_SECONDS (30) but not 20 x 10 s
    assert kept.refresh(service) == []
    kept.clock.now += 1
    assert kept.refresh(service) == ["work"] and service.reads == 2
