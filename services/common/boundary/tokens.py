"""Who is calling, from a bearer JWT checked against the configured issuer, audience and keys
(docs/adr/0022-trust-boundaries.md).

The gateway checks the token of every HTTP request, and passes the token itself on in nameko context
data (``auth_token``); every service checks it again with the same keys before it believes who the
user is. A claim in context data that is not a valid token counts for nothing: a program on the broker
cannot name a user it holds no token of.

Local use signs with a shared secret (``AUTH_SECRET``, HS256); production points ``AUTH_JWKS_URL`` at
the identity provider's key set (RS256/ES256), so that the services hold public keys only. With both set,
the secret counts for nothing -- unless ``AUTH_SECRET_ISSUER`` names the issuer it signs for: then a token
naming that issuer is checked with the secret (HS256 only), and every other token against the key set
for ``AUTH_ISSUER`` (asymmetric only). That is for local development, where a real OpenID provider signs
the console's tokens and the tests and ``cadrectl token`` sign their own; production sets no secret.
Claims:
``sub`` (user id), ``roles`` (the roles of security.py), ``unit_id`` for a UNIT_ADMIN, ``cadre_id`` for
a CADRE, and ``exp``, ``iss``, ``aud``; a token may live ``AUTH_MAX_TOKEN_LIFETIME`` seconds at most.
Tokens and secrets are never logged.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import jwt

from services.common.boundary.security import Actor
from services.common.errors import Unauthenticated, Unavailable

# the context data key the token travels under, from the gateway to every service it calls
CONTEXT_KEY = "auth_token"

DEFAULT_ISSUER = "cadre-local"
DEFAULT_AUDIENCE = "cadre-suite"
DEFAULT_MAX_LIFETIME = 12 * 3600
LEEWAY_SECONDS = 30
ASYMMETRIC = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA")
# tokens already checked, with the actor they name: a user's requests carry the same token for its
# whole life, and a service would otherwise check its signature again on every call
CACHE_SIZE = 4096


@dataclass
class TokenVerifier:
    issuer: str = DEFAULT_ISSUER
    audience: str = DEFAULT_AUDIENCE
    secret: str | None = None
    jwks_url: str | None = None
    secret_issuer: str | None = None  # beside a key set: the issuer the secret signs for
    max_lifetime: int = DEFAULT_MAX_LIFETIME
    _checked: OrderedDict = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self):
        if not self.secret and not self.jwks_url:
            raise ValueError("authentication is not configured: set AUTH_SECRET or AUTH_JWKS_URL")
        if self.secret_issuer and not (self.secret and self.jwks_url):
            raise ValueError("AUTH_SECRET_ISSUER names a second issuer: it needs both AUTH_SECRET "
                             "and AUTH_JWKS_URL")
        if self.secret_issuer and self.secret_issuer == self.issuer:
            raise ValueError("AUTH_SECRET_ISSUER must differ from AUTH_ISSUER, the key set's issuer")
        # the key set is cached for a few minutes, not keys for ever: a revoked key stops working
        self._jwks = jwt.PyJWKClient(self.jwks_url, lifespan=300) if self.jwks_url else None

    @classmethod
    def from_config(cls, config) -> TokenVerifier:
        return cls(issuer=config.get("AUTH_ISSUER") or DEFAULT_ISSUER,
                   audience=config.get("AUTH_AUDIENCE") or DEFAULT_AUDIENCE,
                   secret=config.get("AUTH_SECRET") or None,
                   jwks_url=config.get("AUTH_JWKS_URL") or None,
                   secret_issuer=config.get("AUTH_SECRET_ISSUER") or None,
                   max_lifetime=int(config.get("AUTH_MAX_TOKEN_LIFETIME") or DEFAULT_MAX_LIFETIME))

    def actor(self, token) -> Actor:
        """The user a token names, or Unauthenticated: no token, a bad one, or an expired one."""
        if not isinstance(token, str) or not token.strip():
            raise Unauthenticated("this call needs the user's bearer token",
                                  code="AUTHENTICATION_REQUIRED")
        now = time.time()
        with self._lock:
            known = self._checked.get(token)
        if known is not None and now < known[0] + LEEWAY_SECONDS:
            return known[1]
        claims = self._decode(token)
        actor = Actor.from_context({"user_id": claims["sub"], "roles": claims.get("roles") or [],
                                    "unit_id": claims.get("unit_id"),
                                    "cadre_id": claims.get("cadre_id")})
        if actor is None or not actor.user_id.strip():
            raise Unauthenticated("the token names no user (empty sub)", code="TOKEN_INVALID")
        with self._lock:
            self._checked[token] = (claims["exp"], actor)
            while len(self._checked) > CACHE_SIZE:
                self._checked.popitem(last=False)
        return actor

    def _decode(self, token: str) -> dict:
        try:
            issuer = self.issuer
            if self._jwks is not None and not self._for_secret_issuer(token):
                signing_key = self._jwks.get_signing_key_from_jwt(token)
                # the key decides the algorithm; HS* never, whatever the token's header says
                if signing_key.algorithm_name not in ASYMMETRIC:
                    raise jwt.InvalidTokenError("the key set offers no usable key for this token")
                key, algorithms = signing_key.key, [signing_key.algorithm_name]
            else:
                key, algorithms = self.secret, ["HS256"]
                issuer = self.secret_issuer if self._jwks is not None else self.issuer
            claims = jwt.decode(token, key, algorithms=algorithms, issuer=issuer,
                                audience=self.audience, leeway=LEEWAY_SECONDS,
                                options={"require": ["exp", "iss", "aud", "sub"]})
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the token has expired", code="TOKEN_EXPIRED") from None
        except jwt.PyJWKClientConnectionError:
            raise Unavailable("the identity provider's key set cannot be fetched",
                              code="IDENTITY_PROVIDER_UNAVAILABLE") from None
        except (jwt.PyJWKClientError, jwt.PyJWKSetError, jwt.PyJWKError):
            raise Unauthenticated("the token's signing key is unknown to the identity provider",
                                  code="TOKEN_INVALID") from None
        except jwt.InvalidTokenError as exc:
            # the reason names the failed check (signature, issuer, audience, claim), not the token
            raise Unauthenticated(f"the token is not valid: {exc}", code="TOKEN_INVALID") from None
        except (TypeError, ValueError):  # a key that does not fit the token's algorithm
            raise Unauthenticated("the token is not valid for its signing key",
                                  code="TOKEN_INVALID") from None
        if not isinstance(claims.get("roles", []), list):
            raise Unauthenticated("the token's roles claim must be a list", code="TOKEN_INVALID")
        self._check_lifetime(claims)
        return claims

    def _for_secret_issuer(self, token: str) -> bool:
        """Whether the token names the secret's issuer (read before any check: the check that
        follows is the secret's, for that issuer, and HS256 only)."""
        if not self.secret_issuer:
            return False
        named = jwt.decode(token, options={"verify_signature": False}).get("iss")
        return named == self.secret_issuer

    def _check_lifetime(self, claims: dict) -> None:
        """A token that lives longer than the cap is refused, however it was signed: a stolen one
        must not stay useful for days."""
        exp = claims["exp"]
        issued = claims.get("iat")
        if not isinstance(exp, int | float) or (issued is not None
                                                 and not isinstance(issued, int | float)):
            raise Unauthenticated("the token's exp and iat must be numbers", code="TOKEN_INVALID")
        lifetime = exp - (issued if issued is not None else time.time())
        if lifetime > self.max_lifetime + LEEWAY_SECONDS:
            raise Unauthenticated(f"the token lives longer than the {self.max_lifetime} s this suite"
                                  " accepts", code="TOKEN_LIFETIME_TOO_LONG")


def issue_token(secret: str, *, sub: str, roles: list[str], issuer: str = DEFAULT_ISSUER,
                audience: str = DEFAULT_AUDIENCE, unit_id: str | None = None,
                cadre_id: str | None = None, ttl_seconds: int = 3600, now=None) -> str:
    """A locally signed token (HS256), for development, tests and operators."""
    issued = int(now if now is not None else time.time())
    claims = {"sub": sub, "roles": roles, "iss": issuer, "aud": audience, "iat": issued,
              "exp": issued + ttl_seconds}
    if unit_id:
        claims["unit_id"] = unit_id
    if cadre_id:
        claims["cadre_id"] = cadre_id
    return jwt.encode(claims, secret, algorithm="HS256")


def context_for(token: str) -> dict:
    """Context data for a nameko RPC made on a user's behalf (a standalone ClusterRpcProxy's)."""
    return {CONTEXT_KEY: token}
