#!/usr/bin/env bash
# Run the five services and the gateway as separate `nameko run` processes on the local stack.
#
#   deploy/local/suite.sh start    start what is not running, wait for the gateway's /health
#   deploy/local/suite.sh stop     stop them (SIGTERM, then SIGKILL after 15 s)
#   deploy/local/suite.sh status   one line per process
#
# Needs .venv (make venv) and .stack/env (deploy/local/stack.sh up). Logs: .stack/run/<name>.log
#
# Unless AUTH_JWKS_URL names an identity provider of your own, it also starts the local OpenID provider
# (console/idp/, at IDP_ADDRESS) whose demo users sign in to the officer console at /console/
# (docs/console.md; `make console` builds it, and `make run` does first).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
RUN=$ROOT/.stack/run
NAMEKO=$ROOT/.venv/bin/nameko
TIMEOUT=${SUITE_TIMEOUT:-90}
GATEWAY_ADDRESS=${GATEWAY_ADDRESS:-127.0.0.1:8000}
export GATEWAY_ADDRESS
# a readable line in .stack/run/*.log; containers write JSON lines (config.yaml's LOGGING)
export LOG_FORMAT=${LOG_FORMAT:-text}
# the libraries' import-time deprecation notes (eventlet, cryptography via dnspython) are not the
# suite's news: kept out of the logs, as the tests and benchmarks keep them
export PYTHONWARNINGS=${PYTHONWARNINGS:-ignore}
# each process serves /health/live, /health/ready and /metrics on its own port: base+1, base+2 …
OPS_PORT_BASE=${OPS_PORT_BASE:-9100}
IDP_ADDRESS=${IDP_ADDRESS:-127.0.0.1:8010}
CONSOLE=$ROOT/console

# name:service class path, in start order (the gateway last: it calls the others)
PROCESSES=(
  "talent:services.talent.service:TalentService"
  "appraisal:services.appraisal.service:AppraisalService"
  "accountability:services.accountability.service:AccountabilityService"
  "tolerance:services.tolerance.service:ToleranceService"
  "care:services.care.service:CareService"
  "gateway:gateway.service:GatewayService"
)

say() { printf 'suite: %s\n' "$*"; }
die() { printf 'suite: %s\n' "$*" >&2; exit 1; }

# a pid file counts only while its process is still our `nameko run` (pids are reused)
alive() {
  local pid
  [[ -f $RUN/$1.pid ]] || return 1
  pid=$(cat "$RUN/$1.pid")
  # no pipe into grep -q: under pipefail, grep leaving early fails tr with SIGPIPE now and then
  kill -0 "$pid" 2>/dev/null && [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == *"nameko run"* ]]
}

