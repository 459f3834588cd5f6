"""The log lines (services/common/ops/logs.py): what an on-call engineer reads, and what must never be in
it."""

from __future__ import annotations

import json
import logging
import sys
from types import SimpleNamespace

import pytest
from werkzeug.exceptions import RequestEntityTooLarge

from services.common.errors import NotFound, RuleViolation, Unavailable
from services.common.ops import logs
from services.common.ops.endpoints import outcome_of


def worker(method="propose_ruling", service="tolerance", args=(), **data):
    return SimpleNamespace(container=SimpleNamespace(service_name=service),
                           entrypoint=SimpleNamespace(method_name=method), data=data, args=args)


def record(msg, *args, level=logging.WARNING, exc=None, name="nameko.containers"):
    exc_info = None
    if exc is not None:
        try:
            raise exc
        except type(exc):
            exc_info = sys.exc_info()
    return logging.LogRecord(name, level, __file__, 1, msg, args, exc_info)


def written(formatter, line) -> str:
    for kept in (logs.WorkerContext(), logs.Redacted()):
        kept.filter(line)
    return formatter.format(line)


@pytest.fixture(autouse=True)
def containers_at_info():
    """The level config.yaml gives (LOG_LEVEL=INFO); a test may lower it."""
    logger = logging.getLogger("nameko.containers")
    level = logger.level
    logger.setLevel(logging.INFO)  # setLevel, not .level: the logger caches what is enabled
    yield logger
    logger.setLevel(level)


@pytest.fixture
def in_worker():
    def enter(ctx):
        logs._local.worker_ctx = ctx
    yield enter
    logs._local.worker_ctx = None


def test_a_refusal_the_caller_caused_is_one_info_line_without_a_stack():
    refusal = RuleViolation("no more EXCELLENT grades in this pool", code="QUOTA_EXCEEDED", rule="A-1")
    line = record(logs.EXPECTED + " %s: %s", "<worker>", refusal, exc=refusal)
    assert logs.Refusals().filter(line)
    assert (line.levelname, line.exc_info, line.getMessage()) == (
        "INFO", None, "refused QUOTA_EXCEEDED: no more EXCELLENT grades in this pool")
    out = json.loads(written(logs.Json(), line))
    assert (out["level"], out["error_code"], out["rule"], out["outcome"]) == (
        "INFO", "QUOTA_EXCEEDED", "A-1", "refused")
    assert "stack" not in out and "Traceback" not in json.dumps(out)


def test_a_dependency_that_did_not_answer_is_a_warning_and_anything_else_keeps_its_stack():
    down = Unavailable("the store did not answer")
    line = record(logs.EXPECTED + " %s: %s", "<worker>", down, exc=down)
    logs.Refusals().filter(line)
    assert (line.levelname, line.exc_info, line.outcome) == ("WARNING", None, "error")
    assert line.getMessage() == "error UNAVAILABLE: the store did not answer"

    crash = record("error handling worker %s: %s", "<worker>", "boom", level=logging.ERROR,
                   exc=KeyError("boom"))
    assert logs.Refusals().filter(crash)
    out = json.loads(written(logs.Json(), crash))
    assert out["level"] == "ERROR" and "Traceback" in out["stack"] and "KeyError" in out["stack"]


def test_a_body_too_large_is_a_refusal_too():
    too_large = RequestEntityTooLarge()
    line = record(logs.EXPECTED + " %s: %s", "<worker>", too_large, exc=too_large)
    logs.Refusals().filter(line)
    assert (line.levelname, line.exc_info, line.error_code) == ("INFO", None, "HTTP_413")
    assert outcome_of(too_large) == "refused"


def test_a_refusal_is_not_written_when_info_is_off(containers_at_info):
    containers_at_info.setLevel(logging.WARNING)
    line = record(logs.EXPECTED + " %s: %s", "<w>", NotFound("x"), exc=NotFound("x"))
    assert logs.Refusals().filter(line) is False


def test_a_workers_lines_carry_its_service_entrypoint_correlation_user_and_event(in_worker):
    event = SimpleNamespace(event_id="ev-1", event_type="appraisal.result_finalized")
    in_worker(worker("on_result_finalized", "talent", (event,), correlation_id="corr-9",
                     actor={"user_id": "wang.org", "roles": ["ORG_ADMIN"]}))
    out = json.loads(written(logs.Json(), record("kept %s", "it", level=logging.INFO, name="talent")))
    assert {k: out[k] for k in logs.CONTEXT_FIELDS} == {
        "service": "talent", "entrypoint": "on_result_finalized", "correlation_id": "corr-9",
        "user": "wang.org", "event_id": "ev-1", "event_type": "appraisal.result_finalized"}
    assert out["message"] == "kept it" and out["time"].endswith("Z") and out["logger"] == "talent"
    text = written(logs.Text(), record("kept", level=logging.INFO, name="talent"))
    assert "[service=talent entrypoint=on_result_finalized correlation_id=corr-9 user=wang.org" in text


def test_a_line_outside_any_worker_names_only_the_process_service(in_worker):
    in_worker(None)
    out = json.loads(written(logs.Json(), record("started", level=logging.INFO, name="x")))
    assert "correlation_id" not in out and "user" not in out


@pytest.mark.parametrize("message", [
    "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
    "Connection to amqp://talent:s3cr3t-pass@rabbitmq:5672// failed",
    "GET /x?token=abcdef&password=hunter2",
])
def test_credentials_in_a_message_are_masked(message):
    out = written(logs.Text(), record(message, level=logging.WARNING, name="kombu"))
    for secret in ("eyJhbGciOiJIUzI1NiJ9", "s3cr3t-pass", "abcdef", "hunter2", "c2lnbmF0dXJl"):
        assert secret not in out
    assert "***" in out


def test_metrics_outcomes_are_ok_refused_or_error():
    assert [outcome_of(e) for e in (None, NotFound("x"), RuleViolation("x", rule="A-1"),
                                    Unavailable("x"), KeyError("x"))] == [
        "ok", "refused", "refused", "error", "error"]
