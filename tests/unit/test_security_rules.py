"""Roles and scopes (services/common/boundary/security.py): who may act on which record."""

import pytest

from services.common.boundary.security import (
    ANY,
    CADRE,
    ORG_ADMIN,
    OWN_UNIT,
    SELF,
    UNIT_ADMIN,
    Actor,
    Grant,
    Target,
    in_scope,
    scopes_for,
)
from services.common.boundary.tokens import TokenVerifier
from services.common.errors import Forbidden, Unauthenticated

READ = {ORG_ADMIN: ANY, UNIT_ADMIN: OWN_UNIT, CADRE: SELF}
unit_admin = Actor("ua", (UNIT_ADMIN,), unit_id="U1")
cadre = Actor("c1", (CADRE,), unit_id="U1", cadre_id="C1")
admin = Actor("oa", (ORG_ADMIN,))


def test_scopes_come_from_the_roles_held():
    assert scopes_for(admin, READ) == {ANY}
    assert scopes_for(Actor("x", (ORG_ADMIN, UNIT_ADMIN), unit_id="U1"), READ) == {ANY, OWN_UNIT}
    assert scopes_for(Actor("x", ("AUDITOR",)), READ) == set()


@pytest.mark.parametrize("actor,target,allowed", [
    (admin, Target("U9", "C9"), True),
    (unit_admin, Target("U1", "C2"), True),
    (unit_admin, Target("U2", "C3"), False),
    (unit_admin, Target(None, None), False),      # an unknown record is out of a scoped role's reach
    (cadre, Target("U1", "C1"), True),
    (cadre, Target("U1", "C2"), False),           # another cadre of the same unit
    (Actor("c", (CADRE,)), Target(None, None), False),  # a CADRE token without cadre_id
])
def test_in_scope(actor, target, allowed):
    assert in_scope(actor, scopes_for(actor, READ), target) is allowed


def test_unknown_roles_in_context_are_ignored():
    actor = Actor.from_context({"user_id": "u", "roles": ["ORG_ADMIN", "SUPERUSER"]})
    assert actor.roles == (ORG_ADMIN,)


@pytest.mark.parametrize("token", [None, "", {"user_id": "u", "roles": [ORG_ADMIN]}, "  "])
def test_a_call_without_a_token_is_refused(token):
    with pytest.raises(Unauthenticated) as caught:
        TokenVerifier(secret="s" * 32).actor(token)
    assert caught.value.code == "AUTHENTICATION_REQUIRED"


def test_a_grant_records_the_record_even_when_it_refuses():
    grant = Grant(unit_admin, "get_cadre", {OWN_UNIT})
    with pytest.raises(Forbidden):
        grant.check(unit_id="U2", record=("cadre", "C3"))
    assert grant.record == ("cadre", "C3") and not grant.checked
    grant.check(unit_id="U1", record=("cadre", "C2"))
    assert grant.checked
