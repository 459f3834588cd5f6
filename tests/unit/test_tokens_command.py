"""The operator command that issues local tokens."""

import jwt
import pytest

from gateway import tokens


def test_issues_a_token_the_gateway_accepts(monkeypatch, capsys):
    monkeypatch.setenv("AUTH_SECRET", "s3cret-for-tests-only-0123456789abcdef")
    monkeypatch.delenv("AUTH_ISSUER", raising=False)
    monkeypatch.delenv("AUTH_AUDIENCE", raising=False)

    assert tokens.main(["--sub", "bob", "--role", "UNIT_ADMIN", "--unit", "U1", "--ttl", "60"]) == 0

    token = capsys.readouterr().out.strip()
    claims = jwt.decode(token, "s3cret-for-tests-only-0123456789abcdef", algorithms=["HS256"],
                        audience="cadre-suite", issuer="cadre-local")
    assert (claims["sub"], claims["roles"], claims["unit_id"]) == ("bob", ["UNIT_ADMIN"], "U1")
    assert claims["exp"] - claims["iat"] == 60


def test_refuses_without_a_secret_and_prints_nothing_on_stdout(monkeypatch, capsys):
    monkeypatch.delenv("AUTH_SECRET", raising=False)
    assert tokens.main(["--sub", "bob", "--role", "ORG_ADMIN"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and "AUTH_SECRET" in out.err


def test_refuses_an_unknown_role(monkeypatch):
    monkeypatch.setenv("AUTH_SECRET", "x" * 32)
    with pytest.raises(SystemExit):
        tokens.main(["--sub", "bob", "--role", "GOD"])
