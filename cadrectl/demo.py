"""``cadrectl seed-demo``: a district to look at, built through the gateway as officers would build it.

江岸区 (a district unit), four streets, two district departments and a state enterprise; some three hundred
cadres with Chinese names; three finished annual appraisals; a few accountability cases and complaints,
a fault-tolerance application, must-talks, a year's hardship fund with grants, a bereaved family and
commendations. Everything is made from a fixed plan, so the same district comes out every time, and every
step first looks for what it would make: a second run makes nothing and says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_FLOOR, Decimal

PREFIX = "DEMO"
DISTRICT = f"{PREFIX}-JA"

# (unit_id, name, unit_type, cadres)
UNITS = (
    (DISTRICT, "江岸区", "DISTRICT", 40),
    (f"{PREFIX}-JA-DZ", "大智街道", "STREET_TOWNSHIP", 45),
    (f"{PREFIX}-JA-YY", "一元街道", "STREET_TOWNSHIP", 40),
    (f"{PREFIX}-JA-CZ", "车站街道", "STREET_TOWNSHIP", 35),
    (f"{PREFIX}-JA-SJ", "四唯街道", "STREET_TOWNSHIP", 40),
    (f"{PREFIX}-JA-FG", "区发展和改革局", "CITY_DEPARTMENT", 30),
    (f"{PREFIX}-JA-RS", "区人力资源局", "CITY_DEPARTMENT", 25),
    (f"{PREFIX}-JA-CT", "区城市建设投资公司", "STATE_ENTERPRISE", 45),
)

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
            "于蒋蔡余杜叶程苏魏吕丁任沈")
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力永健俊峰志新海波宁鹏飞"

# the EXCELLENT ratio of a pool (a street's civil servants have their own, DOMAIN.md "Version 2")
RATIO = {"DEFAULT": Decimal("0.15"), "STREET_CIVIL_SERVANT": Decimal("0.20")}


@dataclass(frozen=True)
class Cadre:
    cadre_id: str
    name: str
    unit_id: str
    level: str
    is_leader: bool
    is_principal: bool
    birth_date: date
    grassroots_years: int
    service_years: int
    staff_category: str
    post_since: date

    def row(self) -> list[str]:
        flag = {True: "true", False: "false"}
        return [self.cadre_id, self.name, self.unit_id, self.level, flag[self.is_leader],
                flag[self.is_principal], self.birth_date.isoformat(), str(self.grassroots_years),
                str(self.service_years), self.staff_category, self.post_since.isoformat()]


ROSTER_HEADER = ["cadre_id", "name", "unit_id", "level", "is_leader", "is_principal", "birth_date",
                 "grassroots_years", "service_years", "staff_category", "post_since"]


def name_of(n: int) -> str:
    """The n-th name of the plan: a surname and one or two given characters, none twice."""
    surname = SURNAMES[n % len(SURNAMES)]
    first = GIVEN[(n // len(SURNAMES) + n * 11) % len(GIVEN)]
    second = GIVEN[(n * 7 + 3) % len(GIVEN)] if n % 3 else ""
    return surname + first + second


def roster() -> list[Cadre]:
    """Every unit's cadres: its principal leader first, then deputies, section chiefs and staff."""
    cadres, n = [], 0
    for unit_id, _, unit_type, size in UNITS:
        top = "BUREAU_PRINCIPAL" if unit_type == "DISTRICT" else "DIVISION"
        category = {"STATE_ENTERPRISE": "ENTERPRISE_MANAGER"}.get(unit_type, "CIVIL_SERVANT")
        for i in range(size):
            leader, principal = i < 4, i == 0
            level = (top if principal else
                     ("BUREAU_DEPUTY" if top == "BUREAU_PRINCIPAL" else "DIVISION") if leader else
                     "SECTION" if i < 12 else "STAFF")
            # a street's public-institution staff are a pool of their own beside its civil servants
            staff = ("PUBLIC_INSTITUTION_STAFF" if unit_type == "STREET_TOWNSHIP" and i % 4 == 3
                     else category)
            born = date(1966 + (n * 7) % 30, 1 + n % 12, 1 + n % 28)
            service = max(1, 2024 - born.year - 23)
            cadres.append(Cadre(
                cadre_id=f"{unit_id}-{i + 1:03d}", name=name_of(n), unit_id=unit_id, level=level,
                is_leader=leader, is_principal=principal, birth_date=born,
                grassroots_years=min(service, (n * 5) % 15), service_years=service,
                staff_category=staff,
                post_since=date(2013 + (n * 3) % 12, 1 + (n * 5) % 12, 1)))
            n += 1
    return cadres


