"""The permission matrix of docs/permissions.md, cell by cell, over real HTTP: every endpoint has a row,
and every role is allowed or denied each of own / other / other-unit exactly as its cell says (the records
and the call each cell sends are in world.py)."""

from __future__ import annotations

import pytest

from services.common.boundary.security import ROLES
from tests.integration.security.world import (
    CALLS,
    CASES,
    DOC_PROBLEMS,
    MATRIX,
    MATRIX_DOC,
    PUBLIC,
    ROUTE_ENDPOINTS,
    WORDS,
    error_code,
    gateway_endpoints,
)

pytestmark = pytest.mark.integration


def test_the_matrix_has_a_row_for_every_endpoint_and_no_other():
    assert not DOC_PROBLEMS, f"{MATRIX_DOC.name}: " + "; ".join(DOC_PROBLEMS)
    protected = set(ROUTE_ENDPOINTS) | {"GET /audit", "GET /work"}
    missing = sorted(protected - set(MATRIX))
    assert not missing, (f"{missing} have no row in docs/permissions.md: every endpoint needs one, with a "
                         f"word for each role")
    unknown = sorted(set(MATRIX) - protected)
    assert not unknown, f"docs/permissions.md has rows for endpoints that do not exist: {unknown}"
    undeclared = sorted(gateway_endpoints() - set(MATRIX) - PUBLIC)
    assert not undeclared, (f"the gateway serves {undeclared}, which docs/permissions.md lists neither in "
                            f"the matrix nor as public")
    not_served = sorted(PUBLIC - gateway_endpoints())
    assert not not_served, f"docs/permissions.md lists public endpoints the gateway lacks: {not_served}"
    untested = sorted(set(MATRIX) - set(CALLS))
    assert not untested, (f"add the call for {untested} to CALLS in tests/integration/security/world.py: "
                          f"which record own / other / other-unit touch, and what an allowed call answers")


@pytest.mark.parametrize(("endpoint", "role", "case"), [
    pytest.param(endpoint, role, case, id=f"{endpoint}-{role}-{case}")
    for endpoint in MATRIX for role in ROLES for case in CASES
])
def test_matrix_cell(world, endpoint, role, case):
    assert endpoint in CALLS, f"no call for {endpoint} in CALLS"
    word = MATRIX[endpoint][role]
    allowed = WORDS[word][CASES.index(case)]
    response, allowed_status, effect = CALLS[endpoint](world, case, world.role_headers(role))
    if allowed:
        assert response.status_code not in (401, 403), (
            f"{role} ({word}) should be allowed {endpoint} for {case}: {response.status_code} "
            f"{response.text}")
        assert response.status_code == allowed_status, response.text
    else:
        assert (response.status_code, error_code(response)) == (403, "FORBIDDEN"), (
            f"{role} ({word}) should be denied {endpoint} for {case}: {response.status_code} "
            f"{response.text}")
    if effect is not None:
        effect(allowed)
