"""The suite's figures, each on a fresh set of `nameko run` processes and fresh databases on the private
stack (bench/stack.py), driven through the gateway's HTTP API as a client would.

1. ``choreography``: N appraisal results finalized -> N results applied in talent (appraisal's outbox,
   its relay with confirms, talent's idempotent consumer, the real store).
2. ``gateway``: 50 concurrent clients on a read (``GET /cadres/<id>``) and a write (``POST /cadres``).
3. ``season``: a whole appraisal season at a roster size.
4. ``horizontal``: one vs two instances of a consuming service draining the same backlog.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import os
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime

import eventlet
import requests
from kombu import Connection

from bench.report import WORK_ROLES, percentile
from bench.stack import ROOT, SERVICES, BenchError, PrivateStack, Processes, wait_until
from devstack.common import free_port
from devstack.idp import identity_provider
from services.common.boundary.tokens import DEFAULT_ISSUER

SUITE = (*SERVICES, "gateway")
ROSTER_FIELDS = ("cadre_id", "name", "unit_id", "level", "is_leader", "is_principal", "birth_date",
                 "grassroots_years", "service_years")
EXCELLENT_RATIO = 0.15  # config.yaml's APPRAISAL_EXCELLENT_RATIO for DISTRICT units
IMPORT_BATCH = 1000  # rows per import request, as cadrectl import-roster sends them
CONCURRENCY = 10  # requests in flight while seeding (the gateway's GATEWAY_MAX_REQUESTS)
RESULT_HANDLER = "on_result_finalized"
COPY_HANDLER = "on_cadre_registered"  # every service but talent keeps a copy of the roster
COPIES = tuple(s for s in SERVICES if s != "talent")
# how often the choreography reads talent's applied count (its /metrics, the counts named only: no
# store query, a fraction of a millisecond of talent's CPU): a lag is overstated by up to this much
APPLIED_SAMPLE_S = 0.05
TOLERANCE_QUEUE = "evt-talent-cadre_registered--tolerance.on_cadre_registered"


class Api:
    """The gateway over HTTP as ORG_ADMINs; retries what eventual consistency makes wait.

    The harness plays many officers at once: each request goes as the next of OFFICERS, as the
    gateway lets one user have only GATEWAY_MAX_REQUESTS_PER_CLIENT requests in at once."""

    OFFICERS = 64

    def __init__(self, stack: PrivateStack, procs: Processes):
        self.base = procs.gateway
        self.session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=64)
        self.session.mount("http://", adapter)
        self.session.headers.update({"Content-Type": "application/json"})
        self.tokens = [f"Bearer {stack.token('ORG_ADMIN', sub=f'bench-officer-{n}')}"
                       for n in range(self.OFFICERS)]
        self.turn = itertools.count()

    def call(self, method: str, path: str, body=None, expect=(200, 201), wait_codes=(), timeout=60.0):
        """The JSON answer; waits while the error code is one of ``wait_codes`` (not yet propagated)."""
        deadline = time.monotonic() + timeout
        while True:
            data = body if isinstance(body, str) or body is None else json.dumps(body)
            token = self.tokens[next(self.turn) % len(self.tokens)]
            response = self.session.request(method, self.base + path, data=data, timeout=120,
                                            headers={"Authorization": token})
            if response.status_code in expect:
                return response.json()
            code = _error_code(response)
            if code in wait_codes and time.monotonic() < deadline:
                time.sleep(0.2)
                continue
            raise BenchError(f"{method} {path}: {response.status_code} {response.text[:500]}")


def _error_code(response) -> str | None:
    try:
        return response.json()["error"]["code"]
    except Exception:
        return None


def start_suite(stack: PrivateStack, name: str, instances=SUITE, console=False,
                **env) -> tuple[Processes, Api]:
    """The suite's processes; with ``console``, beside them the local OpenID provider the console signs
    in through, trusted by the suite as it is by ``make run`` (the harness's own tokens still hold)."""
    procs = stack.processes(name, **env)
    provider = ExitStack()
    try:
        if console:
            issuer, password = provider.enter_context(identity_provider(
                DESK_USERS, procs.env["GATEWAY_ADDRESS"], procs.log_dir))
            procs.env.update(AUTH_ISSUER=issuer, AUTH_JWKS_URL=f"{issuer}/jwks",
                             AUTH_SECRET_ISSUER=DEFAULT_ISSUER)
            procs.console = {"user": next(iter(DESK_USERS)), "password": password}
        procs.start(*instances)
        procs.wait_ready(*instances)
    except BaseException:
        procs.stop()
        provider.close()
        raise
    procs.provider = provider
    return procs, Api(stack, procs)


def stop_suite(stack: PrivateStack, procs: Processes) -> None:
    """Stop the processes and empty the queues. The databases stay until the private store goes: with
    FerretDB 1.24 on PostgreSQL, dropping one database while the next suite wrote its first documents
    was followed by talent's roster import not finding units it had just registered (seen here, twice;
    not reproduced in isolation), so the harness no longer drops databases between benchmarks."""
    procs.stop()
    if getattr(procs, "provider", None) is not None:
        procs.provider.close()
    stack.purge_queues()


@contextmanager
def stopped_on_error(stack: PrivateStack, procs: Processes, shared):
    """A set-up that fails stops the processes it started (a shared suite is stopped by its owner)."""
    try:
        yield
    except BaseException:
        if not shared:
            stop_suite(stack, procs)
        raise


def pool_map(fn, items, size=CONCURRENCY) -> list:
    pool = eventlet.GreenPool(size)
    return list(pool.imap(fn, items))


# the roster

def roster(tag: str, cadres: int, per_unit: int) -> dict[str, list[str]]:
    """unit id -> its cadre ids: ``cadres`` cadres in units of ``per_unit``, every id ``C<tag>-…``."""
    units: dict[str, list[str]] = {}
    for index in range(cadres):
        units.setdefault(f"U{tag}-{index // per_unit:04d}", []).append(f"C{tag}-{index:06d}")
    return units


def roster_csv(units: dict[str, list[str]], cadre_ids: list[str]) -> str:
    unit_of = {c: u for u, cs in units.items() for c in cs}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ROSTER_FIELDS)
    for cadre_id in cadre_ids:
        writer.writerow([cadre_id, "张三", unit_of[cadre_id], "DIVISION", "true", "false", "1980-01-02",
                         "5", "12"])
    return out.getvalue()


