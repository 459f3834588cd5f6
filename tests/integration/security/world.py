"""The fixture module of the security tests: the records every security test module works on (one
World, made once and shared by every module of this package), the permission matrix read from
docs/permissions.md, and one call per endpoint that the matrix test sends for each of its cells.

The matrix test reads docs/permissions.md. For every row, role and case it sends the real request with a
token for that role and checks the answer: allowed -> the status the organisation department would get;
denied -> 403 FORBIDDEN and nothing written. The records (made once for the whole package, fresh ids):

    unit A:  cadre "self", another cadre, cycles A1 and A2 (open)        unit B:  a cadre, cycle B1 (open)

Every role's token carries ``unit_id`` A and ``cadre_id`` "self", so the test also proves that those claims
give nothing beyond what the role's cell says. own / other / other-unit then touch: a cadre -- self / the
other cadre of A / the cadre of B; a cycle -- A1 / A2 / B1; a unit -- A / A / B. Writes use fresh ids or
re-create what they consume (each finalize gets a newly opened cycle).

Accountability targets leading cadres (C-1), so its rows use three more cadres, made only when the first
of those rows runs: a leader of A for own, another for other, a leader of B for other-unit; a case or a
complaint touches the leader it concerns. Each write gets a fresh case, driven by the organisation
department to the state the write needs.

Tolerance's rows touch the cadres self / the other cadre of A / the cadre of B: an application is for the
case's cadre. Each write gets a fresh application, driven by the organisation department to the state the
write needs; the reads use one standing application per cadre, filed when the first of those rows runs.

Talent's new rows never move the standing cadres: an update, a selection, a posting (which moves the cadre
to the other unit) and every pool move touch a fresh SECTION cadre of the case's unit (no level profile to
assess), made and driven by the organisation department to the state the call needs. The reads use a young
cadre per unit and a nominated cadre per case, made when the first of those rows runs; an allocation names
the standing cadre of the case as its candidate, in a fresh programme.

Care's rows touch the cadres self / the other cadre of A / the cadre of B (care learns them from talent's
events: the first of its rows waits until it has). A talk, a health check, leave, a referral and a
hardship application are for the case's cadre; a health-check report is of the case's unit, the fund of
the year. Writes use a fresh year per cadre (a health check, leave), a fresh application, a talk of a
reason none is open of (one open per cadre and reason), or a standing bereaved family per case (the
families of three more cadres, made when the first of those rows runs). The fund's approvals draw on the
current year's budget, set once for the whole package.
"""

from __future__ import annotations

import collections
import functools
import itertools
import json
import re
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import requests
from pymongo import MongoClient

from gateway.routes import PATH_PARAM, ROUTES
from gateway.service import GatewayService
from services.common.boundary.security import ROLES
from services.common.clock import business_year, utcnow
from services.talent.rules import STANDARDS
from services.tolerance.rules import CONDITIONS, FACTORS
from tests.helpers import roster_file, wait_for

MATRIX_DOC = Path(__file__).resolve().parents[3] / "docs" / "permissions.md"
CASES = ("own", "other", "other-unit")
# the vocabulary of docs/permissions.md: each word -> allowed? for own, other, other-unit
WORDS = {
    "all": (True, True, True),
    "own unit": (True, True, False),
    "self": (True, False, False),
    "—": (False, False, False),
}

# every token and Authorization value sent by the security tests: none may appear in any log
SENT: set[str] = set()


# docs/permissions.md


def _row(line: str) -> list[str] | None:
    line = line.strip()
    if len(line) < 2 or not (line.startswith("|") and line.endswith("|")):
        return None
    return [cell.strip() for cell in line[1:-1].split("|")]


def _tables(text: str) -> list[list[list[str]]]:
    tables, current = [], []
    for line in text.splitlines():
        cells = _row(line)
        if cells is None:
            if current:
                tables.append(current)
            current = []
        elif not all(re.fullmatch(r":?-{3,}:?", cell) for cell in cells):
            current.append(cells)
    if current:
        tables.append(current)
    return tables


def _endpoint(cell: str) -> str:
    return cell.strip("`").strip()


def read_permissions(text: str) -> tuple[dict[str, dict[str, str]], set[str], list[str]]:
    """(matrix {endpoint: {role: word}}, public endpoints, problems with the document)."""
    problems: list[str] = []
    matrices = [t for t in _tables(text) if t[0][0] == "Endpoint" and len(t[0]) > 2]
    publics = [t for t in _tables(text) if t[0] == ["Endpoint", "What"]]
    if len(matrices) != 1 or len(publics) != 1:
        problems.append(f"expected one matrix table (| Endpoint | {' | '.join(ROLES)} |) and one public "
                        f"table (| Endpoint | What |); found {len(matrices)} and {len(publics)}")
        return {}, set(), problems
    header, *rows = matrices[0]
    roles = header[1:]
    if sorted(roles) != sorted(ROLES) or len(set(roles)) != len(roles):
        problems.append(f"the matrix columns must be exactly the roles {ROLES}; they are {roles}")
        return {}, set(), problems
    matrix: dict[str, dict[str, str]] = {}
    for cells in rows:
        endpoint = _endpoint(cells[0])
        if len(cells) != len(header):
            problems.append(f"row {endpoint!r} has {len(cells) - 1} role cells, not {len(roles)}")
            continue
        if endpoint in matrix:
            problems.append(f"row {endpoint!r} appears twice")
        unknown = [word for word in cells[1:] if word not in WORDS]
        if unknown:
            problems.append(f"row {endpoint!r} uses {unknown}; the words are {list(WORDS)}")
            continue
        matrix[endpoint] = dict(zip(roles, cells[1:], strict=True))
    public = {_endpoint(cells[0]) for cells in publics[0][1:]}
    return matrix, public, problems


try:
    MATRIX, PUBLIC, DOC_PROBLEMS = read_permissions(MATRIX_DOC.read_text(encoding="utf-8"))
except OSError as exc:
    MATRIX, PUBLIC, DOC_PROBLEMS = {}, set(), [f"cannot read {MATRIX_DOC}: {exc}"]

ROUTE_ENDPOINTS = {f"{route.method} {route.openapi_path}": route for route in ROUTES}


def gateway_endpoints() -> set[str]:
    """Every @http endpoint the gateway class declares, written as in the OpenAPI document."""
    found = set()
    for name in dir(GatewayService):
        for entrypoint in getattr(getattr(GatewayService, name), "nameko_entrypoints", ()):
            path = re.sub(PATH_PARAM, r"{\1}", entrypoint.url)
            found.add(f"{entrypoint.method} {path}")
    return found


# the records and the calls


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def bearer(token: str) -> dict[str, str]:
    SENT.add(token)
    return {"Authorization": f"Bearer {token}"}


def error_code(response: requests.Response) -> str | None:
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def cadre_body(cadre_id: str, unit_id: str, **extra) -> dict:
    return {"cadre_id": cadre_id, "name": "李四", "unit_id": unit_id, "level": "SECTION",
            "is_leader": False, "is_principal": False, "birth_date": "1985-03-04",
            "grassroots_years": 3, "service_years": 10, **extra}


