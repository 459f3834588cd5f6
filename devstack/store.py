"""The MongoDB-compatible store: mongod where installed, else FerretDB (the launcher built from
deploy/local/ferretdb/) keeping its data in a PostgreSQL cluster of the stack's own (ADR 0013): FerretDB
finds documents by _id with an index there, where its SQLite backend reads the whole collection for every
operation. The stack's store listens on 27017 (database ``ferretdb``); a harness's private store on a free
port, with a database of its own in the same cluster."""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlparse

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from devstack.common import (
    ROOT,
    STATE,
    StackError,
    free_port,
    kill_group,
    kill_pid,
    log_tail,
    our_pid,
    say,
    spawn,
    tcp_open,
    timeout,
    wait_until,
)
from devstack.tools import BIN, apt_install, find_go

FERRETDB_SRC = ROOT / "deploy" / "local" / "ferretdb"
FERRETDB = BIN / "ferretdb-launcher"
INDEXES_SQL = ROOT / "deploy" / "local" / "ferretdb-indexes.sql"


def build_ferretdb() -> Path:
    """The FerretDB launcher, built again when its sources are newer; to a temporary name first, so an
    interrupted build never leaves a half-written binary."""
    sources = [FERRETDB_SRC / name for name in ("main.go", "go.mod", "go.sum")]
    if FERRETDB.exists() and all(s.stat().st_mtime <= FERRETDB.stat().st_mtime for s in sources):
        return FERRETDB
    go = find_go()
    if go is None:
        raise StackError("store: no mongod and no Go toolchain to build FerretDB")
    BIN.mkdir(parents=True, exist_ok=True)
    log = STATE / "ferretdb" / "build.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    say("building FerretDB launcher (a cold build downloads Go modules and takes ~3 min)")
    with log.open("w") as out:
        built = subprocess.run([go, "build", "-o", f"{FERRETDB}.tmp", "."], cwd=FERRETDB_SRC, stdout=out,
                               stderr=subprocess.STDOUT)
    if built.returncode != 0:
        raise StackError(f"store: cannot build FerretDB launcher in {FERRETDB_SRC}\n{log_tail(log)}")
    os.replace(f"{FERRETDB}.tmp", FERRETDB)
    return FERRETDB