def count(stack: PrivateStack, procs: Processes, service: str, collection: str, query=None) -> int:
    return stack.database(procs, service)[collection].count_documents(query or {})


def applied(procs: Processes, service: str, handler: str) -> int:
    """How many events ``handler`` of ``service`` has handled successfully: the service's own count
    (``cadre_entrypoint_calls_total``, outcome ok, from its /metrics). The harness watches progress by
    these counts, not by querying the store: on FerretDB every such query reads the whole collection,
    load on the very cores being measured (the first runs polled, and the season's four roster counts
    every 0.5 s kept FerretDB half busy). A delivery applied before and ignored also counts "ok", so
    every phase ends with one real query that checks the store."""
    return int(procs.metric(service, "cadre_entrypoint_calls_total", method=handler, outcome="ok"))


def backlog(procs: Processes) -> int:
    """Events still in an outbox: talent's and appraisal's own gauge (``cadre_outbox_backlog``)."""
    return int(sum(procs.metric(service, "cadre_outbox_backlog") for service in ("talent", "appraisal")))


def seed_roster(stack, procs, api, units: dict[str, list[str]], timeout: float, progress=None) -> dict:
    """Register the units, import the roster CSV in batches, wait until every consumer has every cadre.
    Returns the phase times."""
    times = {}
    started = time.monotonic()
    pool_map(lambda u: api.call("POST", "/units", {"unit_id": u, "name": "江岸区",
                                                   "unit_type": "DISTRICT"}), list(units))
    times["units_s"] = time.monotonic() - started
    cadre_ids = [c for cs in units.values() for c in cs]
    base = {s: applied(procs, s, COPY_HANDLER) for s in COPIES}
    started = time.monotonic()
    for offset in range(0, len(cadre_ids), IMPORT_BATCH):
        # as cadrectl import-roster: a batch answered 503 (slower than RPC_TIMEOUT) is sent again;
        # the import is idempotent, so what the first call wrote counts as unchanged -- or, while
        # that call still runs, the retry is told IMPORT_RACED and waits
        batch = cadre_ids[offset:offset + IMPORT_BATCH]
        report = api.call("POST", "/roster/imports", {"csv": roster_csv(units, batch)},
                          wait_codes=("SERVICE_TIMEOUT", "IMPORT_RACED"), timeout=300)
        if report["errors"] or report["imported"] + report["unchanged"] != len(batch):
            raise BenchError(f"roster import of rows {offset}+: imported {report['imported']}, "
                             f"{len(report['errors'])} errors, the first: {report['errors'][:2]}")
        if progress:
            progress("import", offset + IMPORT_BATCH)
    times["import_s"] = time.monotonic() - started

    def everywhere():
        done = min(applied(procs, s, COPY_HANDLER) - base[s] for s in COPIES)
        if progress:
            progress("roster copies", done)
        return done >= len(cadre_ids)

    wait_until(everywhere, timeout, f"{len(cadre_ids)} cadres copied to every service", interval=0.5)
    times["roster_propagated_s"] = time.monotonic() - started
    mine = of_roster(units)
    for service in COPIES:
        copied = count(stack, procs, service, "cadres", mine)
        if copied < len(cadre_ids):
            raise BenchError(f"{service} counted every cadre_registered applied but holds {copied} "
                             f"of {len(cadre_ids)} cadres")
    return times


