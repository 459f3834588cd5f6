"""How the harness judges its targets (bench/report.py): the season when a size does not finish, and the
choreography's lag at the target's rate and in a burst. Pure."""

from bench.report import Results, markdown, targets


def season(results: Results, cadres: int, finished: bool, wall_s: float, per_cadre_ms: float | None):
    results.add(f"season.{cadres}.finished", "finished", "", 1.0 if finished else 0.0)
    results.add(f"season.{cadres}.wall_s", "wall", "s", wall_s)
    if per_cadre_ms is not None:
        results.add(f"season.{cadres}.per_cadre_ms", "per cadre", "ms", per_cadre_ms)


def by_name(found):
    return {t["target"]: t for t in found}


def test_a_largest_season_stopped_after_five_minutes_is_not_met_and_growth_is_of_the_largest_finished():
    results = Results()
    season(results, 10_000, True, 200.0, 20.0)
    season(results, 30_000, True, 280.0, 18.0)
    season(results, 100_000, False, 600.0, None)
    found = by_name(targets(results, [10_000, 30_000, 100_000]))
    assert found["100,000-cadre season < 5 min"]["met"] is False
    assert found["100,000-cadre season < 5 min"]["value"] == "> 600"
    growth = found["per-cadre cost at 30,000 <= 1.1x at 10,000"]
    assert growth["met"] is True and abs(growth["value"] - 0.9) < 1e-9
    machine = {"cores": 2, "memory_gib": 1, "cpu": "c", "load_at_start": [0, 0, 0]}
    table = markdown({"mode": "full", "command": "c", "started_at": "s", "elapsed_s": 1, "machine": machine,
                      "versions": {}, "settings": {}, "rows": results.summary(),
                      "targets": list(found.values()), "notes": [], "errors": []})
    assert "| 100,000-cadre season < 5 min | > 600 s | 300 s | **not met** |" in table


def test_a_season_stopped_before_five_minutes_is_not_judged():
    results = Results()
    season(results, 20, True, 5.0, 250.0)
    season(results, 40, False, 120.0, None)  # the smoke deadline: it might still finish in 5 min
    found = by_name(targets(results, [20, 40]))
    assert found["40-cadre season < 5 min"]["met"] is None
    assert found["per-cadre cost at 20 <= 1.1x at 20"]["met"] is None  # nothing to compare with


def test_a_finished_largest_season_is_judged_on_its_wall_time_and_growth():
    results = Results()
    season(results, 10_000, True, 200.0, 20.0)
    season(results, 100_000, True, 3000.0, 30.0)
    found = by_name(targets(results, [10_000, 100_000]))
    assert found["100,000-cadre season < 5 min"] | {"met": False, "value": 3000.0} == \
        found["100,000-cadre season < 5 min"]
    assert found["per-cadre cost at 100,000 <= 1.1x at 10,000"]["met"] is False


AT_HALF = "choreography p99 lag < 1 s at 0.5x the bare pipeline's rate"
AT_WHOLE = "choreography p99 lag < 1 s at 1x the bare pipeline's rate"
BURST = "choreography p99 lag < 1 s for a burst finalized at once (added, stricter)"


def test_the_lag_target_is_judged_at_the_bare_rates_and_the_burst_on_its_own():
    results = Results()
    results.add("bare.pipeline.events_per_s", "bare", "events/s", 800.0)
    for value in (150.0, 900.0, 170.0):  # the median, not the worst run
        results.add("choreography.paced_0.5.lag_p99_ms", "paced", "ms", value)
    results.add("choreography.paced_1.0.lag_p99_ms", "paced at 1x", "ms", 5000.0)
    results.add("choreography.lag_p99_ms", "burst", "ms", 1360.0)
    found = by_name(targets(results, []))
    assert (found[AT_HALF]["met"], found[AT_HALF]["value"]) == (True, 170.0)
    assert (found[AT_WHOLE]["met"], found[AT_WHOLE]["value"]) == (False, 5000.0)
    assert (found[BURST]["met"], found[BURST]["value"]) == (False, 1360.0)


def test_a_paced_lag_without_the_baseline_that_set_its_rate_is_not_judged():
    results = Results()  # --only choreography: offered at the setting's default rate
    results.add("choreography.paced_0.5.lag_p99_ms", "paced", "ms", 150.0)
    results.add("choreography.lag_p99_ms", "burst", "ms", 800.0)
    found = by_name(targets(results, []))
    assert found[AT_HALF]["met"] is None and found[AT_WHOLE]["met"] is None
    assert found[BURST]["met"] is True


def test_the_gateway_read_is_judged_against_the_peer_baseline_of_its_run_and_shown_beside_bare_rpc():
    results = Results()
    for peer, gateway, bare in ((1000.0, 640.0, 800.0), (900.0, 500.0, 820.0), (1100.0, 700.0, 790.0)):
        results.add("peer.read.requests_per_s", "peer", "req/s", peer)
        results.add("bare.rpc.requests_per_s", "bare rpc", "req/s", bare)
        results.add("gateway.read.requests_per_s", "gateway read", "req/s", gateway,
                    baseline="peer.read.requests_per_s", also="bare.rpc.requests_per_s")
    results.add("gateway.read.p99_ms", "gateway p99", "ms", 120.0)
    found = by_name(targets(results, []))
    share = found["gateway read >= 0.6x the peer baseline's requests/s at 50 clients"]
    assert share["met"] is True and abs(share["value"] - 640.0 / 1000.0) < 1e-9
    assert found["gateway read p99 < 100 ms at 50 clients"]["met"] is False
    [row] = [r for r in results.summary() if r["key"] == "gateway.read.requests_per_s"]
    assert abs(row["also_ratio"] - 640.0 / 800.0) < 1e-9
    machine = {"cores": 2, "memory_gib": 1, "cpu": "c", "load_at_start": [0, 0, 0]}
    table = markdown({"mode": "full", "command": "c", "started_at": "s", "elapsed_s": 1, "machine": machine,
                      "versions": {}, "settings": {}, "rows": results.summary(),
                      "targets": list(found.values()), "notes": [], "errors": []})
    assert "| peer; bare rpc | 0.64x; 0.80x |" in table
