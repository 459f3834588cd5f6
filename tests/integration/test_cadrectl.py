"""cadrectl against the running suite: status, outbox, dead letters (list, show, replay, purge), tokens,
demo data and a roster import in batches -- with the exit codes scripts rely on."""

import json
import re

import pytest
import requests
from click.testing import CliRunner

from cadrectl.cli import main
from tests.helpers import roster_file, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def cli(suite):
    runner = CliRunner()
    env = {"AMQP_URI": suite.amqp_uri, "AUTH_SECRET": suite.env["AUTH_SECRET"], "GATEWAY_URL": suite.url}

    def run(*args, env_=None):
        return runner.invoke(main, list(args), env={**env, **(env_ or {})}, catch_exceptions=False)
    return run


def test_status_lists_every_service(cli):
    result = cli("status", "--json")
    answers = json.loads(result.output)
    assert set(answers) == {"talent", "appraisal", "accountability", "tolerance", "care"}
    assert result.exit_code == (0 if all(a["status"] == "ok" for a in answers.values()) else 1)
    table = cli("status")
    assert "outbox backlog" in table.output and "care" in table.output


def test_outbox_shows_the_backlog_and_its_age(cli, suite):
    """Events in flight are normal: the running suite's outbox answers with its age, exit 0."""
    result = cli("outbox")
    assert result.exit_code == 0, result.output
    assert "oldest (s)" in result.output and "talent" in result.output


def test_a_local_token_opens_the_gateway(cli, suite):
    token = cli("token", "--sub", "ops-1", "--role", "ORG_ADMIN").output.strip()
    assert suite.get("/cadres?limit=1", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert cli("token", "--sub", "x", "--role", "ORG_ADMIN", env_={"AUTH_SECRET": ""}).exit_code == 2


def test_seed_demo_builds_a_district_once(cli, suite):
    """The demo district through the gateway: units, ~300 cadres with Chinese names, three finalized
    annual appraisals within their quotas, cases, complaints, an application, talks, fund grants, a
    family, commendations; run again, it makes nothing."""
    from cadrectl.demo import DISTRICT, UNITS, roster

    token = suite.token("ORG_ADMIN")
    headers = {"Authorization": f"Bearer {token}"}
    first = cli("seed-demo", "--token", token)
    assert first.exit_code == 0, first.output
    made = int(re.search(r"created (\d+) records", first.output).group(1))
    assert made >= len(UNITS) + len(roster()), first.output

    def listed(path, **query):
        response = requests.get(suite.url + path, params={"limit": 1000, **query}, headers=headers,
                                timeout=30)
        assert response.status_code == 200, response.text
        return response

    units = listed("/units", q="街道").json()
    assert {u["name"] for u in units} >= {"大智街道", "一元街道", "车站街道", "四唯街道"}
    assert listed("/cadres", unit_id=DISTRICT).headers["X-Total-Count"] == "40"
    for year in (2023, 2024, 2025):  # the integration clock's year is 2026
        cycles = listed("/appraisal/cycles", year=year, kind="ANNUAL").json()
        ours = [c for c in cycles if c["unit_id"].startswith("DEMO-")]
        assert len(ours) == len(UNITS) and {c["status"] for c in ours} == {"FINALIZED"}, ours
        sheet = {line["unit_id"]: line for line in listed(f"/appraisal/quotas/{year}").json()}
        assert all(0 < sheet[u]["used"] <= sheet[u]["max"] for u, *_ in UNITS), sheet
    discipline = {"Authorization": f"Bearer {suite.token('DISCIPLINE_OFFICER')}"}
    cases = requests.get(suite.url + "/accountability/cases", params={"limit": 1000},
                         headers=discipline, timeout=30).json()
    assert len([c for c in cases if c["cadre_id"].startswith("DEMO-")]) == 3
    fund = listed("/care/fund/2026").json()
    assert [(line["kind"], line["direction"]) for line in fund["ledger"]][-1] == ("GRANT", "OUT")

    again = cli("seed-demo", "--token", token)
    assert again.exit_code == 0, again.output
    assert "created 0 records;" in again.output  # and no kind named with nothing made


def test_a_roster_imports_in_batches_and_a_rerun_imports_nothing_twice(cli, suite, tmp_path):
    token = suite.token("ORG_ADMIN")
    assert suite.post("/units", {"unit_id": "CLI-U", "name": "洪山区", "unit_type": "DISTRICT"},
                      headers={"Authorization": f"Bearer {token}"}).status_code in (201, 409)
    rows = [f"CLI{i},干部{i},CLI-U,STAFF,false,false,1990-02-0{1 + i % 9},{i % 5},{i % 30}"
            for i in range(600)]
    roster = tmp_path / "roster.csv"
    roster.write_text(roster_file(rows), encoding="utf-8")
    # the integration suite answers 503 after 3 s, and FerretDB scans for $in: small batches here
    result = cli("import-roster", str(roster), "--token", token, "--batch", "200")
    assert result.exit_code == 0, result.output
    imported, unchanged = (int(n) for n in re.findall(r"\d+", result.output.strip().splitlines()[-1]))
    assert imported + unchanged == 600 and imported > 0  # a batch sent again counts unchanged
    again = cli("import-roster", str(roster), "--token", token, "--batch", "200")
    assert again.output.strip().splitlines()[-1] == "imported 0, unchanged 600"

    bad = tmp_path / "bad.csv"
    bad.write_text(roster_file([*rows[:500], "CLIX,坏,CLI-U,KING,false,false,1990-01-01,1,1"]),
                   encoding="utf-8")
    refused = cli("import-roster", str(bad), "--token", token, "--batch", "200")
    assert refused.exit_code == 1
    [error] = [json.loads(line) for line in refused.output.splitlines() if line.startswith("{")]
    assert (error["row"], list(error["fields"])) == (502, ["level"])  # its line in the whole file


def test_dead_letters_are_listed_shown_replayed_and_purged(cli, suite):
    poison = {"event_id": "9d2c6b1a-0000-4000-8000-000000000001", "event_type": "appraisal.unit_graded",
              "schema_version": 1, "occurred_at": "2026-01-01T00:00:00+00:00", "producer": "appraisal",
              "payload": {"unit_id": "NOWHERE", "year": "not a year"}}
    suite.publish(poison, source="appraisal")  # malformed: dead-lettered at once by each consumer
    listed = wait_for(lambda: (r := cli("dead-letters", "list", "talent")).exit_code == 1 and r,
                      timeout=20, interval=0.5, what="the dead letter")
    assert poison["event_id"] in listed.output
    shown = cli("dead-letters", "show", "talent", poison["event_id"])
    assert json.loads(shown.output)["body"]["payload"]["unit_id"] == "NOWHERE"
    as_talent = {"AMQP_URI_TALENT": suite.broker_uris["talent"]}
    assert cli("dead-letters", "replay", "talent", env_=as_talent).output.strip() == "replayed 1"
    wait_for(lambda: cli("dead-letters", "list", "talent").exit_code == 1, timeout=20, interval=0.5,
             what="the replayed letter to fail again")
    assert cli("dead-letters", "purge", "talent", "--yes").output.strip().startswith("purged")
    assert cli("dead-letters", "list", "talent").exit_code == 0
    assert cli("dead-letters", "show", "talent", "nothing-here").exit_code == 1
