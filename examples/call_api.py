"""Call the suite from outside it: over HTTP through the gateway with a bearer token (the usual way), or over
nameko RPC from a trusted service inside the cluster, carrying the originating user.

    python examples/call_api.py http://127.0.0.1:8000 "$(make -s token ARGS='--sub me --role ORG_ADMIN')" C1

docs/consuming.md explains both; docs/http-api.md and /openapi.json describe the HTTP API,
docs/rpc-catalogue.json every RPC method.
"""

from __future__ import annotations

import sys

import requests


def eligibility_over_http(base_url: str, token: str, cadre_id: str) -> dict:
    """GET /cadres/{id}/eligibility: errors come back as JSON with a stable code (and the rule)."""
    response = requests.get(f"{base_url}/cadres/{cadre_id}/eligibility",
                            headers={"Authorization": f"Bearer {token}"}, timeout=10)
    if response.status_code != 200:
        error = response.json()["error"]
        raise RuntimeError(f"{response.status_code} {error['code']}: {error['message']}")
    return response.json()


def eligibility_over_rpc(amqp_uri: str, user: dict, cadre_id: str) -> dict:
    """talent.get_eligibility over RPC. ``user`` is the person on whose behalf you call, as your
    gateway established them: {"user_id": ..., "roles": [...], "unit_id": ..., "cadre_id": ...}.
    Domain errors arrive as the same typed exceptions the services raise (services/common/errors.py)."""
    from nameko.standalone.rpc import ClusterRpcProxy

    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, context_data={"actor": user}, timeout=10) as cluster:
        return cluster.talent.get_eligibility(cadre_id=cadre_id)


if __name__ == "__main__":
    print(eligibility_over_http(*sys.argv[1:4]))
