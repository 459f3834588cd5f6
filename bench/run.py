"""Run every benchmark on a private stack and write the results table.

    python -m bench.run [--smoke] [--runs N] [--only NAME[,NAME]] [--season-sizes 10000,30000,100000]
                        [--out DIR] [--profile]

``make bench`` runs it after `python -m devstack up` (whose .stack/env gives STACK_POSTGRESQL_URL, where
the private FerretDB keeps its data, and the RabbitMQ and FerretDB binaries the private stack runs).
Benchmarks: baselines, choreography, gateway, season, horizontal (in that order). Nothing here fails on a
time; the exit status is 1 only when the harness itself could not produce a figure.

``--profile`` samples the busiest processes with py-spy (when installed) during one run of each suite
benchmark and writes their hottest functions next to the results.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import logging  # noqa: E402
import shlex  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import warnings  # noqa: E402
from collections import Counter  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

from bench import baselines, suite  # noqa: E402
from bench.report import HIGHER, LOWER, PACED_SHARES, Results, markdown, targets  # noqa: E402
from bench.stack import ROOT, PrivateStack, dump_json, machine, settle  # noqa: E402

BENCHMARKS = ("baselines", "choreography", "gateway", "season", "horizontal")

FULL = {
    "runs": 3,
    "raw_events": 20000, "batch": 500, "bare_events": 5000, "rpc_clients": 50, "rpc_seconds": 10.0,
    "choreography_events": 2000, "per_unit": 100, "bare_rate_default": 1000.0,
    "gateway_roster": 1000, "clients": 50, "load_seconds": 15.0, "warmup_seconds": 3.0,
    "horizontal_events": 20000,  # a drain of seconds: the 200 ms progress samples are a few % of it
    # three seasons a size, as every other figure has three runs (min / median / max): about
    # half an hour of the whole, the 100,000 season about 8 minutes each
    "season_sizes": [10000, 30000, 100000], "season_runs": 3, "season_deadline_s": 600.0,
    "share_suite": False, "settle_max_s": 120.0,
}
# smoke: every benchmark and row at tiny sizes, 2 runs, one suite shared by the suite benchmarks
SMOKE = {
    "runs": 2,
    "raw_events": 200, "batch": 50, "bare_events": 100, "rpc_clients": 10, "rpc_seconds": 1.0,
    "choreography_events": 40, "per_unit": 20, "bare_rate_default": 1000.0,
    "gateway_roster": 40, "clients": 50, "load_seconds": 1.0, "warmup_seconds": 0.5,
    "horizontal_events": 100,
    "season_sizes": [20, 40], "season_runs": 1, "season_deadline_s": 120.0,
    "share_suite": True, "settle_max_s": 0.5,
}


def say(text: str) -> None:
    print(f"[bench {datetime.now().strftime('%H:%M:%S')}] {text}", flush=True)


class Profiler:
    """py-spy on a process for a few seconds; keeps the top functions by own samples."""

    def __init__(self, enabled: bool, out_dir: Path):
        self.exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        self.enabled = enabled and Path(self.exe).exists()
        self.out_dir = out_dir
        self.found: dict[str, list] = {}

    def sample(self, label: str, pid: int, seconds: int):
        if not self.enabled:
            return None
        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / f"{label}.txt"
        return subprocess.Popen([self.exe, "record", "--pid", str(pid), "--duration", str(seconds),
                                 "--rate", "100", "--format", "raw", "--output", str(path), "--nonblocking"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), label, path

    def collect(self, handle, top: int = 12) -> None:
        if handle is None:
            return
        proc, label, path = handle
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:  # a profiler that hangs costs a profile, never a figure
            proc.kill()
            proc.wait()
        if not path.exists():
            self.found[label] = []
            return
        own: Counter = Counter()
        total = 0
        for line in path.read_text().splitlines():
            stack, _, samples = line.rpartition(" ")
            if not samples.isdigit():
                continue
            total += int(samples)
            own[stack.split(";")[-1]] += int(samples)
        self.found[label] = [{"function": f, "share": n / total} for f, n in own.most_common(top)] \
            if total else []


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: proves the harness, not the speed")
    parser.add_argument("--runs", type=int, help="runs per figure (default 3)")
    parser.add_argument("--only", help=f"comma-separated subset of {', '.join(BENCHMARKS)}")
    parser.add_argument("--season-sizes", help="comma-separated roster sizes (default 10000,30000,100000)")
    parser.add_argument("--season-deadline", type=float, help="seconds a season size may take (default 600)")
    parser.add_argument("--season-runs", type=int, help="seasons a size (default 3)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results", help="where results go")
    parser.add_argument("--profile", action="store_true", help="sample the hot processes with py-spy")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("amqp").setLevel(logging.ERROR)  # acks racing a channel close: harmless

    settings = dict(SMOKE if args.smoke else FULL)
    if args.runs:
        settings["runs"] = args.runs
    if args.season_sizes:
        settings["season_sizes"] = [int(x) for x in args.season_sizes.split(",")]
    if args.season_deadline:
        settings["season_deadline_s"] = args.season_deadline
    if args.season_runs:
        settings["season_runs"] = args.season_runs
    only = args.only.split(",") if args.only else list(BENCHMARKS)
    unknown = set(only) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")

    started_at = datetime.now(UTC)
    stamp = started_at.strftime("%Y%m%dT%H%M%SZ")
    results = Results()
    data = {"mode": "smoke" if args.smoke else "full",
            "command": shlex.join(["python", "-m", "bench.run",
                                   *(argv if argv is not None else sys.argv[1:])]),
            "started_at": started_at.isoformat(timespec="seconds"), "machine": machine(), "versions": {},
            "settings": {k: v for k, v in settings.items()}, "benchmarks": only}
    profiler = Profiler(args.profile, args.out / "profiles")
    stack = PrivateStack(ROOT / ".stack" / "bench" / stamp)
    clock = time.monotonic()

    def write():
        data.update(rows=results.summary(), targets=targets(results, settings["season_sizes"]
                                                             if "season" in only else []),
                    cpu=results.cpu_summary(), notes=results.notes, errors=results.errors,
                    details=results.details,
                    profiles=profiler.found, elapsed_s=time.monotonic() - clock,
                    finished_at=datetime.now(UTC).isoformat(timespec="seconds"))
        dump_json(args.out / "latest.json", data)
        (args.out / "latest.md").write_text(markdown(data))

    say(f"private stack under {stack.base}")
    # a TERM (a stopped `make bench`) unwinds like Ctrl-C: every process started here is stopped
    signal.signal(signal.SIGTERM, _interrupt)
    results.notes.append(
        f"settle: before each benchmark and each season size, the harness waited until the machine's CPU "
        f"was under 15 % busy for 3 s in a row (at most {settings['settle_max_s']:g} s; waits in the "
        f"JSON's details.settle), so that no figure carries the previous one's cleanup.")
    shared = Shared(stack, settings["share_suite"])
    try:
        # inside: a broker started before the store failed to start is stopped all the same
        stack.start()
        data["versions"] = stack.versions()
        for name in only:
            quiet(results, settings, name)
            say(f"{name} ...")
            try:
                if name == "horizontal":
                    shared.close()  # its tolerance would drain the backlog too
                RUNNERS[name](stack, settings, results, profiler, shared)
            except Exception as exc:  # a benchmark that breaks is reported; the others still run
                results.error(name, f"{type(exc).__name__}: {exc}")
                traceback.print_exc()
            write()
            say(f"{name} done")
    finally:
        shared.close()
        stack.stop()
    write()
    print((args.out / "latest.md").read_text())
    return 1 if results.errors else 0


def quiet(results: Results, s, before: str) -> None:
    """Let the machine settle before a figure (bench.stack.settle); how long it took is in the details."""
    waited, settled = settle(s["settle_max_s"])
    results.detail("settle", {"before": before, "waited_s": round(waited, 1), "settled": settled})
    say(f"settled in {waited:.1f} s before {before}" if settled
        else f"not settled after {waited:.0f} s before {before}; measuring anyway")


class Shared:
    """With ``share_suite`` (smoke) the suite benchmarks use one set of processes, started once."""

    def __init__(self, stack, enabled: bool):
        self.stack, self.enabled, self.suite = stack, enabled, None

    def get(self):
        if self.enabled and self.suite is None:
            self.suite = suite.start_suite(self.stack, "shared", console=True)
        return self.suite

    def release(self, procs) -> None:
        if not self.enabled:
            suite.stop_suite(self.stack, procs)

    def close(self) -> None:
        if self.suite is not None:
            suite.stop_suite(self.stack, self.suite[0])
            self.suite = None


# the benchmarks

def run_baselines(stack, s, results: Results, profiler, shared) -> None:
    for _run in range(s["runs"]):
        for mode, batch in (("per_message", None), ("batched", s["batch"])):
            r = baselines.raw_kombu(stack, s["raw_events"], batch)
            results.detail(f"raw_kombu.{mode}", r)
            label = ("raw kombu, confirm per message" if batch is None
                     else f"raw kombu, confirms batched by {batch}")
            results.add(f"raw.{mode}.events_per_s", f"{label}: events/s", "events/s", r["events_per_s"])
            results.add(f"raw.{mode}.lag_p99_ms", f"{label}: lag p99", "ms", r["lag_p99_ms"], better=LOWER)
    procs, config = baselines.start_bare(stack)
    try:
        for _run in range(s["runs"]):
            r = baselines.bare_pipeline(config, s["bare_events"])
            results.detail("bare.pipeline", r)
            label = "bare nameko EventDispatcher -> @event_handler"
            results.add("bare.pipeline.events_per_s", f"{label}: events/s", "events/s", r["events_per_s"],
                        baseline="raw.per_message.events_per_s")
            results.add("bare.pipeline.lag_p50_ms", f"{label}: lag p50", "ms", r["lag_p50_ms"], better=LOWER)
            results.add("bare.pipeline.lag_p99_ms", f"{label}: lag p99", "ms", r["lag_p99_ms"],
                        baseline="raw.per_message.lag_p99_ms", better=LOWER)
            r = baselines.bare_rpc(config, s["rpc_clients"], s["rpc_seconds"], s["warmup_seconds"])
            results.detail("bare.rpc", r)
            label = f"bare nameko RPC, {s['rpc_clients']} clients"
            results.add("bare.rpc.requests_per_s", f"{label}: calls/s", "calls/s", r["requests_per_s"])
            results.add("bare.rpc.p50_ms", f"{label}: p50", "ms", r["p50_ms"], better=LOWER)
            results.add("bare.rpc.p99_ms", f"{label}: p99", "ms", r["p99_ms"], better=LOWER)
    finally:
        procs.stop()
        stack.purge_queues()


def run_choreography(stack, s, results: Results, profiler, shared) -> None:
    procs, api, units = suite.choreography_setup(stack, s["choreography_events"], s["per_unit"],
                                                 shared.get())
    bare = results.median("bare.pipeline.events_per_s")
    # the target's "lag at that rate": results offered at a share of this run's bare pipeline, or, with
    # no baseline in this run, of the setting (the rows say so, and the target is not judged)
    paced = [(share, share * (bare or s["bare_rate_default"])) for share in PACED_SHARES]
    of_what = ("the bare pipeline's rate" if bare
               else f"a default {s['bare_rate_default']:,.0f}/s (no baseline)")
    # one annual cycle per unit and year, years from 2025 down (the schemas take 2000 to 2100)
    needed = s["runs"] * (1 + len(PACED_SHARES))
    if needed > 2025 - 2000 + 1:
        raise RuntimeError(f"choreography: {s['runs']} runs need {needed} years of cycles; at most 26")
    years = iter(range(2025, 2025 - needed, -1))
    try:
        for run in range(s["runs"]):
            handles = []
            if run == 0:
                # long enough for the cycles' set-up and the burst after it
                handles = [profiler.sample(f"choreography-{name}", procs.pid(name), 25)
                           for name in ("appraisal", "talent")]
            r = suite.choreography_run(stack, procs, api, units, next(years))
            cpu = r.pop("cpu")
            for handle in handles:
                profiler.collect(handle)
            results.detail("choreography", r)
            if r["applied"] != r["events"]:
                raise RuntimeError(f"choreography applied {r['applied']} of {r['events']}")
            label = f"choreography, {r['events']:,} results finalized at once -> applied in talent"
            results.cpu("choreography", label, cpu)
            results.add("choreography.events_per_s", f"{label}: events/s", "events/s", r["events_per_s"],
                        baseline="bare.pipeline.events_per_s")
            results.add("choreography.lag_p50_ms", f"{label}: lag p50", "ms", r["lag_p50_ms"],
                        baseline="bare.pipeline.lag_p50_ms", better=LOWER)
            results.add("choreography.lag_p99_ms", f"{label}: lag p99", "ms", r["lag_p99_ms"],
                        baseline="bare.pipeline.lag_p99_ms", better=LOWER)
            for share, rate in paced:
                r = suite.choreography_run(stack, procs, api, units, next(years), rate)
                r.pop("cpu")  # mostly the sampler's: a paced run is not busy
                results.detail(f"choreography.paced_{share}", r)
                if r["applied"] != r["events"]:
                    raise RuntimeError(f"paced choreography applied {r['applied']} of {r['events']}")
                key = f"choreography.paced_{share}"
                label = f"choreography, results offered at {share:g}x {of_what} ({rate:,.0f}/s)"
                offered = r["finalized_per_s"]
                if offered is not None and offered < 0.9 * rate:
                    results.notes.append(f"choreography paced at {rate:,.0f}/s, run {run + 1}: results "
                                         f"were finalized at only {offered:,.0f}/s")
                results.add(f"{key}.lag_p50_ms", f"{label}: lag p50", "ms", r["lag_p50_ms"],
                            baseline="bare.pipeline.lag_p50_ms", better=LOWER)
                results.add(f"{key}.lag_p99_ms", f"{label}: lag p99", "ms", r["lag_p99_ms"],
                            baseline="bare.pipeline.lag_p99_ms", better=LOWER)
    finally:
        shared.release(procs)
    results.notes.append(
        "choreography: grades are written straight into appraisal's cycles (the grading path is the "
        "season's figure); the cycles are then finalized through the gateway, either all at once, 10 at "
        "a time (events/s and the burst's lag, which is how long its queue takes to drain), or open "
        "loop at a share of the bare pipeline's rate, a cycle of 100 results at a time (the target's "
        "lag at that rate). Applied = talent's own count of results applied (its /metrics, read every "
        f"{suite.APPLIED_SAMPLE_S * 1000:.0f} ms; no store polling); the k-th applied is matched with "
        "the k-th finalized, so lag = applied - finalized_at, exact to the sample interval, and never "
        "under it, while talent applies in finalize order. At the end talent's store is checked for "
        "every cadre's result of the year.")


def run_gateway(stack, s, results: Results, profiler, shared) -> None:
    procs, api, units = suite.gateway_setup(stack, s["gateway_roster"], shared.get())
    queues = stack.queue_names()  # the suite's, declared at its start
    try:
        with suite.peer_server(stack, procs) as peer:
            for _run in range(s["runs"]):
                # the peer baseline first, on the same roster with the same load, then the gateway
                r = suite.gateway_run(stack, procs, units, "read", s["clients"], s["load_seconds"],
                                      s["warmup_seconds"], queues, peer=peer)
                results.cpu("peer.read", f"peer baseline read (GET /cadres/<id>), {s['clients']} clients",
                            r.pop("cpu"))
                results.detail("peer.read", r)
                label = (f"peer baseline read (GET /cadres/<id>: token, store, audit; no RPC), "
                         f"{s['clients']} clients")
                results.add("peer.read.requests_per_s", f"{label}: requests/s", "req/s", r["requests_per_s"])
                results.add("peer.read.p50_ms", f"{label}: p50", "ms", r["p50_ms"], better=LOWER)
                results.add("peer.read.p99_ms", f"{label}: p99", "ms", r["p99_ms"], better=LOWER)
                run_gateway_kinds(stack, s, results, profiler, procs, units, queues, _run)
    finally:
        shared.release(procs)


def run_gateway_kinds(stack, s, results: Results, profiler, procs, units, queues, run: int) -> None:
    """One run of the gateway's read (its ratio to the peer baseline, and to bare RPC beside it) and
    write."""
    for kind, baseline in (("read", "peer.read"), ("write", "bare.rpc")):
        handles = []
        if run == 0:
            handles = [profiler.sample(f"gateway-{kind}-{name}", procs.pid(name),
                                       max(1, int(s["load_seconds"])))
                       for name in ("gateway", "talent")]
        r = suite.gateway_run(stack, procs, units, kind, s["clients"], s["load_seconds"],
                              s["warmup_seconds"], queues)
        cpu = r.pop("cpu")
        for handle in handles:
            profiler.collect(handle)
        results.detail(f"gateway.{kind}", r)
        endpoint = "GET /cadres/<id>" if kind == "read" else "POST /cadres"
        label = f"gateway {kind} ({endpoint}), {s['clients']} clients"
        results.cpu(f"gateway.{kind}", label + (", with its events consumed" if kind == "write"
                                                else ""), cpu)
        also = "bare.rpc" if kind == "read" else None
        for figure, name, unit, better in (("requests_per_s", "requests/s", "req/s", HIGHER),
                                           ("p50_ms", "p50", "ms", LOWER), ("p99_ms", "p99", "ms", LOWER)):
            results.add(f"gateway.{kind}.{figure}", f"{label}: {name}", unit, r[figure],
                        baseline=f"{baseline}.{figure}", better=better,
                        also=f"{also}.{figure}" if also else None)


def run_horizontal(stack, s, results: Results, profiler, shared) -> None:
    suite.horizontal_declare(stack)
    for _run in range(s["runs"]):
        for instances, name in ((1, "one"), (2, "two")):
            r = suite.horizontal_run(stack, instances, s["horizontal_events"])
            cpu = r.pop("cpu")
            results.detail(f"horizontal.{name}", r)
            label = f"tolerance draining {r['events']:,} cadre_registered, {instances} instance(s)"
            results.cpu(f"horizontal.{name}", label, cpu)
            baseline = "bare.pipeline.events_per_s" if instances == 1 else "horizontal.one.events_per_s"
            results.add(f"horizontal.{name}.events_per_s", f"{label}: events/s", "events/s",
                        r["events_per_s"], baseline=baseline)
    results.notes.append(
        "horizontal: the backlog is published straight into tolerance's queue with its processes stopped; "
        "the rate is over the middle 80 % of the drain (start-up not counted). ADR 0007: on FerretDB two "
        "instances are safe here only because every event changes a different document.")


def run_season(stack, s, results: Results, profiler, shared) -> None:
    sizes = sorted(s["season_sizes"])
    for index, cadres in enumerate(sizes):
        if index and not results.median(f"season.{sizes[index - 1]}.finished"):
            results.add(f"season.{cadres}.finished", f"season {cadres:,} cadres: finished (1 = yes)", "", 0.0)
            results.notes.append(f"season {cadres:,}: not tried: {sizes[index - 1]:,} did not finish within "
                                 f"the deadline")
            continue
        for run in range(s["season_runs"]):
            if index or run:
                quiet(results, s, f"season {cadres:,}")
            say(f"season of {cadres:,} cadres (run {run + 1})")
            r = suite.season_run(stack, cadres, s["per_unit"], s["season_deadline_s"], log=say,
                                 shared=shared.get())
            cpu = r.pop("cpu", {})
            if "roster" in cpu:
                results.cpu(f"season.{cadres}.roster", f"season {cadres:,} cadres: units, import and every "
                            f"copy", cpu["roster"])
            if "season" in cpu:
                results.cpu(f"season.{cadres}", f"season {cadres:,} cadres: units to every result applied",
                            cpu["season"])
            results.detail(f"season.{cadres}", r)
            say(f"season of {cadres:,}: {r}")
            results.add(f"season.{cadres}.finished", f"season {cadres:,} cadres: finished (1 = yes)", "",
                        1.0 if r["finished"] else 0.0)
            results.add(f"season.{cadres}.wall_s", f"season {cadres:,} cadres: wall time", "s", r["wall_s"],
                        better=LOWER)
            for name, figures in (r.get("work") or {}).items():
                what = "gateway read" if name == "read" else f"work list ({name})"
                results.add(f"season.{cadres}.work.{name}.p95_ms",
                            f"season {cadres:,} cadres loaded: {what}, p95", "ms", figures["p95_ms"],
                            baseline=None if name == "read" else f"season.{cadres}.work.read.p95_ms",
                            better=LOWER)
            download = r.get("download")
            if download:
                results.add(f"season.{cadres}.download.peak_mb",
                            f"season {cadres:,} cadres loaded: gateway memory while it made a "
                            f"{download['rows']:,}-row .xlsx download (peak)", "MB",
                            download["gateway_peak_mb"], better=LOWER)
                results.add(f"season.{cadres}.download.wall_s",
                            f"season {cadres:,} cadres loaded: the {download['rows']:,}-row .xlsx "
                            f"download, wall time", "s", download["wall_s"], better=LOWER)
            desk = r.get("desk")
            if desk:
                results.add(f"season.{cadres}.desk.p50_ms",
                            f"season {cadres:,} cadres loaded: the console's desk interactive in Chromium "
                            f"(sign-in through the provider included), median of {desk['runs']}", "ms",
                            desk["p50_ms"], better=LOWER)
            per_cadre = 1000 * r["wall_s"] / cadres if r["finished"] else None
            if per_cadre is not None:
                results.add(f"season.{cadres}.per_cadre_ms", f"season {cadres:,} cadres: time per cadre",
                            "ms", per_cadre, baseline=f"season.{sizes[0]}.per_cadre_ms", better=LOWER)
            else:
                results.notes.append(
                    f"season {cadres:,}: not finished within {s['season_deadline_s']:.0f} s; stopped in "
                    f"phase '{r['stopped_in']}' after {r['done_in_phase']:,} done ({r['reason']})")
    results.notes.append(
        f"season: {s['season_runs']} run(s) per size; units of "
        f"{s['per_unit']} cadres; ratio = time per cadre / time per cadre at the smallest size (growth).")


RUNNERS = {"baselines": run_baselines, "choreography": run_choreography, "gateway": run_gateway,
           "horizontal": run_horizontal, "season": run_season}


if __name__ == "__main__":
    sys.exit(main())