def of_roster(units: dict[str, list[str]], field: str = "_id") -> dict:
    """A filter for this roster's cadres, or by ``field`` for documents about them (a shared suite holds
    other benchmarks' too)."""
    tag = next(iter(units)).split("-")[0][1:]
    return {field: {"$regex": f"^C{tag}-"}}


def grades_for(cadre_ids: list[str]) -> list[tuple[str, str]]:
    """The unit's quota of EXCELLENT (A-1: floor of participants x 15 %), the rest COMPETENT."""
    quota = math.floor(len(cadre_ids) * EXCELLENT_RATIO)
    return [(c, "EXCELLENT" if i < quota else "COMPETENT") for i, c in enumerate(cadre_ids)]


def open_cycles(api: Api, units, year: int) -> dict[str, str]:
    def open_one(unit_id):
        return unit_id, api.call("POST", "/appraisal/cycles", {"unit_id": unit_id, "year": year,
                                                               "kind": "ANNUAL"},
                                 wait_codes=("UNIT_NOT_FOUND",))["cycle_id"]
    return dict(pool_map(open_one, list(units)))


# 1. choreography

def choreography_setup(stack: PrivateStack, events: int, per_unit: int, shared=None):
    procs, api = shared or start_suite(stack, "choreography")
    units = roster(uuid.uuid4().hex[:5], events, min(per_unit, events))
    with stopped_on_error(stack, procs, shared):
        seed_roster(stack, procs, api, units, timeout=max(300, events / 5))
    return procs, api, units


