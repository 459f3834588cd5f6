"""Operator command: issue a locally signed token.

    .venv/bin/python -m gateway.tokens --sub alice --role ORG_ADMIN [--unit U1] [--cadre C1] [--ttl 3600]

Reads AUTH_SECRET (and AUTH_ISSUER, AUTH_AUDIENCE) from the environment; `make token` supplies the
local stack's. Prints only the token, so it can be used as ``$(make -s token ARGS=...)``.
"""

from __future__ import annotations

import argparse
import os
import sys

from gateway.auth import DEFAULT_AUDIENCE, DEFAULT_ISSUER, issue_token
from services.common.boundary.security import ROLES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.tokens", description=__doc__.split("\n")[0])
    parser.add_argument("--sub", required=True, help="the user id")
    parser.add_argument("--role", action="append", required=True, choices=ROLES, dest="roles")
    parser.add_argument("--unit", help="the unit of a UNIT_ADMIN")
    parser.add_argument("--cadre", help="the cadre id of a CADRE")
    parser.add_argument("--ttl", type=int, default=3600, help="seconds until it expires")
    args = parser.parse_args(argv)
    secret = os.environ.get("AUTH_SECRET")
    if not secret:
        print("tokens: AUTH_SECRET is not set (make token sets it from .stack/auth.env)",
              file=sys.stderr)
        return 2
    print(issue_token(secret, sub=args.sub, roles=args.roles, unit_id=args.unit,
                      cadre_id=args.cadre, ttl_seconds=args.ttl,
                      issuer=os.environ.get("AUTH_ISSUER") or DEFAULT_ISSUER,
                      audience=os.environ.get("AUTH_AUDIENCE") or DEFAULT_AUDIENCE))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
