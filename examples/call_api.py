"""Call the suite from outside it: over HTTP through the gateway with a bearer token (the usual way), or over
nameko RPC from a service inside the cluster, passing on the originating user's own bearer token.

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


def eligibility_over_rpc(amqp_uri: str, token: str, cadre_id: str) -> dict:
    """talent.get_eligibility over RPC. ``token`` is the bearer token of the person on whose behalf
    you call: the service checks it itself and believes nothing else about who is calling. Domain
    errors arrive as the same typed exceptions the services raise (services/common/errors.py)."""
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.common.boundary.tokens import context_for

    with ClusterRpcProxy({"AMQP_URI": amqp_uri}, context_data=context_for(token),
                         timeout=10) as cluster:
        return cluster.talent.get_eligibility(cadre_id=cadre_id)


if __name__ == "__main__":
    print(eligibility_over_http(*sys.argv[1:4]))
