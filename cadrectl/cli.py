"""cadrectl: the operator's tool. Stack status, outbox backlogs, dead letters, local tokens, demo data and
roster imports -- with exit codes fit for scripts: 0 fine, 1 something needs attention, 2 cannot reach it.

    cadrectl status                          every service: up, store, outbox backlog
    cadrectl dead-letters list talent        what a service could not handle (also: show, replay, purge)
    cadrectl token --sub alice --role ORG_ADMIN
    cadrectl import-roster roster.csv --url http://127.0.0.1:8000 --token "$TOKEN"
    cadrectl seed-demo --url http://127.0.0.1:8000 --token "$TOKEN"

The broker comes from ``--amqp-uri`` or ``AMQP_URI`` (as the services read it).
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings

import click

# the broker client's libraries announce their own deprecations when imported (eventlet, and
# cryptography by way of dnspython): an operator's terminal is not where to read them
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
warnings.filterwarnings("ignore", message="DSA is deprecated")

from services.common.boundary.security import ROLES  # noqa: E402 - after the filters

SERVICES = ("talent", "appraisal", "accountability", "tolerance", "care")
DEFAULT_AMQP = "amqp://guest:guest@localhost:5672/"
OK, ATTENTION, UNREACHABLE = 0, 1, 2
IMPORT_BATCH_ROWS = 1000
IMPORT_ATTEMPTS = 4


def amqp_option(fn):
    return click.option("--amqp-uri", envvar="AMQP_URI", default=DEFAULT_AMQP, show_default=True,
                        help="the broker the services use")(fn)


@click.group()
def main():
    """Operate the cadre incentive suite."""


def health_of(amqp_uri: str, timeout: float) -> dict[str, dict]:
    """Each service's ``health`` RPC answer (public), or why there is none."""
    from nameko.standalone.rpc import ClusterRpcProxy

    found = {}
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=timeout) as cluster:
        for service in SERVICES:
            try:
                found[service] = getattr(cluster, service).health()
            except Exception as exc:  # a service down is an answer here, not a crash
                found[service] = {"service": service, "status": "down", "store": None,
                                  "outbox_backlog": None, "error": type(exc).__name__}
    return found


@main.command()
@amqp_option
@click.option("--timeout", default=5.0, show_default=True, help="seconds to wait for each service")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
def status(amqp_uri, timeout, as_json):
    """Every service: up or down, its store, its outbox backlog. Exit 1 if any is not ok."""
    try:
        found = health_of(amqp_uri, timeout)
    except Exception as exc:
        click.echo(f"cannot reach the broker at {_safe(amqp_uri)}: {exc}", err=True)
        sys.exit(UNREACHABLE)
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
    else:
        click.echo(f"{'service':<16}{'status':<10}{'store':<13}{'outbox backlog':>14}")
        for service, answer in found.items():
            backlog = answer.get("outbox_backlog")
            click.echo(f"{service:<16}{answer['status']:<10}{str(answer.get('store')):<13}"
                       f"{'-' if backlog is None else backlog:>14}")
    sys.exit(OK if all(a["status"] == "ok" for a in found.values()) else ATTENTION)


@main.command()
@amqp_option
@click.option("--timeout", default=5.0, show_default=True)
@click.option("--older-than", "older_than", default=300.0, show_default=True, metavar="SECONDS",
              help="a backlog needs attention when its oldest event has waited this long")
def outbox(amqp_uri, timeout, older_than):
    """Events written but not yet published, per service, and how long the oldest has waited.

    Events in flight are normal (the relay publishes within a second); exit 1 when a service's oldest
    event has waited longer than --older-than, or a service or its store does not answer."""
    found = health_of(amqp_uri, timeout)
    click.echo(f"{'service':<16}{'backlog':>8}{'oldest (s)':>12}")
    stuck = False
    for service, answer in found.items():
        backlog, oldest = answer.get("outbox_backlog"), answer.get("outbox_oldest_seconds")
        late = backlog is None or (oldest or 0) > older_than
        stuck = stuck or late
        click.echo(f"{service:<16}{'-' if backlog is None else backlog:>8}"
                   f"{'-' if oldest is None else f'{oldest:.0f}':>12}{'  needs attention' if late else ''}")
    sys.exit(ATTENTION if stuck else OK)


@main.group("dead-letters")
def dead_letters():
    """A service's dead-letter queue (messages that kept failing after their retries). Only the
    service's own broker user may read or replay them: AMQP_URI_<SERVICE> (e.g. AMQP_URI_TALENT, in
    .stack/broker.env locally) is used when set, unless --amqp-uri is given."""