def pool_of(cadre: Cadre, unit_type: str) -> str:
    """A-1 (v2): a street unit's civil servants count in their own pool."""
    return ("STREET_CIVIL_SERVANT" if unit_type == "STREET_TOWNSHIP"
            and cadre.staff_category == "CIVIL_SERVANT" else "DEFAULT")


def season_grades(cadres: list[Cadre], unit_type: str, year: int) -> list[dict]:
    """A unit's annual grades of a year: in each pool its quota of EXCELLENT (never more, A-1), one
    BASICALLY_COMPETENT in a larger unit, the rest COMPETENT; who is EXCELLENT turns with the year."""
    participants = [c for c in cadres if not c.is_principal]  # principals are appraised apart
    pools: dict[str, list[Cadre]] = {}
    for cadre in participants:
        pools.setdefault(pool_of(cadre, unit_type), []).append(cadre)
    grades = {c.cadre_id: "COMPETENT" for c in participants}
    for pool, members in pools.items():
        quota = int((len(members) * RATIO[pool]).to_integral_value(rounding=ROUND_FLOOR))
        start = (year * 5) % len(members)
        for k in range(quota):
            grades[members[(start + k * 3) % len(members)].cadre_id] = "EXCELLENT"
    if len(participants) > 20:
        weak = next(c for c in reversed(participants) if grades[c.cadre_id] == "COMPETENT")
        grades[weak.cadre_id] = "BASICALLY_COMPETENT"
    return [{"cadre_id": cadre_id, "grade": grade, "comment": "年度考核（演示数据）"}
            for cadre_id, grade in grades.items()]


def unit_grade(unit_id: str, year: int) -> str:
    """A unit's performance grade of a year: the district and two others of merit, turning yearly."""
    index = [u[0] for u in UNITS].index(unit_id)
    return "MERIT" if index == 0 or (index + year) % 3 == 0 else "PASS"


@dataclass
class Tally:
    """What a run made, and what it found already there."""

    made: dict[str, int] = field(default_factory=dict)
    found: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, made: bool) -> None:
        book = self.made if made else self.found
        book[kind] = book.get(kind, 0) + 1

    def summary(self) -> str:
        made = sum(self.made.values())
        parts = ", ".join(f"{kind} {n}" for kind, n in sorted(self.made.items()) if n)
        return (f"created {made} records" + (f" ({parts})" if parts else "")
                + f"; {sum(self.found.values())} were there already")


def batches(rows: list, size: int) -> Iterator[list]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


class Gateway:
    """The gateway as an ORG_ADMIN calls it. A call that meets a record another service has not
    learnt of yet (talent's events travel, DOMAIN.md "Events that cross services"), or a busy service
    (503), is tried again for a while: the seed runs right after registering."""

    def __init__(self, url: str, token: str, wait_seconds: float = 60.0):
        import requests

        self.url, self.session, self.wait_seconds = url.rstrip("/"), requests.Session(), wait_seconds
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: dict | None = None, **query):
        deadline = time.monotonic() + self.wait_seconds
        while True:
            response = self.session.request(method, self.url + path, json=body, params=query or None,
                                            timeout=60)
            code = response.json().get("error", {}).get("code", "") if response.status_code >= 400 \
                and response.headers.get("Content-Type", "").startswith("application/json") else ""
            learning = response.status_code == 404 and code.endswith("_NOT_FOUND") and method != "GET"
            if (learning or response.status_code == 503) and time.monotonic() < deadline:
                time.sleep(0.5)
                continue
            return response

    def ok(self, method: str, path: str, body: dict | None = None, *, allowed=(200, 201), **query):
        response = self.call(method, path, body, **query)
        if response.status_code not in allowed:
            raise SeedError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else None

    def first(self, path: str, **query) -> dict | None:
        found = self.ok("GET", path, limit=1, **query)
        return found[0] if found else None