class World:
    """Units A and B with their cadres and open cycles, made by an ORG_ADMIN of its own."""

    def __init__(self, suite):
        self.suite = suite
        self.admin_sub = new_id("sec-admin")
        self.admin = bearer(suite.token("ORG_ADMIN", sub=self.admin_sub))
        # years go back from 2025: appraisal refuses future years; one counter per unit and kind
        self.years: dict[tuple, itertools.count] = collections.defaultdict(
            lambda: itertools.count(2025, -1))
        self.unit_a = self.register_unit()
        self.unit_b = self.register_unit()
        self.self_id = self.register_cadre(self.unit_a)
        self.other_id = self.register_cadre(self.unit_a)
        self.foreign_id = self.register_cadre(self.unit_b)
        self.cycle_a1 = self.open_cycle(self.unit_a, 2026, "ANNUAL")
        self.cycle_a2 = self.open_cycle(self.unit_a, 2026, "SPECIAL")
        self.cycle_b1 = self.open_cycle(self.unit_b, 2026, "ANNUAL")
        # appraisal learns cadres from talent's events: wait until it can grade each of them
        for cycle_id, cadre_id in self.graded.values():
            self.grade(cycle_id, cadre_id, "COMPETENT")

    # the records each case touches

    @property
    def cadres(self) -> dict[str, str]:
        return {"own": self.self_id, "other": self.other_id, "other-unit": self.foreign_id}

    @property
    def units(self) -> dict[str, str]:
        return {"own": self.unit_a, "other": self.unit_a, "other-unit": self.unit_b}

    @property
    def cycles(self) -> dict[str, str]:
        return {"own": self.cycle_a1, "other": self.cycle_a2, "other-unit": self.cycle_b1}

    @property
    def graded(self) -> dict[str, tuple[str, str]]:
        return {"own": (self.cycle_a1, self.self_id), "other": (self.cycle_a2, self.other_id),
                "other-unit": (self.cycle_b1, self.foreign_id)}

    def role_headers(self, role: str, sub: str | None = None) -> dict[str, str]:
        return bearer(self.suite.token(role, sub=sub or new_id(f"sec-{role.lower()}"),
                                       unit_id=self.unit_a, cadre_id=self.self_id))

    # as the organisation department

    def get(self, path: str, headers=None, **query) -> requests.Response:
        return self.suite.get(path + (f"?{urlencode(query)}" if query else ""),
                              headers=self.admin if headers is None else headers)

    def post(self, path: str, body=None, headers=None, **kwargs) -> requests.Response:
        return self.suite.post(path, body, headers=self.admin if headers is None else headers, **kwargs)

    def patch(self, path: str, body: dict, headers=None) -> requests.Response:
        headers = self.admin if headers is None else headers
        return requests.patch(self.suite.url + path, data=json.dumps(body), timeout=30,
                              headers={"Content-Type": "application/json", **headers})

    def register_unit(self) -> str:
        unit_id = new_id("U")
        response = self.post("/units", {"unit_id": unit_id, "name": "硚口区", "unit_type": "DISTRICT"})
        assert response.status_code == 201, response.text
        return unit_id

    def register_cadre(self, unit_id: str, **extra) -> str:
        cadre_id = new_id("C")
        response = self.post("/cadres", cadre_body(cadre_id, unit_id, **extra))
        assert response.status_code == 201, response.text
        return cadre_id

    def next_year(self, unit_id: str, kind: str = "ANNUAL") -> int:
        return next(self.years[unit_id, kind])

    def open_cycle(self, unit_id: str, year: int | None = None, kind: str = "ANNUAL") -> str:
        body = {"unit_id": unit_id, "year": year or self.next_year(unit_id, kind), "kind": kind}

        def attempt():
            response = self.post("/appraisal/cycles", body)
            if response.status_code == 404 and error_code(response) == "UNIT_NOT_FOUND":
                return None
            assert response.status_code == 201, response.text
            return response.json()["cycle_id"]

        return wait_for(attempt, timeout=15, interval=0.2, what=f"appraisal to learn unit {unit_id}")

    def grade(self, cycle_id: str, cadre_id: str, grade: str) -> None:
        def attempt():
            response = self.post(f"/appraisal/cycles/{cycle_id}/grades",
                                 {"cadre_id": cadre_id, "grade": grade})
            if response.status_code == 404 and error_code(response) == "CADRE_NOT_FOUND":
                return None
            assert response.status_code == 200, response.text
            return True

        wait_for(attempt, timeout=15, interval=0.2, what=f"appraisal to learn cadre {cadre_id}")

    def cycle(self, cycle_id: str) -> dict:
        response = self.get(f"/appraisal/cycles/{cycle_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def grade_of(self, cycle_id: str, cadre_id: str) -> str | None:
        grades = {r["cadre_id"]: r["grade"] for r in self.cycle(cycle_id)["results"]}
        return grades.get(cadre_id)

    def audit(self, **query) -> list[dict]:
        response = self.get("/audit", headers=self.role_headers("AUDITOR"), **query)
        assert response.status_code == 200, response.text
        return response.json()

    @functools.cached_property
    def quota_group(self) -> str:
        cycle_ids = [self.open_cycle(self.register_unit(), 2025) for _ in range(2)]
        response = self.post("/appraisal/quota-groups", {"name": "合并计算", "cycle_ids": cycle_ids})
        assert response.status_code == 201, response.text
        return response.json()["group_id"]

    # accountability: made when its first row runs

    @functools.cached_property
    def _leaders_and_cases(self) -> tuple[dict[str, str], dict[str, str]]:
        leaders = {case: self.register_cadre(self.units[case], is_leader=True) for case in CASES}
        # opening a case waits until accountability has learnt the cadre from talent's event
        cases = {case: self.open_case(cadre_id)["case_id"] for case, cadre_id in leaders.items()}
        return leaders, cases

    @property
    def leaders(self) -> dict[str, str]:
        """A leading cadre per case (cases and complaints concern leading cadres, C-1), already known
        to accountability: the calls under test never meet CADRE_NOT_FOUND."""
        return self._leaders_and_cases[0]

    @property
    def standing_cases(self) -> dict[str, str]:
        """An open case per leader, for the calls that only read."""
        return self._leaders_and_cases[1]

    @functools.cached_property
    def second_admin(self) -> dict[str, str]:
        """Another officer of the organisation department: the second pair of eyes."""
        return bearer(self.suite.token("ORG_ADMIN", sub=new_id("sec-admin")))

    @functools.cached_property
    def standing_complaints(self) -> dict[str, str]:
        """A named complaint per leader, for the calls that only read."""
        return {case: self.file_complaint(case)["complaint_id"] for case in CASES}

    def _made_for_a_leader(self, path: str, body: dict) -> dict:
        """POST ``body`` as the department, once accountability has learnt the cadre from talent's
        event (CADRE_NOT_FOUND until then)."""

        def attempt():
            response = self.post(path, body)
            if response.status_code == 404 and error_code(response) == "CADRE_NOT_FOUND":
                return None
            assert response.status_code == 201, response.text
            return response.json()

        return wait_for(attempt, timeout=15, interval=0.2,
                        what=f"accountability to learn cadre {body['cadre_id']}")

    def open_case(self, cadre_id: str) -> dict:
        return self._made_for_a_leader("/accountability/cases", {
            "cadre_id": cadre_id, "source": "INSPECTION", "situations": ["REFORM_1"],
            "summary": f"推诿扯皮 {new_id('case')}"})

    def file_complaint(self, case: str) -> dict:
        return self._made_for_a_leader("/accountability/complaints", {
            "cadre_id": self.leaders[case], "matter": f"群众反映 {new_id('matter')}",
            "reporter": REPORTER})

    def case_in(self, case: str, status: str) -> str:
        """A fresh case of the case's leader, moved by the department to ``status``: OPEN,
        INVESTIGATING, VERIFIED, PROPOSED (verified, a decision proposed by ``admin``) or DECIDED
        (that decision approved by ``second_admin``)."""
        case_id = self.open_case(self.leaders[case])["case_id"]
        steps = (("INVESTIGATING", "investigation", {"reason": "立案调查"}, self.admin),
                 ("VERIFIED", "verification", {"findings": "经查属实"}, self.admin),
                 ("PROPOSED", "proposal", PROPOSAL, self.admin),
                 ("DECIDED", "approval", {"reason": "同意"}, self.second_admin))
        reached = "OPEN"
        for step_status, step, body, headers in steps:
            if reached == status:
                break
            if step == "approval":
                body = {**body, "proposal_id": self.proposal_id(case_id)}
            response = self.post(f"/accountability/cases/{case_id}/{step}", body, headers=headers)
            assert response.status_code == 200, response.text
            reached = step_status
        assert reached == status, f"no way to {status}"
        return case_id

    def proposal_id(self, case_id: str) -> str:
        """The waiting proposal's id, as an approver reads it before approving (four eyes)."""
        return self.case(case_id)["proposal"]["proposal_id"]

    def case(self, case_id: str) -> dict:
        response = self.get(f"/accountability/cases/{case_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def cases_of(self, cadre_id: str) -> list[dict]:
        response = self.get("/accountability/cases", cadre_id=cadre_id)
        assert response.status_code == 200, response.text
        return response.json()

    def complaint(self, complaint_id: str, headers=None) -> dict:
        response = self.get(f"/accountability/complaints/{complaint_id}", headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    def stored_complaints(self, matter: str) -> int:
        """How many complaints accountability's store holds with this matter: no endpoint lists
        complaints, so a refused filing is shown to have written nothing in the store itself."""
        env = self.suite.env
        with MongoClient(env["MONGODB_URI"]) as client:
            database = client[env["MONGODB_DATABASE_PREFIX"] + "accountability"]
            return database["complaints"].count_documents({"matter": matter})

    # tolerance: made when its first row runs

    def file_application(self, cadre_id: str, headers=None, **extra) -> dict:
        """An application for the cadre filed as the department (or ``headers``), once tolerance has
        learnt the cadre from talent's event (CADRE_NOT_FOUND until then)."""
        body = {"cadre_id": cadre_id, "situation": "REFORM_EXPLORATION",
                "facts": f"改革探索中出现失误 {new_id('facts')}", **extra}

        def attempt():
            response = self.post("/tolerance/applications", body, headers=headers)
            if response.status_code == 404 and error_code(response) == "CADRE_NOT_FOUND":
                return None
            assert response.status_code == 201, response.text
            return response.json()

        return wait_for(attempt, timeout=15, interval=0.2, what=f"tolerance to learn cadre {cadre_id}")

    @functools.cached_property
    def standing_applications(self) -> dict[str, str]:
        """A filed application per case's cadre, for the calls that only read; once it is made,
        tolerance knows the three cadres and the calls under test never meet CADRE_NOT_FOUND."""
        return {case: self.file_application(cadre_id)["application_id"]
                for case, cadre_id in self.cadres.items()}

    def application_in(self, case: str, status: str) -> str:
        """A fresh application for the case's cadre, moved by the department to ``status``: FILED,
        UNDER_REVIEW, ASSESSED (every condition and factor recorded), PROPOSED (an EXEMPTED ruling
        proposed by ``admin``) or RULED (that ruling approved by ``second_admin``)."""
        assert self.standing_applications  # tolerance knows the cadre
        application_id = self.file_application(self.cadres[case])["application_id"]
        steps = (("UNDER_REVIEW", "review", {"reason": "受理"}, self.admin),
                 ("ASSESSED", "assessment", ASSESSMENT, self.admin),
                 ("PROPOSED", "proposal", None, self.admin),
                 ("RULED", "approval", {"reason": "同意"}, self.second_admin))
        reached = "FILED"
        for step_status, step, body, headers in steps:
            if reached == status:
                break
            if step == "proposal":
                body = ruling()
            if step == "approval":
                body = {**body, "proposal_id": self.ruling_proposal_id(application_id)}
            response = self.post(f"/tolerance/applications/{application_id}/{step}", body,
                                 headers=headers)
            assert response.status_code == 200, response.text
            reached = step_status
        assert reached == status, f"no way to {status}"
        return application_id

    def ruling_proposal_id(self, application_id: str) -> str:
        """The waiting proposal's id, as an approver reads it before approving (four eyes)."""
        return self.application(application_id)["proposal"]["proposal_id"]

    def application(self, application_id: str, headers=None) -> dict:
        response = self.get(f"/tolerance/applications/{application_id}", headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    def applications_of(self, cadre_id: str) -> list[dict]:
        response = self.get("/tolerance/applications", cadre_id=cadre_id, limit=1000)
        assert response.status_code == 200, response.text
        return response.json()

    @functools.cached_property
    def overdue_measure(self) -> str:
        """A corrective measure of a ruling on the own cadre's application, already overdue: its
        deadline lies a few seconds ahead when it is proposed (T-7 wants it ahead), then passes."""
        assert self.standing_applications  # tolerance knows the cadre
        application_id = self.application_in("own", "ASSESSED")
        due = utcnow() + timedelta(seconds=3)
        response = self.post(f"/tolerance/applications/{application_id}/proposal",
                             ruling(due=due))
        assert response.status_code == 200, response.text
        response = self.post(f"/tolerance/applications/{application_id}/approval",
                             {"proposal_id": self.ruling_proposal_id(application_id)},
                             headers=self.second_admin)
        assert response.status_code == 200, response.text
        [measure] = response.json()["measures"]
        time.sleep(max((due - utcnow()).total_seconds(), 0) + 0.5)
        return measure["measure_id"]

    # talent: fresh cadres for what moves a cadre, standing records made when their first row runs

    def cadre(self, cadre_id: str) -> dict:
        response = self.get(f"/cadres/{cadre_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def pool_entry(self, cadre_id: str) -> dict | None:
        response = self.get("/talent/pool", limit=1000)
        assert response.status_code == 200, response.text
        return next((e for e in response.json() if e["cadre_id"] == cadre_id), None)

    def pool_status(self, cadre_id: str) -> str | None:
        entry = self.pool_entry(cadre_id)
        return entry and entry["status"]

    def in_pool(self, case: str, status: str) -> str:
        """A fresh SECTION cadre of the case's unit, moved by the department to ``status`` in the
        pool: NOMINATED (evidence for every standard) or RESERVE (every standard holds)."""
        cadre_id = self.register_cadre(self.units[case])
        steps = (("NOMINATED", "nomination", {"evidence": EVIDENCE}),
                 ("RESERVE", "assessment", {"standards": ALL_HOLD}))
        for step_status, step, body in steps:
            response = self.post(f"/talent/pool/{cadre_id}/{step}", body)
            assert (response.status_code, response.json().get("status")) == (200, step_status), (
                response.text)
            if step_status == status:
                return cadre_id
        raise AssertionError(f"no way to {status}")

    @functools.cached_property
    def standing_pool(self) -> dict[str, str]:
        """A nominated cadre per case, for the reads of the pool."""
        return {case: self.in_pool(case, "NOMINATED") for case in CASES}

    @functools.cached_property
    def young(self) -> dict[str, str]:
        """A young cadre (L-4) of each case's unit: the one of unit A for own and other."""
        by_unit = {unit_id: self.register_cadre(unit_id, birth_date="2000-06-01")
                   for unit_id in (self.unit_a, self.unit_b)}
        return {case: by_unit[self.units[case]] for case in CASES}

    @functools.cached_property
    def long_in_post(self) -> dict[str, str]:
        """A leading cadre in the same post since 2014 (L-7: must rotate) of each case's unit."""
        by_unit = {unit_id: self.register_cadre(unit_id, is_leader=True, level="DIVISION",
                                                post_since="2014-03-01")
                   for unit_id in (self.unit_a, self.unit_b)}
        return {case: by_unit[self.units[case]] for case in CASES}

    def commendation(self, case: str) -> str:
        response = self.post("/appraisal/commendations", {
            "cadre_id": self.cadres[case], "year": 2025, "kind": "COMMENDATION",
            "deed": f"防汛救灾 {new_id('deed')}", "deed_kind": "MAJOR_WORK"})
        assert response.status_code == 201, response.text
        return response.json()["commendation_id"]

    def unit_grade_year(self, unit_id: str) -> int:
        """A year the unit is graded PASS in."""
        year = self.next_year(unit_id, "unit-grade")
        response = self.post("/appraisal/unit-grades", {"unit_id": unit_id, "year": year,
                                                        "grade": "PASS"})
        assert response.status_code == 201, response.text
        return year

    @property
    def cycle_year(self) -> int:
        return self.cycle(self.cycles["own"])["year"]

    @functools.cached_property
    def health_checked(self) -> dict[str, tuple[str, str]]:
        """A cadre per case with a health check recorded, and their unit."""
        assert self.care_cadres
        found = {}
        for case in CASES:
            cadre_id, unit_id = self.cadres[case], self.units[case]
            year = self.next_year(cadre_id, "health-check")
            response = self.post("/care/health-checks", {"cadre_id": cadre_id, "year": year,
                                                         "checked_on": f"{year}-04-10"})
            assert response.status_code == 201, response.text
            found[case] = (cadre_id, unit_id)
        return found

    def create_programme(self) -> str:
        response = self.post("/talent/programmes",
                             {"name": f"激励性调训班 {new_id('p')}", "year": 2026, "seats": 2})
        assert response.status_code == 201, response.text
        return response.json()["programme_id"]

    def stored_programmes(self, **query) -> list[dict]:
        """Programmes in talent's store: no endpoint reads a programme back, so a refused creation
        or allocation is shown to have written nothing in the store itself."""
        env = self.suite.env
        with MongoClient(env["MONGODB_URI"]) as client:
            return list(client[env["MONGODB_DATABASE_PREFIX"] + "talent"]["programmes"].find(query))

    # care: made when its first row runs

    def care_knows(self, cadre_id: str) -> str:
        """Wait until care has learnt the cadre from talent's event (CADRE_NOT_FOUND until then)."""

        def attempt():
            response = self.get(f"/care/cadres/{cadre_id}/leave/{UNTOUCHED_YEAR}")
            if response.status_code == 404 and error_code(response) == "CADRE_NOT_FOUND":
                return None
            assert response.status_code == 200, response.text
            return cadre_id

        return wait_for(attempt, timeout=15, interval=0.2, what=f"care to learn cadre {cadre_id}")

    @functools.cached_property
    def care_cadres(self) -> bool:
        """Care knows the three cadres: the calls under test never meet CADRE_NOT_FOUND."""
        return all(self.care_knows(cadre_id) for cadre_id in self.cadres.values())

    def care_cadre(self, unit_id: str) -> str:
        """A fresh cadre of the unit, once care knows it."""
        return self.care_knows(self.register_cadre(unit_id))

    def leave(self, cadre_id: str, year: int, headers=None) -> dict:
        response = self.get(f"/care/cadres/{cadre_id}/leave/{year}", headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    def talks_of(self, cadre_id: str, **query) -> list[dict]:
        response = self.get("/care/talks", cadre_id=cadre_id, limit=1000, **query)
        assert response.status_code == 200, response.text
        return response.json()

    def talk(self, cadre_id: str, talk_id: str) -> dict:
        [found] = [t for t in self.talks_of(cadre_id) if t["talk_id"] == talk_id]
        return found

    def open_talk(self, cadre_id: str, reason: str) -> dict:
        """A talk of ``reason`` opened by the department: a fresh one, or the one already open."""
        response = self.post("/care/talks", {"cadre_id": cadre_id, "reason": reason,
                                             "notes": f"谈心谈话 {new_id('notes')}"})
        assert response.status_code == 201, response.text
        return response.json()

    def close_talks(self, cadre_id: str, reason: str) -> None:
        """Complete the cadre's open talks of ``reason`` opened by people: the next one asked for is
        new (one is open per cadre and reason; asking again returns it, K-1)."""
        for talk in self.talks_of(cadre_id, status="OPEN"):
            if talk["reason"] == reason and talk["matter"]["type"] == "person":
                response = self.post(f"/care/talks/{talk['talk_id']}/completion", {"record": "已谈"})
                assert response.status_code == 200, response.text

    @functools.cached_property
    def standing_talks(self) -> dict[str, str]:
        """A JOB_ADJUSTMENT talk per case's cadre, for the calls that only read."""
        assert self.care_cadres
        return {case: self.open_talk(cadre_id, "JOB_ADJUSTMENT")["talk_id"]
                for case, cadre_id in self.cadres.items()}

    @functools.cached_property
    def care_officer(self) -> dict[str, str]:
        """A care officer: the only reader of referrals (K-4)."""
        return bearer(self.suite.token("CARE_OFFICER", sub=new_id("sec-care")))

    def referrals_of(self, cadre_id: str) -> list[dict]:
        response = self.get(f"/care/cadres/{cadre_id}/referrals", headers=self.care_officer)
        assert response.status_code == 200, response.text
        return response.json()

    def refer(self, cadre_id: str, headers=None) -> dict:
        response = self.post("/care/referrals", {"cadre_id": cadre_id,
                                                 "notes": f"情绪低落，建议疏导 {new_id('notes')}"},
                             headers=headers)
        assert response.status_code == 201, response.text
        return response.json()

    @functools.cached_property
    def standing_referrals(self) -> dict[str, str]:
        """A referral per case's cadre, for the calls that only read."""
        assert self.care_cadres
        return {case: self.refer(cadre_id)["referral_id"] for case, cadre_id in self.cadres.items()}

    def fund(self, year: int) -> dict:
        response = self.get(f"/care/fund/{year}")
        assert response.status_code == 200, response.text
        return response.json()

    @functools.cached_property
    def fund_year(self) -> int:
        """The current year (the department's, as care reckons it), its fund given a budget large
        enough for every approval of the security tests."""
        year = business_year(utcnow())
        response = self.post("/care/fund/budget", {"year": year, "amount": FUND_BUDGET})
        assert response.status_code == 200, response.text
        return year

    def apply_hardship(self, case: str) -> str:
        """A fresh PENDING application for the case's cadre, filed by the department."""
        assert self.care_cadres
        response = self.post("/care/hardship-applications", {
            "cadre_id": self.cadres[case], "reason": "MAJOR_ILLNESS",
            "facts": f"本人突发重病 {new_id('facts')}"})
        assert response.status_code == 201, response.text
        return response.json()["application_id"]

    def register_family(self, cadre_id: str, **extra) -> dict:
        response = self.post("/care/families", {"cadre_id": cadre_id, **FAMILY, **extra})
        assert response.status_code == 201, response.text
        return response.json()

    @functools.cached_property
    def families(self) -> dict[str, str]:
        """A bereaved family per case: of a fresh cadre of unit A for own and for other, of unit B
        for other-unit."""
        cadres = {case: self.register_cadre(self.units[case]) for case in CASES}
        return {case: self.register_family(self.care_knows(cadre_id))["family_id"]
                for case, cadre_id in cadres.items()}

    @functools.cached_property
    def overdue_family(self) -> str:
        """A family of a fresh cadre of unit A, visited monthly, last in August 2024: overdue (K-6)."""
        family_id = self.register_family(self.care_cadre(self.unit_a), visit_every_months=1)["family_id"]
        response = self.post(f"/care/families/{family_id}/visits",
                             {"visited_on": "2024-08-15", "notes": "中秋慰问"})
        assert response.status_code == 200, response.text
        return family_id

    def care_store(self, collection: str, query: dict) -> list[dict]:
        """Documents in care's own store: no endpoint reads an application or a family back, so what
        a call did (or did not) write there is read in the store itself."""
        env = self.suite.env
        with MongoClient(env["MONGODB_URI"]) as client:
            return list(client[env["MONGODB_DATABASE_PREFIX"] + "care"][collection].find(query))


REPORTER = {"name": "王五", "contact": "027-12345678"}
# L-1: evidence for each of the five standards, and each of them holding
EVIDENCE = {code: "考察属实，有据可查" for code in STANDARDS}
ALL_HOLD = {code: {"holds": True, "evidence": "考察属实"} for code in STANDARDS}


def roster_csv(rows: list[tuple[str, str]]) -> str:
    """A roster file with a SECTION cadre per (cadre id, unit id)."""
    return roster_file(f"{cadre_id},干部{cadre_id[-4:]},{unit_id},SECTION,false,false,1986-07-01,3,12"
                       for cadre_id, unit_id in rows)


# a MINOR matter allows one light sanction (C-2)
PROPOSAL = {"severity": "MINOR", "sanctions": ["ADMONISHMENT"], "reason": "情节较轻"}
# every condition holds, no loss, every factor is rated (T-5): EXEMPTED (T-3, T-4) or MITIGATED (T-4)
ASSESSMENT = {"conditions": {code: {"holds": True, "evidence": "经查属实"} for code in CONDITIONS},
              "loss": {"level": "NONE", "evidence": "未造成损失"},
              "factors": {code: {"rating": "FAVOURABLE", "note": "综合研判"} for code in FACTORS}}
ALLOWED_OUTCOMES = [{"outcome": "EXEMPTED", "rules": ["T-3", "T-4"]},
                    {"outcome": "MITIGATED", "rules": ["T-4"]}]
# care: a year nobody records leave or a health check in (World.years count down from 2025); the current
# year's hardship fund budget; a family to register (K-6); a grant (K-5)
UNTOUCHED_YEAR = 2100
FUND_BUDGET = "1000000.00"
GRANT = "150.00"
FAMILY = {"died_on": "2024-07-09", "dependants": [{"name": "刘芳", "relation": "SPOUSE"},
                                                  {"name": "张小明", "relation": "CHILD"}]}


def ruling(due: datetime | None = None) -> dict:
    """An EXEMPTED ruling with one corrective measure, due in 30 days unless said (T-7)."""
    due = due or utcnow() + timedelta(days=30)
    return {"outcome": "EXEMPTED", "reasoning": "符合容错情形",
            "measures": [{"description": "完善决策程序", "due": due.isoformat()}]}


# One function per endpoint: (response, the status an allowed call gets, a check of what was written).
Effect = Callable[[bool], None] | None
Call = Callable[[World, str, dict], tuple[requests.Response, int, Effect]]


def call_register_unit(w: World, case: str, headers: dict):
    # own / other-unit: units A and B again (allowed: 409, nothing changes); other: a new unit
    unit_id = new_id("U") if case == "other" else w.units[case]
    body = {"unit_id": unit_id, "name": "新单位", "unit_type": "DISTRICT"}
    response = w.post("/units", body, headers=headers)

    def effect(allowed: bool):
        if case == "other":  # registering it now succeeds only if the call did not
            assert w.post("/units", body).status_code == (409 if allowed else 201)

    return response, (201 if case == "other" else 409), effect


def call_register_cadre(w: World, case: str, headers: dict):
    # own: the caller's own cadre record again (allowed: 409); other / other-unit: a new cadre of A / B
    cadre_id = w.self_id if case == "own" else new_id("C")
    response = w.post("/cadres", cadre_body(cadre_id, w.units[case]), headers=headers)

    def effect(allowed: bool):
        if case != "own":
            assert w.get(f"/cadres/{cadre_id}").status_code == (200 if allowed else 404)

    return response, (409 if case == "own" else 201), effect


def call_get_cadre(w: World, case: str, headers: dict):
    cadre_id = w.cadres[case]
    response = w.get(f"/cadres/{cadre_id}", headers=headers)

    def effect(allowed: bool):
        if allowed:
            assert response.json()["cadre_id"] == cadre_id

    return response, 200, effect


def call_get_eligibility(w: World, case: str, headers: dict):
    cadre_id = w.cadres[case]
    response = w.get(f"/cadres/{cadre_id}/eligibility", headers=headers)

    def effect(allowed: bool):
        if allowed:
            assert response.json()["cadre_id"] == cadre_id

    return response, 200, effect


def call_open_cycle(w: World, case: str, headers: dict):
    unit_id = w.units[case]
    body = {"unit_id": unit_id, "year": w.next_year(unit_id), "kind": "ANNUAL"}
    response = w.post("/appraisal/cycles", body, headers=headers)

    def effect(allowed: bool):  # the same cycle can be opened now only if the call did not open it
        assert w.post("/appraisal/cycles", body).status_code == (409 if allowed else 201)

    return response, 201, effect


def call_get_cycle(w: World, case: str, headers: dict):
    cycle_id = w.cycles[case]
    response = w.get(f"/appraisal/cycles/{cycle_id}", headers=headers)

    def effect(allowed: bool):
        if allowed:
            assert response.json()["cycle_id"] == cycle_id

    return response, 200, effect


def call_record_grade(w: World, case: str, headers: dict):
    cycle_id, cadre_id = w.graded[case]
    before = w.grade_of(cycle_id, cadre_id)
    # not EXCELLENT: two cadres give unit A no EXCELLENT quota
    grade = "BASICALLY_COMPETENT" if before != "BASICALLY_COMPETENT" else "COMPETENT"
    response = w.post(f"/appraisal/cycles/{cycle_id}/grades", {"cadre_id": cadre_id, "grade": grade},
                      headers=headers)

    def effect(allowed: bool):
        assert w.grade_of(cycle_id, cadre_id) == (grade if allowed else before)

    return response, 200, effect


def call_record_grades(w: World, case: str, headers: dict):
    cycle_id, cadre_id = w.graded[case]
    before = w.grade_of(cycle_id, cadre_id)
    # not EXCELLENT: two cadres give unit A no EXCELLENT quota
    grade = "BASICALLY_COMPETENT" if before != "BASICALLY_COMPETENT" else "COMPETENT"
    response = w.post(f"/appraisal/cycles/{cycle_id}/grades/batch",
                      {"grades": [{"cadre_id": cadre_id, "grade": grade}]}, headers=headers)

    def effect(allowed: bool):
        assert w.grade_of(cycle_id, cadre_id) == (grade if allowed else before)

    return response, 200, effect


def call_finalize_cycle(w: World, case: str, headers: dict):
    cycle_id = w.open_cycle(w.units[case], kind="REGULAR")  # a fresh open cycle of the case's unit
    response = w.post(f"/appraisal/cycles/{cycle_id}/finalize", headers=headers)

    def effect(allowed: bool):
        assert w.cycle(cycle_id)["status"] == ("FINALIZED" if allowed else "OPEN")

    return response, 200, effect


def call_change_participant(w: World, case: str, headers: dict):
    cadre_id = w.cadres[case]
    cycle_id = w.open_cycle(w.units[case])  # a fresh annual cycle of the cadre's unit
    response = w.post(f"/appraisal/cycles/{cycle_id}/participants",
                      {"cadre_id": cadre_id, "change": "NOT_RATED", "reason": "任职不满半年"},
                      headers=headers)

    def effect(allowed: bool):
        assert ([n["cadre_id"] for n in w.cycle(cycle_id)["not_rated"]] == [cadre_id]) is allowed

    return response, 200, effect


def call_create_quota_group(w: World, case: str, headers: dict):
    # two fresh units' cycles of one year; the case's unit stands for nothing here (an ORG_ADMIN's)
    cycle_ids = [w.open_cycle(w.register_unit(), 2025) for _ in range(2)]
    response = w.post("/appraisal/quota-groups", {"name": "小单位合并计算", "cycle_ids": cycle_ids},
                      headers=headers)

    def effect(allowed: bool):
        assert all((w.cycle(c).get("group_id") is not None) is allowed for c in cycle_ids)

    return response, 201, effect


def call_get_quota_group(w: World, case: str, headers: dict):
    group_id = w.quota_group
    response = w.get(f"/appraisal/quota-groups/{group_id}", headers=headers)

    def effect(allowed: bool):
        if allowed:
            assert (response.json()["group_id"], response.json()["state"]) == (group_id, "FORMED")

    return response, 200, effect


def call_amend_result(w: World, case: str, headers: dict):
    cadre_id = w.cadres[case]
    unit_id = w.unit_b if case == "other-unit" else w.unit_a
    cycle_id = w.open_cycle(unit_id, kind="SPECIAL")  # a fresh finalized result to amend
    w.grade(cycle_id, cadre_id, "COMPETENT")
    assert w.post(f"/appraisal/cycles/{cycle_id}/finalize").status_code == 200
    response = w.post(f"/appraisal/cycles/{cycle_id}/amendments",
                      {"cadre_id": cadre_id, "grade": "BASICALLY_COMPETENT", "reason": "复核"},
                      headers=headers)

    def effect(allowed: bool):
        assert w.grade_of(cycle_id, cadre_id) == ("BASICALLY_COMPETENT" if allowed else "COMPETENT")

    return response, 200, effect


def call_get_cadre_results(w: World, case: str, headers: dict):
    cadre_id = w.cadres[case]
    response = w.get(f"/appraisal/cadres/{cadre_id}/results", headers=headers)

    def effect(allowed: bool):
        if allowed:
            assert all(r["kind"] in ("ANNUAL", "SPECIAL", "REGULAR") for r in response.json())

    return response, 200, effect


def call_commend(w: World, case: str, headers: dict):
    cadre_id = w.cadres[case]
    deed = f"抗洪抢险 {new_id('deed')}"
    response = w.post("/appraisal/commendations", {"cadre_id": cadre_id, "year": 2025,
                                                   "kind": "COMMENDATION", "deed": deed,
                                                   "deed_kind": "MAJOR_WORK"},
                      headers=headers)

    def effect(allowed: bool):
        deeds = [c["deed"] for c in w.get("/appraisal/commendations/2025", limit=1000).json()]
        assert (deed in deeds) is allowed

    return response, 201, effect


def call_list_commendations(w: World, case: str, headers: dict):
    response = w.get("/appraisal/commendations/2025", headers=headers, limit=1000)

    def effect(allowed: bool):
        if allowed:
            assert isinstance(response.json(), list)

    return response, 200, effect


def call_grade_unit(w: World, case: str, headers: dict):
    unit_id = w.units[case]
    body = {"unit_id": unit_id, "year": w.next_year(unit_id, "unit-grade"), "grade": "PASS"}
    response = w.post("/appraisal/unit-grades", body, headers=headers)

    def effect(allowed: bool):  # another grade for that year is refused only if this one was set
        again = w.post("/appraisal/unit-grades", {**body, "grade": "MERIT"})
        assert again.status_code == (409 if allowed else 201), again.text

    return response, 201, effect


def call_get_unit_quota(w: World, case: str, headers: dict):
    unit_id = w.units[case]
    response = w.get(f"/appraisal/units/{unit_id}/quotas/2026", headers=headers)

    def effect(allowed: bool):
        if allowed:
            answer = response.json()
            assert (answer["unit_id"], answer["year"], answer["ratio"]) == (unit_id, 2026, "0.15")
            assert answer["max"] + answer["remaining"] >= 0 and answer["participants"] >= 1

    return response, 200, effect


def call_open_case(w: World, case: str, headers: dict):
    cadre_id = w.leaders[case]
    summary = f"不担当 {new_id('case')}"
    response = w.post("/accountability/cases", {"cadre_id": cadre_id, "source": "SPECIAL_ASSESSMENT",
                                                "situations": ["RULE_OF_LAW_2"], "summary": summary},
                      headers=headers)

    def effect(allowed: bool):  # newest first: a case opened just now heads the cadre's list
        assert (summary in [c["summary"] for c in w.cases_of(cadre_id)]) is allowed

    return response, 201, effect


def call_record_outside_sanction(w: World, case: str, headers: dict):
    cadre_id = w.leaders[case]
    reference = f"武纪发〔2026〕{new_id('n')}号"
    response = w.post("/accountability/outside-sanctions", {
        "cadre_id": cadre_id, "sanctions": ["CIRCULATED_CRITICISM"], "authority": "市纪委监委",
        "reference": reference, "decided_on": "2026-03-02", "summary": "通报批评"}, headers=headers)

    def effect(allowed: bool):
        references = [(c.get("decision") or {}).get("reference") for c in w.cases_of(cadre_id)]
        assert (reference in references) is allowed

    return response, 201, effect


def call_list_cases(w: World, case: str, headers: dict):
    cadre_id = w.leaders[case]
    response = w.get("/accountability/cases", headers=headers, cadre_id=cadre_id)

    def effect(allowed: bool):
        if allowed:  # at least the standing case, and only this cadre's
            answer = response.json()
            assert answer and {c["cadre_id"] for c in answer} == {cadre_id}, answer

    return response, 200, effect


def call_get_case(w: World, case: str, headers: dict):
    case_id = w.standing_cases[case]
    response = w.get(f"/accountability/cases/{case_id}", headers=headers)

    def effect(allowed: bool):
        if allowed:
            answer = response.json()
            assert (answer["case_id"], answer["cadre_id"]) == (case_id, w.leaders[case]), answer

    return response, 200, effect


def _case_move(w: World, case: str, headers: dict, start: str, step: str, body: dict, end: str):
    """A fresh case in ``start``, the move ``step`` by the caller: ``end`` if allowed, unchanged if not."""
    case_id = w.case_in(case, start)
    response = w.post(f"/accountability/cases/{case_id}/{step}", body, headers=headers)

    def effect(allowed: bool):
        assert w.case(case_id)["status"] == (end if allowed else start)

    return response, 200, effect


def call_start_investigation(w: World, case: str, headers: dict):
    return _case_move(w, case, headers, "OPEN", "investigation", {"reason": "立案"}, "INVESTIGATING")


def call_verify_case(w: World, case: str, headers: dict):
    return _case_move(w, case, headers, "INVESTIGATING", "verification", {"findings": "经查属实"},
                      "VERIFIED")


def call_dismiss_case(w: World, case: str, headers: dict):
    return _case_move(w, case, headers, "OPEN", "dismissal", {"reason": "查无实据"}, "DISMISSED")


def call_allowed_sanctions(w: World, case: str, headers: dict):
    case_id = w.standing_cases[case]
    response = w.post(f"/accountability/cases/{case_id}/allowed-sanctions", {"severity": "MINOR"},
                      headers=headers)

    def effect(allowed: bool):
        if allowed:  # C-2 (v2): a MINOR matter, light sanctions, one or more (the open case has no
            # finding on discipline yet)
            answer = response.json()
            assert [(s["sanctions"], s["rule"]) for s in answer["allowed"]][:3] == [
                (["CRITICISM_EDUCATION"], "C-2"), (["CIRCULATED_CRITICISM"], "C-2"),
                (["ADMONISHMENT"], "C-2")], answer
            assert len(answer["allowed"]) == 7 and answer["discipline_due"] is None, answer

    return response, 200, effect


def call_propose_decision(w: World, case: str, headers: dict):
    case_id = w.case_in(case, "VERIFIED")
    response = w.post(f"/accountability/cases/{case_id}/proposal", PROPOSAL, headers=headers)

    def effect(allowed: bool):
        proposal = w.case(case_id)["proposal"]
        assert (proposal is not None) is allowed, proposal
        if allowed:
            assert proposal["sanctions"] == ["ADMONISHMENT"], proposal

    return response, 200, effect


def call_approve_decision(w: World, case: str, headers: dict):
    # four eyes: the World's admin proposed, the caller (another user) approves
    case_id = w.case_in(case, "PROPOSED")
    response = w.post(f"/accountability/cases/{case_id}/approval",
                      {"reason": "同意", "proposal_id": w.proposal_id(case_id)}, headers=headers)

    def effect(allowed: bool):
        answer = w.case(case_id)
        assert answer["status"] == ("DECIDED" if allowed else "VERIFIED"), answer
        if allowed:
            decision = answer["decision"]
            assert decision["by"] == w.admin_sub and decision["approved_by"] != w.admin_sub, decision
        else:
            assert answer["decision"] is None and answer["proposal"]["by"] == w.admin_sub, answer

    return response, 200, effect


def call_close_case(w: World, case: str, headers: dict):
    return _case_move(w, case, headers, "DECIDED", "closure", {"reason": "处理完毕"}, "CLOSED")


def call_file_complaint(w: World, case: str, headers: dict):
    matter = f"群众反映 {new_id('matter')}"
    response = w.post("/accountability/complaints",
                      {"cadre_id": w.leaders[case], "matter": matter, "reporter": REPORTER},
                      headers=headers)

    def effect(allowed: bool):
        assert w.stored_complaints(matter) == (1 if allowed else 0)

    return response, 201, effect


def call_get_complaint(w: World, case: str, headers: dict):
    complaint_id = w.standing_complaints[case]
    response = w.get(f"/accountability/complaints/{complaint_id}", headers=headers)

    def effect(allowed: bool):
        if allowed:
            answer = response.json()
            assert (answer["complaint_id"], answer["cadre_id"]) == (complaint_id, w.leaders[case])

    return response, 200, effect


def call_open_complaints(w: World, case: str, headers: dict):
    complaint_id = w.standing_complaints[case]
    response = w.get("/accountability/complaints", headers=headers, limit=1000)

    def effect(allowed: bool):
        if allowed:  # C-5: the open ones, the earliest deadline first; the reporter per role
            answer = response.json()
            [found] = [c for c in answer if c["complaint_id"] == complaint_id]
            assert found["status"] == "FILED" and found["overdue"] is False, found
            assert [c["due_at"] for c in answer] == sorted(c["due_at"] for c in answer), answer
            assert {c["status"] for c in answer} <= {"FILED", "RESOLVING"}, answer

    return response, 200, effect


def call_resolve_complaint(w: World, case: str, headers: dict):
    complaint_id = w.file_complaint(case)["complaint_id"]
    response = w.post(f"/accountability/complaints/{complaint_id}/resolution",
                      {"outcome": "GROUNDLESS", "reason": "查无实据"}, headers=headers)

    def effect(allowed: bool):
        answer = w.complaint(complaint_id)
        assert (answer["status"], answer.get("outcome")) == (
            ("RESOLVED", "GROUNDLESS") if allowed else ("FILED", None)), answer

    return response, 200, effect


def call_demotion_report(w: World, case: str, headers: dict):
    year = utcnow().year
    response = w.get(f"/accountability/reports/demotions/{year}", headers=headers, limit=1000)

    def effect(allowed: bool):
        if allowed:
            assert all(line["year"] == year for line in response.json()), response.text

    return response, 200, effect


def call_file_application(w: World, case: str, headers: dict):
    cadre_id = w.cadres[case]
    assert w.standing_applications  # tolerance knows the cadre: no CADRE_NOT_FOUND below
    facts = f"招商引资中的失误 {new_id('facts')}"
    response = w.post("/tolerance/applications",
                      {"cadre_id": cadre_id, "situation": "INVESTMENT_AND_TALENT", "facts": facts},
                      headers=headers)

    def effect(allowed: bool):
        filed = [a for a in w.applications_of(cadre_id) if a["facts"] == facts]
        assert len(filed) == (1 if allowed else 0), filed
        if allowed:  # the applicant's answer leaves out the officers' working papers
            answer = response.json()
            assert filed[0]["status"] == "FILED", filed
            assert answer == {k: v for k, v in filed[0].items() if k in answer}, (answer, filed)
            assert set(filed[0]) - set(answer) <= {"conditions", "factors", "proposal", "loss"}, answer

    return response, 201, effect


def call_list_applications(w: World, case: str, headers: dict):
    cadre_id = w.cadres[case]
    application_id = w.standing_applications[case]
    response = w.get("/tolerance/applications", headers=headers, cadre_id=cadre_id, limit=1000)

    def effect(allowed: bool):
        if allowed:  # at least the standing application, and only this cadre's
            answer = response.json()
            assert application_id in [a["application_id"] for a in answer], answer
            assert {a["cadre_id"] for a in answer} == {cadre_id}, answer

    return response, 200, effect


def call_get_application(w: World, case: str, headers: dict):
    application_id = w.standing_applications[case]
    response = w.get(f"/tolerance/applications/{application_id}", headers=headers)

    def effect(allowed: bool):
        if allowed:
            answer = response.json()
            assert (answer["application_id"], answer["cadre_id"]) == (application_id, w.cadres[case])

    return response, 200, effect


def call_start_review(w: World, case: str, headers: dict):
    application_id = w.application_in(case, "FILED")
    response = w.post(f"/tolerance/applications/{application_id}/review", {"reason": "受理"},
                      headers=headers)

    def effect(allowed: bool):
        answer = w.application(application_id)
        assert answer["status"] == ("UNDER_REVIEW" if allowed else "FILED"), answer
        assert len(answer["history"]) == (2 if allowed else 1), answer

    return response, 200, effect


def call_assess(w: World, case: str, headers: dict):
    application_id = w.application_in(case, "UNDER_REVIEW")
    response = w.post(f"/tolerance/applications/{application_id}/assessment", ASSESSMENT,
                      headers=headers)

    def effect(allowed: bool):
        answer = w.application(application_id)
        recorded = (set(answer["conditions"]), set(answer["factors"]))
        assert recorded == ((set(CONDITIONS), set(FACTORS)) if allowed else (set(), set())), answer

    return response, 200, effect


def call_allowed_outcomes(w: World, case: str, headers: dict):
    application_id = w.application_in(case, "ASSESSED")
    response = w.get(f"/tolerance/applications/{application_id}/allowed-outcomes", headers=headers)

    def effect(allowed: bool):
        if allowed:  # T-3 and T-4 hold: EXEMPTED or MITIGATED
            answer = response.json()
            assert (answer["complete"], answer["missing_conditions"], answer["missing_factors"],
                    answer["allowed"]) == (True, [], [], ALLOWED_OUTCOMES), answer

    return response, 200, effect


def call_propose_ruling(w: World, case: str, headers: dict):
    application_id = w.application_in(case, "ASSESSED")
    response = w.post(f"/tolerance/applications/{application_id}/proposal", ruling(), headers=headers)

    def effect(allowed: bool):
        answer = w.application(application_id)
        assert answer["status"] == "UNDER_REVIEW" and (answer["proposal"] is not None) is allowed, answer
        if allowed:
            proposal = answer["proposal"]
            assert (proposal["outcome"], proposal["rules"], len(proposal["measures"])) == (
                "EXEMPTED", ["T-3", "T-4"], 1), proposal

    return response, 200, effect


def call_approve_ruling(w: World, case: str, headers: dict):
    # four eyes: the World's admin proposed, the caller (another user) approves what they read
    application_id = w.application_in(case, "PROPOSED")
    response = w.post(f"/tolerance/applications/{application_id}/approval",
                      {"reason": "同意", "proposal_id": w.ruling_proposal_id(application_id)},
                      headers=headers)

    def effect(allowed: bool):
        answer = w.application(application_id)
        assert answer["status"] == ("RULED" if allowed else "UNDER_REVIEW"), answer
        if allowed:
            ruled = answer["ruling"]
            assert (ruled["outcome"], ruled["by"]) == ("EXEMPTED", w.admin_sub), ruled
            assert ruled["approved_by"] != w.admin_sub and answer["proposal"] is None, answer
            assert [m["status"] for m in answer["measures"]] == ["OPEN"], answer
        else:
            assert answer["ruling"] is None and answer["proposal"]["by"] == w.admin_sub, answer
            assert answer.get("measures", []) == [], answer

    return response, 200, effect


def call_complete_measure(w: World, case: str, headers: dict):
    application_id = w.application_in(case, "RULED")
    [measure] = w.application(application_id)["measures"]
    response = w.post(f"/tolerance/applications/{application_id}/measures/{measure['measure_id']}"
                      "/completion", {"note": "已整改到位"}, headers=headers)

    def effect(allowed: bool):
        [after] = w.application(application_id)["measures"]
        assert (after["status"], after.get("note")) == (
            ("DONE", "已整改到位") if allowed else ("OPEN", None)), after

    return response, 200, effect


def call_overdue_measures(w: World, case: str, headers: dict):
    measure_id = w.overdue_measure
    response = w.get("/tolerance/measures/overdue", headers=headers, limit=1000)

    def effect(allowed: bool):
        if allowed:  # at least the measure left overdue, the most overdue first
            answer = response.json()
            [found] = [m for m in answer if m["measure_id"] == measure_id]
            assert (found["status"], found["cadre_id"], found["unit_id"]) == (
                "OPEN", w.self_id, w.unit_a), found
            assert found["days_overdue"] >= 0, found
            dues = [datetime.fromisoformat(m["due"]) for m in answer]
            assert dues == sorted(dues), answer

    return response, 200, effect


def call_list_cadres(w: World, case: str, headers: dict):
    unit_id, cadre_id = w.units[case], w.cadres[case]
    response = w.get("/cadres", headers=headers, unit_id=unit_id, limit=1000)

    def effect(allowed: bool):
        if allowed:  # the unit's roster, the standing cadre on it
            answer = response.json()
            assert {c["unit_id"] for c in answer} == {unit_id}, answer
            assert cadre_id in [c["cadre_id"] for c in answer], answer

    return response, 200, effect


def call_import_roster(w: World, case: str, headers: dict):
    cadre_id = new_id("C")
    response = w.post("/roster/imports", {"csv": roster_csv([(cadre_id, w.units[case])])},
                      headers=headers)

    def effect(allowed: bool):
        if allowed:
            assert response.json() == {"rows": 1, "imported": 1, "unchanged": 0, "errors": []}
        assert w.get(f"/cadres/{cadre_id}").status_code == (200 if allowed else 404)

    return response, 200, effect


def call_update_cadre(w: World, case: str, headers: dict):
    cadre_id = w.register_cadre(w.units[case])  # fresh: the standing cadres keep their revision
    response = w.patch(f"/cadres/{cadre_id}", {"name": "李四光", "service_years": 11}, headers=headers)

    def effect(allowed: bool):
        answer = w.cadre(cadre_id)
        assert (answer["name"], answer["service_years"], answer["revision"]) == (
            ("李四光", 11, 2) if allowed else ("李四", 10, 1)), answer

    return response, 200, effect


def _selection(w: World, case: str, headers: dict, start: str, step: str, end: str):
    """A fresh cadre of the case's unit put in ``start`` by the department, then ``step`` by the
    caller: ``end`` if allowed, unchanged if not."""
    cadre_id = w.register_cadre(w.units[case])
    if start == "IN_SELECTION":
        assert w.post(f"/cadres/{cadre_id}/selection", {}).status_code == 200
    response = w.post(f"/cadres/{cadre_id}/{step}", {"reason": "动议考察"}, headers=headers)

    def effect(allowed: bool):
        assert w.cadre(cadre_id)["selection_status"] == (end if allowed else start)

    return response, 200, effect


def call_start_selection(w: World, case: str, headers: dict):
    return _selection(w, case, headers, "NOT_IN_SELECTION", "selection", "IN_SELECTION")


def call_end_selection(w: World, case: str, headers: dict):
    return _selection(w, case, headers, "IN_SELECTION", "selection/end", "NOT_IN_SELECTION")


def call_change_posting(w: World, case: str, headers: dict):
    # a fresh cadre: a cadre of unit A goes to B, one of B to A
    before = w.units[case]
    after = w.unit_a if before == w.unit_b else w.unit_b
    cadre_id = w.register_cadre(before)
    response = w.post(f"/cadres/{cadre_id}/postings", {"unit_id": after, "post": "区长助理",
                                                       "reason": "交流轮岗", "is_principal": False,
                                                       "kind": "DEVELOPMENTAL", "direction": "LATERAL"},
                      headers=headers)

    def effect(allowed: bool):
        answer = w.cadre(cadre_id)
        assert (answer["unit_id"], answer["revision"]) == ((after, 2) if allowed else (before, 1)), answer

    return response, 200, effect


def call_young_cadres(w: World, case: str, headers: dict):
    unit_id, cadre_id = w.units[case], w.young[case]
    response = w.get("/talent/young-cadres", headers=headers, unit_id=unit_id, limit=1000)

    def effect(allowed: bool):
        if allowed:  # the unit's young cadres, youngest first
            answer = response.json()
            assert {c["unit_id"] for c in answer} == {unit_id}, answer
            assert cadre_id in [c["cadre_id"] for c in answer], answer
            assert all(c["age"] < 40 for c in answer), answer
            assert [c["age"] for c in answer] == sorted(c["age"] for c in answer), answer

    return response, 200, effect


def call_rotation_list(w: World, case: str, headers: dict):
    unit_id, cadre_id = w.units[case], w.long_in_post[case]
    response = w.get("/talent/rotation", headers=headers, unit_id=unit_id, limit=1000)

    def effect(allowed: bool):
        if allowed:  # L-7: the unit's leader twelve years in post must rotate
            answer = response.json()
            assert {c["unit_id"] for c in answer} == {unit_id}, answer
            [entry] = [c for c in answer if c["cadre_id"] == cadre_id]
            assert (entry["rotation"], entry["years_in_post"] >= 12) == ("MUST", True), entry
            assert [c["years_in_post"] for c in answer] == sorted(
                (c["years_in_post"] for c in answer), reverse=True), answer

    return response, 200, effect


def call_get_pool(w: World, case: str, headers: dict):
    cadre_id = w.standing_pool[case]
    response = w.get("/talent/pool", headers=headers, status="NOMINATED", limit=1000)

    def effect(allowed: bool):
        if allowed:
            answer = response.json()
            assert {e["status"] for e in answer} == {"NOMINATED"}, answer
            assert cadre_id in [e["cadre_id"] for e in answer], answer

    return response, 200, effect


def call_get_pool_entry(w: World, case: str, headers: dict):
    cadre_id = w.standing_pool[case]
    response = w.get(f"/talent/pool/{cadre_id}", headers=headers)

    def effect(allowed: bool):
        if allowed:
            assert response.json()["status"] == "NOMINATED", response.json()

    return response, 200, effect


def call_nominate(w: World, case: str, headers: dict):
    cadre_id = w.register_cadre(w.units[case])
    response = w.post(f"/talent/pool/{cadre_id}/nomination", {"evidence": EVIDENCE}, headers=headers)

    def effect(allowed: bool):
        entry = w.pool_entry(cadre_id)
        assert (entry is not None) is allowed, entry
        if allowed:
            assert (entry["status"], entry["evidence"]) == ("NOMINATED", EVIDENCE), entry

    return response, 200, effect


def _pool_move(w: World, case: str, headers: dict, start: str, step: str, body: dict, end: str):
    """A fresh cadre in ``start`` in the pool, the move ``step`` by the caller: ``end`` if allowed,
    unchanged if not."""
    cadre_id = w.in_pool(case, start)
    response = w.post(f"/talent/pool/{cadre_id}/{step}", body, headers=headers)

    def effect(allowed: bool):
        assert w.pool_status(cadre_id) == (end if allowed else start)

    return response, 200, effect


def call_assess_nomination(w: World, case: str, headers: dict):
    return _pool_move(w, case, headers, "NOMINATED", "assessment", {"standards": ALL_HOLD}, "RESERVE")


def call_place_in_post(w: World, case: str, headers: dict):
    return _pool_move(w, case, headers, "RESERVE", "placement", {"post": "乡镇党委书记"}, "IN_USE")


def call_exit_pool(w: World, case: str, headers: dict):
    return _pool_move(w, case, headers, "RESERVE", "exit",
                      {"cause": "DECLINE", "evidence": "精神状态不佳，群众反映集中"}, "EXITED")


def call_create_programme(w: World, case: str, headers: dict):
    name = f"激励性调训班 {new_id('p')}"
    response = w.post("/talent/programmes", {"name": name, "year": 2026, "seats": 30}, headers=headers)

    def effect(allowed: bool):
        stored = w.stored_programmes(name=name)
        assert len(stored) == (1 if allowed else 0), stored
        if allowed:
            assert response.json()["programme_id"] == stored[0]["_id"], response.text

    return response, 201, effect


def call_allocate_programme(w: World, case: str, headers: dict):
    programme_id, cadre_id = w.create_programme(), w.cadres[case]
    response = w.post(f"/talent/programmes/{programme_id}/allocation", {"candidates": [cadre_id]},
                      headers=headers)

    def effect(allowed: bool):
        [stored] = w.stored_programmes(_id=programme_id)
        assert (stored.get("allocated_at") is not None) is allowed, stored
        if allowed:
            [line] = response.json()
            assert (line["cadre_id"], line["rank"], line["seated"]) == (cadre_id, 1, True), line
            assert stored["allocation"] == response.json(), stored

    return response, 200, effect


def _talk_asked(w: World, case: str, headers: dict, path: str, reason: str, body: dict):
    """A talk of ``reason`` for the case's cadre asked of ``path``. None of that reason is open first
    (asking again would return it, K-1), so an allowed call opens one, with the notes sent."""
    assert w.care_cadres
    cadre_id = w.cadres[case]
    w.close_talks(cadre_id, reason)
    notes = f"希望组织谈心 {new_id('notes')}"
    response = w.post(path, {"cadre_id": cadre_id, "notes": notes, **body}, headers=headers)

    def effect(allowed: bool):
        talks = [t for t in w.talks_of(cadre_id) if t.get("notes") == notes]
        assert len(talks) == (1 if allowed else 0), talks
        if allowed:
            [talk] = talks
            assert (talk["talk_id"], talk["reason"], talk["status"]) == (
                response.json()["talk_id"], reason, "OPEN"), talk

    return response, 201, effect


def call_request_talk(w: World, case: str, headers: dict):
    return _talk_asked(w, case, headers, "/care/talks/requests", "SELF_REQUESTED", {})


def call_open_talk(w: World, case: str, headers: dict):
    return _talk_asked(w, case, headers, "/care/talks", "MAJOR_SETBACK", {"reason": "MAJOR_SETBACK"})


def call_list_talks(w: World, case: str, headers: dict):
    cadre_id, talk_id = w.cadres[case], w.standing_talks[case]
    response = w.get("/care/talks", headers=headers, cadre_id=cadre_id, limit=1000)

    def effect(allowed: bool):
        if allowed:  # at least the standing talk, only this cadre's, newest first
            answer = response.json()
            assert talk_id in [t["talk_id"] for t in answer], answer
            assert {t["cadre_id"] for t in answer} == {cadre_id}, answer
            opened = [datetime.fromisoformat(t["opened_at"]) for t in answer]
            assert opened == sorted(opened, reverse=True), answer

    return response, 200, effect


def call_complete_talk(w: World, case: str, headers: dict):
    assert w.care_cadres
    cadre_id = w.cadres[case]
    # an open talk: a fresh one, or the one a refused completion left open
    talk_id = w.open_talk(cadre_id, "EARLY_WARNING")["talk_id"]
    record = f"已谈心谈话，思想稳定 {new_id('record')}"
    response = w.post(f"/care/talks/{talk_id}/completion", {"record": record}, headers=headers)

    def effect(allowed: bool):
        talk = w.talk(cadre_id, talk_id)
        assert (talk["status"], talk.get("record")) == (
            ("DONE", record) if allowed else ("OPEN", None)), talk

    return response, 200, effect


def call_record_health_check(w: World, case: str, headers: dict):
    assert w.care_cadres
    cadre_id, unit_id = w.cadres[case], w.units[case]
    year = w.next_year(cadre_id, "health-check")  # one a year (K-2): a year of its own
    response = w.post("/care/health-checks",
                      {"cadre_id": cadre_id, "year": year, "checked_on": f"{year}-04-10"},
                      headers=headers)

    def effect(allowed: bool):
        response = w.get(f"/care/units/{unit_id}/health-checks/{year}")
        assert response.status_code == 200, response.text
        assert (cadre_id in response.json()["missing"]) is not allowed, response.text

    return response, 201, effect


def call_health_completion(w: World, case: str, headers: dict):
    assert w.care_cadres
    unit_id, cadre_id = w.units[case], w.cadres[case]
    response = w.get(f"/care/units/{unit_id}/health-checks/{UNTOUCHED_YEAR}", headers=headers)

    def effect(allowed: bool):
        if allowed:  # nobody checked that year: every cadre of the unit is missing
            answer = response.json()
            assert (answer["unit_id"], answer["year"], answer["checked"]) == (
                unit_id, UNTOUCHED_YEAR, 0), answer
            assert cadre_id in answer["missing"] and answer["cadres"] == len(answer["missing"]), answer

    return response, 200, effect


def call_leave_entitlement(w: World, case: str, headers: dict):
    assert w.care_cadres
    cadre_id = w.cadres[case]
    response = w.get(f"/care/cadres/{cadre_id}/leave/{UNTOUCHED_YEAR}", headers=headers)

    def effect(allowed: bool):
        if allowed:  # 10 years of service: 10 days (K-3)
            assert response.json() == {"cadre_id": cadre_id, "year": UNTOUCHED_YEAR, "entitlement": 10,
                                       "taken": 0, "remaining": 10}, response.text

    return response, 200, effect


def call_record_leave(w: World, case: str, headers: dict):
    assert w.care_cadres
    cadre_id = w.cadres[case]
    year = w.next_year(cadre_id, "leave")  # a year of its own: never more than is left
    response = w.post("/care/leave", {"cadre_id": cadre_id, "year": year, "days": 2,
                                      "starts_on": f"{year}-07-01"}, headers=headers)

    def effect(allowed: bool):
        leave = w.leave(cadre_id, year)
        assert (leave["taken"], leave["remaining"]) == ((2, 8) if allowed else (0, 10)), leave

    return response, 200, effect


def call_untaken_leave_report(w: World, case: str, headers: dict):
    assert w.care_cadres
    unit_id, cadre_id = w.units[case], w.cadres[case]
    response = w.get(f"/care/leave/untaken/{UNTOUCHED_YEAR}", headers=headers, unit_id=unit_id, limit=1000)

    def effect(allowed: bool):
        if allowed:  # nobody took leave that year: the unit's cadres, leading cadres first (K-3)
            answer = response.json()
            assert {r["unit_id"] for r in answer} == {unit_id}, answer
            assert cadre_id in [r["cadre_id"] for r in answer], answer
            assert answer == sorted(answer, key=lambda r: (not r["is_leader"], -r["remaining"],
                                                            r["cadre_id"])), answer

    return response, 200, effect


def call_refer_support(w: World, case: str, headers: dict):
    assert w.care_cadres
    cadre_id = w.cadres[case]
    notes = f"工作压力大，建议心理疏导 {new_id('notes')}"
    response = w.post("/care/referrals", {"cadre_id": cadre_id, "notes": notes}, headers=headers)

    def effect(allowed: bool):  # read back as a care officer, the only reader (K-4)
        referrals = [r for r in w.referrals_of(cadre_id) if r["notes"] == notes]
        assert len(referrals) == (1 if allowed else 0), referrals
        if allowed:
            assert referrals[0]["referral_id"] == response.json()["referral_id"], response.text

    return response, 201, effect


def call_list_referrals(w: World, case: str, headers: dict):
    cadre_id, referral_id = w.cadres[case], w.standing_referrals[case]
    response = w.get(f"/care/cadres/{cadre_id}/referrals", headers=headers)

    def effect(allowed: bool):
        if allowed:  # a care officer: every referral of the cadre, with what it says
            answer = response.json()
            assert referral_id in [r["referral_id"] for r in answer], answer
            assert {r["cadre_id"] for r in answer} == {cadre_id}, answer
            assert all(r["notes"] and r["referred_by"] for r in answer), answer

    return response, 200, effect


def call_set_fund_budget(w: World, case: str, headers: dict):
    # a year of its own, nothing granted from it: the budget is whatever the call sets
    year = w.next_year("fund", "budget") + 60  # 2085 and down: not the current year's fund
    amount = f"{8000 + year % 100}.50"
    before = w.fund(year)
    response = w.post("/care/fund/budget", {"year": year, "amount": amount}, headers=headers)

    def effect(allowed: bool):
        after = w.fund(year)
        if allowed:
            assert (after["budget"], after["balance"], after["granted"]) == (amount, amount, "0.00"), after
            assert [(line["kind"], line["amount"]) for line in after["ledger"]] == [("BUDGET", amount)]
            assert response.json() == after, response.text
        else:
            assert after == before == {"year": year, "budget": "0.00", "granted": "0.00",
                                       "balance": "0.00", "ledger": []}, after

    return response, 200, effect


def call_apply_hardship(w: World, case: str, headers: dict):
    assert w.care_cadres
    cadre_id = w.cadres[case]
    facts = f"家中房屋因洪灾受损 {new_id('facts')}"
    response = w.post("/care/hardship-applications",
                      {"cadre_id": cadre_id, "reason": "NATURAL_DISASTER", "facts": facts},
                      headers=headers)

    def effect(allowed: bool):
        stored = w.care_store("hardship_applications", {"facts": facts})
        assert len(stored) == (1 if allowed else 0), stored
        if allowed:
            assert (stored[0]["_id"], stored[0]["cadre_id"], stored[0]["status"]) == (
                response.json()["application_id"], cadre_id, "PENDING"), stored

    return response, 201, effect


def call_approve_hardship(w: World, case: str, headers: dict):
    year = w.fund_year  # the current year's fund has its budget
    application_id = w.apply_hardship(case)
    before = w.fund(year)
    response = w.post(f"/care/hardship-applications/{application_id}/approval",
                      {"amount": GRANT, "note": "情况属实"}, headers=headers)

    def effect(allowed: bool):
        [stored] = w.care_store("hardship_applications", {"_id": application_id})
        assert (stored["status"], stored.get("amount_cents")) == (
            ("APPROVED", 15000) if allowed else ("PENDING", None)), stored
        after = w.fund(year)
        grants = [line for line in after["ledger"] if line.get("application_id") == application_id]
        if allowed:  # debited once, with its ledger line
            assert Decimal(after["balance"]) == Decimal(before["balance"]) - Decimal(GRANT), after
            assert [(g["kind"], g["direction"], g["amount"]) for g in grants] == [
                ("GRANT", "OUT", GRANT)], grants
        else:
            assert (after["balance"], grants) == (before["balance"], []), after

    return response, 200, effect


def call_reject_hardship(w: World, case: str, headers: dict):
    application_id = w.apply_hardship(case)
    response = w.post(f"/care/hardship-applications/{application_id}/rejection",
                      {"note": "不符合申请条件"}, headers=headers)

    def effect(allowed: bool):
        [stored] = w.care_store("hardship_applications", {"_id": application_id})
        assert (stored["status"], stored.get("decision_note")) == (
            ("REJECTED", "不符合申请条件") if allowed else ("PENDING", None)), stored

    return response, 200, effect


def call_pending_hardship(w: World, case: str, headers: dict):
    application_id = w.apply_hardship(case)
    response = w.get("/care/hardship-applications/pending", headers=headers, limit=1000)

    def effect(allowed: bool):
        if allowed:  # K-5: the pending ones only, the oldest first
            answer = response.json()
            assert application_id in [a["application_id"] for a in answer], answer
            assert {a["status"] for a in answer} == {"PENDING"}, answer
            assert [a["filed_at"] for a in answer] == sorted(a["filed_at"] for a in answer), answer

    return response, 200, effect


def call_fund_ledger(w: World, case: str, headers: dict):
    year = w.fund_year
    response = w.get(f"/care/fund/{year}", headers=headers)

    def effect(allowed: bool):
        if allowed:  # the budget set first, every line with its running balance
            answer = response.json()
            assert (answer["year"], answer["budget"]) == (year, FUND_BUDGET), answer
            assert Decimal(answer["budget"]) - Decimal(answer["granted"]) == Decimal(answer["balance"])
            assert answer["ledger"][0]["kind"] == "BUDGET", answer
            assert answer["ledger"][-1]["balance"] == answer["balance"], answer

    return response, 200, effect


def call_register_family(w: World, case: str, headers: dict):
    # own / other-unit: the standing family's cadre again (allowed: 409, nothing changes); other: a
    # fresh cadre of unit A
    if case == "other":
        cadre_id = w.care_cadre(w.unit_a)
    else:
        [family] = w.care_store("families", {"_id": w.families[case]})
        cadre_id = family["cadre_id"]
    body = {"cadre_id": cadre_id, "died_on": "2025-08-01",
            "dependants": [{"name": "王秀英", "relation": "ELDER"}]}
    response = w.post("/care/families", body, headers=headers)

    def effect(allowed: bool):
        stored = w.care_store("families", {"cadre_id": cadre_id})
        if case == "other":
            assert len(stored) == (1 if allowed else 0), stored
            if allowed:
                assert stored[0]["_id"] == response.json()["family_id"], response.text
        else:  # the family as it was registered
            assert [f["dependants"] for f in stored] == [FAMILY["dependants"]], stored

    return response, (201 if case == "other" else 409), effect


def call_record_visit(w: World, case: str, headers: dict):
    family_id = w.families[case]
    [before] = w.care_store("families", {"_id": family_id})
    notes = f"上门慰问，送去慰问金 {new_id('notes')}"
    response = w.post(f"/care/families/{family_id}/visits",
                      {"visited_on": utcnow().date().isoformat(), "notes": notes},
                      headers=headers)

    def effect(allowed: bool):
        [after] = w.care_store("families", {"_id": family_id})
        visits = after.get("visits", [])
        assert len(visits) == len(before.get("visits", [])) + (1 if allowed else 0), visits
        assert (notes in [v["notes"] for v in visits]) is allowed, visits

    return response, 200, effect


def call_due_visits(w: World, case: str, headers: dict):
    family_id = w.overdue_family
    response = w.get("/care/families/due-visits", headers=headers, limit=1000)

    def effect(allowed: bool):
        if allowed:  # at least the family left unvisited, the most urgent first
            answer = response.json()
            [found] = [f for f in answer if f["family_id"] == family_id]
            assert (found["status"], found["next_visit"]) == ("OVERDUE", "2024-09-15"), found
            assert {f["status"] for f in answer} <= {"OVERDUE", "DUE"}, answer
            assert [f["next_visit"] for f in answer] == sorted(f["next_visit"] for f in answer), answer

    return response, 200, effect


def call_audit(w: World, case: str, headers: dict):
    response = w.get("/audit", headers=headers, record_id=w.cadres[case])

    def effect(allowed: bool):
        if allowed:
            assert isinstance(response.json(), list)

    return response, 200, effect


def call_list_units(w: World, case: str, headers: dict):
    response = w.get("/units", headers=headers, limit=1000)

    def effect(allowed: bool):
        if allowed:  # every officer's list holds A; a unit admin's holds A alone (test_scopes)
            assert w.unit_a in {u["unit_id"] for u in response.json()}

    return response, 200, effect


def call_get_unit(w: World, case: str, headers: dict):
    unit_id = w.units[case]
    response = w.get(f"/units/{unit_id}", headers=headers)

    def effect(allowed: bool):
        if allowed:
            assert response.json()["unit_id"] == unit_id

    return response, 200, effect


def call_get_programme(w: World, case: str, headers: dict):
    programme_id = w.create_programme()
    response = w.get(f"/talent/programmes/{programme_id}", headers=headers)

    def effect(allowed: bool):
        if allowed:
            assert response.json()["programme_id"] == programme_id

    return response, 200, effect


def call_get_talk(w: World, case: str, headers: dict):
    talk_id = w.standing_talks[case]
    response = w.get(f"/care/talks/{talk_id}", headers=headers)

    def effect(allowed: bool):
        if allowed:
            assert response.json()["talk_id"] == talk_id

    return response, 200, effect


def call_get_hardship_application(w: World, case: str, headers: dict):
    application_id = w.apply_hardship(case)
    response = w.get(f"/care/hardship-applications/{application_id}", headers=headers)

    def effect(allowed: bool):
        if allowed:
            assert response.json()["application_id"] == application_id

    return response, 200, effect


def call_get_family(w: World, case: str, headers: dict):
    family_id = w.families[case]
    response = w.get(f"/care/families/{family_id}", headers=headers)

    def effect(allowed: bool):
        if allowed:
            assert response.json()["family_id"] == family_id

    return response, 200, effect


def _listed(w: World, path: str, headers: dict, key: str, wanted: str, **query):
    """A list endpoint's call: an allowed caller's page holds ``wanted`` (its ``key``) and says how
    many the list holds."""
    response = w.get(path, headers=headers, limit=1000, **query)

    def effect(allowed: bool):
        if allowed:
            answer = response.json()
            assert wanted in [item[key] for item in answer], answer
            assert int(response.headers["X-Total-Count"]) >= len(answer) >= 1

    return response, 200, effect


def call_list_programmes(w: World, case: str, headers: dict):
    programme_id = w.create_programme()
    return _listed(w, "/talent/programmes", headers, "programme_id", programme_id, year=2026)


def call_list_cycles(w: World, case: str, headers: dict):
    return _listed(w, "/appraisal/cycles", headers, "cycle_id", w.cycles[case],
                   unit_id=w.units[case])


def call_list_quota_groups(w: World, case: str, headers: dict):
    return _listed(w, "/appraisal/quota-groups", headers, "group_id", w.quota_group, state="FORMED")


def call_search_commendations(w: World, case: str, headers: dict):
    commendation_id = w.commendation(case)
    return _listed(w, "/appraisal/commendations", headers, "commendation_id", commendation_id,
                   cadre_id=w.cadres[case])


def call_get_commendation(w: World, case: str, headers: dict):
    commendation_id = w.commendation(case)
    response = w.get(f"/appraisal/commendations/{commendation_id}", headers=headers)

    def effect(allowed: bool):
        if allowed:
            assert response.json()["commendation_id"] == commendation_id

    return response, 200, effect


def call_list_unit_grades(w: World, case: str, headers: dict):
    unit_id = w.units[case]
    return _listed(w, "/appraisal/unit-grades", headers, "unit_id", unit_id, unit_id=unit_id,
                   year=w.unit_grade_year(unit_id))


def call_year_quotas(w: World, case: str, headers: dict):
    # a unit administrator's sheet is their own unit's; everyone else's holds unit A too
    return _listed(w, f"/appraisal/quotas/{w.cycle_year}", headers, "unit_id", w.unit_a)


def call_list_health_checks(w: World, case: str, headers: dict):
    cadre_id, unit_id = w.health_checked[case]
    return _listed(w, "/care/health-checks", headers, "cadre_id", cadre_id, unit_id=unit_id)


def call_list_hardship_applications(w: World, case: str, headers: dict):
    application_id = w.apply_hardship(case)
    return _listed(w, "/care/hardship-applications", headers, "application_id", application_id,
                   cadre_id=w.cadres[case])


def call_list_families(w: World, case: str, headers: dict):
    return _listed(w, "/care/families", headers, "family_id", w.families[case])


def call_work(w: World, case: str, headers: dict):
    response = w.get("/work", headers=headers)

    def effect(allowed: bool):
        if allowed:
            assert isinstance(response.json()["items"], list)

    return response, 200, effect


CALLS: dict[str, Call] = {
    "POST /units": call_register_unit,
    "POST /cadres": call_register_cadre,
    "GET /cadres": call_list_cadres,
    "POST /roster/imports": call_import_roster,
    "GET /cadres/{cadre_id}": call_get_cadre,
    "PATCH /cadres/{cadre_id}": call_update_cadre,
    "GET /cadres/{cadre_id}/eligibility": call_get_eligibility,
    "POST /cadres/{cadre_id}/selection": call_start_selection,
    "POST /cadres/{cadre_id}/selection/end": call_end_selection,
    "POST /cadres/{cadre_id}/postings": call_change_posting,
    "GET /talent/young-cadres": call_young_cadres,
    "GET /talent/rotation": call_rotation_list,
    "GET /talent/pool": call_get_pool,
    "GET /talent/pool/{cadre_id}": call_get_pool_entry,
    "POST /talent/pool/{cadre_id}/nomination": call_nominate,
    "POST /talent/pool/{cadre_id}/assessment": call_assess_nomination,
    "POST /talent/pool/{cadre_id}/placement": call_place_in_post,
    "POST /talent/pool/{cadre_id}/exit": call_exit_pool,
    "POST /talent/programmes": call_create_programme,
    "POST /talent/programmes/{programme_id}/allocation": call_allocate_programme,
    "POST /appraisal/cycles": call_open_cycle,
    "GET /appraisal/cycles/{cycle_id}": call_get_cycle,
    "POST /appraisal/cycles/{cycle_id}/grades": call_record_grade,
    "POST /appraisal/cycles/{cycle_id}/grades/batch": call_record_grades,
    "POST /appraisal/cycles/{cycle_id}/participants": call_change_participant,
    "POST /appraisal/cycles/{cycle_id}/finalize": call_finalize_cycle,
    "POST /appraisal/quota-groups": call_create_quota_group,
    "GET /appraisal/quota-groups/{group_id}": call_get_quota_group,
    "POST /appraisal/cycles/{cycle_id}/amendments": call_amend_result,
    "GET /appraisal/cadres/{cadre_id}/results": call_get_cadre_results,
    "POST /appraisal/commendations": call_commend,
    "GET /appraisal/commendations/{year}": call_list_commendations,
    "POST /appraisal/unit-grades": call_grade_unit,
    "GET /appraisal/units/{unit_id}/quotas/{year}": call_get_unit_quota,
    "POST /accountability/cases": call_open_case,
    "POST /accountability/outside-sanctions": call_record_outside_sanction,
    "GET /accountability/cases": call_list_cases,
    "GET /accountability/cases/{case_id}": call_get_case,
    "POST /accountability/cases/{case_id}/investigation": call_start_investigation,
    "POST /accountability/cases/{case_id}/verification": call_verify_case,
    "POST /accountability/cases/{case_id}/dismissal": call_dismiss_case,
    "POST /accountability/cases/{case_id}/allowed-sanctions": call_allowed_sanctions,
    "POST /accountability/cases/{case_id}/proposal": call_propose_decision,
    "POST /accountability/cases/{case_id}/approval": call_approve_decision,
    "POST /accountability/cases/{case_id}/closure": call_close_case,
    "POST /accountability/complaints": call_file_complaint,
    "GET /accountability/complaints": call_open_complaints,
    "GET /accountability/complaints/{complaint_id}": call_get_complaint,
    "POST /accountability/complaints/{complaint_id}/resolution": call_resolve_complaint,
    "GET /accountability/reports/demotions/{year}": call_demotion_report,
    "POST /tolerance/applications": call_file_application,
    "GET /tolerance/applications": call_list_applications,
    "GET /tolerance/applications/{application_id}": call_get_application,
    "POST /tolerance/applications/{application_id}/review": call_start_review,
    "POST /tolerance/applications/{application_id}/assessment": call_assess,
    "GET /tolerance/applications/{application_id}/allowed-outcomes": call_allowed_outcomes,
    "POST /tolerance/applications/{application_id}/proposal": call_propose_ruling,
    "POST /tolerance/applications/{application_id}/approval": call_approve_ruling,
    "POST /tolerance/applications/{application_id}/measures/{measure_id}/completion":
        call_complete_measure,
    "GET /tolerance/measures/overdue": call_overdue_measures,
    "POST /care/talks/requests": call_request_talk,
    "POST /care/talks": call_open_talk,
    "GET /care/talks": call_list_talks,
    "POST /care/talks/{talk_id}/completion": call_complete_talk,
    "POST /care/health-checks": call_record_health_check,
    "GET /care/units/{unit_id}/health-checks/{year}": call_health_completion,
    "GET /care/cadres/{cadre_id}/leave/{year}": call_leave_entitlement,
    "POST /care/leave": call_record_leave,
    "GET /care/leave/untaken/{year}": call_untaken_leave_report,
    "POST /care/referrals": call_refer_support,
    "GET /care/cadres/{cadre_id}/referrals": call_list_referrals,
    "POST /care/fund/budget": call_set_fund_budget,
    "POST /care/hardship-applications": call_apply_hardship,
    "GET /care/hardship-applications/pending": call_pending_hardship,
    "POST /care/hardship-applications/{application_id}/approval": call_approve_hardship,
    "POST /care/hardship-applications/{application_id}/rejection": call_reject_hardship,
    "GET /care/fund/{year}": call_fund_ledger,
    "POST /care/families": call_register_family,
    "POST /care/families/{family_id}/visits": call_record_visit,
    "GET /care/families/due-visits": call_due_visits,
    "GET /talent/programmes": call_list_programmes,
    "GET /appraisal/cycles": call_list_cycles,
    "GET /appraisal/quota-groups": call_list_quota_groups,
    "GET /appraisal/commendations": call_search_commendations,
    "GET /appraisal/commendations/{commendation_id}": call_get_commendation,
    "GET /appraisal/unit-grades": call_list_unit_grades,
    "GET /appraisal/quotas/{year}": call_year_quotas,
    "GET /care/health-checks": call_list_health_checks,
    "GET /care/hardship-applications": call_list_hardship_applications,
    "GET /care/families": call_list_families,
    "GET /audit": call_audit,
    "GET /work": call_work,
    "GET /units": call_list_units,
    "GET /units/{unit_id}": call_get_unit,
    "GET /talent/programmes/{programme_id}": call_get_programme,
    "GET /care/talks/{talk_id}": call_get_talk,
    "GET /care/hardship-applications/{application_id}": call_get_hardship_application,
    "GET /care/families/{family_id}": call_get_family,
}
