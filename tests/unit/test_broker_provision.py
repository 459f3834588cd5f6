"""``python -m services.common.messaging.identities provision``: what it asks of the broker, and where
the passwords come from (the environment, never the command line). The broker is a stand-in here; the
grants themselves are checked against a real one by the integration suite."""

from __future__ import annotations

import pytest
import requests

from services.common.messaging import identities

PASSWORDS = {identities.password_env(identity): f"pw-{identity}" for identity in identities.IDENTITIES}


class FakeManagement:
    made: list[FakeManagement] = []
    failures = 0

    def __init__(self, api_uri, auth=None):
        self.api_uri, self.auth, self.provisioned = api_uri, auth, []
        FakeManagement.made.append(self)

    def provision(self, vhost, users):
        if FakeManagement.failures:
            FakeManagement.failures -= 1
            raise requests.ConnectionError("connection refused")
        self.provisioned.append((vhost, users))


@pytest.fixture
def broker(monkeypatch):
    FakeManagement.made, FakeManagement.failures = [], 0
    monkeypatch.setattr(identities, "Management", FakeManagement)
    monkeypatch.setattr(identities.time, "sleep", lambda seconds: None)
    for name in [*PASSWORDS, "ADMIN_PW"]:
        monkeypatch.delenv(name, raising=False)
    return FakeManagement


def argv(*extra):
    return ["provision", "--api", "http://rabbitmq:15672", "--admin-user", "cadre",
            "--admin-password-env", "ADMIN_PW", *extra]


def test_every_identity_gets_a_user_of_its_name_with_its_password_from_the_environment(broker, monkeypatch,
                                                                                       capsys):
    monkeypatch.setenv("ADMIN_PW", "admin-secret")
    for name, value in PASSWORDS.items():
        monkeypatch.setenv(name, value)
    assert identities.main(argv()) == 0
    [management] = broker.made
    assert management.api_uri == "http://rabbitmq:15672"
    assert management.auth == ("cadre", "admin-secret")
    assert management.provisioned == [
        ("/", {identity: (identity, f"pw-{identity}") for identity in identities.IDENTITIES})]
    out = capsys.readouterr().out
    assert "admin-secret" not in out and "pw-" not in out, "no password is printed"


def test_the_names_of_the_password_variables():
    assert identities.password_env("talent") == "RABBITMQ_PASSWORD_TALENT"
    assert identities.password_env("cadrectl") == "RABBITMQ_PASSWORD_CADRECTL"


@pytest.mark.parametrize("empty", [False, True])
def test_a_missing_password_refuses_before_the_broker_is_asked(broker, monkeypatch, capsys, empty):
    monkeypatch.setenv("ADMIN_PW", "admin-secret")
    for name, value in PASSWORDS.items():
        monkeypatch.setenv(name, value)
    if empty:
        monkeypatch.setenv("RABBITMQ_PASSWORD_CARE", "")
    else:
        monkeypatch.delenv("RABBITMQ_PASSWORD_CARE")
    with pytest.raises(SystemExit) as exit_:
        identities.main(argv())
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "RABBITMQ_PASSWORD_CARE" in err and "pw-" not in err
    assert broker.made == []


def test_the_administrators_password_comes_from_the_named_variable(broker, monkeypatch, capsys):
    for name, value in PASSWORDS.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exit_:
        identities.main(argv())
    assert exit_.value.code == 2
    assert "ADMIN_PW" in capsys.readouterr().err
    assert broker.made == []


@pytest.mark.parametrize("option", ["--password", "--admin-password", "--talent-password"])
def test_no_password_is_taken_from_the_command_line(broker, monkeypatch, capsys, option):
    monkeypatch.setenv("ADMIN_PW", "admin-secret")
    for name, value in PASSWORDS.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exit_:
        identities.main([*argv(), option, "hunter2"])
    assert exit_.value.code == 2
    assert f"unrecognized arguments: {option}" in capsys.readouterr().err
    assert broker.made == []


def test_an_api_uri_with_a_password_is_refused(broker, monkeypatch, capsys):
    monkeypatch.setenv("ADMIN_PW", "admin-secret")
    for name, value in PASSWORDS.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit):
        identities.main(["provision", "--api", "http://cadre:hunter2@rabbitmq:15672", "--admin-user",
                         "cadre", "--admin-password-env", "ADMIN_PW"])
    assert broker.made == []


def test_it_waits_for_the_management_api_then_gives_up(broker):
    broker.failures = 2
    assert identities.provision("http://rabbitmq:15672", ("cadre", "x"), environ=PASSWORDS, wait=60) \
        == list(identities.IDENTITIES)
    broker.failures = 1_000
    with pytest.raises(requests.ConnectionError):
        identities.provision("http://rabbitmq:15672", ("cadre", "x"), environ=PASSWORDS, wait=0)


def test_a_refusal_of_the_broker_exits_1_without_a_traceback(broker, monkeypatch, capsys):
    monkeypatch.setenv("ADMIN_PW", "admin-secret")
    for name, value in PASSWORDS.items():
        monkeypatch.setenv(name, value)

    def refuse(self, vhost, users):
        raise RuntimeError("RabbitMQ management API: PUT /users/talent: 401 Unauthorized")

    monkeypatch.setattr(FakeManagement, "provision", refuse)
    assert identities.main(argv()) == 1
    err = capsys.readouterr().err
    assert "401" in err and "Traceback" not in err and "admin-secret" not in err