def _service_uri(amqp_uri: str, service: str) -> str:
    """The service's own broker identity: a replay is published as the service, and its consumer
    accepts it as the event's first, checked publisher (services/common/messaging/deadletter.py)."""
    ctx = click.get_current_context()
    explicit = ctx.get_parameter_source("amqp_uri") is click.core.ParameterSource.COMMANDLINE
    return amqp_uri if explicit else os.environ.get(f"AMQP_URI_{service.upper()}") or amqp_uri


@dead_letters.command("list")
@amqp_option
@click.argument("service", type=click.Choice(SERVICES))
def list_letters(amqp_uri, service):
    """One JSON line per dead letter: event, queue, error, attempts. Exit 1 if there are any."""
    deadletter = _dead_letters()
    letters = deadletter.list_dead_letters(_service_uri(amqp_uri, service), service, limit=None)
    for letter in letters:
        click.echo(json.dumps({k: v for k, v in letter.__dict__.items() if k != "body"},
                              ensure_ascii=False))
    sys.exit(ATTENTION if letters else OK)


@dead_letters.command("show")
@amqp_option
@click.argument("service", type=click.Choice(SERVICES))
@click.argument("event_id")
def show_letter(amqp_uri, service, event_id):
    """One dead letter whole, with its message body."""
    deadletter = _dead_letters()
    for letter in deadletter.list_dead_letters(_service_uri(amqp_uri, service), service, limit=None):
        if letter.event_id == event_id:
            click.echo(json.dumps(letter.__dict__, ensure_ascii=False, indent=2, default=str))
            return
    click.echo(f"no dead letter {event_id} in {service}", err=True)
    sys.exit(ATTENTION)


@dead_letters.command("replay")
@amqp_option
@click.argument("service", type=click.Choice(SERVICES))
@click.option("--event-id", "event_ids", multiple=True, help="only this event (repeatable)")
def replay_letters(amqp_uri, service, event_ids):
    """Send dead letters back to the queue they came from, attempts reset."""
    deadletter = _dead_letters()
    count = deadletter.replay(_service_uri(amqp_uri, service), service, set(event_ids) or None)
    click.echo(f"replayed {count}")


@dead_letters.command("purge")
@amqp_option
@click.argument("service", type=click.Choice(SERVICES))
@click.confirmation_option(prompt="Purge every dead letter of this service for good?")
def purge_letters(amqp_uri, service):
    deadletter = _dead_letters()
    click.echo(f"purged {deadletter.purge(_service_uri(amqp_uri, service), service)}")


@main.group()
def audit():
    """The audit trails of the services and the gateway, straight from the store."""


@audit.command("verify")
@click.option("--mongodb-uri", envvar="MONGODB_URI", default="mongodb://localhost:27017/",
              show_default=True, help="the store (an account that may read the audit trails)")
@click.option("--prefix", envvar="MONGODB_DATABASE_PREFIX", default="cadre_", show_default=True,
              help="the services' database prefix")
def verify_audit(mongodb_uri, prefix):
    """Walk each trail's hash chain; name the first entry edited, missing or inserted by hand.
    Exit 1 if any trail is broken, 2 if the store cannot be reached."""
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    from services.common.boundary.audit import AuditTrail

    client = MongoClient(mongodb_uri, serverSelectionTimeoutMS=5000, tz_aware=True)
    broken = False
    try:
        for service in (*SERVICES, "gateway"):
            verdict = AuditTrail.beside(client[prefix + service], service).verify()
            if verdict.intact:
                click.echo(f"{service:<16}intact, {verdict.entries} entries")
            else:
                broken = True
                where = f" at entry {verdict.broken_at}" if verdict.broken_at else ""
                click.echo(f"{service:<16}BROKEN{where} after {verdict.entries} good entries: "
                           f"{verdict.reason}")
    except PyMongoError as exc:
        click.echo(f"the store cannot be read: {type(exc).__name__}", err=True)
        sys.exit(UNREACHABLE)
    finally:
        client.close()
    sys.exit(ATTENTION if broken else OK)


@main.command()
@click.option("--sub", required=True, help="the user id")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES),
              help="a role (repeatable)")