def choreography_run(stack: PrivateStack, procs: Processes, api: Api, units, year: int,
                     rate: float | None = None) -> dict:
    """Every unit's cycle for ``year``, its grades written straight into appraisal's store (the grading
    path is the season's figure), then every cycle finalized through the gateway: all at once, 10 at a
    time (``rate`` None, a burst), or open loop at ``rate`` results a second -- cycle k is sent at
    k x cycle size / ``rate`` seconds whether or not the ones before were answered -- which is what a lag
    "at that rate" means: a burst's lag is how long its queue takes to drain.

    Applied = counted by talent itself: its ``cadre_entrypoint_calls_total`` for ``on_result_finalized``
    with outcome ok, read from its /metrics every ``APPLIED_SAMPLE_S`` -- no store query while
    results flow (polling the store cost a FerretDB scan per poll, load on the very cores being
    measured). The k-th result
    applied is matched with the k-th finalized (results in order of their cycle's ``finalized_at``),
    so a lag is exact to the sample interval, and never under it, where talent takes results in the
    order they were finalized, and an approximation where it does not. At the end one query checks
    that talent holds every cadre's result for the year."""
    cycles = open_cycles(api, units, year)
    now = datetime.now(UTC)
    cycle_docs = stack.database(procs, "appraisal")["cycles"]
    for unit_id, cycle_id in cycles.items():
        results = [{"cadre_id": c, "grade": g, "recorded_at": now, "in_quota": True, "comment": None}
                   for c, g in grades_for(units[unit_id])]
        cycle_docs.update_one({"_id": cycle_id}, {"$set": {"results": results}, "$inc": {"version": 1}})
    cadre_ids = [c for cs in units.values() for c in cs]

    def applied_count() -> int:
        return int(procs.metric("talent", "cadre_entrypoint_calls_total",
                                method=RESULT_HANDLER, outcome="ok"))

    window = stack.cpu_window(procs)  # the finalizes and what follows them, not the cycles' set-up
    base = applied_count()
    samples: list[tuple[float, int]] = []
    finalized_at: list[float] = []

    def sampler():
        while not samples or samples[-1][1] < len(cadre_ids):
            applied = applied_count() - base
            samples.append((time.time(), applied))  # timed once read: a result is never dated early
            eventlet.sleep(APPLIED_SAMPLE_S)

    def finalize(item):
        unit_id, cycle_id = item
        answer = api.call("POST", f"/appraisal/cycles/{cycle_id}/finalize", timeout=30)
        finalized_at.extend([datetime.fromisoformat(answer["finalized_at"]).timestamp()]
                            * len(units[unit_id]))

    watcher = eventlet.spawn(sampler)
    started = time.time()
    if rate is None:
        pool_map(finalize, list(cycles.items()))
    else:
        sends, due = [], started
        for item in cycles.items():
            eventlet.sleep(max(0.0, due - time.time()))
            sends.append(eventlet.spawn(finalize, item))
            due += len(units[item[0]]) / rate
        for send in sends:
            send.wait()
    finalized = time.time()
    with eventlet.Timeout(max(120, len(cadre_ids) / 10), BenchError("results not applied in talent")):
        watcher.wait()
    cpu = window.close(len(cadre_ids), "result applied")
    kept = stack.database(procs, "talent")["results"].count_documents(
        {**of_roster(units, "cadre_id"), "year": year})
    if kept < len(cadre_ids):
        raise BenchError(f"talent counted {len(cadre_ids)} results applied but holds {kept}")
    applied_at = [next(t for t, n in samples if n >= k) for k in range(1, len(cadre_ids) + 1)]
    lags = [a - f for a, f in zip(applied_at, sorted(finalized_at), strict=True)]
    seconds = applied_at[-1] - started
    # the rate the results were finalized at: what a paced run was offered, as appraisal stamped it
    spread = max(finalized_at) - min(finalized_at)
    first_cycle = len(next(iter(units.values())))
    return {"events": len(cadre_ids), "cycles": len(cycles), "seconds": seconds,
            "events_per_s": len(cadre_ids) / seconds, "finalize_calls_s": finalized - started,
            "offered_per_s": rate, "cpu": cpu,
            "finalized_per_s": (len(cadre_ids) - first_cycle) / spread if spread > 0 else None,
            "lag_p50_ms": percentile(lags, 50) * 1000,
            "lag_p99_ms": percentile(lags, 99) * 1000, "lag_max_ms": max(lags) * 1000,
            "sample_ms": APPLIED_SAMPLE_S * 1000, "samples": len(samples), "applied": samples[-1][1]}


