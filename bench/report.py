"""Results: rows of figures (one value per run), summarised as min / median / max, each with its ratio to
the baseline measured in the same run, the performance targets (met / not met: never a failure), and the
Markdown and JSON files (bench/results/latest.md, latest.json)."""

from __future__ import annotations

import statistics
from typing import Any

HIGHER, LOWER = "higher", "lower"  # which way is better
# the paced choreography's offered rates, as shares of the bare pipeline's: the target's 0.5, and 1.0
PACED_SHARES = (0.5, 1.0)


def percentile(values: list[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


class Results:
    def __init__(self):
        self.rows: dict[str, dict[str, Any]] = {}
        self.details: dict[str, list] = {}
        self.notes: list[str] = []
        self.errors: list[dict[str, str]] = []
        self.cpu_accounts: dict[str, dict[str, Any]] = {}

    def cpu(self, figure: str, label: str, account: dict) -> None:
        """One run's CPU by process for a figure (bench.stack.CpuWindow.close)."""
        self.cpu_accounts.setdefault(figure, {"figure": figure, "label": label, "runs": []})["runs"].append(
            account)

    def cpu_summary(self) -> list[dict[str, Any]]:
        """Per figure, the median over its runs of each group's ms of CPU per unit of work."""
        out = []
        for entry in self.cpu_accounts.values():
            runs = [run for run in entry["runs"] if run["ms_per_unit"] is not None]  # runs with work
            groups = {g for run in runs for g in run["ms_per_unit"]}
            median = {g: statistics.median(run["ms_per_unit"].get(g, 0.0) for run in runs) for g in groups}
            out.append({**entry, "unit": entry["runs"][0]["unit"], "n": len(runs),
                        "machine_ms_per_unit": statistics.median(r["machine_ms_per_unit"] for r in runs)
                        if runs else None,
                        "ms_per_unit": dict(sorted(median.items(), key=lambda kv: -kv[1]))})
        return out

    def add(self, key: str, label: str, unit: str, value: float, baseline: str | None = None,
            better: str = HIGHER, also: str | None = None) -> None:
        """One run's value of a figure; ``baseline`` the figure it is judged against, ``also`` a second
        one whose ratio is shown beside."""
        row = self.rows.setdefault(key, {"key": key, "label": label, "unit": unit, "runs": [],
                                         "baseline": baseline, "also": also, "better": better})
        row["runs"].append(float(value))

    def detail(self, name: str, record: dict) -> None:
        self.details.setdefault(name, []).append(record)

    def error(self, benchmark: str, message: str) -> None:
        self.errors.append({"benchmark": benchmark, "error": message})

    def summary(self) -> list[dict[str, Any]]:
        out = []
        for row in self.rows.values():
            runs = row["runs"]
            entry = {**row, "n": len(runs), "min": min(runs), "median": statistics.median(runs),
                     "max": max(runs), "ratio": self.ratio(row["key"], row["baseline"]),
                     "also_ratio": self.ratio(row["key"], row.get("also"))}
            out.append(entry)
        return out

    def ratio(self, key: str, baseline: str | None) -> float | None:
        """median(key) / median(baseline), both measured in this run."""
        value, base = self.median(key), self.median(baseline or "")
        return value / base if value is not None and base else None

    def median(self, key: str) -> float | None:
        row = self.rows.get(key)
        return statistics.median(row["runs"]) if row and row["runs"] else None


SEASON_S = 300  # the largest season's wall time
WORK_ROLES = ("ORG_ADMIN", "DISCIPLINE_OFFICER", "CARE_OFFICER", "UNIT_ADMIN", "CADRE")


def targets(results: Results, season_sizes: list[int]) -> list[dict[str, Any]]:
    """The performance targets, judged on medians; ``met`` is None when the figure is missing."""
    def judge(name, value, threshold, ok, unit=""):
        return {"target": name, "value": value, "threshold": threshold, "unit": unit,
                "met": None if value is None else bool(ok(value))}

    found = []
    chor, bare = results.median("choreography.events_per_s"), results.median("bare.pipeline.events_per_s")
    ratio = chor / bare if chor is not None and bare else None
    found.append(judge("choreography >= 50 % of the bare nameko pipeline", ratio, 0.5,
                       lambda v: v >= 0.5, "x"))
    found.append(judge("choreography >= 1.2x the bare nameko pipeline", ratio, 1.2, lambda v: v >= 1.2, "x"))
    # "p99 lag < 1 s at that rate": results offered at half the bare pipeline's rate, and at the whole
    # of it (the stretch); not judged without the baseline that sets the rate. The burst's lag, its
    # queue's drain time, is judged too: a stricter reading the harness adds
    for share in PACED_SHARES:
        paced = results.median(f"choreography.paced_{share}.lag_p99_ms") if bare else None
        found.append(judge(f"choreography p99 lag < 1 s at {share:g}x the bare pipeline's rate",
                           paced, 1000, lambda v: v < 1000, "ms"))
    found.append(judge("choreography p99 lag < 1 s for a burst finalized at once (added, stricter)",
                       results.median("choreography.lag_p99_ms"), 1000, lambda v: v < 1000, "ms"))
    # reads against the peer baseline of the same run (bench/peer.py): the same token, record and audit
    found.append(judge("gateway read >= 0.6x the peer baseline's requests/s at 50 clients",
                       results.ratio("gateway.read.requests_per_s", "peer.read.requests_per_s"), 0.6,
                       lambda v: v >= 0.6, "x"))
    found.append(judge("gateway read p99 < 100 ms at 50 clients", results.median("gateway.read.p99_ms"),
                       100, lambda v: v < 100, "ms"))
    found.append(judge("gateway read p99 < 50 ms at 50 clients (stretch)",
                       results.median("gateway.read.p99_ms"), 50, lambda v: v < 50, "ms"))
    if season_sizes:
        largest, smallest = max(season_sizes), min(season_sizes)
        wall = results.median(f"season.{largest}.wall_s")
        name = f"{largest:,}-cadre season < 5 min"
        if results.median(f"season.{largest}.finished"):
            found.append(judge(name, wall, SEASON_S, lambda v: v < SEASON_S, "s"))
        elif wall is not None:  # stopped unfinished: not met if it ran 5 min, unknown if stopped sooner
            found.append({"target": name, "value": f"> {wall:,.0f}", "threshold": SEASON_S, "unit": "s",
                          "met": False if wall >= SEASON_S else None})
        else:
            found.append(judge(name, None, SEASON_S, None, "s"))
        # growth up to the largest size that finished, named in the row
        done = [n for n in sorted(season_sizes) if results.median(f"season.{n}.finished")]
        big = done[-1] if done else largest
        cost, base = (results.median(f"season.{big}.per_cadre_ms"),
                      results.median(f"season.{smallest}.per_cadre_ms"))
        growth = cost / base if cost and base and big != smallest else None
        found.append(judge(f"per-cadre cost at {big:,} <= 1.1x at {smallest:,}", growth, 1.1,
                           lambda v: v <= 1.1, "x"))
        # every role's work list with the largest season loaded: the slowest role's p95
        slowest = [results.median(f"season.{largest}.work.{role}.p95_ms") for role in WORK_ROLES]
        found.append(judge(f"work list p95 < 200 ms with the {largest:,}-cadre season loaded (slowest role)",
                           max(slowest) if all(v is not None for v in slowest) else None, 200,
                           lambda v: v < 200, "ms"))
        found.append(judge(f"the console's desk interactive < 1.5 s with the {largest:,}-cadre season loaded",
                           results.median(f"season.{largest}.desk.p50_ms"), 1500, lambda v: v < 1500, "ms"))
        found.append(judge(f"a download of every cadre's row with the {largest:,}-cadre season loaded: "
                           f"gateway memory < 200 MB", results.median(f"season.{largest}.download.peak_mb"),
                           200, lambda v: v < 200, "MB"))
    one, two = results.median("horizontal.one.events_per_s"), results.median("horizontal.two.events_per_s")
    found.append(judge("two consumer instances >= 1.6x one", two / one if one and two else None, 1.6,
                       lambda v: v >= 1.6, "x"))
    return found


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if unit in ("x", "ratio") or abs(value) < 10:
            text = f"{value:,.2f}"
        else:
            text = f"{value:,.0f}"
    else:
        text = f"{value:,}" if isinstance(value, int) else str(value)
    return text


def markdown(data: dict[str, Any]) -> str:
    lines = [f"# Benchmark results ({data['mode']})", "",
             f"- command: `{data['command']}`",
             f"- started {data['started_at']}, took {data['elapsed_s']:,.0f} s",
             "- machine: {cores} cores, {memory_gib} GiB, {cpu}; load average at start {load}".format(
                 load=" / ".join(str(x) for x in data["machine"]["load_at_start"]), **data["machine"]),
             "- versions: " + ", ".join(f"{k} {v}" for k, v in data["versions"].items()),
             "- settings: " + ", ".join(f"{k}={v}" for k, v in data["settings"].items()),
             "", "| figure | unit | runs | min | median | max | baseline | ratio to baseline |",
             "|---|---|---|---|---|---|---|---|"]
    labels = {row["key"]: row["label"] for row in data["rows"]}
    for row in data["rows"]:
        ratio = _fmt(row["ratio"], "x") + ("x" if row["ratio"] is not None else "")
        base = labels.get(row["baseline"], "")
        if row.get("also_ratio") is not None:  # a second baseline, beside
            ratio += f"; {_fmt(row['also_ratio'], 'x')}x"
            base += f"; {labels.get(row['also'], '')}"
        lines.append(f"| {row['label']} | {row['unit']} | {row['n']} | {_fmt(row['min'])} | "
                     f"{_fmt(row['median'])} | {_fmt(row['max'])} | {base} | {ratio} |")
    lines += ["", "| target | median | threshold | met |", "|---|---|---|---|"]
    for target in data["targets"]:
        met = {True: "met", False: "**not met**", None: "not measured"}[target["met"]]
        lines.append(f"| {target['target']} | {_fmt(target['value'], target['unit'])} {target['unit']} | "
                     f"{_fmt(target['threshold'])} {target['unit']} | {met} |")
    if data.get("cpu"):
        lines += ["", "CPU per unit of work, by process (ms, median of runs; read from /proc at each run's "
                  "start and end; `harness` includes what it started: the load generators, and after writes "
                  "the `rabbitmqctl` calls that wait for the queues to empty; `machine` is all CPU busy):",
                  "", "| figure | per | runs | machine | by process |", "|---|---|---|---|---|"]
        for entry in data["cpu"]:
            by = " · ".join(f"{g} {ms:.2f}" for g, ms in entry["ms_per_unit"].items() if ms >= 0.005)
            machine = "—" if entry["machine_ms_per_unit"] is None else f"{entry['machine_ms_per_unit']:.2f}"
            lines.append(f"| {entry['label']} | {entry['unit']} | {entry['n']} | {machine} | {by} |")
    if data["notes"]:
        lines += ["", "Notes:", ""] + [f"- {note}" for note in data["notes"]]
    if data["errors"]:
        lines += ["", "Errors (the harness could not finish these):", ""]
        lines += [f"- {e['benchmark']}: {e['error']}" for e in data["errors"]]
    return "\n".join(lines) + "\n"
