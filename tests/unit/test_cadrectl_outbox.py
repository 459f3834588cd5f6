"""cadrectl outbox judges a backlog by its age, not its presence: events in flight are normal."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cadrectl import cli


def answers(**services):
    return {name: {"service": name, "status": "ok", "store": "ok", "outbox_backlog": backlog,
                   "outbox_oldest_seconds": oldest} for name, (backlog, oldest) in services.items()}


@pytest.mark.parametrize("found, code", [
    (answers(talent=(0, 0.0), care=(0, 0.0)), 0),
    (answers(talent=(120, 0.4), care=(3, 1.2)), 0),          # in flight under load: fine
    (answers(talent=(1, 900.0), care=(0, 0.0)), 1),          # one event stuck for 15 minutes
    (answers(talent=(None, None), care=(0, 0.0)), 1),        # a service or its store did not answer
])
def test_outbox_exit_code_by_age(monkeypatch, found, code):
    monkeypatch.setattr(cli, "health_of", lambda amqp_uri, timeout: found)
    result = CliRunner().invoke(cli.main, ["outbox", "--amqp-uri", "amqp://x"])
    assert result.exit_code == code, result.output
    assert ("needs attention" in result.output) == bool(code)


def test_the_threshold_is_the_operators():
    found = answers(talent=(2, 30.0))
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli, "health_of", lambda amqp_uri, timeout: found)
        assert runner.invoke(cli.main, ["outbox", "--amqp-uri", "amqp://x"]).exit_code == 0
        assert runner.invoke(cli.main, ["outbox", "--amqp-uri", "amqp://x", "--older-than", "10"]
                             ).exit_code == 1
