"""gateway.auth.Authenticator on its own: shared-secret tokens, and an identity provider's JWKS served from a
local HTTP server (no broker, no store)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import eventlet
import eventlet.wsgi
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from gateway.auth import DEFAULT_AUDIENCE, DEFAULT_ISSUER, Authenticator, issue_token
from gateway.exceptions import Unauthenticated
from services.common.boundary.security import Actor
from services.common.boundary.tokens import LEEWAY_SECONDS, TokenVerifier

SECRET = "a-local-secret-" + "0123456789abcdef" * 4  # long enough for HS512 too
ISSUER = "https://idp.example.test/realms/cadre"
AUDIENCE = "cadre-suite-prod"


def local() -> Authenticator:
    return Authenticator(TokenVerifier(issuer=DEFAULT_ISSUER, audience=DEFAULT_AUDIENCE, secret=SECRET))


def refused(authenticator: Authenticator, authorization: str | None) -> str:
    with pytest.raises(Unauthenticated) as exc:
        authenticator.authenticate(authorization)
    return exc.value.code


def claims(**overrides) -> dict:
    now = int(time.time())
    return {"sub": "u-1", "roles": ["CADRE"], "iss": ISSUER, "aud": AUDIENCE, "iat": now,
            "exp": now + 6 * 3600, **overrides}  # built at collection: valid however long the run


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# a shared secret (HS256)


def test_a_valid_token_gives_the_actor_with_its_roles_and_scope():
    token = issue_token(SECRET, sub="u-42", roles=["UNIT_ADMIN", "CADRE"], unit_id="U-1", cadre_id="C-9")
    actor = local().authenticate(f"Bearer {token}")
    assert actor == Actor(user_id="u-42", roles=("UNIT_ADMIN", "CADRE"), unit_id="U-1", cadre_id="C-9")


def test_the_scheme_is_case_insensitive_and_surrounding_spaces_do_not_matter():
    token = issue_token(SECRET, sub="u-42", roles=["ORG_ADMIN"])
    assert local().authenticate(f"bearer  {token} ").user_id == "u-42"


def test_unknown_roles_are_dropped():
    token = issue_token(SECRET, sub="u-1", roles=["ORG_ADMIN", "SUPERUSER", "auditor", "CADRE "])
    assert local().authenticate(f"Bearer {token}").roles == ("ORG_ADMIN",)


def test_expired_within_the_leeway_is_accepted_beyond_it_refused():
    now = time.time()
    within = issue_token(SECRET, sub="u-1", roles=["CADRE"], ttl_seconds=-(LEEWAY_SECONDS - 10), now=now)
    beyond = issue_token(SECRET, sub="u-1", roles=["CADRE"], ttl_seconds=-(LEEWAY_SECONDS + 10), now=now)
    assert local().authenticate(f"Bearer {within}").user_id == "u-1"
    assert refused(local(), f"Bearer {beyond}") == "TOKEN_EXPIRED"


@pytest.mark.parametrize("token", [
    pytest.param(issue_token("another-secret-of-at-least-32-bytes", sub="u", roles=["ORG_ADMIN"]),
                 id="wrong secret"),
    pytest.param(issue_token(SECRET, sub="u", roles=["ORG_ADMIN"], issuer="elsewhere"), id="wrong issuer"),
    pytest.param(issue_token(SECRET, sub="u", roles=["ORG_ADMIN"], audience="elsewhere"),
                 id="wrong audience"),
    pytest.param(jwt.encode({k: v for k, v in claims(iss=DEFAULT_ISSUER, aud=DEFAULT_AUDIENCE).items()
                             if k != "sub"}, SECRET, algorithm="HS256"), id="no sub"),
    pytest.param(jwt.encode({k: v for k, v in claims(iss=DEFAULT_ISSUER, aud=DEFAULT_AUDIENCE).items()
                             if k != "exp"}, SECRET, algorithm="HS256"), id="no exp"),
    pytest.param(jwt.encode(claims(iss=DEFAULT_ISSUER, aud=DEFAULT_AUDIENCE, roles="ORG_ADMIN"), SECRET,
                            algorithm="HS256"), id="roles not a list"),
    pytest.param(jwt.encode(claims(iss=DEFAULT_ISSUER, aud=DEFAULT_AUDIENCE), SECRET, algorithm="HS512"),
                 id="another HMAC algorithm"),
    pytest.param(b64(b'{"alg":"none","typ":"JWT"}') + "."
                 + b64(json.dumps(claims(iss=DEFAULT_ISSUER, aud=DEFAULT_AUDIENCE)).encode()) + ".",
                 id="alg none"),
    pytest.param("not.a.token", id="garbage"),
])
def test_refused_tokens(token):
    assert refused(local(), f"Bearer {token}") == "TOKEN_INVALID"


def test_a_token_with_an_empty_sub_is_refused():
    token = jwt.encode(claims(iss=DEFAULT_ISSUER, aud=DEFAULT_AUDIENCE, sub=""), SECRET, algorithm="HS256")
    assert refused(local(), f"Bearer {token}") == "TOKEN_INVALID"


@pytest.mark.parametrize(("authorization", "code"), [
    (None, "AUTHENTICATION_REQUIRED"),
    ("", "AUTHENTICATION_REQUIRED"),
    ("Bearer", "TOKEN_INVALID"),
    ("Bearer    ", "TOKEN_INVALID"),
    ("Basic dXNlcjpwYXNz", "TOKEN_INVALID"),
    (f"Token {issue_token(SECRET, sub='u', roles=['ORG_ADMIN'])}", "TOKEN_INVALID"),
])
def test_missing_or_malformed_header(authorization, code):
    assert refused(local(), authorization) == code


def test_the_refusal_does_not_repeat_the_token():
    token = issue_token("another-secret-of-at-least-32-bytes", sub="u", roles=["ORG_ADMIN"])
    with pytest.raises(Unauthenticated) as exc:
        local().authenticate(f"Bearer {token}")
    assert token not in str(exc.value) and token.split(".")[2] not in exc.value.to_wire()


def test_no_secret_and_no_key_set_is_a_configuration_error():
    with pytest.raises(ValueError):
        Authenticator(TokenVerifier(issuer=DEFAULT_ISSUER, audience=DEFAULT_AUDIENCE))


def test_from_config_uses_the_defaults():
    authenticator = Authenticator.from_config({"AUTH_SECRET": SECRET, "AUTH_ISSUER": "", "AUTH_JWKS_URL": ""})
    verifier = authenticator.verifier
    assert (verifier.issuer, verifier.audience) == (DEFAULT_ISSUER, DEFAULT_AUDIENCE)
    token = issue_token(SECRET, sub="u-1", roles=["AUDITOR"])
    assert authenticator.authenticate(f"Bearer {token}").roles == ("AUDITOR",)


# an identity provider's key set (JWKS)


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def provider():
    """A key set of one RSA key (kid "k1") served at http://127.0.0.1:<port>/jwks."""
    key = rsa_key()
    jwk = {**json.loads(RSAAlgorithm.to_jwk(key.public_key())), "kid": "k1", "alg": "RS256", "use": "sig"}
    requests_seen = []

    def app(environ, start_response):
        requests_seen.append(environ["PATH_INFO"])
        if environ["PATH_INFO"] != "/jwks":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"no"]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"keys": [jwk]}).encode()]

    sock = eventlet.listen(("127.0.0.1", 0))
    server = eventlet.spawn(eventlet.wsgi.server, sock, app, log_output=False)
    port = sock.getsockname()[1]
    try:
        yield {"url": f"http://127.0.0.1:{port}/jwks", "key": key, "seen": requests_seen}
    finally:
        server.kill()
        sock.close()


