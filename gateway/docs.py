"""``/docs``: Swagger UI reading ``/openapi.json``, from the files of the ``swagger-ui-bundle`` package.

Everything the page loads is served here (no CDN: an officer's network may reach nothing else). Try-it-out
is on, and the Authorize button takes the bearer token the document's security scheme names; it is kept in
the page's storage only while the tab is open.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from swagger_ui_bundle import swagger_ui_path
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

ASSETS = Path(swagger_ui_path)
# the files the page uses: nothing else of the package is served
SERVED = ("swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png", "favicon-16x16.png")

INITIALIZER = """window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    tryItOutEnabled: true,
    displayRequestDuration: true,
    filter: true,
    docExpansion: "list",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
};
"""

PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="UTF-8">
<title>干部激励系统 API · Cadre-incentive suite API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
<style>body { margin: 0; background: #fafafa; }</style>
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js" charset="UTF-8"></script>
<script src="/docs/swagger-initializer.js" charset="UTF-8"></script>
</body>
</html>
"""

# the page's own scripts only: nothing from elsewhere may load or be sent anywhere else
POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
          "connect-src 'self'; frame-ancestors 'none'")


def page() -> Response:
    return _cached(Response(PAGE, mimetype="text/html"), public=False)


def asset(name: str) -> Response:
    if name == "swagger-initializer.js":
        return _cached(Response(INITIALIZER, mimetype="text/javascript"), public=False)
    if name not in SERVED:
        raise NotFound()
    mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return _cached(Response((ASSETS / name).read_bytes(), mimetype=mimetype), public=True)


def _cached(response: Response, public: bool) -> Response:
    response.headers["Content-Security-Policy"] = POLICY
    # the package's files change only with its version: a day in any cache; the page, each visit
    response.headers["Cache-Control"] = "public, max-age=86400" if public else "no-cache"
    return response