@click.option("--unit", default=None, help="UNIT_ADMIN: their unit")
@click.option("--cadre", default=None, help="CADRE: themselves")
@click.option("--ttl", default=3600, show_default=True, help="seconds")
def token(sub, roles, unit, cadre, ttl):
    """A locally signed bearer token (AUTH_SECRET from the environment, as the gateway's); only the
    token on stdout, so that ``$(make -s token ARGS=...)`` is the token."""
    from gateway.auth import DEFAULT_AUDIENCE, DEFAULT_ISSUER, issue_token

    secret = os.environ.get("AUTH_SECRET")
    if not secret:
        click.echo("AUTH_SECRET is not set (`set -a; . .stack/auth.env; set +a`)", err=True)
        sys.exit(UNREACHABLE)
    click.echo(issue_token(secret, sub=sub, roles=list(roles), unit_id=unit, cadre_id=cadre,
                           ttl_seconds=ttl, issuer=os.environ.get("AUTH_ISSUER") or DEFAULT_ISSUER,
                           audience=os.environ.get("AUTH_AUDIENCE") or DEFAULT_AUDIENCE))


def _post(url, token_, path, body):
    import requests

    return requests.post(url.rstrip("/") + path, json=body, timeout=60,
                         headers={"Authorization": f"Bearer {token_}"})


@main.command("import-roster")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--url", envvar="GATEWAY_URL", default="http://127.0.0.1:8000", show_default=True)
@click.option("--token", "token_", envvar="CADRE_TOKEN", required=True, help="an ORG_ADMIN token")
@click.option("--batch", default=IMPORT_BATCH_ROWS, show_default=True, help="rows per request")
def import_roster(csv_file, url, token_, batch):
    """Import a roster CSV through the gateway, in batches, with a progress bar. Each batch is all
    or nothing; a batch with wrong rows stops the import and lists them. Running the same file again
    after fixing it imports the rest and nothing twice; a batch that times out is sent again."""
    lines = csv_file.read().splitlines()
    header, rows = lines[0], [line for line in lines[1:] if line.strip()]
    totals = {"imported": 0, "unchanged": 0}
    with click.progressbar(length=len(rows), label="importing", file=sys.stderr) as bar:
        for start in range(0, len(rows), batch):
            chunk = rows[start:start + batch]
            body = {"csv": "\n".join([header, *chunk]) + "\n"}
            for attempt in range(IMPORT_ATTEMPTS):
                response = _post(url, token_, "/roster/imports", body)
                if response.status_code != 503:
                    break
                # busy or slow: the import is idempotent, so the batch is sent again (what the
                # timed-out call imported now counts as unchanged)
                time.sleep(2 ** attempt)
            if response.status_code != 200:
                click.echo(f"\nbatch from data row {start + 1}: {response.status_code} {response.text}",
                           err=True)
                sys.exit(ATTENTION if response.status_code < 500 else UNREACHABLE)
            report = response.json()
            if report["errors"]:
                for error in report["errors"]:
                    error["row"] += start  # the line in the whole file
                    click.echo(json.dumps(error, ensure_ascii=False), err=True)
                click.echo(f"\nstopped: {len(report['errors'])} wrong rows; nothing of this batch "
                           f"was imported; {totals['imported']} imported before", err=True)
                sys.exit(ATTENTION)
            totals["imported"] += report["imported"]
            totals["unchanged"] += report["unchanged"]
            bar.update(len(chunk))
    click.echo(f"imported {totals['imported']}, unchanged {totals['unchanged']}")


@main.command("seed-demo")
@click.option("--url", envvar="GATEWAY_URL", default="http://127.0.0.1:8000", show_default=True)
@click.option("--token", "token_", envvar="CADRE_TOKEN", required=True, help="an ORG_ADMIN token")
@click.option("--year", type=int, default=None,
              help="the current year (default: the department's, by the suite's clock)")
def seed_demo(url, token_, year):
    """A district to look at (cadrectl/demo.py): 江岸区 with its streets, departments and an
    enterprise, about 300 cadres, three years of appraisal, cases, complaints, an application,
    talks, the hardship fund, a bereaved family, commendations. Made through the gateway, as an
    officer would; a second run makes nothing."""
    from cadrectl.demo import Gateway, Seeder, SeedError
    from services.common.clock import business_year, utcnow

    seeder = Seeder(Gateway(url, token_), year or business_year(utcnow()), click.echo)
    try:
        tally = seeder.run()
    except SeedError as exc:
        click.echo(f"seed-demo stopped: {exc}", err=True)
        sys.exit(ATTENTION)
    click.echo(tally.summary())


def _dead_letters():
    """The dead-letter module, imported where it is used: it brings the broker client along, which
    the other commands (``token`` in a shell's ``$(...)``) need not load or warn about."""
    from services.common.messaging import deadletter

    return deadletter


def _safe(uri: str) -> str:
    """The broker address without its password (never in logs)."""
    from urllib.parse import urlparse

    parsed = urlparse(uri)
    return parsed._replace(netloc=f"{parsed.username or ''}@{parsed.hostname}:{parsed.port or ''}").geturl()


if __name__ == "__main__":
    main()
