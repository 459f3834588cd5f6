"""The operator's command that issues local tokens: ``cadrectl token`` (``make token``)."""

import jwt
from click.testing import CliRunner

from cadrectl.cli import main

SECRET = "s3cret-for-tests-only-0123456789abcdef"


def test_issues_a_token_the_gateway_accepts(monkeypatch):
    monkeypatch.delenv("AUTH_ISSUER", raising=False)
    monkeypatch.delenv("AUTH_AUDIENCE", raising=False)
    result = CliRunner().invoke(main, ["token", "--sub", "bob", "--role", "UNIT_ADMIN", "--unit", "U1",
                                       "--ttl", "60"], env={"AUTH_SECRET": SECRET})
    assert result.exit_code == 0
    claims = jwt.decode(result.output.strip(), SECRET, algorithms=["HS256"], audience="cadre-suite",
                        issuer="cadre-local")
    assert (claims["sub"], claims["roles"], claims["unit_id"]) == ("bob", ["UNIT_ADMIN"], "U1")
    assert claims["exp"] - claims["iat"] == 60


def test_refuses_without_a_secret_and_prints_nothing_on_stdout(monkeypatch):
    monkeypatch.delenv("AUTH_SECRET", raising=False)
    result = CliRunner().invoke(main, ["token", "--sub", "bob", "--role", "ORG_ADMIN"])
    assert result.exit_code == 2
    assert result.stdout == "" and "AUTH_SECRET" in result.stderr


def test_refuses_an_unknown_role():
    result = CliRunner().invoke(main, ["token", "--sub", "bob", "--role", "GOD"],
                                env={"AUTH_SECRET": "x" * 32})
    assert result.exit_code == 2 and "GOD" in result.stderr and result.stdout == ""
