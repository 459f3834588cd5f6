"""Kept views (services/common/views.py): worked out on the first read, read as kept after that, worked
out again once old while someone reads them, let go when nobody does; a store that is down keeps the
last one."""

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


def test_a_warmed_view_is_worked_out_by_the_timer_before_anyone_reads_it(kept):
    service = Service()
    kept.warm({"work": Service.department})
    kept.warm({"work": Service.department})  # once per process
    assert service.reads == 0
    assert kept.refresh(service) == ["work"] and service.reads == 1
    assert kept.read("work", Service.department, service) == ["a"] and service.reads == 1
    kept.clock.now += IDLE_SECONDS  # nobody read it since: let go, and not warmed again
    kept.refresh(service)
    assert "work" not in kept.entries
    kept.warm({"work": Service.department})
    assert "work" not in kept.entries
