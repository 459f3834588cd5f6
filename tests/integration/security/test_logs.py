"""What the processes' logs hold after the whole security package's traffic (a permission sweep of every
route and role, bad input, forged tokens: mostly refusals, as on a busy day of officers' typos). It runs
after every other test of the package (see conftest.py), which have sent their traffic by then:

- no secret, no token, no confidential field (a referral's notes, a complainant's identity) in any line;
- every line is one JSON object; no 4xx answer left a stack trace anywhere;
- one request is followed by its correlation id from the gateway into every service it reached.
"""

from __future__ import annotations

import json
import uuid

import pytest

from tests.helpers import wait_for
from tests.integration.security.world import REPORTER, SENT

pytestmark = pytest.mark.integration


def test_no_secret_or_token_in_any_log(suite, world):
    secret = suite.env["AUTH_SECRET"]
    signatures = {token.rsplit(".", 1)[-1] for token in SENT if token.count(".") == 2}
    needles = {secret} | SENT | {s for s in signatures if len(s) >= 16}
    assert len(SENT) > 50  # the security tests really sent their tokens before this one
    logs = sorted(suite.log_dir.iterdir())
    assert {path.stem for path in logs} >= {"gateway", "talent", "appraisal"}, logs
    leaks = []
    for path in logs:
        text = path.read_text(errors="replace")
        leaks += [(path.name, needle[:12] + "...") for needle in needles if needle in text]
    assert not leaks, f"secrets or tokens in the logs: {leaks}"


def lines_of(suite) -> dict[str, list[dict]]:
    """Every process's log, line by line, each one JSON object (the suite runs with LOG_FORMAT=json)."""
    found = {}
    for path in sorted(suite.log_dir.glob("*.log")):
        rows = []
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            try:
                rows.append(json.loads(line))
            except ValueError:
                raise AssertionError(f"{path.name}:{number} is not a JSON line: {line[:200]}") from None
        found[path.stem] = rows
    return found


def test_no_confidential_field_in_any_log(suite, world):
    world.refer(world.cadres["own"])  # a referral's notes, sent once more now
    text = "\n".join(path.read_text(errors="replace") for path in suite.log_dir.glob("*.log"))
    for confidential in ("情绪低落", "希望组织谈心", REPORTER["contact"], REPORTER["name"]):
        assert confidential not in text, confidential


def test_a_refusal_leaves_no_stack_trace(suite, world):
    lines = lines_of(suite)
    answers = [line for line in lines["gateway"] if line.get("logger") == "gateway.access"]
    access = {line["correlation_id"]: line["status"] for line in answers if "correlation_id" in line}
    assert sum(1 for status in access.values() if 400 <= status < 500) > 500  # the sweep's refusals
    # the access line of a refusal names its code: the gateway writes no second line for it
    assert all(line.get("error_code") for line in answers if 400 <= line["status"] < 500 and
               line["route"] not in ("/console/<path:path>", "/docs/<string:asset>"))
    with_stack = [(name, line) for name, rows in lines.items() for line in rows if "stack" in line]
    after_4xx = [(name, line["message"][:120]) for name, line in with_stack
                 if 400 <= access.get(line.get("correlation_id"), 0) < 500]
    assert after_4xx == []
    refused = [line for rows in lines.values() for line in rows if line.get("outcome") == "refused"]
    assert refused and all(line["level"] == "INFO" and "stack" not in line for line in refused)
    assert any(line.get("rule") for line in refused)  # a rule's refusal names its DOMAIN.md id


def test_a_request_is_followed_by_its_correlation_id_into_every_service(suite, world):
    correlation_id = f"follow-{uuid.uuid4().hex[:12]}"
    unit_id = world.units["own"]
    cadre_id = f"LOG-{uuid.uuid4().hex[:8]}"
    response = suite.post("/cadres", {
        "cadre_id": cadre_id, "name": "日志甲", "unit_id": unit_id, "level": "SECTION",
        "is_leader": False, "is_principal": False, "birth_date": "1985-01-01", "grassroots_years": 1,
        "service_years": 10}, headers={**suite.auth_headers("ORG_ADMIN", sub="log-follower"),
                               "X-Correlation-Id": correlation_id})
    assert response.status_code == 201, response.text
    # the roster event reaches every other service, each handling it under the same id
    services = {"gateway", "talent", "appraisal", "accountability", "tolerance", "care"}

    def reached() -> dict[str, list[dict]]:
        return {name: [line for line in rows if line.get("correlation_id") == correlation_id]
                for name, rows in lines_of(suite).items() if name in services}

    wait_for(lambda: all(reached().get(name) for name in services), timeout=20, interval=0.5,
             what="every service's log to name the request's correlation id")
    found = reached()
    [access] = [line for line in found["gateway"] if line["logger"] == "gateway.access"]
    assert (access["method"], access["route"], access["status"]) == ("POST", "/cadres", 201)
    assert access["duration_ms"] >= 0
    [call] = [line for line in found["talent"] if line.get("entrypoint") == "register_cadre"]
    assert (call["service"], call["outcome"], call["user"]) == ("talent", "ok", "log-follower")
    for name in services - {"gateway", "talent"}:
        handled = [line for line in found[name] if line.get("event_type")]
        assert handled and all(line["event_id"] and line["service"] == name for line in handled), name
        assert {line["event_type"] for line in handled} == {"talent.cadre_registered"}, name
