"""The officer console in real headless Chromium (Debian's, driven by Playwright), against the real suite
and the local OpenID provider of console/idp/, as an officer uses it: signing in through the provider's
page, then clicking through the console the gateway serves.

One suite and one provider serve every test of the package (starting them is the expensive part). The
suite trusts the provider's key set for the console's tokens, and its own secret for the tokens the tests
use to set records up (AUTH_SECRET_ISSUER, as `make run` has it).

These tests run in a pytest session of their own (`make test` runs it after the others): Playwright's
synchronous API does not run under eventlet's monkey patch, which tests/conftest.py applies for nameko.
The suite is the same: tests/integration/conftest.py starts it, in processes of its own.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import requests
from playwright.sync_api import sync_playwright

from console.e2e.browser import AXE, CHROMIUM, CHROMIUM_ARGS, CONSOLE, Officer
from devstack.common import free_port
from devstack.idp import identity_provider
from services.common.clock import CLOCK, OFFSET_VARIABLE
from tests.helpers import TEST_NOW, reachable_store
from tests.integration.conftest import running_suite

ROOT = Path(__file__).resolve().parents[2]
BRIEF_TOKEN_SECONDS = 12


@pytest.fixture(scope="session", autouse=True)
def test_clock():
    """The services' clock at TEST_NOW, as in every other test session (tests/conftest.py); the browser
    keeps the real time (the provider's tokens are stamped with it), so the tests name years outright."""
    CLOCK.set(TEST_NOW)
    os.environ[OFFSET_VARIABLE] = repr(CLOCK.offset_seconds())
    yield CLOCK


@pytest.fixture(scope="session")
def mongo_uri():
    return reachable_store()


class World:
    """The records the console tests read and change, made through the API with the suite's own
    tokens, and the provider's users who sign in to see them."""

    def __init__(self, suite):
        self.suite = suite
        tag = uuid.uuid4().hex[:6].upper()
        self.unit = f"CU-{tag}"
        self.other_unit = f"CO-{tag}"
        # the principal leader and seven participants: one EXCELLENT in the quota (15 %, A-1)
        self.cadres = [f"{self.unit}-{i:02d}" for i in range(1, 9)]
        self.other_cadre = f"{self.other_unit}-01"
        self.users = {
            "org1": {"name": "王组织", "roles": ["ORG_ADMIN"]},
            "org2": {"name": "李组织", "roles": ["ORG_ADMIN"]},
            "disc1": {"name": "赵纪检", "roles": ["DISCIPLINE_OFFICER"]},
            "disc2": {"name": "钱纪检", "roles": ["DISCIPLINE_OFFICER"]},
            "care1": {"name": "孙关爱", "roles": ["CARE_OFFICER"]},
            "unit1": {"name": "吴单位", "roles": ["UNIT_ADMIN"], "unit_id": self.unit},
            "cadre1": {"name": "干部甲", "roles": ["CADRE"], "cadre_id": self.cadres[3]},
            "audit1": {"name": "郑审计", "roles": ["AUDITOR"]},
            # an officer whose tokens last moments: what they type survives signing in again
            "brief1": {"name": "周短时", "roles": ["ORG_ADMIN"], "token_seconds": BRIEF_TOKEN_SECONDS},
        }

    def build(self):
        for unit, kind, cadres in ((self.unit, "CITY_DEPARTMENT", self.cadres),
                                   (self.other_unit, "CITY_DEPARTMENT", [self.other_cadre])):
            self.ok(self.suite.post("/units", {"unit_id": unit, "name": f"单位{unit}", "unit_type": kind}))
            for i, cadre in enumerate(cadres):
                self.ok(self.suite.post("/cadres", {
                    "cadre_id": cadre, "name": f"干部{cadre[-2:]}{unit[-2:]}", "unit_id": unit,
                    # the first three lead (accountability is for leading cadres, C-1), the first as principal
                    "level": "DIVISION" if i < 3 else "SECTION", "is_leader": i < 3, "is_principal": i == 0,
                    "birth_date": f"{1975 + i}-03-0{1 + i % 8}", "grassroots_years": 3, "service_years": 20,
                    "staff_category": "CIVIL_SERVANT"}))
        return self

    def ok(self, response):
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def label(self, family: str, code: str | None = None) -> str:
        """The Chinese label of a code (the first of its family without one), as the console shows it."""
        families = requests.get(self.suite.url + "/labels", timeout=30).json()["families"]
        code = code or next(iter(families[family]))
        return families[family][code]["zh"]

    def headers(self, *roles, **claims):
        return self.suite.auth_headers(*roles, **claims)


@pytest.fixture(scope="package")
def console_built():
    index = CONSOLE / "dist" / "index.html"
    if not index.is_file():
        pytest.fail("the console is not built: `make test` builds it (npm ci && npm run build in console/)",
                    pytrace=False)
    if not AXE.is_file():
        pytest.fail("axe-core is not installed: npm ci in console/", pytrace=False)
    return index


@pytest.fixture(scope="package")
def stack(request, rabbit_manager, mongo_uri, tmp_path_factory, console_built):
    """(suite, world, issuer, password): the suite and the provider, each trusting the other's name."""
    logs = tmp_path_factory.mktemp("console-logs")
    gateway = f"127.0.0.1:{free_port()}"
    probe = World(None)
    with identity_provider(probe.users, gateway, logs) as (issuer, password):
        extra = {"GATEWAY_ADDRESS": gateway, "AUTH_ISSUER": issuer, "AUTH_JWKS_URL": f"{issuer}/jwks",
                 "AUTH_SECRET_ISSUER": "cadre-local"}
        with running_suite(request, rabbit_manager, mongo_uri, tmp_path_factory, extra) as suite:
            probe.suite = suite
            yield suite, probe.build(), issuer, password


@pytest.fixture(scope="package")
def suite(stack):
    return stack[0]


@pytest.fixture(scope="package")
def world(stack):
    return stack[1]


@pytest.fixture(scope="package")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


SHOTS = ROOT / ".stack" / "console-e2e"


@pytest.fixture
def officer(browser, stack, request):
    """A browser context per person: its own memory, cookies and session at the provider. What each
    page showed at the end goes to .stack/console-e2e/ (a failed test's last screen)."""
    suite, _, _, password = stack
    contexts = []

    def make() -> Officer:
        context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN",
                                      accept_downloads=True)
        context.set_default_timeout(20_000)
        contexts.append(context)
        return Officer(context.new_page(), suite.url, password)

    yield make
    SHOTS.mkdir(parents=True, exist_ok=True)
    name = "".join(c if c.isalnum() or c in "-_" else "_" for c in request.node.name)
    for i, context in enumerate(contexts):
        for page in context.pages:
            try:
                page.screenshot(path=SHOTS / f"{name}-{i}.png", full_page=True)
            except Exception:  # a page that crashed: nothing to show
                pass
        context.close()
