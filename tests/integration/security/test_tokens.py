"""Token validation at the gateway: every bad token or Authorization header is refused with 401 and a
Bearer challenge that echoes none of it, every protected endpoint needs a token, the public ones need
none; and a direct RPC to a service, past the gateway, without a valid token of the user -- whatever it
claims -- is refused and audited."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from datetime import timedelta

import jwt
import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from gateway.auth import DEFAULT_AUDIENCE, DEFAULT_ISSUER, issue_token
from services.common.clock import utcnow
from services.common.errors import Unauthenticated
from tests.helpers import wait_for
from tests.integration.security.world import PUBLIC, ROUTE_ENDPOINTS, SENT, bearer, error_code, new_id

pytestmark = pytest.mark.integration


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(**overrides) -> dict:
    now = int(time.time())
    claims = {"sub": new_id("tok"), "roles": ["ORG_ADMIN"], "iss": DEFAULT_ISSUER,
              "aud": DEFAULT_AUDIENCE, "iat": now, "exp": now + 600, **overrides}
    return {name: value for name, value in claims.items() if value is not None}


def _signed(suite, **overrides) -> str:
    return jwt.encode(_claims(**overrides), suite.env["AUTH_SECRET"], algorithm="HS256")


def _unsigned(**overrides) -> str:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(_claims(**overrides)).encode())}."


# (id, Authorization header value or None for no header, the code of the 401)
BAD_TOKENS = [
    ("missing header", lambda s: None, "AUTHENTICATION_REQUIRED"),
    ("basic scheme", lambda s: "Basic " + _b64(b"admin:admin"), "TOKEN_INVALID"),
    ("valid token, other scheme", lambda s: "Token " + s.token("ORG_ADMIN"), "TOKEN_INVALID"),
    ("bearer without a token", lambda s: "Bearer", "TOKEN_INVALID"),
    ("garbage", lambda s: "Bearer not-a-token", "TOKEN_INVALID"),
    ("garbage segments", lambda s: "Bearer aaaa.bbbb.cccc", "TOKEN_INVALID"),
    ("another secret", lambda s: "Bearer " + jwt.encode(_claims(), "another-secret-of-32-bytes-long!",
                                                        algorithm="HS256"), "TOKEN_INVALID"),
    ("expired beyond the leeway", lambda s: "Bearer " + s.token("ORG_ADMIN", ttl_seconds=-100),
     "TOKEN_EXPIRED"),
    ("wrong issuer", lambda s: "Bearer " + s.token("ORG_ADMIN", issuer="someone-else"), "TOKEN_INVALID"),
    ("wrong audience", lambda s: "Bearer " + s.token("ORG_ADMIN", audience="another-suite"),
     "TOKEN_INVALID"),
    ("alg none", lambda s: "Bearer " + _unsigned(), "TOKEN_INVALID"),
    ("no sub", lambda s: "Bearer " + _signed(s, sub=None), "TOKEN_INVALID"),
    ("no exp", lambda s: "Bearer " + _signed(s, exp=None), "TOKEN_INVALID"),
    ("empty sub", lambda s: "Bearer " + _signed(s, sub=""), "TOKEN_INVALID"),
    ("roles not a list", lambda s: "Bearer " + _signed(s, roles="ORG_ADMIN"), "TOKEN_INVALID"),
    ("not valid yet", lambda s: "Bearer " + _signed(s, nbf=int(time.time()) + 300), "TOKEN_INVALID"),
]


class TestTokens:
    @pytest.mark.parametrize(("make", "code"), [pytest.param(make, code, id=name)
                                                for name, make, code in BAD_TOKENS])
    def test_refused(self, suite, world, make, code):
        authorization = make(suite)
        headers = {} if authorization is None else {"Authorization": authorization}
        if authorization:
            SENT.update(part for part in authorization.split(" ") if len(part) > 8)
        response = world.get(f"/cadres/{world.self_id}", headers=headers)
        assert (response.status_code, error_code(response)) == (401, code), response.text
        assert "Traceback" not in response.text
        challenge = response.headers.get("WWW-Authenticate", "")  # RFC 6750 section 3
        assert challenge.startswith("Bearer "), response.headers
        if code != "AUTHENTICATION_REQUIRED":
            assert 'error="invalid_token"' in challenge, challenge
        assert authorization is None or not any(
            part in challenge for part in authorization.split(" ") if len(part) > 8), challenge

    @pytest.mark.parametrize("endpoint", sorted(set(ROUTE_ENDPOINTS) | {"GET /audit", "GET /work"}))
    def test_every_protected_endpoint_needs_a_token(self, suite, endpoint):
        method, path = endpoint.split(" ", 1)
        url = suite.url + re.sub(r"\{[a-z_]+\}", "x", path)
        response = requests.request(method, url, data="{}", timeout=30,
                                    headers={"Content-Type": "application/json"})
        assert (response.status_code, error_code(response)) == (401, "AUTHENTICATION_REQUIRED"), (
            response.text)
        assert response.headers.get("WWW-Authenticate", "").startswith("Bearer "), response.headers

    def test_expired_within_the_leeway_is_accepted(self, suite, world):
        response = world.get(f"/cadres/{world.self_id}",
                             headers=bearer(suite.token("ORG_ADMIN", ttl_seconds=-10)))
        assert response.status_code == 200, response.text

    def test_unknown_roles_give_nothing(self, suite, world):
        token = _signed(suite, roles=["SUPERUSER", "org_admin", "ORG_ADMIN "])
        response = world.get(f"/cadres/{world.self_id}", headers=bearer(token))
        assert (response.status_code, error_code(response)) == (403, "FORBIDDEN"), response.text

    @pytest.mark.parametrize("path", sorted({"/health", "/openapi.json", "/docs", "/labels",
                                             "/roster/template", "/console/", "/console/config.json"}))
    def test_public_endpoints_need_no_token_and_ignore_a_bad_one(self, suite, path):
        assert f"GET {path}" in PUBLIC
        for headers in ({}, {"Authorization": "Bearer not-a-token"}):
            response = requests.get(suite.url + path, headers=headers, timeout=30)
            assert response.status_code == 200, response.text


def test_a_direct_rpc_without_a_user_is_refused_and_audited(suite, world):
    since = (utcnow() - timedelta(seconds=1)).isoformat()
    with ClusterRpcProxy({"AMQP_URI": suite.amqp_uri}) as rpc:
        with pytest.raises(Unauthenticated) as refused:
            rpc.talent.get_cadre(cadre_id=world.self_id)
    assert refused.value.code == "AUTHENTICATION_REQUIRED"

    def entry():
        return [e for e in world.audit(outcome="DENIED", since=since)
                if e["service"] == "talent" and e["action"] == "get_cadre" and e["user_id"] is None]

    [found] = wait_for(entry, timeout=10, interval=0.2, what="the audit entry of the anonymous RPC")
    assert found["error_code"] == "AUTHENTICATION_REQUIRED"


FORGED_CLAIMS = {"user_id": "care-officer-1", "roles": ["CARE_OFFICER", "DISCIPLINE_OFFICER",
                                                        "ORG_ADMIN"], "unit_id": None, "cadre_id": None}


@pytest.mark.parametrize("context", [
    {"actor": FORGED_CLAIMS},                                           # a claim, no token
    {"actor": FORGED_CLAIMS, "auth_token": "not-a-token"},
    "forged-signature",                                                 # a token signed with another key
    "expired",
], ids=["claim", "garbage-token", "forged-signature", "expired"])
def test_a_forged_context_over_rpc_is_refused_and_blames_nobody(suite, world, context):
    """A program on the broker claiming an officer reads no referral notes, no reporter, registers no
    unit -- and the audit names no officer for it (K-4, C-5)."""
    if context == "forged-signature":
        context = {"auth_token": issue_token("another-secret-" + "x" * 32, sub="care-officer-1",
                                             roles=FORGED_CLAIMS["roles"])}
    elif context == "expired":
        context = {"auth_token": issue_token(suite.env["AUTH_SECRET"], sub="care-officer-1",
                                             roles=FORGED_CLAIMS["roles"], ttl_seconds=60,
                                             now=time.time() - 3600)}
    since = (utcnow() - timedelta(seconds=1)).isoformat()
    with ClusterRpcProxy({"AMQP_URI": suite.amqp_uri}, context_data=context) as rpc:
        with pytest.raises(Unauthenticated):
            rpc.care.list_referrals(cadre_id=world.self_id)
        with pytest.raises(Unauthenticated):
            rpc.talent.register_unit(unit_id=f"FORGED-{uuid.uuid4().hex[:6]}", name="伪造单位",
                                     kind="DEPARTMENT")
    blamed = [e for e in world.audit(since=since) if e["user_id"] == "care-officer-1"]
    assert blamed == []
