#!/usr/bin/env bash
# The image's entrypoint: run one process of the suite in the foreground, as PID 1.
#
#   entrypoint.sh talent|appraisal|accountability|tolerance|care|gateway
#
# Configuration comes from the environment (config.yaml's ${NAME:default}; docs/deploy.md lists them).
# nameko stops gracefully on SIGTERM: running workers finish, then the process exits.
# The name -> class map is checked against the code by tests/deploy/test_image.py.
set -euo pipefail

CONFIG=/app/config.yaml

usage() {
  echo "usage: entrypoint.sh NAME, where NAME is one of: talent appraisal accountability tolerance care gateway" >&2
  exit 64  # EX_USAGE
}

[[ $# -eq 1 ]] || usage

case $1 in
  talent) class=services.talent.service:TalentService ;;
  appraisal) class=services.appraisal.service:AppraisalService ;;
  accountability) class=services.accountability.service:AccountabilityService ;;
  tolerance) class=services.tolerance.service:ToleranceService ;;
  care) class=services.care.service:CareService ;;
  gateway) class=gateway.service:GatewayService ;;
  *) echo "entrypoint.sh: unknown process '$1'" >&2; usage ;;
esac

exec nameko run --config "$CONFIG" "$class"