start() {
  [[ -x $NAMEKO ]] || die "no virtualenv: run 'make venv' first"
  [[ -f $ROOT/.stack/env ]] || die "no local stack: run 'deploy/local/stack.sh up' first"
  mkdir -p "$RUN"
  cd "$ROOT"
  local_auth_secret
  set -a
  # shellcheck disable=SC1091
  . "$ROOT/.stack/env"
  # shellcheck disable=SC1091
  [[ -n ${AUTH_SECRET:-}${AUTH_JWKS_URL:-} ]] || . "$ROOT/.stack/auth.env"
  set +a
  [[ -n ${AUTH_JWKS_URL:-} ]] || start_idp
  # one broker user per process, allowed what it uses (services/common/messaging/identities.py);
  # their URIs are read here, not exported: each process gets its own and no other
  "$ROOT/.venv/bin/python" -W ignore -m services.common.messaging.identities local \
    --api "$RABBIT_API_URI" --amqp "$AMQP_URI" --file "$ROOT/.stack/broker.env" ||
    die "cannot create the broker users (is $RABBIT_API_URI an administrator's management API?)"
  # shellcheck disable=SC1091
  . "$ROOT/.stack/broker.env"
  local entry name path uri i=0
  for entry in "${PROCESSES[@]}"; do
    name=${entry%%:*}
    path=${entry#*:}
    uri=AMQP_URI_${name^^}
    i=$((i + 1))
    if alive "$name"; then
      say "$name already running (pid $(cat "$RUN/$name.pid"))"
      continue
    fi
    # own session, no terminal and no inherited pipes: it outlives the calling shell
    AMQP_URI=${!uri} OPS_ADDRESS=127.0.0.1:$((OPS_PORT_BASE + i)) \
      setsid "$NAMEKO" run --config config.yaml "$path" >"$RUN/$name.log" 2>&1 </dev/null &
    echo $! >"$RUN/$name.pid"
  done
  wait_healthy
  say "the suite is up: gateway at http://$GATEWAY_ADDRESS (try: curl http://$GATEWAY_ADDRESS/health)"
  say "the officer console: http://$GATEWAY_ADDRESS/console/"
  if [[ -n ${LOCAL_IDP:-} ]]; then
    say "  sign in as a demo user of console/idp/users.json, e.g. wang.org (组织部门), zhao.jw (纪检监察),"
    say "  sun.care (关心关爱), wu.unit (单位管理员), cadre (干部本人), zheng.audit (审计员);"
    say "  password: $(sed -n 's/^IDP_PASSWORD=//p' "$ROOT/.stack/idp.env") (made for this checkout, in .stack/idp.env)"
  fi
  say "a token for requests: make -s token ARGS='--sub alice --role ORG_ADMIN'"
  say "logs in .stack/run/; stop everything with: make stop"
}

# A signing secret for local tokens, made once per checkout and kept out of git (.stack/).
local_auth_secret() {
  [[ -f $ROOT/.stack/auth.env ]] && return
  (umask 077 && printf 'AUTH_SECRET=%s\n' "$("$ROOT/.venv/bin/python" -c \
    'import secrets; print(secrets.token_urlsafe(48))')" >"$ROOT/.stack/auth.env")
}

# The local OpenID provider for the console, with the demo users; the services then trust its key set
# for the console's tokens, and the local secret for the suite's own (cadrectl token, the tests).
start_idp() {
  local issuer=http://$IDP_ADDRESS host=${GATEWAY_ADDRESS%:*} port=${GATEWAY_ADDRESS##*:} i
  [[ -f $ROOT/.stack/idp.env ]] || (umask 077 && printf 'IDP_PASSWORD=%s\n' "$("$ROOT/.venv/bin/python" -c \
    'import secrets; print(secrets.token_urlsafe(9))')" >"$ROOT/.stack/idp.env")
  export AUTH_ISSUER=$issuer AUTH_JWKS_URL=$issuer/jwks AUTH_SECRET_ISSUER=cadre-local
  LOCAL_IDP=1
  if ! alive_idp; then
    (
      set -a
      # shellcheck disable=SC1091
      . "$ROOT/.stack/idp.env"
      set +a
      IDP_ISSUER=$issuer IDP_STATE=$ROOT/.stack/idp \
        IDP_REDIRECT_URIS="http://$host:$port/console/callback,http://localhost:$port/console/callback" \
        setsid node "$CONSOLE/idp/server.mjs" >"$RUN/idp.log" 2>&1 </dev/null &
      echo $! >"$RUN/idp.pid"
    )
  fi
  for ((i = 0; i < 100; i++)); do
    curl -fsS "$issuer/.well-known/openid-configuration" >/dev/null 2>&1 && return
    # the process itself, not its command line: just forked, it may not be node's yet
    kill -0 "$(cat "$RUN/idp.pid")" 2>/dev/null ||
      { tail -n 20 "$RUN/idp.log" >&2; die "the local OpenID provider exited (log above)"; }
    sleep 0.2
  done
  die "the local OpenID provider did not answer at $issuer"
}

alive_idp() {
  local pid
  [[ -f $RUN/idp.pid ]] || return 1
  pid=$(cat "$RUN/idp.pid")
  kill -0 "$pid" 2>/dev/null && [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == *"idp/server.mjs"* ]]
}

wait_healthy() {
  local deadline=$((SECONDS + TIMEOUT)) entry name
  until curl -fsS "http://$GATEWAY_ADDRESS/health" >/dev/null 2>&1; do
    for entry in "${PROCESSES[@]}"; do
      name=${entry%%:*}
      if ! alive "$name"; then
        tail -n 20 "$RUN/$name.log" >&2 || true
        die "$name exited during start-up (log above, full log .stack/run/$name.log)"
      fi
    done
    if ((SECONDS > deadline)); then
      curl -sS "http://$GATEWAY_ADDRESS/health" >&2 || true
      die "the suite did not become healthy within $TIMEOUT s; see .stack/run/*.log"
    fi
    sleep 1
  done
}

stop() {
  local entry name pid i
  for entry in "${PROCESSES[@]}"; do
    name=${entry%%:*}
    alive "$name" || { rm -f "$RUN/$name.pid"; continue; }
    pid=$(cat "$RUN/$name.pid")
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$RUN/$name.pid"
    say "$name stopped"
  done
  if alive_idp; then
    kill -TERM "$(cat "$RUN/idp.pid")" 2>/dev/null || true
    say "the local OpenID provider stopped"
  fi
  rm -f "$RUN/idp.pid"
}

status() {
  local entry name rc=0 i=0
  for entry in "${PROCESSES[@]}"; do
    name=${entry%%:*}
    i=$((i + 1))
    if alive "$name"; then
      say "$name running (pid $(cat "$RUN/$name.pid"), ops http://127.0.0.1:$((OPS_PORT_BASE + i)))"
    else say "$name not running"; rc=1; fi
  done
  if alive_idp; then say "idp running (pid $(cat "$RUN/idp.pid"), http://$IDP_ADDRESS)"; fi
  return $rc
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: $0 start|stop|status" ;;
esac
