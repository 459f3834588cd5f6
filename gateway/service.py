"""The HTTP API: JSON over nameko RPC to the services. It holds no data of its own."""

from __future__ import annotations

import json
import time

import eventlet
from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy

from gateway.entrypoints import http
from gateway.exceptions import MalformedRequest, ServiceTimeout

SERVICES = ("appraisal", "accountability", "tolerance", "talent", "care")


def json_body(request) -> dict:
    """The request's JSON object; anything else is refused before any service is called."""
    try:
        body = json.loads(request.get_data(as_text=True) or "{}")
    except ValueError as exc:
        raise MalformedRequest(f"the body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise MalformedRequest("the body must be a JSON object")
    return body


class GatewayService:
    name = "gateway"

    config = Config()
    appraisal = RpcProxy("appraisal")
    accountability = RpcProxy("accountability")
    tolerance = RpcProxy("tolerance")
    talent = RpcProxy("talent")
    care = RpcProxy("care")

    def _call(self, service: str, method: str, **kwargs):
        """Call a service; a service that does not answer in RPC_TIMEOUT seconds is a 503."""
        timeout = float(self.config.get("RPC_TIMEOUT", 10))
        proxy = getattr(getattr(self, service), method)
        try:
            with eventlet.Timeout(timeout):
                return proxy(**kwargs)
        except eventlet.Timeout:
            raise ServiceTimeout(f"the {service} service did not answer within {timeout:g} s",
                                 details={"service": service}) from None

    @http("GET", "/health")
    def health(self, request):
        """Every service's own health check, asked at once; one that does not answer is down."""
        timeout = float(self.config.get("RPC_TIMEOUT", 10))
        report = {}
        calls = {}
        for service in SERVICES:
            try:
                calls[service] = getattr(self, service).health.call_async()
            except Exception as exc:  # not running: no queue to send to
                report[service] = {"service": service, "status": "unreachable",
                                   "error": type(exc).__name__}
        deadline = time.monotonic() + timeout
        for service, reply in calls.items():
            try:
                # a slow one uses up the shared deadline; replies already in are still read
                with eventlet.Timeout(max(deadline - time.monotonic(), 0.05)):
                    report[service] = reply.result()
            except eventlet.Timeout:
                report[service] = {"service": service, "status": "unreachable",
                                   "error": "Timeout"}
            except Exception as exc:
                report[service] = {"service": service, "status": "unreachable",
                                   "error": type(exc).__name__}
        report = {service: report[service] for service in SERVICES}
        healthy = all(item.get("status") == "ok" for item in report.values())
        return (200 if healthy else 503), {"status": "ok" if healthy else "degraded",
                                           "services": report}

    # talent: the roster and eligibility

    @http("POST", "/units")
    def register_unit(self, request):
        return 201, self._call("talent", "register_unit", **json_body(request))

    @http("POST", "/cadres")
    def register_cadre(self, request):
        return 201, self._call("talent", "register_cadre", **json_body(request))

    @http("GET", "/cadres/<string:cadre_id>")
    def get_cadre(self, request, cadre_id):
        return self._call("talent", "get_cadre", cadre_id=cadre_id)

    @http("GET", "/cadres/<string:cadre_id>/eligibility")
    def get_eligibility(self, request, cadre_id):
        return self._call("talent", "get_eligibility", cadre_id=cadre_id)

    # appraisal

    @http("POST", "/appraisal/cycles")
    def open_cycle(self, request):
        return 201, self._call("appraisal", "open_cycle", **json_body(request))

    @http("GET", "/appraisal/cycles/<string:cycle_id>")
    def get_cycle(self, request, cycle_id):
        return self._call("appraisal", "get_cycle", cycle_id=cycle_id)

    @http("POST", "/appraisal/cycles/<string:cycle_id>/grades")
    def record_grade(self, request, cycle_id):
        body = {**json_body(request), "cycle_id": cycle_id}
        return self._call("appraisal", "record_grade", **body)

    @http("POST", "/appraisal/cycles/<string:cycle_id>/finalize")
    def finalize_cycle(self, request, cycle_id):
        return self._call("appraisal", "finalize_cycle", cycle_id=cycle_id)