class Postgres:
    """The stack's PostgreSQL cluster, under FerretDB. It refuses to run as root: as root, its files and
    process belong to user postgres, and the cluster lives under /var/tmp when that user cannot reach
    the checkout (a checkout under a private home)."""

    def __init__(self):
        self.port = int(os.environ.get("STACK_PG_PORT", "54329"))
        self.root = os.geteuid() == 0
        self.user = "postgres" if self.root else os.environ.get("USER") or _login()
        self.dir = STATE / "postgres"
        fallback = Path(f"/var/tmp/cadre-postgres-{hashlib.md5(str(STATE).encode()).hexdigest()[:10]}")
        if self.root and not (self.dir / "data" / "PG_VERSION").exists() and (
                (fallback / "data").exists() or not self._reachable_by_postgres()):
            self.dir = fallback

    def _reachable_by_postgres(self) -> bool:
        STATE.mkdir(parents=True, exist_ok=True)
        return subprocess.run(["runuser", "-u", "postgres", "--", "test", "-x", str(STATE)],
                              capture_output=True).returncode == 0

    @property
    def url(self) -> str:
        """The server's URL without a database (a harness adds its own)."""
        return f"postgres://{self.user}@127.0.0.1:{self.port}/"

    def ready(self) -> bool:
        return tcp_open("127.0.0.1", self.port)

    def bin(self) -> Path | None:
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True) \
            if shutil.which("pg_config") else None
        candidates = ([found.stdout.strip()] if found and found.returncode == 0 else []) + sorted(
            glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(Path(d).parent.name)
            if Path(d).parent.name.isdigit() else 0, reverse=True)
        return next((Path(d) for d in candidates if d and (Path(d) / "pg_ctl").exists()
                     and (Path(d) / "initdb").exists()), None)

    def _as_pg(self, *command: str, **kwargs) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if self.root else []
        return subprocess.run([*prefix, *command], **kwargs)

    def start(self) -> None:
        """The cluster running (created once), with FerretDB's database."""
        bin_dir = self.bin()
        if bin_dir is None:
            apt_install("PostgreSQL", "postgresql")
            bin_dir = self.bin()
            if bin_dir is None:
                raise StackError("PostgreSQL: no pg_ctl after install")
        if not self.ready():
            if self.dir != STATE / "postgres":
                say(f"PostgreSQL: {STATE} is not reachable by user postgres; the cluster lives in {self.dir}")
            self.dir.mkdir(parents=True, exist_ok=True)
            if self.root:
                shutil.chown(self.dir, "postgres", "postgres")
            data = self.dir / "data"
            if not (data / "PG_VERSION").exists():
                say("PostgreSQL: creating the cluster in .stack/postgres (one-time)")
                # trust on loopback only: the server listens on 127.0.0.1 and its own socket directory
                with (self.dir / "initdb.log").open("w") as out:
                    if self._as_pg(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", self.user,
                                   "-E", "UTF8", stdout=out, stderr=subprocess.STDOUT).returncode != 0:
                        raise StackError(f"PostgreSQL: initdb failed\n{log_tail(self.dir / 'initdb.log')}")
            say(f"starting PostgreSQL on 127.0.0.1:{self.port} (data in .stack/postgres/data)")
            # synchronous_commit=off: a local convenience (a server crash may lose the last few ms of
            # commits, a FerretDB or service crash loses nothing); production runs MongoDB (docs/deploy.md)
            options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                       "-c synchronous_commit=off -c max_connections=300")
            with (self.dir / "pg_ctl.out").open("w") as out:
                started = self._as_pg(
                    str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(self.dir / "postgres.log"), "-w",
                    "-t", str(int(timeout())), "-o", options, "start", stdout=out, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL, env={**os.environ, "STACK_OWNER": str(STATE)},
                    start_new_session=True)
            if started.returncode != 0:
                raise StackError(f"PostgreSQL did not start\n{log_tail(self.dir / 'postgres.log')}")
        self.database("ferretdb")

    def psql(self, *args: str, database: str = "postgres", stdin=None) -> subprocess.CompletedProcess:
        """psql as the cluster's owner over loopback (trust): no switch of user needed, and the script comes
        on stdin, since user postgres may not reach the checkout."""
        return subprocess.run([str((self.bin() or Path("/usr/bin")) / "psql"), "-h", "127.0.0.1", "-p",
                               str(self.port), "-U", self.user, "-d", database, "-v", "ON_ERROR_STOP=1",
                               "-qAt", *args], stdin=stdin, capture_output=True, text=True, timeout=120)

    def database(self, name: str) -> str:
        """Database ``name`` (created when missing) with the indexes FerretDB's queries can use (ADR 0015);
        idempotent. Its URL."""
        exists = self.psql("-c", f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
        if exists.returncode != 0:
            raise StackError(f"PostgreSQL: {exists.stderr.strip()}")
        if exists.stdout.strip() != "1":
            created = self.psql("-c", f'CREATE DATABASE "{name}"')
            if created.returncode != 0:
                raise StackError(f"PostgreSQL: cannot create database {name}: {created.stderr.strip()}")
        with INDEXES_SQL.open() as script:
            indexed = self.psql(database=name, stdin=script)
        if indexed.returncode != 0:
            raise StackError(f"PostgreSQL: cannot install {INDEXES_SQL.relative_to(ROOT)}: "
                             f"{indexed.stderr.strip()}")
        return f"{self.url}{name}"

    def drop(self, name: str) -> None:
        self.psql("-c", f'DROP DATABASE IF EXISTS "{name}"')

    def version(self) -> str:
        return self.psql("-c", "SHOW server_version").stdout.strip() or "?"

    def stop(self) -> None:
        data = self.dir / "data"
        bin_dir = self.bin()
        if not (data / "postmaster.pid").exists() or bin_dir is None:
            return
        say("stopping PostgreSQL")
        self._as_pg(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop",
                    capture_output=True)


def _login() -> str:
    import pwd
    return pwd.getpwuid(os.getuid()).pw_name


class Store:
    """FerretDB (on a PostgreSQL database) or mongod, on ``port``, with its files in ``base``."""

    def __init__(self, base: Path, port: int, postgres_url: str | None):
        self.base, self.port, self.postgres = base, port, postgres_url
        self.proc = None
        self.kind = "FerretDB" if postgres_url or not shutil.which("mongod") else "mongod"
        self.pidfile = base / "pid"
        self.log = base / ("ferretdb.log" if self.kind == "FerretDB" else "mongod.log")

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    def command(self) -> list[str]:
        address = f"127.0.0.1:{self.port}"
        if self.kind == "FerretDB":
            backend = (["-postgresql-url", self.postgres] if self.postgres
                       else ["-data", str(self.base / "data")])
            return [str(build_ferretdb()), "-listen", address, *backend, "-log-level", "warn"]
        (self.base / "data").mkdir(exist_ok=True)
        return ["mongod", "--dbpath", str(self.base / "data"), "--bind_ip", "127.0.0.1", "--port",
                str(self.port)]

    def start(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        self.proc = spawn(self.command(), self.log, pidfile=self.pidfile)

        def up() -> bool:
            if self.proc.poll() is not None:
                raise StackError(f"store ({self.kind}): the server process exited during start-up\n"
                                 f"{log_tail(self.log)}")
            return self.answers()
        wait_until(up, timeout(), f"the store ({self.kind}; STACK_TIMEOUT raises the limit)",
                   explain=lambda: log_tail(self.log))

    def answers(self) -> bool:
        client = MongoClient(self.uri, serverSelectionTimeoutMS=500)
        try:
            client.admin.command("ping")
            return True
        except PyMongoError:
            return False
        finally:
            client.close()

    def pid(self) -> int | None:
        return our_pid(self.pidfile)

    def stop(self) -> None:
        if self.proc is not None:
            kill_group(self.proc)
            self.proc = None
        elif (pid := self.pid()) is not None:
            say(f"stopping store (pid {pid})")
            kill_pid(pid)
        self.pidfile.unlink(missing_ok=True)

    def client(self) -> MongoClient:
        return MongoClient(self.uri, tz_aware=True)


class PrivateStore(Store):
    """A harness's own store (the fault suite, the benchmarks) on a free port: FerretDB on a database of
    its own in the stack's PostgreSQL (STACK_POSTGRESQL_URL in .stack/env), or mongod when installed;
    the database is dropped after the last stop."""

    def __init__(self, base: Path):
        server = os.environ.get("STACK_POSTGRESQL_URL", "")
        self.database_name = f"faults_{uuid.uuid4().hex[:8]}"
        self.cluster = _cluster_at(server) if server else None
        super().__init__(base, free_port(),
                         self.cluster.database(self.database_name) if self.cluster else None)

    def drop(self) -> None:
        if self.cluster is not None:
            self.cluster.drop(self.database_name)


def _cluster_at(server_url: str) -> Postgres:
    cluster = Postgres()
    parts = urlparse(server_url)
    cluster.port, cluster.user = parts.port or cluster.port, parts.username or cluster.user
    return cluster


def local_store() -> Store:
    """The stack's store on 27017: FerretDB's files in .stack/ferretdb, mongod's in .stack/mongo."""
    if shutil.which("mongod"):
        return Store(STATE / "mongo", 27017, None)
    return Store(STATE / "ferretdb", 27017, f"{Postgres().url}ferretdb")
