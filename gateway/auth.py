"""Who is calling: the ``Authorization: Bearer <jwt>`` header, checked by the same verifier every
service uses (services/common/boundary/tokens.py). Tokens and secrets are never logged."""

from __future__ import annotations

from dataclasses import dataclass

from services.common.boundary.security import Actor
from services.common.boundary.tokens import (  # noqa: F401  (issue_token: tests and cadrectl)
    DEFAULT_AUDIENCE,
    DEFAULT_ISSUER,
    TokenVerifier,
    issue_token,
)
from services.common.errors import Unauthenticated


@dataclass
class Authenticator:
    verifier: TokenVerifier

    @classmethod
    def from_config(cls, config) -> Authenticator:
        return cls(TokenVerifier.from_config(config))

    def token(self, authorization: str | None) -> str:
        """The bearer token of an Authorization header, not yet checked."""
        if not authorization:
            raise Unauthenticated("this endpoint needs a bearer token", code="AUTHENTICATION_REQUIRED")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("the Authorization header must be 'Bearer <token>'",
                                  code="TOKEN_INVALID")
        return token.strip()

    def authenticate(self, authorization: str | None) -> Actor:
        """The actor of an ``Authorization: Bearer <jwt>`` header, or Unauthenticated."""
        return self.verifier.actor(self.token(authorization))