class SeedError(Exception):
    pass


class Seeder:
    """The plan carried out over HTTP, each step looking first for what it would make."""

    def __init__(self, gateway: Gateway, current_year: int, echo: Callable[[str], None]):
        self.api, self.year, self.echo, self.tally = gateway, current_year, echo, Tally()
        self.cadres = roster()
        self.types = {unit_id: unit_type for unit_id, _, unit_type, _ in UNITS}

    def run(self) -> Tally:
        self.units()
        self.roster()
        for year in range(self.year - 3, self.year):
            self.season(year)
        self.accountability()
        self.tolerance()
        self.care()
        self.commendations()
        return self.tally

    def units(self) -> None:
        for unit_id, name, unit_type, _ in UNITS:
            response = self.api.call("POST", "/units", {"unit_id": unit_id, "name": name,
                                                        "unit_type": unit_type})
            if response.status_code not in (201, 409):
                raise SeedError(f"unit {unit_id}: {response.status_code} {response.text}")
            self.tally.count("units", response.status_code == 201)

    def roster(self) -> None:
        """The cadres by roster import (all or nothing per batch; those there already unchanged)."""
        for chunk in batches(self.cadres, 100):
            lines = [",".join(ROSTER_HEADER)] + [",".join(c.row()) for c in chunk]
            report = self.api.ok("POST", "/roster/imports", {"csv": "\n".join(lines) + "\n"})
            if report["errors"]:
                raise SeedError(f"roster: {report['errors'][:3]}")
            self.tally.made["cadres"] = self.tally.made.get("cadres", 0) + report["imported"]
            self.tally.found["cadres"] = self.tally.found.get("cadres", 0) + report["unchanged"]
        self.echo(f"roster: {len(self.cadres)} cadres in {len(UNITS)} units")

    def season(self, year: int) -> None:
        """A-1..A-4: each unit graded, its annual cycle graded within its quota and finalized."""
        for unit_id, _, unit_type, _ in UNITS:
            self._once("unit grades", bool(self.api.first(
                "/appraisal/unit-grades", unit_id=unit_id, year=year)), lambda u=unit_id: self.api.ok(
                "POST", "/appraisal/unit-grades", {"unit_id": u, "year": year,
                                                   "grade": unit_grade(u, year)}))
            cycle = self.api.first("/appraisal/cycles", unit_id=unit_id, year=year, kind="ANNUAL")
            if cycle is None:
                cycle = self.api.ok("POST", "/appraisal/cycles",
                                    {"unit_id": unit_id, "year": year, "kind": "ANNUAL"})
            if cycle["status"] == "FINALIZED":
                self.tally.count("appraisals", False)
                continue
            members = [c for c in self.cadres if c.unit_id == unit_id]
            self.api.ok("POST", f"/appraisal/cycles/{cycle['cycle_id']}/grades/batch",
                        {"grades": season_grades(members, unit_type, year)})
            self.api.ok("POST", f"/appraisal/cycles/{cycle['cycle_id']}/finalize")
            self.tally.count("appraisals", True)
        self.echo(f"appraisal {year}: {len(UNITS)} units finalized")

    def _once(self, kind: str, there: bool, make: Callable[[], object]) -> None:
        if not there:
            make()
        self.tally.count(kind, not there)

    def accountability(self) -> None:
        """C-1, C-5: three cases at different stages, two complaints (one anonymous)."""
        leaders = [c for c in self.cadres if c.is_leader and not c.is_principal]
        for cadre, situation, investigate in ((leaders[1], "REFORM_2", True),
                                              (leaders[6], "RULE_OF_LAW_2", False),
                                              (leaders[11], "PROSPERITY_1", False)):
            def open_case(cadre=cadre, situation=situation, investigate=investigate):
                case = self.api.ok("POST", "/accountability/cases", {
                    "cadre_id": cadre.cadre_id, "source": "SPECIAL_ASSESSMENT",
                    "situations": [situation], "summary": f"{cadre.name}同志在专项考核中被反映不担当不作为"})
                if investigate:
                    self.api.ok("POST", f"/accountability/cases/{case['case_id']}/investigation", {})
            self._once("cases", bool(self.api.first("/accountability/cases",
                                                     cadre_id=cadre.cadre_id)), open_case)
        for cadre, reporter in ((leaders[3], {"name": "群众甲", "contact": "13800000000"}),
                                (leaders[8], None)):
            self._once("complaints", bool(self.api.first(
                "/accountability/complaints", cadre_id=cadre.cadre_id)), lambda c=cadre, r=reporter:
                self.api.ok("POST", "/accountability/complaints", {
                    "cadre_id": c.cadre_id, "matter": f"反映{c.name}办事拖延、推诿扯皮", "reporter": r}))

    def tolerance(self) -> None:
        """T-1: the investigated case's cadre asks for fault tolerance, answering the case."""
        cadre = [c for c in self.cadres if c.is_leader and not c.is_principal][1]
        case = self.api.first("/accountability/cases", cadre_id=cadre.cadre_id)
        self._once("applications", bool(self.api.first("/tolerance/applications",
                                                        cadre_id=cadre.cadre_id)),
                   lambda: self.api.ok("POST", "/tolerance/applications", {
                       "cadre_id": cadre.cadre_id, "situation": "REFORM_EXPLORATION",
                       "facts": "在推进老旧小区改造试点中先行先试，因政策调整造成工期延误",
                       "case_id": case and case["case_id"]}))

    def care(self) -> None:
        """K-1, K-5, K-6: early-warning talks, the year's fund with two grants, a bereaved family."""
        staff = [c for c in self.cadres if not c.is_leader]
        for cadre in staff[5:8]:
            self._once("talks", bool(self.api.first("/care/talks", cadre_id=cadre.cadre_id)),
                       lambda c=cadre: self.api.ok("POST", "/care/talks", {
                           "cadre_id": c.cadre_id, "reason": "EARLY_WARNING",
                           "notes": "近期工作压力较大，情绪低落，需及时谈心"}))
        fund = self.api.ok("GET", f"/care/fund/{self.year}")
        if fund["budget"] in ("0", "0.00"):
            self.api.ok("POST", "/care/fund/budget", {"year": self.year, "amount": "200000.00"})
        self.tally.count("fund budgets", fund["budget"] in ("0", "0.00"))
        for cadre, reason, amount in ((staff[20], "MAJOR_ILLNESS", "8000.00"),
                                      (staff[40], "NATURAL_DISASTER", None)):
            def apply(cadre=cadre, reason=reason, amount=amount):
                application = self.api.ok("POST", "/care/hardship-applications", {
                    "cadre_id": cadre.cadre_id, "reason": reason,
                    "facts": f"{cadre.name}同志家庭遭遇{'重大疾病' if amount else '洪涝灾害'}，生活困难"})
                if amount:
                    self.api.ok("POST", f"/care/hardship-applications/{application['application_id']}"
                                "/approval", {"amount": amount, "note": "经研究同意"})
            self._once("hardship applications", bool(self.api.first(
                "/care/hardship-applications", cadre_id=cadre.cadre_id)), apply)
        fallen = staff[60]
        self._once("families", bool(self.api.first("/care/families", cadre_id=fallen.cadre_id)),
                   lambda: self.api.ok("POST", "/care/families", {
                       "cadre_id": fallen.cadre_id, "died_on": f"{self.year - 1}-07-20",
                       "dependants": [{"name": "刘某某", "relation": "SPOUSE"},
                                      {"name": fallen.name[0] + "小宝", "relation": "CHILD"}]}))

    def commendations(self) -> None:
        """A-8: the year before's commendations for emergency work, one a typical example."""
        for k, cadre in enumerate([c for c in self.cadres if c.is_leader][2:4]):
            self._once("commendations", bool(self.api.first(
                "/appraisal/commendations", cadre_id=cadre.cadre_id)), lambda c=cadre, k=k:
                self.api.ok("POST", "/appraisal/commendations", {
                    "cadre_id": c.cadre_id, "year": self.year - 1, "kind": "COMMENDATION",
                    "deed": f"{c.name}同志在防汛抗洪一线连续奋战", "deed_kind": "EMERGENCY_HANDLING",
                    "typical_example": k == 0}))