def idp(provider) -> Authenticator:
    return Authenticator(TokenVerifier(issuer=ISSUER, audience=AUDIENCE, jwks_url=provider["url"]))


def test_a_token_signed_by_the_providers_key_is_accepted(provider):
    token = jwt.encode(claims(sub="u-7", roles=["CARE_OFFICER"]), provider["key"], algorithm="RS256",
                       headers={"kid": "k1"})
    actor = idp(provider).authenticate(f"Bearer {token}")
    assert actor == Actor(user_id="u-7", roles=("CARE_OFFICER",))
    assert "/jwks" in provider["seen"]


def test_a_token_signed_by_another_key_is_refused(provider):
    token = jwt.encode(claims(), rsa_key(), algorithm="RS256", headers={"kid": "k1"})
    assert refused(idp(provider), f"Bearer {token}") == "TOKEN_INVALID"


def test_a_token_naming_an_unknown_key_is_refused(provider):
    token = jwt.encode(claims(), provider["key"], algorithm="RS256", headers={"kid": "k2"})
    assert refused(idp(provider), f"Bearer {token}") == "TOKEN_INVALID"


def test_the_providers_token_for_another_issuer_or_audience_is_refused(provider):
    for overrides in ({"iss": "https://elsewhere.test"}, {"aud": "another-app"}):
        token = jwt.encode(claims(**overrides), provider["key"], algorithm="RS256", headers={"kid": "k1"})
        assert refused(idp(provider), f"Bearer {token}") == "TOKEN_INVALID", overrides


