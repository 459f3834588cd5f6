"""No secret and no token in any log: the auth secret and every token the security tests sent appear in
no process's log. It runs after every other test of the package (see conftest.py), which have sent their
tokens by then."""

from __future__ import annotations

import pytest

from tests.integration.security.world import SENT

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
