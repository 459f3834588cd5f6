"""The harness's CPU account by process (bench/stack.py: process_table, cpu_by_group; bench/report.py: the
medians and the table). Pure: a /proc of files written here, and tables built by hand."""

from pathlib import Path

import pytest

from bench.report import Results, markdown
from bench.stack import CLOCK_TICKS, CpuWindow, Proc, cpu_by_group, process_table

HARNESS, BROKER, TALENT, WORKER, PG, STRAY = 100, 200, 300, 301, 400, 500


def table(**cpu):
    """The harness started the broker and talent; talent a child of its own. Each started at tick 7."""
    shape = {HARNESS: ("python", 1), BROKER: ("beam.smp", HARNESS), TALENT: ("python", HARNESS),
             WORKER: ("python", TALENT), PG: ("postgres", 1), STRAY: ("kworker/0:1-events", 2)}
    return {pid: Proc(*shape[pid], value, 7) for pid, value in ((int(k[1:]), v) for k, v in cpu.items())}


ROOTS = {HARNESS: "harness", BROKER: "RabbitMQ", TALENT: "talent"}


def test_each_process_counts_in_its_nearest_root_else_by_name_else_other():
    before = table(p100=1.0, p200=2.0, p300=3.0, p301=0.5, p400=4.0, p500=5.0)
    after = table(p100=1.5, p200=4.0, p300=3.25, p301=1.5, p400=4.5, p500=5.125)
    spent = cpu_by_group(before, after, ROOTS)
    assert spent == pytest.approx({"harness": 0.5, "RabbitMQ": 2.0, "talent": 1.25, "PostgreSQL": 0.5,
                                   "other": 0.125})


def test_a_process_started_since_counts_whole_and_a_reused_pid_is_a_new_process():
    before = table(p100=1.0, p200=2.0, p500=5.0)
    after = table(p100=1.0, p200=2.0, p300=0.75, p500=0.25)
    after[STRAY] = Proc("bash", 1, 0.25, 9)  # the stray's pid is another process's now, started since
    spent = cpu_by_group(before, after, ROOTS)
    assert spent["talent"] == pytest.approx(0.75)
    assert spent["other"] == pytest.approx(0.25)


def test_a_process_that_changed_its_name_is_still_the_same_process():
    before = table(p500=5.0)
    after = table(p500=5.5)
    after[STRAY] = after[STRAY]._replace(name="kworker/0:1-mm_percpu_wq")  # what a kernel worker does
    assert cpu_by_group(before, after, ROOTS) == pytest.approx({"other": 0.5})


def test_a_process_that_ended_counts_through_the_parent_that_waited_for_it_for_the_window_only():
    before = table(p100=1.0, p300=3.0, p301=2.0)
    # the worker used 0.5 more and ended; talent waited for it, so its children's time took in all 2.5
    after = table(p100=1.0, p300=3.0 + 2.5)
    spent = cpu_by_group(before, after, ROOTS)
    assert spent == pytest.approx({"harness": 0.0, "talent": 0.5})


def test_a_process_whose_parent_is_not_seen_ends_without_taking_from_anyone():
    before = table(p100=1.0, p400=4.0)
    after = table(p100=1.25)  # a postgres backend ended; its parent (pid 1 here) was never read
    assert cpu_by_group(before, after, ROOTS) == pytest.approx({"harness": 0.25})


def test_process_table_reads_own_and_waited_for_children_time_and_names_with_parentheses(tmp_path: Path):
    def stat(pid, name, ppid, utime, stime, cutime, cstime):
        rest = [ppid, 1, 1, 0, -1, 0, 0, 0, 0, 0, utime, stime, cutime, cstime, 20, 0, 1, 0, 4242 + pid, 0]
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(f"{pid} ({name}) S " + " ".join(map(str, rest)) + "\n")

    stat(7, "python", 1, 10, 20, 30, 40)
    stat(8, "odd ) name (x", 7, 1, 0, 0, 0)
    (tmp_path / "self").mkdir()  # not a process directory
    (tmp_path / "9").mkdir()  # a process that ended between listing and reading
    found = process_table(tmp_path)
    assert set(found) == {7, 8}
    assert found[7] == ("python", 1, pytest.approx(100 / CLOCK_TICKS), 4249)
    assert found[8] == ("odd ) name (x", 7, pytest.approx(1 / CLOCK_TICKS), 4250)


def test_the_table_shows_each_figures_median_by_process():
    results = Results()
    for talent, rabbit in ((1.0, 0.5), (3.0, 0.75), (2.0, 0.25)):
        results.cpu("choreography", "choreography burst", {
            "work": 100, "unit": "result applied", "machine_ms_per_unit": talent + rabbit + 0.5,
            "ms_per_unit": {"talent": talent, "RabbitMQ": rabbit}})
    [entry] = results.cpu_summary()
    assert entry["n"] == 3 and entry["unit"] == "result applied"
    assert entry["ms_per_unit"] == {"talent": 2.0, "RabbitMQ": 0.5}
    assert list(entry["ms_per_unit"]) == ["talent", "RabbitMQ"]  # the largest first
    assert entry["machine_ms_per_unit"] == pytest.approx(2.75)  # its own median
    machine = {"cores": 2, "memory_gib": 1, "cpu": "c", "load_at_start": [0, 0, 0]}
    text = markdown({"mode": "full", "command": "c", "started_at": "s", "elapsed_s": 1, "machine": machine,
                     "versions": {}, "settings": {}, "rows": [], "targets": [], "notes": [], "errors": [],
                     "cpu": results.cpu_summary()})
    assert "| choreography burst | result applied | 3 | 2.75 | talent 2.00 · RabbitMQ 0.50 |" in text


def test_a_window_gives_ms_per_unit_of_work_and_none_without_work():
    readings = iter([table(p100=1.0, p300=3.0), table(p100=1.0, p300=3.5),
                     table(p100=1.0, p300=3.5), table(p100=1.0, p300=3.5)])
    busy = iter([(10 * CLOCK_TICKS, 0), (10.75 * CLOCK_TICKS, 0), (0, 0), (0, 0)])
    machine = lambda: next(busy)  # noqa: E731
    account = CpuWindow(ROOTS, read=lambda: next(readings), machine=machine).close(250, "event applied")
    assert account["work"] == 250 and account["unit"] == "event applied"
    assert account["ms_per_unit"] == pytest.approx({"talent": 2.0, "harness": 0.0})
    assert account["machine_busy_s"] == pytest.approx(0.75)
    assert account["machine_ms_per_unit"] == pytest.approx(3.0)
    idle = CpuWindow(ROOTS, read=lambda: next(readings), machine=machine).close(0, "event applied")
    assert (idle["ms_per_unit"], idle["machine_ms_per_unit"]) == (None, None)

    results = Results()
    results.cpu("horizontal.one", "drain", idle)
    results.cpu("horizontal.one", "drain", account)
    [entry] = results.cpu_summary()
    assert entry["n"] == 1 and entry["ms_per_unit"] == pytest.approx({"talent": 2.0, "harness": 0.0})
    results = Results()
    results.cpu("horizontal.one", "drain", idle)
    [entry] = results.cpu_summary()
    assert (entry["n"], entry["ms_per_unit"], entry["machine_ms_per_unit"]) == (0, {}, None)
