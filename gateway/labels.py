"""``GET /labels``: every code the suite speaks with its Chinese and English label, from each service's
own ``labels.py`` (DOMAIN.md "Labels (v2)"). The catalogue changes only with a release, so it is built once,
served with an ETag and cached by browsers and proxies."""

from __future__ import annotations

import hashlib
import json

from werkzeug.wrappers import Response

from services.accountability.labels import LABELS as ACCOUNTABILITY
from services.appraisal.labels import LABELS as APPRAISAL
from services.care.labels import LABELS as CARE
from services.common.labels import catalogue
from services.talent.labels import LABELS as TALENT
from services.tolerance.labels import LABELS as TOLERANCE

LABELS = catalogue(TALENT, APPRAISAL, ACCOUNTABILITY, TOLERANCE, CARE)
BODY = json.dumps({"families": LABELS}, ensure_ascii=False, sort_keys=True).encode()
ETAG = hashlib.sha256(BODY).hexdigest()[:32]
MAX_AGE_SECONDS = 3600


def labels_response(request) -> Response:
    """The catalogue, or 304 Not Modified when the caller already holds this version."""
    headers = {"ETag": f'"{ETAG}"', "Cache-Control": f"public, max-age={MAX_AGE_SECONDS}"}
    if request.if_none_match.contains(ETAG):
        return Response(status=304, headers=headers)
    return Response(BODY, mimetype="application/json", headers=headers)