@pytest.mark.parametrize("public_format", [serialization.PublicFormat.SubjectPublicKeyInfo,
                                           serialization.PublicFormat.PKCS1])
def test_hs256_signed_with_the_public_key_is_refused(provider, public_format):
    """Algorithm confusion: the public key is no HMAC secret."""
    public_pem = provider["key"].public_key().public_bytes(serialization.Encoding.PEM, public_format)
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode())
    payload = b64(json.dumps(claims(roles=["ORG_ADMIN"])).encode())
    signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    token = f"{header}.{payload}.{b64(signature)}"
    assert refused(idp(provider), f"Bearer {token}") == "TOKEN_INVALID"


def test_alg_none_is_refused_by_the_provider_path(provider):
    header = b64(json.dumps({"alg": "none", "typ": "JWT", "kid": "k1"}).encode())
    token = f"{header}.{b64(json.dumps(claims(roles=['ORG_ADMIN'])).encode())}."
    assert refused(idp(provider), f"Bearer {token}") == "TOKEN_INVALID"


def test_a_locally_signed_token_is_refused_when_a_provider_is_configured(provider):
    both = Authenticator(TokenVerifier(issuer=ISSUER, audience=AUDIENCE, secret=SECRET,
                                       jwks_url=provider["url"]))
    token = jwt.encode(claims(), SECRET, algorithm="HS256", headers={"kid": "k1"})
    assert refused(both, f"Bearer {token}") == "TOKEN_INVALID"


def test_a_second_issuer_for_the_secret_is_opt_in_and_each_issuer_keeps_its_own_keys(provider):
    """Local development: the console's provider by its key set, the tests' own HS256 issuer by the
    secret. A token is checked with the keys of the issuer it names, and only those."""
    both = Authenticator(TokenVerifier(issuer=ISSUER, audience=AUDIENCE, secret=SECRET,
                                       jwks_url=provider["url"], secret_issuer=DEFAULT_ISSUER))
    local_token = jwt.encode(claims(iss=DEFAULT_ISSUER, sub="tester"), SECRET, algorithm="HS256")
    assert both.authenticate(f"Bearer {local_token}").user_id == "tester"
    provider_token = jwt.encode(claims(sub="officer"), provider["key"], algorithm="RS256",
                                headers={"kid": "k1"})
    assert both.authenticate(f"Bearer {provider_token}").user_id == "officer"
    # the secret never signs for the provider's issuer, nor the provider's keys for the secret's
    assert refused(both, "Bearer " + jwt.encode(claims(), SECRET, algorithm="HS256")) == "TOKEN_INVALID"
    assert refused(both, "Bearer " + jwt.encode(claims(iss=DEFAULT_ISSUER), provider["key"],
                                                algorithm="RS256", headers={"kid": "k1"})) == "TOKEN_INVALID"
    assert refused(both, "Bearer not.a.token") == "TOKEN_INVALID"
    for wrong in ({"secret": None}, {"jwks_url": None}, {"secret_issuer": ISSUER}):
        with pytest.raises(ValueError):
            TokenVerifier(**{"issuer": ISSUER, "audience": AUDIENCE, "secret": SECRET,
                             "jwks_url": provider["url"], "secret_issuer": DEFAULT_ISSUER, **wrong})


def test_a_token_living_longer_than_the_cap_is_refused_however_it_was_signed():
    verifier = TokenVerifier(secret=SECRET, max_lifetime=3600)
    assert verifier.actor(issue_token(SECRET, sub="u-1", roles=["CADRE"], ttl_seconds=3600)).user_id == "u-1"
    with pytest.raises(Unauthenticated) as exc:
        verifier.actor(issue_token(SECRET, sub="u-1", roles=["CADRE"], ttl_seconds=3600 * 24 * 30))
    assert exc.value.code == "TOKEN_LIFETIME_TOO_LONG"


def test_a_checked_token_is_not_checked_again_but_expiry_still_counts(monkeypatch):
    import time

    verifier = TokenVerifier(secret=SECRET)
    token = issue_token(SECRET, sub="u-1", roles=["CADRE"], ttl_seconds=60)
    first = verifier.actor(token)
    with monkeypatch.context() as patched:
        patched.setattr(verifier, "_decode", lambda token: pytest.fail("checked twice"))
        assert verifier.actor(token) is first
    # a token remembered from when it was valid is checked again once past its exp
    expired = issue_token(SECRET, sub="u-1", roles=["CADRE"], ttl_seconds=60, now=time.time() - 3600)
    verifier._checked[expired] = (time.time() - 3600 + 60, first)
    with pytest.raises(Unauthenticated) as exc:
        verifier.actor(expired)
    assert exc.value.code == "TOKEN_EXPIRED"
