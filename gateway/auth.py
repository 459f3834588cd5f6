"""Who is calling: bearer JWTs checked against the configured issuer, audience and keys.

Local use signs with a shared secret (``AUTH_SECRET``, HS256); production points ``AUTH_JWKS_URL`` at
the identity provider's key set (RS256/ES256). Claims: ``sub`` (user id), ``roles`` (list of the
roles in services/common/boundary/security.py), ``unit_id`` for a UNIT_ADMIN, ``cadre_id`` for a CADRE, and
``exp``, ``iss``, ``aud``. Tokens and secrets are never logged.
"""

from __future__ import annotations

from dataclasses import dataclass

import jwt

from gateway.exceptions import Unauthenticated
from services.common.boundary.security import Actor
from services.common.errors import Unavailable

DEFAULT_ISSUER = "cadre-local"
DEFAULT_AUDIENCE = "cadre-suite"
LEEWAY_SECONDS = 30
ASYMMETRIC = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA")


@dataclass
class Authenticator:
    issuer: str
    audience: str
    secret: str | None = None
    jwks_url: str | None = None

    def __post_init__(self):
        if not self.secret and not self.jwks_url:
            raise ValueError("authentication is not configured: set AUTH_SECRET or AUTH_JWKS_URL")
        # the key set is cached for a few minutes, not keys for ever: a revoked key stops working
        self._jwks = jwt.PyJWKClient(self.jwks_url, lifespan=300) if self.jwks_url else None

    @classmethod
    def from_config(cls, config) -> Authenticator:
        return cls(issuer=config.get("AUTH_ISSUER") or DEFAULT_ISSUER,
                   audience=config.get("AUTH_AUDIENCE") or DEFAULT_AUDIENCE,
                   secret=config.get("AUTH_SECRET") or None,
                   jwks_url=config.get("AUTH_JWKS_URL") or None)

    def authenticate(self, authorization: str | None) -> Actor:
        """The actor of an ``Authorization: Bearer <jwt>`` header, or Unauthenticated."""
        if not authorization:
            raise Unauthenticated("this endpoint needs a bearer token", code="AUTHENTICATION_REQUIRED")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("the Authorization header must be 'Bearer <token>'",
                                  code="TOKEN_INVALID")
        claims = self._decode(token.strip())
        actor = Actor.from_context({"user_id": claims["sub"], "roles": claims.get("roles") or [],
                                    "unit_id": claims.get("unit_id"),
                                    "cadre_id": claims.get("cadre_id")})
        if actor is None or not actor.user_id.strip():
            raise Unauthenticated("the token names no user (empty sub)", code="TOKEN_INVALID")
        return actor

    def _decode(self, token: str) -> dict:
        try:
            if self._jwks is not None:
                signing_key = self._jwks.get_signing_key_from_jwt(token)
                # the key decides the algorithm; HS* never, whatever the token's header says
                if signing_key.algorithm_name not in ASYMMETRIC:
                    raise jwt.InvalidTokenError("the key set offers no usable key for this token")
                key, algorithms = signing_key.key, [signing_key.algorithm_name]
            else:
                key, algorithms = self.secret, ["HS256"]
            claims = jwt.decode(token, key, algorithms=algorithms, issuer=self.issuer,
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
        return claims


def issue_token(secret: str, *, sub: str, roles: list[str], issuer: str = DEFAULT_ISSUER,
                audience: str = DEFAULT_AUDIENCE, unit_id: str | None = None,
                cadre_id: str | None = None, ttl_seconds: int = 3600, now=None) -> str:
    """A locally signed token (HS256), for development, tests and operators."""
    import time

    issued = int(now if now is not None else time.time())
    claims = {"sub": sub, "roles": roles, "iss": issuer, "aud": audience, "iat": issued,
              "exp": issued + ttl_seconds}
    if unit_id:
        claims["unit_id"] = unit_id
    if cadre_id:
        claims["cadre_id"] = cadre_id
    return jwt.encode(claims, secret, algorithm="HS256")
