"""The benchmark harness in smoke mode (bench/run.py --smoke): tiny sizes on a private broker and store,
so the harness cannot rot. It asserts that every figure was produced, complete and consistent -- rows,
runs, counts, ratios, targets, the Markdown table -- never how fast anything was."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from bench.report import WORK_ROLES

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]

BASELINE_ROWS = {
    "raw.per_message.events_per_s", "raw.per_message.lag_p99_ms",
    "raw.batched.events_per_s", "raw.batched.lag_p99_ms",
    "bare.pipeline.events_per_s", "bare.pipeline.lag_p50_ms", "bare.pipeline.lag_p99_ms",
    "bare.rpc.requests_per_s", "bare.rpc.p50_ms", "bare.rpc.p99_ms",
    # the peer baseline for reads (bench/peer.py), run with the gateway's figures
    "peer.read.requests_per_s", "peer.read.p50_ms", "peer.read.p99_ms",
}
SUITE_ROWS = {
    "choreography.events_per_s", "choreography.lag_p50_ms", "choreography.lag_p99_ms",
    *(f"choreography.paced_{share}.lag_{p}_ms" for share in (0.5, 1.0) for p in ("p50", "p99")),
    *(f"gateway.{kind}.{m}" for kind in ("read", "write") for m in ("requests_per_s", "p50_ms", "p99_ms")),
    "horizontal.one.events_per_s", "horizontal.two.events_per_s",
}


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    if not os.environ.get("STACK_POSTGRESQL_URL"):
        pytest.fail("STACK_POSTGRESQL_URL is not set: `make test` sources .stack/env "
                    "(make stack-up)", pytrace=False)
    out = tmp_path_factory.mktemp("bench")
    proc = subprocess.run([sys.executable, "-m", "bench.run", "--smoke", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return json.loads((out / "latest.json").read_text()), (out / "latest.md").read_text()


def test_every_figure_is_there_for_every_run(smoke):
    data, _ = smoke
    assert data["errors"] == []
    runs = data["settings"]["runs"]
    sizes = data["settings"]["season_sizes"]
    rows = {row["key"]: row for row in data["rows"]}
    season = {f"season.{n}.{m}" for n in sizes for m in (
        "finished", "wall_s", "per_cadre_ms", "download.peak_mb", "download.wall_s", "desk.p50_ms",
        *(f"work.{who}.p95_ms" for who in ("read", *WORK_ROLES)))}
    assert set(rows) == BASELINE_ROWS | SUITE_ROWS | season
    for key in BASELINE_ROWS | SUITE_ROWS:
        assert rows[key]["n"] == runs, key
    for key in season:
        assert rows[key]["n"] == data["settings"]["season_runs"], key
    for row in rows.values():
        assert row["min"] <= row["median"] <= row["max"], row["key"]
        assert all(value >= 0 for value in row["runs"]), row["key"]
        if row["unit"] in ("events/s", "req/s", "calls/s"):
            assert row["min"] > 0, row["key"]


def test_every_suite_figure_has_its_ratio_to_a_baseline(smoke):
    data, _ = smoke
    rows = {row["key"]: row for row in data["rows"]}
    with_baseline = [row for row in rows.values() if row["baseline"]]
    assert {row["key"] for row in with_baseline} >= SUITE_ROWS
    for row in with_baseline:
        assert row["baseline"] in rows, row["key"]
        assert row["ratio"] == pytest.approx(row["median"] / rows[row["baseline"]]["median"]), row["key"]
    # the gateway read against the peer baseline, and bare nameko RPC beside it
    for figure in ("requests_per_s", "p50_ms", "p99_ms"):
        read = rows[f"gateway.read.{figure}"]
        assert (read["baseline"], read["also"]) == (f"peer.read.{figure}", f"bare.rpc.{figure}")
        assert read["also_ratio"] == pytest.approx(read["median"] / rows[f"bare.rpc.{figure}"]["median"])


def test_counts_are_exact(smoke):
    data, _ = smoke
    s, details = data["settings"], data["details"]
    for mode in ("per_message", "batched"):
        assert [r["events"] for r in details[f"raw_kombu.{mode}"]] == [s["raw_events"]] * s["runs"]
    assert [r["events"] for r in details["bare.pipeline"]] == [s["bare_events"]] * s["runs"]
    for run in details["choreography"]:
        assert run["applied"] == run["events"] == s["choreography_events"]
        assert run["offered_per_s"] is None
    bare = statistics.median(r["events_per_s"] for r in details["bare.pipeline"])
    for share in (0.5, 1.0):  # offered at the share of this run's own bare pipeline rate
        for run in details[f"choreography.paced_{share}"]:
            assert run["applied"] == run["events"] == s["choreography_events"]
            assert run["offered_per_s"] == pytest.approx(share * bare)
            assert run["finalized_per_s"] > 0  # what appraisal's finalized_at stamps show
            assert 0 <= run["lag_p50_ms"] <= run["lag_p99_ms"] <= run["lag_max_ms"]
    for kind, ok in (("read", "200"), ("write", "201")):
        for run in details[f"gateway.{kind}"]:
            assert run["requests"] > 0 and run["statuses"] == {ok: run["requests"]}, run
            assert run["clients"] == s["clients"]
    for name, instances in (("one", 1), ("two", 2)):
        for run in details[f"horizontal.{name}"]:
            assert run["instances"] == instances and run["applied"] == run["events"] == s["horizontal_events"]
    for size in s["season_sizes"]:
        for run in details[f"season.{size}"]:
            assert run["finished"] is True and run["cadres"] == size, run
            assert {"units_s", "import_s", "roster_propagated_s", "open_s", "grades_s", "finalize_s",
                    "applied_s", "work"} <= set(run)
            # every role's work list answered with the season loaded, beside a gateway read
            assert set(run["work"]) == {"read", *WORK_ROLES}
            assert all(0 < f["p50_ms"] <= f["p95_ms"] for f in run["work"].values()), run["work"]
            # each service's own time in each role's list
            assert set(run["work_by_service"]) == set(WORK_ROLES), run["work_by_service"]
            # the whole roster downloaded (a shared suite holds other seasons' cadres too), with the
            # gateway's memory read before and at its peak
            download = run["download"]
            assert download["rows"] >= size and download["bytes"] > 0, download
            assert 0 < download["gateway_before_mb"] and 0 < download["gateway_peak_mb"], download
            # the console's desk opened in Chromium, signed in through the provider, every run timed
            desk = run["desk"]
            assert desk["runs"] == 5 and 0 < desk["p50_ms"] <= desk["max_ms"], desk
            assert desk["work_p50_ms"] > 0, desk


def test_targets_are_judged_and_the_table_says_how_it_was_made(smoke):
    data, table = smoke
    assert len(data["targets"]) == 14
    [work] = [t for t in data["targets"] if t["target"].startswith("work list p95")]
    assert work["value"] is not None and work["threshold"] == 200
    assert all(target["met"] in (True, False) for target in data["targets"]), data["targets"]
    assert data["command"].startswith("python -m bench.run --smoke")
    assert data["machine"]["cores"] >= 1 and data["machine"]["memory_gib"] > 0
    assert {"python", "nameko", "kombu", "rabbitmq", "store"} <= set(data["versions"])
    assert all(data["versions"].values())
    for row in data["rows"]:
        assert f"| {row['label']} |" in table
    for text in (data["command"], "min | median | max", "met", data["versions"]["rabbitmq"]):
        assert text in table


def test_each_suite_figure_says_what_its_work_cost_in_cpu_by_process(smoke):
    data, table = smoke
    cpu = {entry["figure"]: entry for entry in data["cpu"]}
    busiest = {"choreography": "talent", "gateway.read": "gateway", "gateway.write": "gateway",
               "peer.read": "peer",
               "horizontal.one": "tolerance", "horizontal.two": "tolerance",
               # a season's, per cadre: from the units to every copy made, and to every result applied
               **{f"season.{n}{part}": "talent" for n in data["settings"]["season_sizes"]
                  for part in (".roster", "")}}
    assert set(cpu) == set(busiest)
    for figure, service in busiest.items():
        entry = cpu[figure]
        runs = data["settings"]["season_runs" if figure.startswith("season") else "runs"]
        assert len(entry["runs"]) == runs, figure
        assert f"| {entry['label']} | {entry['unit']} |" in table
        # a smoke drain of 100 events can be over before the instances answer ready, when its window opens
        assert entry["n"] == (len(entry["runs"]) if not figure.startswith("horizontal")
                              else sum(1 for run in entry["runs"] if run["work"])), figure
        if entry["n"]:  # every process found and put in its group; a second instance counts as tolerance
            assert set(entry["ms_per_unit"]) >= {service, "RabbitMQ", "FerretDB", "PostgreSQL", "harness"}
            assert "tolerance#2" not in entry["ms_per_unit"]
    # smoke sizes cost a few 10 ms clock ticks, so a group may read 0; 50 clients for 1.5 s may not
    for kind in ("read", "write"):
        entry = cpu[f"gateway.{kind}"]
        assert entry["machine_ms_per_unit"] > 0 and entry["ms_per_unit"]["gateway"] > 0, kind
