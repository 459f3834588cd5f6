"""The peer baseline for reads: the simplest honest way to serve ``GET /cadres/<id>`` without the suite's
hops. One Python process on the gateway's own web stack (eventlet's WSGI server, werkzeug), that checks
the same bearer token with the same verifier (services/common/boundary/tokens.py), refuses a user without
a department role, reads the same record from the same store (talent's ``cadres`` collection) and writes
the same kind of audit entry before it answers (services/common/boundary/audit.py, in a trail of its
own) -- and nothing else: no broker, no second process, no schema.

    python -m bench.peer '{"address": "127.0.0.1:8123", "mongo_uri": "mongodb://...",
                           "database": "b1234_talent", "secret": "..."}'

The gateway read's figure is reported as a ratio to this one's, measured in the same run with the same
load generator (bench/load.py) on the same roster.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import json  # noqa: E402
import sys  # noqa: E402

from eventlet import wsgi  # noqa: E402
from pymongo import MongoClient  # noqa: E402
from werkzeug.routing import Map, Rule  # noqa: E402
from werkzeug.wrappers import Request, Response  # noqa: E402

from services.common.boundary.audit import AuditTrail  # noqa: E402
from services.common.boundary.tokens import TokenVerifier  # noqa: E402
from services.common.errors import Unauthenticated  # noqa: E402

READERS = {"ORG_ADMIN", "DISCIPLINE_OFFICER", "CARE_OFFICER"}


def application(spec: dict):
    client = MongoClient(spec["mongo_uri"], tz_aware=True, maxPoolSize=100)
    cadres = client[spec["database"]]["cadres"]
    # a trail of its own, with the indexes a service's trail has (a chain is one per database)
    trail = AuditTrail(client[f"{spec['database']}_peer_audit"], "peer")
    trail.ensure_indexes()
    verifier = TokenVerifier(secret=spec["secret"])
    routes = Map([Rule("/cadres/<string:cadre_id>", endpoint="cadre")])

    def reply(status: int, body: dict) -> Response:
        return Response(json.dumps(body, ensure_ascii=False, default=str), status=status,
                        mimetype="application/json")

    @Request.application
    def app(request: Request) -> Response:
        try:
            _, args = routes.bind_to_environ(request.environ).match()
        except Exception:
            return reply(404, {"error": "NOT_FOUND"})
        header = request.headers.get("Authorization", "")
        try:
            actor = verifier.actor(header[7:] if header.startswith("Bearer ") else None)
        except Unauthenticated as exc:
            return reply(401, {"error": exc.code})
        allowed = bool(READERS & set(actor.roles))
        record = ("cadre", args["cadre_id"])
        cadre = cadres.find_one({"_id": args["cadre_id"]}) if allowed else None
        outcome = "OK" if cadre is not None else ("DENIED" if not allowed else "REFUSED")
        # written before the answer leaves, as the suite's are
        trail.record(action="get_cadre", outcome=outcome, user_id=actor.user_id, roles=actor.roles,
                     record=record, error_code=None if cadre is not None else outcome,
                     correlation_id=request.headers.get("X-Correlation-Id"))
        if not allowed:
            return reply(403, {"error": "FORBIDDEN"})
        if cadre is None:
            return reply(404, {"error": "CADRE_NOT_FOUND"})
        cadre["cadre_id"] = cadre.pop("_id")
        return reply(200, cadre)

    return app


def main() -> None:
    spec = json.loads(sys.argv[1])
    host, port = spec["address"].rsplit(":", 1)
    # the gateway's server settings: eventlet's pool of green threads, no access log on the hot path
    wsgi.server(eventlet.listen((host, int(port))), application(spec), log_output=False,
                max_size=1000)


if __name__ == "__main__":
    main()
