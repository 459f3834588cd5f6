"""Fault 6: the hardship fund approved concurrently from many clients, every approval sent several
times (a client's retries, two officers on one application). Each application is granted exactly
once, the balance is exact to the cent and never negative, and the ledger adds up (K-5)."""

import random
import uuid
from decimal import Decimal

import eventlet

from tests.helpers import wait_for

APPLICATIONS = 30
DUPLICATES = 3
CLIENTS = 20


def test_each_application_granted_once_and_the_balance_exact(faults, figures):
    unit_id = f"U-fund-{uuid.uuid4().hex[:6]}"
    assert faults.post("/units", {"unit_id": unit_id, "name": "汉阳区", "unit_type": "DISTRICT"}
                       ).status_code == 201
    cadres = []
    for i in range(APPLICATIONS):
        cadre_id = f"C-fund-{uuid.uuid4().hex[:6]}-{i}"
        assert faults.post("/cadres", {
            "cadre_id": cadre_id, "name": "王五", "unit_id": unit_id, "level": "SECTION",
            "is_leader": False, "is_principal": False, "birth_date": "1985-05-06",
            "grassroots_years": 3, "service_years": 8}).status_code == 201
        cadres.append(cadre_id)

    def apply(cadre_id):
        response = faults.post("/care/hardship-applications",
                               {"cadre_id": cadre_id, "reason": "MAJOR_ILLNESS", "facts": "住院治疗"})
        return response.status_code == 201 and response.json()

    applications = [wait_for(lambda c=c: apply(c), timeout=30, interval=0.3, what="care to know the cadre")
                    for c in cadres]
    year = applications[0]["year"]  # the fund of the filing year
    amounts = {a["application_id"]: Decimal("1000.00") + Decimal(i) + Decimal("0.37")
               for i, a in enumerate(applications)}
    # enough for about two thirds: some approvals must be refused for want of money
    budget = sum(sorted(amounts.values())[: APPLICATIONS * 2 // 3])
    response = faults.get(f"/care/fund/{year}")
    before = response.json() if response.status_code == 200 else {}  # 404: no fund yet this year
    budget_total = Decimal(before.get("budget", "0")) + budget
    assert faults.post("/care/fund/budget", {"year": year, "amount": str(budget_total)}).status_code == 200
    base_granted = Decimal(before.get("granted", "0"))

    requests_ = [(app_id, amount) for app_id, amount in amounts.items() for _ in range(DUPLICATES)]
    random.shuffle(requests_)
    statuses: dict[int, int] = {}

    def approve(item):
        app_id, amount = item
        response = faults.post(f"/care/hardship-applications/{app_id}/approval",
                               {"amount": str(amount), "note": "核准"})
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        return response.status_code

    pool = eventlet.GreenPool(CLIENTS)
    list(pool.imap(approve, requests_))

    fund = faults.get(f"/care/fund/{year}").json()
    grants = [line for line in fund["ledger"] if line["kind"] == "GRANT"
              and line["application_id"] in amounts]
    granted_ids = [line["application_id"] for line in grants]
    approved = {doc["_id"] for doc in faults.database("care").hardship_applications.find(
        {"_id": {"$in": list(amounts)}, "status": "APPROVED"}, {"_id": 1})}
    granted_sum = sum((amounts[i] for i in granted_ids), Decimal(0))
    figures(applications=APPLICATIONS, requests=len(requests_), clients=CLIENTS, statuses=statuses,
            granted=len(granted_ids), doubled=len(granted_ids) - len(set(granted_ids)),
            balance=fund["balance"], expected_balance=str(budget_total - base_granted - granted_sum))
    assert len(granted_ids) == len(set(granted_ids))  # exactly once each
    assert set(granted_ids) == approved
    assert Decimal(fund["balance"]) == budget_total - base_granted - granted_sum >= 0
    assert Decimal(fund["granted"]) == base_granted + granted_sum
    assert 0 < len(granted_ids) < APPLICATIONS  # the money ran out part way, as planned
    assert sorted(statuses) and 500 not in statuses
