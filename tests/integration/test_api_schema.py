"""Every operation in the OpenAPI document, fuzzed by schemathesis against the running suite: no answer is
a 5xx, and every answer (status, content type, body) is one the document describes.

The cases are generated from ``build_spec()`` at import, one pytest item per operation, and sent to the
suite's gateway; a separate test proves the gateway serves exactly that document at /openapi.json.
(``schemathesis.pytest.from_fixture`` would load it from the server instead, but schemathesis 4.32 still
sets ``Function._nodeid``, which pytest 9.2 no longer has.) Requests carry an ORG_ADMIN token, so
permission checks let them through to the services; most random ids then meet a documented 404: this
test is about robustness and the contract, not business flows (test_slice.py has those).
"""

import collections
import os
import re
import shutil
import subprocess

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gateway.openapi import build_spec

pytestmark = pytest.mark.integration

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]

# Cases sent per operation, printed at the end of the module (visible with -s or on failure).
CASES: collections.Counter = collections.Counter()


@pytest.fixture(scope="module")
def admin_headers(suite):
    return suite.auth_headers("ORG_ADMIN")


@pytest.fixture(scope="module")
def case_counts():
    yield CASES
    print("\nschemathesis cases per operation:")
    for label, count in sorted(CASES.items()):
        print(f"  {count:5d}  {label}")


def test_the_gateway_serves_the_document_it_builds(suite):
    response = requests.get(suite.url + "/openapi.json", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == build_spec()


def test_the_docs_page_renders_every_operation_in_chromium(suite, tmp_path):
    """Swagger UI, opened in headless Chromium with no network but the gateway's: every operation is
    drawn, the Authorize button (the bearer token) is there, and try-it-out is on."""
    page = requests.get(suite.url + "/docs", timeout=30)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    dom = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path}", "--virtual-time-budget=20000", "--dump-dom",
         suite.url + "/docs"], capture_output=True, text=True, timeout=120, check=True).stdout
    spec = build_spec()
    drawn = set(re.findall(r'data-path="([^"]+)"', dom))
    assert drawn == set(spec["paths"]), sorted(set(spec["paths"]) ^ drawn)
    assert 'class="btn authorize' in dom


def chromium() -> str:
    """Debian's Chromium (make browser installs it); a test that needs it and finds none fails."""
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "no Chromium: run make browser (installs Debian's chromium)"
    return found


schema = schemathesis.openapi.from_dict(build_spec())


@schema.parametrize()
@settings(
    max_examples=100,
    # every case is a real round trip over RabbitMQ; timing belongs to the services, not to hypothesis
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.function_scoped_fixture],
)
def test_every_operation_answers_as_documented(case, suite, admin_headers, case_counts):
    case_counts[case.operation.label] += 1
    # framing headers are the WSGI server's business: eventlet refuses a request that carries both
    # Content-Length and Transfer-Encoding (as RFC 9112 requires) in plain text, before the gateway
    if case.headers:
        case.headers = {name: value for name, value in case.headers.items()
                        if name.lower() not in ("transfer-encoding", "content-length")}
    # the document names no servers; a slow answer fails as a timeout instead of hanging the run
    case.call_and_validate(base_url=suite.url, headers=admin_headers, checks=CHECKS, timeout=30)