# 2. gateway under load

def gateway_setup(stack: PrivateStack, roster_size: int, shared=None):
    procs, api = shared or start_suite(stack, "gateway")
    units = roster(uuid.uuid4().hex[:5], roster_size, min(100, roster_size))
    with stopped_on_error(stack, procs, shared):
        seed_roster(stack, procs, api, units, timeout=max(300, roster_size / 5))
    return procs, api, units


@contextmanager
def peer_server(stack: PrivateStack, procs: Processes):
    """The peer baseline for reads (bench/peer.py) on talent's database of ``procs``: (its URL, its pid)."""
    address = f"127.0.0.1:{free_port()}"
    spec = {"address": address, "mongo_uri": stack.store.uri, "secret": stack.secret,
            "database": f"{procs.env['MONGODB_DATABASE_PREFIX']}talent"}
    log = (procs.log_dir / "peer.log").open("ab")
    server = subprocess.Popen([sys.executable, "-m", "bench.peer", json.dumps(spec)], cwd=ROOT, stdout=log,
                              stderr=subprocess.STDOUT, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    url = f"http://{address}"

    def answers() -> bool:
        if server.poll() is not None:
            raise BenchError(f"the peer server exited: {(procs.log_dir / 'peer.log').read_text()[-2000:]}")
        try:
            return requests.get(f"{url}/cadres/none", timeout=2).status_code == 401
        except requests.RequestException:
            return False

    try:
        wait_until(answers, 30, "the peer server")
        yield url, server.pid
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def gateway_run(stack: PrivateStack, procs: Processes, units, kind: str, clients: int, seconds: float,
                warmup: float, queues: list[str], peer: tuple[str, int] | None = None) -> dict:
    """``clients`` split over two load processes (bench/load.py). CPU per request sent, warm-up included;
    after writes the consumers of ``queues`` catch up (their copies are the write's cost too) before the
    next run is timed. ``peer``: the peer baseline's (URL, pid), loaded in place of the gateway."""
    window = stack.cpu_window(procs, {peer[1]: "peer"} if peer else None)
    cadre_ids = [c for cs in units.values() for c in cs]
    halves = [clients // 2, clients - clients // 2]
    spec = {"base": peer[0] if peer else procs.gateway, "seconds": seconds, "warmup": warmup,
            "kind": kind, "cadres": cadre_ids, "unit": next(iter(units))}
    # each client an officer of their own: the gateway limits the requests one user has in flight
    tokens = [stack.token("ORG_ADMIN", sub=f"bench-{i}") for i in range(clients)]
    loaders = [subprocess.Popen([sys.executable, "-m", "bench.load", json.dumps(
                   {**spec, "clients": n, "tokens": tokens[:n] if k == 0 else tokens[halves[0]:]})],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for k, n in enumerate(halves) if n]
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    sent = 0
    for loader in loaders:
        out, err = loader.communicate(timeout=seconds + warmup + 120)
        if loader.returncode:
            raise BenchError(f"load generator failed: {err[-2000:]}")
        result = json.loads(out.strip().splitlines()[-1])
        latencies += result["latencies"]
        sent += result["sent"]
        for status, n in result["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    caught_up, wait_s = time.monotonic(), max(120, seconds * 20)
    if kind == "write":
        stack.wait_none_ready(queues, wait_s)
    cpu = window.close(sent, "request sent")
    if kind == "write":
        stack.wait_queues_empty(wait_s)  # and acked, outside the window (rabbitmqctl)
    expected = "200" if kind == "read" else "201"
    return {"kind": kind, "clients": clients, "requests": len(latencies), "sent": sent, "statuses": statuses,
            "ok": statuses.get(expected, 0), "requests_per_s": statuses.get(expected, 0) / seconds,
            "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000,
            "caught_up_s": time.monotonic() - caught_up if kind == "write" else None, "cpu": cpu}


# 3. a whole season

def season_run(stack: PrivateStack, cadres: int, per_unit: int, deadline_s: float, log=print,
               shared=None) -> dict:
    """Units, roster import, every consumer's copy, one annual cycle per unit opened, every cadre graded,
    every cycle finalized, every result applied in talent and every outbox empty. Stops at the deadline
    and says how far it got."""
    procs, api = shared or start_suite(stack, f"season-{cadres}", console=True)
    units = roster(uuid.uuid4().hex[:5], cadres, min(per_unit, cadres))
    state = {"phase": "units", "done": 0}
    timer = eventlet.Timeout(deadline_s, BenchError("deadline"))
    started = time.monotonic()
    times: dict[str, float] = {}
    # the season is CPU-bound on a small machine: what each process spent on it says where it goes
    season_cpu, roster_cpu = stack.cpu_window(procs), stack.cpu_window(procs)

    def progress(phase, done):
        state.update(phase=phase, done=done)

    try:
        times.update(seed_roster(stack, procs, api, units, timeout=deadline_s, progress=progress))
        cpu = {"roster": roster_cpu.close(cadres, "cadre")}
        mark = time.monotonic()
        progress("open cycles", 0)
        cycles = open_cycles(api, units, 2025)
        times["open_s"] = time.monotonic() - mark
        mark = time.monotonic()
        progress("grades", 0)

        def grade_unit(unit_id):  # a unit's grades in one call, as an officer's upload sends them
            grades = [{"cadre_id": cadre_id, "grade": grade}
                      for cadre_id, grade in grades_for(units[unit_id])]
            api.call("POST", f"/appraisal/cycles/{cycles[unit_id]}/grades/batch", {"grades": grades},
                     wait_codes=("CADRE_NOT_FOUND",))
            state["done"] += len(grades)

        pool_map(grade_unit, list(units))
        times["grades_s"] = time.monotonic() - mark
        mark = time.monotonic()
        progress("finalize", 0)
        results_base = applied(procs, "talent", RESULT_HANDLER)
        pool_map(lambda c: api.call("POST", f"/appraisal/cycles/{c}/finalize"), list(cycles.values()))
        times["finalize_s"] = time.monotonic() - mark
        progress("results applied", 0)

        def all_applied():
            done = applied(procs, "talent", RESULT_HANDLER) - results_base
            progress("results applied", done)
            return done >= cadres and backlog(procs) == 0

        wait_until(all_applied, deadline_s, "every result applied", interval=0.5)
        times["applied_s"] = time.monotonic() - mark
        cpu["season"] = season_cpu.close(cadres, "cadre")
        kept = count(stack, procs, "talent", "results", of_roster(units, "cadre_id"))
        if kept < cadres:
            raise BenchError(f"talent counted every result applied but holds {kept} results")
        wall = time.monotonic() - started
        progress("work lists", 0)
        work = work_lists(stack, procs, units)
        work_by_service = work.pop("mean_ms_by_service")
        progress("download", 0)
        download = whole_download(stack, procs, cadres)
        progress("desk", 0)
        desk = desk_interactive(procs)
        return {"cadres": cadres, "units": len(units), "finished": True, "wall_s": wall,
                "per_cadre_ms": 1000 * wall / cadres, **times, "work": work,
                "work_by_service": work_by_service, "download": download, "desk": desk, "cpu": cpu}
    except BenchError as exc:
        wall = time.monotonic() - started
        log(f"season {cadres}: stopped in phase {state['phase']} ({state['done']} done): {exc}")
        return {"cadres": cadres, "units": len(units), "finished": False, "wall_s": wall,
                "stopped_in": state["phase"], "done_in_phase": state["done"], "reason": str(exc), **times}
    finally:
        timer.cancel()
        if not shared:
            stop_suite(stack, procs)


WORK_REQUESTS = 30


def work_lists(stack: PrivateStack, procs: Processes, units: dict[str, list[str]],
               requests_each: int = WORK_REQUESTS) -> dict:
    """With the season's data loaded: each role's GET /work, one request at a time, and beside them a
    gateway read (GET /cadres/<id>), the same way; latencies in ms (the season's wall time excludes
    this)."""
    unit_id = next(iter(units))
    cadre_id = units[unit_id][0]
    claims = {"UNIT_ADMIN": {"unit_id": unit_id}, "CADRE": {"cadre_id": cadre_id}}
    session = requests.Session()
    found: dict[str, list[float]] = {}

    def timed(name: str, path: str, token: str) -> None:
        for _ in range(requests_each):
            started = time.monotonic()
            response = session.get(procs.gateway + path, headers={"Authorization": f"Bearer {token}"},
                                   timeout=60)
            elapsed = time.monotonic() - started
            if response.status_code != 200:
                raise BenchError(f"GET {path} as {name}: {response.status_code} {response.text[:300]}")
            found.setdefault(name, []).append(elapsed * 1000)

    timed("read", f"/cadres/{cadre_id}", stack.token("ORG_ADMIN", sub="bench-read"))
    by_service = {}
    for role in WORK_ROLES:
        before = _work_list_seconds(procs)
        timed(role, "/work", stack.token(role, sub=f"bench-{role.lower()}", **claims.get(role, {})))
        after = _work_list_seconds(procs)
        # each service's own time in its work_list (its metrics): which one the list waits for
        by_service[role] = {service: 1000 * (after[service][0] - before[service][0])
                            / max(1, after[service][1] - before[service][1]) for service in SERVICES}
    return {**{name: {"p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95)}
               for name, ms in found.items()}, "mean_ms_by_service": by_service}


def _work_list_seconds(procs: Processes) -> dict[str, tuple[float, float]]:
    return {service: (procs.metric(service, "cadre_entrypoint_duration_seconds_sum", method="work_list"),
                      procs.metric(service, "cadre_entrypoint_duration_seconds_count", method="work_list"))
            for service in SERVICES}


DESK_USERS = {"bench-org": {"name": "基准组织", "roles": ["ORG_ADMIN"]}}
DESK_RUNS = 5


def desk_interactive(procs: Processes, runs: int = DESK_RUNS) -> dict | None:
    """With the season's data loaded: an officer of the department opens the console in Chromium and
    waits for the desk (console/e2e/desk_timing.py, in a process of its own); milliseconds from the
    navigation to the work list on screen, sign-in through the provider included. None when the suite
    runs without the provider (a shared suite started by another benchmark)."""
    console = getattr(procs, "console", None)
    if console is None:
        return None
    answer = subprocess.run(
        [sys.executable, "-m", "console.e2e.desk_timing", "--gateway", procs.gateway,
         "--user", console["user"], "--runs", str(runs)],
        cwd=ROOT, env={**procs.env, "DESK_PASSWORD": console["password"]}, capture_output=True,
        text=True, timeout=300)
    if answer.returncode != 0:
        raise BenchError(f"the desk's timing failed: {answer.stderr[-2000:]}")
    timing = json.loads(answer.stdout)
    return {"runs": runs, "p50_ms": percentile(timing["interactive_ms"], 50),
            "max_ms": max(timing["interactive_ms"]),
            "work_p50_ms": percentile(timing["work_ms"], 50) if timing["work_ms"] else None}


DOWNLOAD = "/care/leave/untaken/2025?format=xlsx"  # every cadre of the department: leave untaken


def whole_download(stack: PrivateStack, procs: Processes, cadres: int) -> dict:
    """With the season's data loaded: the department's untaken-leave report (a row for every cadre)
    downloaded as .xlsx, with its wall time, its rows (read back with openpyxl) and the gateway's
    largest resident memory while it made the file (the kernel's high-water mark, reset just
    before: /proc/<pid>/clear_refs)."""
    from openpyxl import load_workbook

    pid = procs.pid("gateway")
    before = _memory_mb(pid, "VmRSS")
    with open(f"/proc/{pid}/clear_refs", "w") as reset:
        reset.write("5")
    started = time.monotonic()
    response = requests.get(procs.gateway + DOWNLOAD, timeout=900, headers={
        "Authorization": f"Bearer {stack.token('CARE_OFFICER', sub='bench-download')}"})
    wall = time.monotonic() - started
    peak = _memory_mb(pid, "VmHWM")
    if response.status_code != 200:
        raise BenchError(f"GET {DOWNLOAD}: {response.status_code} {response.text[:300]}")
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    rows = sum(1 for _ in sheet.iter_rows(min_row=2, values_only=True))
    if rows < cadres:
        raise BenchError(f"GET {DOWNLOAD}: {rows} rows for {cadres} cadres")
    return {"rows": rows, "wall_s": wall, "bytes": len(response.content),
            "gateway_before_mb": before, "gateway_peak_mb": peak}


def _memory_mb(pid: int, field: str) -> float:
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024  # kB


# 4. horizontal scaling

def horizontal_declare(stack: PrivateStack) -> None:
    """Tolerance started once, so that its durable queue and bindings exist; then stopped."""
    try:
        stack.queue_depth(TOLERANCE_QUEUE)
        return  # declared by an earlier suite on this broker
    except Exception:
        pass
    procs = stack.processes("horizontal-declare")
    procs.start("tolerance")
    procs.wait_ready("tolerance")
    procs.stop()


def horizontal_run(stack: PrivateStack, instances: int, events: int) -> dict:
    """Tolerance's queue of talent.cadre_registered pre-loaded with ``events`` (its process stopped), then
    ``instances`` processes started on it. Rate over the middle 80 % of the drain (process start-up is
    not counted); drain time from the first applied event to the last."""
    from bench.baselines import publish_batched
    from tests.faults.stream import cadre_events

    procs = stack.processes(f"horizontal-{instances}")
    with Connection(stack.amqp_uri) as conn:
        conn.channel().queue_purge(TOLERANCE_QUEUE)
    bodies = [json.dumps(e, default=str) for e in cadre_events(events, uuid.uuid4().hex[:6])]
    # as talent, whose events these are
    publish_batched(stack.broker.uris["talent"], TOLERANCE_QUEUE, bodies, batch=500)
    loaded = stack.queue_depth(TOLERANCE_QUEUE)
    if loaded != events:
        raise BenchError(f"tolerance's queue holds {loaded} of {events}")
    names = ["tolerance"] + [f"tolerance#{i}" for i in range(2, instances + 1)]
    cadres = stack.database(procs, "tolerance")["cadres"]
    samples: list[tuple[float, int]] = []
    try:
        procs.start(*names)
        procs.wait_ready(*names)
        window = stack.cpu_window(procs)  # once started: the start-up's imports are not the drain's cost
        at_window = sum(applied(procs, n, COPY_HANDLER) for n in names)

        def drained():  # the instances' own counts (see applied), the store checked at the end
            samples.append((time.monotonic(), sum(applied(procs, n, COPY_HANDLER) for n in names)))
            return samples[-1][1] >= events

        wait_until(drained, max(120, events / 20), f"{events} events applied by {instances} tolerance",
                   interval=0.2)
        cpu = window.close(samples[-1][1] - at_window, "event applied")
        if cadres.count_documents({}) < events:
            raise BenchError(f"tolerance counted {events} applied but holds {cadres.count_documents({})}")
    finally:
        procs.stop()
        stack.purge_queues()

    def first_at(fraction):
        return next(t for t, n in samples if n >= fraction * events)

    t10, t90 = first_at(0.1), first_at(0.9)
    middle = (0.9 - 0.1) * events / (t90 - t10) if t90 > t10 else events / max(1e-9, first_at(1.0) - t10)
    started = next((t for t, n in samples if n > 0), samples[-1][0])
    return {"instances": instances, "events": events, "events_per_s": middle,
            "drain_s": first_at(1.0) - started, "applied": samples[-1][1], "cpu": cpu}
