#!/usr/bin/env bash
# Local servers for the tests and the run command: RabbitMQ (with the management API)
# and a MongoDB-compatible store (mongod if installed, else FerretDB built from
# deploy/local/ferretdb/ on a PostgreSQL of its own, ADR 0013). All state lives in $ROOT/.stack/.
#
#   deploy/local/stack.sh up       start what is missing, wait until it answers, write .stack/env
#   deploy/local/stack.sh down     stop what this checkout's .stack/ says it started
#   deploy/local/stack.sh down-started   stop only what the last `up` had to start
#   deploy/local/stack.sh status   one line per piece; exit 0 when both are reachable
#   deploy/local/stack.sh env      print .stack/env (AMQP_URI, RABBIT_API_URI, MONGODB_URI)
#
# Environment: AMQP_URI / RABBIT_API_URI / MONGODB_URI point at external servers (nothing
# is started for them); STACK_TIMEOUT is the start-up wait in seconds (default 90).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$SCRIPT_DIR/../.." && pwd -P)
STATE=$ROOT/.stack
ENV_FILE=$STATE/env
TIMEOUT=${STACK_TIMEOUT:-90}

RMQ_BIN=/usr/lib/rabbitmq/bin
RMQ_NODE=rabbit@localhost
RMQ_DIR=$STATE/rabbitmq
RMQ_PID=$RMQ_DIR/pid
RMQ_OUT=$RMQ_DIR/server.out
RMQ_LOG=$RMQ_DIR/log/$RMQ_NODE.log

# FerretDB keeps its data in PostgreSQL: it finds documents by _id with an index there, where
# its SQLite backend reads the whole collection for every operation (ADR 0013)
PG_DIR=$STATE/postgres
PG_PORT=${STACK_PG_PORT:-54329}
FDB_SRC=$SCRIPT_DIR/ferretdb
FDB_BIN=$STATE/bin/ferretdb-launcher
FDB_DIR=$STATE/ferretdb
MONGO_DIR=$STATE/mongo
# The store is FerretDB or mongod; whichever this checkout started keeps its pid file here.
STORE_PIDS=("$FDB_DIR/pid" "$MONGO_DIR/pid")

# Our node has no guest: an administrator of its own (user:password, generated once, owner-only) for
# the tests and the operator, and one user per process (deploy/local/suite.sh, identities.py)
RMQ_ADMIN_FILE=$STATE/rabbitmq-admin
RMQ_ADMIN=cadre-admin
admin_userinfo() {
  if [[ -f $RMQ_ADMIN_FILE ]]; then cat "$RMQ_ADMIN_FILE"; else printf 'guest:guest\n'; fi
}
DEFAULT_AMQP_URI=amqp://guest:guest@localhost:5672/
DEFAULT_API_URI=http://guest:guest@localhost:15672
DEFAULT_MONGODB_URI=mongodb://localhost:27017/

# go and the Erlang cookie both need a home directory.
export HOME="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"

say() { printf 'stack: %s\n' "$*"; }
warn() { printf 'stack: %s\n' "$*" >&2; }
die() {
  warn "$*"
  exit 1
}

# Last lines of a log on stderr, so a failure explains itself.
show_log() {
  local file=$1
  if [[ -s $file ]]; then
    warn "last 20 lines of $file:"
    tail -n 20 "$file" | sed 's/^/    /' >&2
  else
    warn "(no output in $file)"
  fi
}

# ---------------------------------------------------------------- URIs

# host and port of the first host in a URI, "host port" (IPv6 brackets removed).
uri_host_port() {
  local uri=$1 default_port=$2 rest hostport host port
  rest=${uri#*://}
  [[ $rest == *@* ]] && rest=${rest##*@}
  hostport=${rest%%[/?]*}
  hostport=${hostport%%,*}
  if [[ $hostport == \[* ]]; then
    host=${hostport%%]*}
    host=${host#[}
    port=${hostport#*]}
    port=${port#:}
  else
    host=${hostport%%:*}
    port=${hostport#"$host"}
    port=${port#:}
  fi
  printf '%s %s\n' "${host:-localhost}" "${port:-$default_port}"
}

# The URI without its password: scheme://user@host... (everything before the last '@' but
# the user name is dropped, so a password containing '@' or '/' cannot leak).
redact_uri() {
  local uri=$1 scheme rest user
  if [[ $uri != *://* || ${uri#*://} != *@* ]]; then
    printf '%s\n' "$uri"
    return
  fi
  scheme=${uri%%://*}
  rest=${uri#*://}
  user=${rest%%[:@]*}
  printf '%s://%s@%s\n' "$scheme" "$user" "${rest##*@}"
}

# http://<user>:<pass>@<host>:15672 from an AMQP URI (guest:guest when it has no user).
api_uri_from_amqp() {
  local uri=$1 rest userinfo=guest:guest host
  rest=${uri#*://}
  if [[ $rest == *@* ]]; then
    userinfo=${rest%@*}
    rest=${rest##*@}
  fi
  host=${rest%%[/?]*}
  if [[ $host == \[* ]]; then host=${host%%]*}]; else host=${host%%:*}; fi
  printf 'http://%s@%s:15672\n' "$userinfo" "${host:-localhost}"
}

# One value from .stack/env, read literally (the file is never sourced).
env_file_value() {
  local key=$1 line
  [[ -f $ENV_FILE ]] || return 0
  while IFS= read -r line; do
    if [[ $line == "$key="* ]]; then
      printf '%s\n' "${line#*=}"
      return 0
    fi
  done <"$ENV_FILE"
}

# ---------------------------------------------------------------- probes

tcp_open() {
  # shellcheck disable=SC2016 # $0/$1 expand in the inner shell
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

# HTTP status of <api uri>/api/overview ("000" when nothing answers). The URL goes through
# curl's stdin config so credentials never show up in `ps`.
api_status() {
  local url=${1%/}/api/overview
  printf 'url = "%s"\n' "$url" |
    curl -s -K - -o /dev/null -w '%{http_code}' --max-time 3 2>/dev/null || true
}

local_rabbit_ready() {
  tcp_open 127.0.0.1 5672 || return 1
  [[ $(api_status "http://$(admin_userinfo)@localhost:15672") == 200 ||
     $(api_status "$DEFAULT_API_URI") == 200 ]]
}

# Our node: an administrator with a generated password, and no guest/guest that any program on the
# machine could log in as. rabbitmqctl talks to the node directly (Erlang cookie), not over AMQP.
secure_rabbit() {
  our_pid "$RMQ_PID" >/dev/null || return 0
  local ctl=("$RMQ_BIN/rabbitmqctl" -n "$RMQ_NODE") password
  if [[ ! -f $RMQ_ADMIN_FILE ]]; then
    password=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
    (umask 077 && printf '%s:%s\n' "$RMQ_ADMIN" "$password" >"$RMQ_ADMIN_FILE")
  fi
  password=$(cut -d: -f2 "$RMQ_ADMIN_FILE")
  if [[ $(api_status "http://$(admin_userinfo)@localhost:15672") != 200 ]]; then
    "${ctl[@]}" add_user "$RMQ_ADMIN" "$password" >/dev/null 2>&1 ||
      "${ctl[@]}" change_password "$RMQ_ADMIN" "$password" >/dev/null
    "${ctl[@]}" set_user_tags "$RMQ_ADMIN" administrator >/dev/null
    "${ctl[@]}" set_permissions -p / "$RMQ_ADMIN" '.*' '.*' '.*' >/dev/null
  fi
  if [[ $(api_status "$DEFAULT_API_URI") == 200 ]]; then
    "${ctl[@]}" delete_user guest >/dev/null 2>&1 || true
    say "RabbitMQ: guest removed; the administrator's password is in .stack/rabbitmq-admin"
  fi
}

local_store_ready() { tcp_open 127.0.0.1 27017; }

# Pid recorded in a pid file, if that process is alive and was started by this checkout
# (we tag every daemon with STACK_OWNER=$STATE, so a recycled pid is never mistaken for ours).
our_pid() {
  local file=$1 pid
  [[ -s $file ]] || return 1
  pid=$(tr -dc '0-9' <"$file")
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
  # grep reads a substitution, not a pipe: under pipefail, grep -q leaving early fails tr with SIGPIPE
  grep -qxF "STACK_OWNER=$STATE" < <(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null) || return 1
  printf '%s\n' "$pid"
}

# ---------------------------------------------------------------- processes

# spawn PIDFILE LOGFILE CMD...: run CMD as a daemon in its own session, detached from this
# shell (stdin/stdout/stderr and the lock fd closed). The inner bash records its own pid and
# execs, so the pid file names the server process (RabbitMQ later rewrites it with the pid of
# its Erlang VM, a child of the rabbitmq-server script).
spawn() {
  local pidfile=$1 logfile=$2
  shift 2
  rm -f "$pidfile"
  # shellcheck disable=SC2016 # $$/$0/$@ expand in the inner shell
  STACK_OWNER=$STATE setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" \
    </dev/null >>"$logfile" 2>&1 9>&- &
  local i
  for ((i = 0; i < 50; i++)); do
    [[ -s $pidfile ]] && return 0
    sleep 0.1
  done
  return 1
}

# wait_ready NAME CHECK PIDFILE SHOW_LOGS: poll CHECK until it passes; if the process dies,
# or after $TIMEOUT seconds, say so, run SHOW_LOGS and fail.
wait_ready() {
  local name=$1 check=$2 pidfile=$3 show_logs=$4 deadline=$((SECONDS + TIMEOUT))
  until "$check"; do
    if ! our_pid "$pidfile" >/dev/null; then
      warn "$name: the server process exited during start-up"
      "$show_logs"
      return 1
    fi
    if ((SECONDS >= deadline)); then
      warn "$name: not answering after ${TIMEOUT}s (STACK_TIMEOUT raises the limit)"
      "$show_logs"
      return 1
    fi
    sleep 1
  done
}

# SIGTERM, up to 10 s grace, then SIGKILL.
kill_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

# ---------------------------------------------------------------- RabbitMQ

SUDO=()

# apt_install WHAT PACKAGE: install a Debian package (one-time), or die saying why not.
apt_install() {
  local what=$1 package=$2 out=$STATE/apt.log
  if ((EUID != 0)); then
    command -v sudo >/dev/null ||
      die "$what: cannot install $package: not root and sudo is not installed"
    SUDO=(sudo)
  fi
  say "installing $package with apt-get (one-time)"
  # Refresh the package lists only when they do not know the package, or when the install
  # fails with stale lists.
  if ! apt-cache show "$package" >/dev/null 2>&1; then
    "${SUDO[@]}" apt-get update >"$out" 2>&1 || true
  fi
  if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "$package" >"$out" 2>&1; then
    "${SUDO[@]}" apt-get update >>"$out" 2>&1 || true
    if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "$package" >>"$out" 2>&1; then
      local reason
      reason=$(grep -E '^(E|W):' "$out" | tail -n 1 || true)
      [[ -n $reason ]] || reason=$(tail -n 1 "$out")
      die "$what: cannot install $package: ${reason:-apt-get failed (see $out)}"
    fi
  fi
}

install_rabbit() {
  apt_install RabbitMQ rabbitmq-server
  local sudo=("${SUDO[@]}")
  [[ -x $RMQ_BIN/rabbitmq-server ]] ||
    die "RabbitMQ: cannot install rabbitmq-server: $RMQ_BIN/rabbitmq-server missing after install"
  # On a systemd machine the package starts its own node on port 5672 (without the management
  # API), which would block ours. We only wanted the binaries, so stop the service we caused.
  if command -v systemctl >/dev/null && systemctl is-active --quiet rabbitmq-server 2>/dev/null; then
    say "stopping and disabling the rabbitmq-server system service the package started (this stack runs its own node)"
    "${sudo[@]}" systemctl disable --now rabbitmq-server >/dev/null 2>&1 || true
  fi
}

start_rabbit() {
  mkdir -p "$RMQ_DIR/mnesia" "$RMQ_DIR/log"
  printf '[rabbitmq_management].\n' >"$RMQ_DIR/enabled_plugins"
  : >"$RMQ_OUT"
  say "starting RabbitMQ (node $RMQ_NODE, state in .stack/rabbitmq)"
  spawn "$RMQ_PID" "$RMQ_OUT" env \
    RABBITMQ_NODENAME="$RMQ_NODE" \
    RABBITMQ_MNESIA_BASE="$RMQ_DIR/mnesia" \
    RABBITMQ_LOG_BASE="$RMQ_DIR/log" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_DIR/enabled_plugins" \
    RABBITMQ_PID_FILE="$RMQ_PID" \
    "$RMQ_BIN/rabbitmq-server" || die "RabbitMQ: could not launch $RMQ_BIN/rabbitmq-server"
  STARTED+=(rabbit)
}

# Boot errors land in the console output before the node's own log file is set up.
rabbit_logs() {
  show_log "$RMQ_OUT"
  [[ -s $RMQ_LOG ]] && show_log "$RMQ_LOG"
  return 0
}
ferretdb_logs() { show_log "$FDB_DIR/ferretdb.log"; }
mongod_logs() { show_log "$MONGO_DIR/mongod.log"; }

wait_rabbit() {
  wait_ready RabbitMQ local_rabbit_ready "$RMQ_PID" rabbit_logs || exit 1
}

up_rabbit() {
  if [[ -n ${AMQP_URI:-} ]]; then
    say "RabbitMQ: using AMQP_URI $(redact_uri "$AMQP_URI") (nothing started)"
    return
  fi
  [[ -x $RMQ_BIN/rabbitmq-server ]] || install_rabbit
  if local_rabbit_ready; then
    say "RabbitMQ already running"
    secure_rabbit
    return
  fi
  if our_pid "$RMQ_PID" >/dev/null; then
    # Our node from an earlier run is alive but not answering yet (still booting).
    say "RabbitMQ: waiting for the node started earlier by this stack"
    wait_rabbit
    secure_rabbit
    return
  fi
  if tcp_open 127.0.0.1 5672; then
    # Another broker may still be loading its management plugin; give it a moment.
    local i
    for ((i = 0; i < 15; i++)); do
      if local_rabbit_ready; then
        say "RabbitMQ already running"
        return
      fi
      sleep 1
    done
    die "RabbitMQ: port 5672 is taken by a server without the management API on 15672" \
      "(a system rabbitmq-server? stop it, or enable rabbitmq_management, or set AMQP_URI)"
  fi
  start_rabbit
  wait_rabbit
  secure_rabbit
}

stop_rabbit() {
  local pid
  pid=$(our_pid "$RMQ_PID") || return 0
  say "stopping RabbitMQ (pid $pid)"
  # rabbitmqctl stop <pidfile> shuts the node down cleanly and waits for the process to exit.
  timeout 60 "$RMQ_BIN/rabbitmqctl" -n "$RMQ_NODE" stop "$RMQ_PID" >/dev/null 2>&1 || true
  kill_pid "$pid"
  rm -f "$RMQ_PID"
}

# ---------------------------------------------------------------- store

find_go() {
  if command -v go >/dev/null; then
    command -v go
  elif [[ -x /usr/local/go/bin/go ]]; then
    printf '%s\n' /usr/local/go/bin/go
  else
    return 1
  fi
}

build_ferretdb() {
  local f stale=0 go
  if [[ -x $FDB_BIN ]]; then
    for f in main.go go.mod go.sum; do
      [[ $FDB_SRC/$f -nt $FDB_BIN ]] && stale=1
    done
    ((stale)) || return 0
  fi
  go=$(find_go) || die "store: no mongod and no Go toolchain to build FerretDB"
  mkdir -p "$STATE/bin" "$FDB_DIR"
  say "building FerretDB launcher (a cold build downloads Go modules and takes ~3 min)"
  # Build to a temporary name so an interrupted build never leaves a half-written binary.
  if ! (cd "$FDB_SRC" && "$go" build -o "$FDB_BIN.tmp" .) >"$FDB_DIR/build.log" 2>&1; then
    warn "store: cannot build FerretDB launcher in $FDB_SRC"
    show_log "$FDB_DIR/build.log"
    exit 1
  fi
  mv -f "$FDB_BIN.tmp" "$FDB_BIN"
}

# ---------------------------------------------------------------- PostgreSQL (under FerretDB)

pg_bin() {
  local dir
  for dir in "$(pg_config --bindir 2>/dev/null)" \
    $(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V -r); do
    [[ -n $dir && -x $dir/pg_ctl && -x $dir/initdb ]] && { printf '%s\n' "$dir"; return 0; }
  done
  return 1
}

# PostgreSQL refuses to run as root: as root, its files and process belong to the postgres user.
as_pg() {
  if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_user() { if ((EUID == 0)); then echo postgres; else id -un; fi; }

pg_url() { printf 'postgres://%s@127.0.0.1:%s/' "$(pg_user)" "$PG_PORT"; }

pg_ready() { tcp_open 127.0.0.1 "$PG_PORT"; }

start_postgres() {
  local bin
  bin=$(pg_bin) || { apt_install PostgreSQL postgresql; bin=$(pg_bin) || die "PostgreSQL: no pg_ctl after install"; }
  if pg_ready; then
    ferretdb_database "$bin"
    return 0
  fi
  # as root the server runs as postgres, which must reach its directory; a checkout under a
  # private home cannot offer that, so the cluster then lives under /var/tmp
  if ((EUID == 0)) && ! runuser -u postgres -- test -x "$STATE"; then
    PG_DIR=/var/tmp/cadre-postgres-$(printf '%s' "$STATE" | md5sum | cut -c1-10)
    say "PostgreSQL: $STATE is not reachable by user postgres; the cluster lives in $PG_DIR"
  fi
  mkdir -p "$PG_DIR"
  ((EUID == 0)) && chown postgres: "$PG_DIR"
  if [[ ! -s $PG_DIR/data/PG_VERSION ]]; then
    say "PostgreSQL: creating the cluster in .stack/postgres (one-time)"
    # trust on loopback only: the server listens on 127.0.0.1 and its own socket directory
    as_pg "$bin/initdb" -D "$PG_DIR/data" -A trust -U "$(pg_user)" -E UTF8 >"$PG_DIR/initdb.log" 2>&1 ||
      { show_log "$PG_DIR/initdb.log"; die "PostgreSQL: initdb failed"; }
  fi
  say "starting PostgreSQL on 127.0.0.1:$PG_PORT (data in .stack/postgres/data)"
  # 9>&- below: the server must not inherit this script's lock, or the next up/down waits for it
  # synchronous_commit=off: a local convenience (a server crash may lose the last few ms of
  # commits, a FerretDB or service crash loses nothing); production runs MongoDB (docs/deploy.md)
  STACK_OWNER=$STATE as_pg "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t "$TIMEOUT" \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c synchronous_commit=off -c max_connections=300" \
    start >"$PG_DIR/pg_ctl.out" 2>&1 9>&- || { show_log "$PG_DIR/postgres.log"; die "PostgreSQL did not start"; }
  ferretdb_database "$bin"
}

# FerretDB's database, with the indexes its queries can use (ADR 0015); idempotent
ferretdb_database() {
  local bin=$1
  as_pg "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'ferretdb'" |
    grep -q 1 || as_pg "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" ferretdb ||
    die "PostgreSQL: cannot create database ferretdb"
  # (read from stdin: as root, user postgres may not reach the checkout)
  as_pg "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -d ferretdb -v ON_ERROR_STOP=1 -q \
    <"$ROOT/deploy/local/ferretdb-indexes.sql" >"$STATE/ferretdb-indexes.log" 2>&1 ||
    { show_log "$STATE/ferretdb-indexes.log"; die "PostgreSQL: cannot install deploy/local/ferretdb-indexes.sql"; }
}

stop_postgres() {
  local bin
  if [[ ! -s $PG_DIR/data/postmaster.pid ]]; then
    PG_DIR=/var/tmp/cadre-postgres-$(printf '%s' "$STATE" | md5sum | cut -c1-10)
  fi
  [[ -s $PG_DIR/data/postmaster.pid ]] || return 0
  bin=$(pg_bin) || return 0
  say "stopping PostgreSQL"
  as_pg "$bin/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
}

start_ferretdb() {
  build_ferretdb
  start_postgres
  mkdir -p "$FDB_DIR"
  say "starting FerretDB on 127.0.0.1:27017 (PostgreSQL database ferretdb)"
  spawn "$FDB_DIR/pid" "$FDB_DIR/ferretdb.log" \
    "$FDB_BIN" -listen 127.0.0.1:27017 -postgresql-url "$(pg_url)ferretdb" -log-level warn ||
    die "store: could not launch $FDB_BIN"
  STARTED+=(store)
  wait_ready "store (FerretDB)" local_store_ready "$FDB_DIR/pid" ferretdb_logs || exit 1
}

start_mongod() {
  mkdir -p "$MONGO_DIR/data"
  say "starting mongod on 127.0.0.1:27017 (data in .stack/mongo/data)"
  # --fork returns once the server accepts connections; the child keeps STACK_OWNER.
  if ! STACK_OWNER=$STATE mongod --dbpath "$MONGO_DIR/data" --bind_ip 127.0.0.1 --port 27017 \
    --fork --logpath "$MONGO_DIR/mongod.log" --pidfilepath "$MONGO_DIR/pid" \
    </dev/null >"$MONGO_DIR/fork.out" 2>&1 9>&-; then
    warn "store: mongod did not start"
    show_log "$MONGO_DIR/fork.out"
    mongod_logs
    exit 1
  fi
  STARTED+=(store)
  wait_ready "store (mongod)" local_store_ready "$MONGO_DIR/pid" mongod_logs || exit 1
}

up_store() {
  if [[ -n ${MONGODB_URI:-} ]]; then
    say "store: using MONGODB_URI $(redact_uri "$MONGODB_URI") (nothing started)"
    return
  fi
  if local_store_ready; then
    say "store already running on 127.0.0.1:27017"
    # the fault suite and the benchmarks start FerretDBs of their own from the launcher
    command -v mongod >/dev/null || build_ferretdb
    return
  fi
  if command -v mongod >/dev/null; then start_mongod; else start_ferretdb; fi
}

stop_store() {
  local file pid
  for file in "${STORE_PIDS[@]}"; do
    pid=$(our_pid "$file") || continue
    say "stopping store (pid $pid)"
    kill_pid "$pid"
    rm -f "$file"
  done
  stop_postgres
}

# ---------------------------------------------------------------- commands

STARTED=()

# If `up` fails half-way, stop what this run started so the next `up` starts clean.
undo_failed_up() {
  local rc=$? piece
  trap - EXIT
  if ((rc != 0 && ${#STARTED[@]} > 0)); then
    warn "stopping what this run started: ${STARTED[*]}"
    for piece in "${STARTED[@]}"; do
      "stop_$piece" >&2 || true
    done
  fi
  exit "$rc"
}

# One `up`/`down` at a time per checkout.
take_lock() {
  mkdir -p "$STATE"
  # keep the state out of git even if the project's .gitignore does not list it
  [[ -f $STATE/.gitignore ]] || printf '*\n' >"$STATE/.gitignore"
  exec 9>"$STATE/lock"
  flock -w 900 9 || die "another stack.sh up/down is still running in this checkout"
}

write_env() {
  local amqp=${AMQP_URI:-amqp://$(admin_userinfo)@localhost:5672/} api
  local mongo=${MONGODB_URI:-$DEFAULT_MONGODB_URI}
  if [[ -n ${RABBIT_API_URI:-} ]]; then
    api=$RABBIT_API_URI
  elif [[ -n ${AMQP_URI:-} ]]; then
    api=$(api_uri_from_amqp "$AMQP_URI")
  else
    api=http://$(admin_userinfo)@localhost:15672
  fi
  # may hold a user-supplied password: readable by the owner only
  (umask 077 && printf 'AMQP_URI=%s\nRABBIT_API_URI=%s\nMONGODB_URI=%s\n' \
    "$amqp" "$api" "$mongo" >"$ENV_FILE.tmp"
    # where a FerretDB of a test's own keeps its data (tests/faults); empty when not ours
    pg_ready && printf 'STACK_POSTGRESQL_URL=%s\n' "$(pg_url)" >>"$ENV_FILE.tmp")
  mv -f "$ENV_FILE.tmp" "$ENV_FILE"
  # what this `up` had to start, for `down-started` (make test stops only what it started)
  printf '%s\n' "${STARTED[@]}" >"$STATE/started"
  say "up (RabbitMQ $(redact_uri "$amqp"), store $(redact_uri "$mongo"))"
}

cmd_up() {
  take_lock
  trap undo_failed_up EXIT
  trap 'exit 130' INT TERM
  up_rabbit
  up_store
  write_env
}

cmd_down() {
  if [[ ! -d $STATE ]]; then
    say "nothing to stop (no .stack/)"
    return
  fi
  take_lock
  stop_rabbit
  stop_store
  say "down"
}

# Stop only what the last `up` started, so a test run leaves a stack it found running alone.
cmd_down_started() {
  local piece
  [[ -f $STATE/started ]] || return 0
  take_lock
  while read -r piece; do
    [[ -n $piece ]] && "stop_$piece" </dev/null  # rabbitmqctl would eat the list
  done <"$STATE/started"
  rm -f "$STATE/started"
}

# The URIs status checks: the environment first, then .stack/env, then the defaults.
current_uri() {
  local key=$1 default=$2 value=${!1:-}
  [[ -n $value ]] || value=$(env_file_value "$key")
  printf '%s\n' "${value:-$default}"
}

cmd_status() {
  local amqp api mongo host port pid ok=0 who problem code
  amqp=$(current_uri AMQP_URI "$DEFAULT_AMQP_URI")
  api=${RABBIT_API_URI:-$(env_file_value RABBIT_API_URI)}
  [[ -n $api ]] || api=$(api_uri_from_amqp "$amqp")
  mongo=$(current_uri MONGODB_URI "$DEFAULT_MONGODB_URI")

  who="not started by this stack"
  pid=$(our_pid "$RMQ_PID") && who="pid $pid"
  read -r host port < <(uri_host_port "$amqp" 5672)
  problem=""
  if ! tcp_open "$host" "$port"; then
    problem="nothing answers on $host:$port"
  elif code=$(api_status "$api") && [[ $code != 200 ]]; then
    problem="management API $(redact_uri "$api") answered HTTP $code"
  fi
  if [[ -z $problem ]]; then
    say "RabbitMQ running ($who, $(redact_uri "$amqp"), management $(redact_uri "$api"))"
  else
    say "RabbitMQ not running ($who, $(redact_uri "$amqp"): $problem)"
    ok=1
  fi

  who="not started by this stack"
  if pid=$(our_pid "$FDB_DIR/pid"); then
    who="pid $pid, FerretDB"
  elif pid=$(our_pid "$MONGO_DIR/pid"); then
    who="pid $pid, mongod"
  fi
  read -r host port < <(uri_host_port "$mongo" 27017)
  if tcp_open "$host" "$port"; then
    say "store running ($who, $(redact_uri "$mongo"))"
  else
    say "store not running ($who, $(redact_uri "$mongo"): nothing answers on $host:$port)"
    ok=1
  fi
  return "$ok"
}

# The browser tests' Chromium: Debian's, installed once (Playwright's own download reaches the
# internet, which these machines do not).
# A Chinese font too: the console is in Chinese, and its screenshots and the tests read it as officers do.
cmd_browser() {
  mkdir -p "$STATE"
  command -v chromium >/dev/null || apt_install Chromium chromium
  command -v chromium >/dev/null || die "Chromium: no chromium after install"
  if ! grep -q . < <(fc-list :lang=zh 2>/dev/null); then
    apt_install "a Chinese font" fonts-wqy-microhei
  fi
  say "browser: $(chromium --version 2>/dev/null || echo chromium)"
}

# tool_from_deb TOOL PACKAGE: the binary TOOL out of Debian's PACKAGE, into .stack/bin (nothing else
# of the package is installed: promtool comes without the Prometheus server and its web assets).
tool_from_deb() {
  local tool=$1 package=$2 tmp out=$STATE/apt.log
  [[ -x $STATE/bin/$tool ]] && return
  tmp=$(mktemp -d)
  if ! (cd "$tmp" && apt-get download "$package" >"$out" 2>&1); then
    ((EUID == 0)) || SUDO=(sudo)
    "${SUDO[@]}" apt-get update >>"$out" 2>&1 || true
    (cd "$tmp" && apt-get download "$package" >>"$out" 2>&1) ||
      die "$tool: cannot download Debian's $package package (see $out)"
  fi
  dpkg-deb -x "$tmp/${package}"_*.deb "$tmp/root"
  install -m 0755 "$tmp/root/usr/bin/$tool" "$STATE/bin/$tool"
  rm -rf "$tmp"
}

# tool_from_go TOOL MODULE@VERSION: `go install` of a Go module, TOOL into .stack/bin, built once; Go's
# module and build caches stay in .stack/go, so the user's home is not written (and -modcacherw lets
# `rm -rf .stack` remove them).
tool_from_go() {
  local tool=$1 module=$2 go out=$STATE/go/build.log
  [[ -x $STATE/bin/$tool ]] && return
  go=$(find_go) || die "$tool: no Go toolchain (go) to build $module with: install Go, then run make tools again"
  mkdir -p "$STATE/go"
  say "building $tool ($module)"
  if ! GOBIN=$STATE/bin GOPATH=$STATE/go GOMODCACHE=$STATE/go/pkg/mod GOCACHE=$STATE/go/cache GOFLAGS=-modcacherw \
    "$go" install "$module" >"$out" 2>&1; then
    warn "$tool: go install $module failed"
    show_log "$out"
    exit 1
  fi
}

# The validators the deploy tests run: promtool (the alerts), shellcheck (the shell scripts), and
# kustomize and kubeconform (deploy/k8s rendered as kubectl would, then checked against the API schemas).
cmd_tools() {
  mkdir -p "$STATE/bin"
  tool_from_deb promtool prometheus
  tool_from_deb shellcheck shellcheck
  tool_from_go kustomize sigs.k8s.io/kustomize/kustomize/v5@v5.7.1
  tool_from_go kubeconform github.com/yannh/kubeconform/cmd/kubeconform@v0.7.0
  say "tools: $("$STATE/bin/promtool" --version 2>&1 | head -n 1); shellcheck $("$STATE/bin/shellcheck" --version | sed -n 's/^version: //p'); kustomize $("$STATE/bin/kustomize" version); kubeconform $("$(find_go)" version -m "$STATE/bin/kubeconform" | awk '$1 == "mod" { print $3 }')"
}

cmd_env() {
  [[ -f $ENV_FILE ]] || die "no .stack/env yet: run deploy/local/stack.sh up first"
  cat "$ENV_FILE"
}

usage() {
  warn "usage: deploy/local/stack.sh up|down|down-started|status|env|browser|tools"
  exit 2
}

main() {
  (($# == 1)) || usage
  case $1 in
    up) cmd_up ;;
    down) cmd_down ;;
    down-started) cmd_down_started ;;
    status) cmd_status ;;
    env) cmd_env ;;
    browser) cmd_browser ;;
    tools) cmd_tools ;;
    -h | --help | help) usage ;;
    *) usage ;;
  esac
}

main "$@"
