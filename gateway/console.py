"""``/console/``: the officer console (console/, docs/console.md), the files Vite built, served by the
gateway so that the console and the API it calls share one origin.

The page runs under a strict Content-Security-Policy: scripts and styles from this origin only (the
build emits no inline script), connections to this origin and the identity provider only, nothing from
anywhere else. Built files carry a content hash in their names and are cached for a year; the page
itself is read again on every visit, so a release shows at once. Any other path under /console/ is one
of the console's own pages (it routes in the browser) and gets the page. Text files go gzipped to a
browser that takes it: the console's script and styles are 1.1 MB as built, about a quarter of that
compressed, which an officer on a slow line waits for on the first visit after each release.
"""

from __future__ import annotations

import functools
import gzip
import json
import mimetypes
from pathlib import Path
from urllib.parse import urlsplit

from werkzeug.exceptions import NotFound
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / "console" / "dist"
PREFIX = "/console/"
DEFAULT_CLIENT_ID = "cadre-console"
DEFAULT_SCOPES = "openid profile"
DEFAULT_IN_FLIGHT = 4  # the gateway's own default (GATEWAY_MAX_REQUESTS_PER_CLIENT)
COMPRESSIBLE = frozenset({"text/html", "text/css", "text/javascript", "application/javascript",
                          "application/json", "image/svg+xml"})
MIN_COMPRESSED_BYTES = 1024  # below a packet or two, gzip saves nothing worth its header


def settings(config) -> dict:
    """What the console reads at start: its identity provider, client id and scopes, and how many
    requests one token may have in at once (a page keeps to it rather than meet 429). The issuer is the
    console's own setting or, by default, the one whose key set the gateway trusts."""
    issuer = config.get("CONSOLE_OIDC_ISSUER") or (
        config.get("AUTH_ISSUER") if config.get("AUTH_JWKS_URL") else "")
    return {"issuer": issuer or "",
            "client_id": config.get("CONSOLE_OIDC_CLIENT_ID") or DEFAULT_CLIENT_ID,
            "scopes": config.get("CONSOLE_OIDC_SCOPES") or DEFAULT_SCOPES,
            "max_in_flight": int(config.get("GATEWAY_MAX_REQUESTS_PER_CLIENT") or DEFAULT_IN_FLIGHT)}


def policy(issuer: str) -> str:
    parts = urlsplit(issuer)
    provider = f" {parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"font-src 'self'; connect-src 'self'{provider}; object-src 'none'; base-uri 'self'; "
            "form-action 'self'; frame-ancestors 'none'")


class Console:
    def __init__(self, config):
        self.directory = Path(config.get("CONSOLE_DIR") or DEFAULT_DIR)
        self.settings = settings(config)
        self.policy = policy(self.settings["issuer"])

    def config_response(self) -> Response:
        return self._secured(Response(json.dumps(self.settings), mimetype="application/json"),
                             "no-cache")

    def file(self, path: str, gzip_ok: bool = False) -> Response:
        """A built file, or the console's page for any path that is not one; gzipped when it is text
        and the browser takes gzip (``gzip_ok``: see :func:`takes_gzip`)."""
        target = safe_join(str(self.directory), path) if path else None
        if target and _is_file(target):
            mimetype = mimetypes.guess_type(target)[0] or "application/octet-stream"
            hashed = path.startswith("assets/")
            return self._secured(_built(target, mimetype, gzip_ok),
                                 "public, max-age=31536000, immutable" if hashed else "no-cache")
        if path.startswith("assets/"):
            raise NotFound()  # a file of an older build: not the page, which would load as a script
        return self.page(gzip_ok)

    def page(self, gzip_ok: bool = False) -> Response:
        index = self.directory / "index.html"
        if not index.is_file():
            body = ("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                    "<title>控制台尚未构建</title></head><body><h1>控制台尚未构建 · The console is not "
                    "built</h1><p>make run 会构建它 · make run builds it (npm ci && npm run build in "
                    "console/).</p></body></html>")
            return self._secured(Response(body, status=503, mimetype="text/html"), "no-cache")
        return self._secured(_built(str(index), "text/html", gzip_ok), "no-cache")

    def _secured(self, response: Response, cache: str) -> Response:
        response.headers["Content-Security-Policy"] = self.policy
        response.headers["Cache-Control"] = cache
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        return response


def _is_file(path: str) -> bool:
    """Whether a built file is there; a name the file system cannot hold (too long, say) is not one."""
    try:
        return Path(path).is_file()
    except OSError:
        return False


def takes_gzip(request) -> bool:
    """Whether the request's Accept-Encoding takes gzip (``gzip;q=0`` refuses it)."""
    return request.accept_encodings["gzip"] > 0


def _built(target: str, mimetype: str, gzip_ok: bool) -> Response:
    """A built file's answer: gzipped for a browser that takes it when it is text worth compressing.
    Whichever it sends, a text file's answer says it varies by Accept-Encoding, so no cache between
    hands the compressed one to a browser that did not ask for it."""
    if mimetype not in COMPRESSIBLE:
        return Response(Path(target).read_bytes(), mimetype=mimetype)
    stat = Path(target).stat()
    if gzip_ok and stat.st_size >= MIN_COMPRESSED_BYTES:
        response = Response(_gzipped(target, stat.st_mtime_ns, stat.st_size), mimetype=mimetype)
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = Response(Path(target).read_bytes(), mimetype=mimetype)
    response.vary.add("Accept-Encoding")
    return response


@functools.lru_cache(maxsize=64)
def _gzipped(target: str, mtime_ns: int, size: int) -> bytes:
    """A built file compressed once per process and build (its time and size are in the key: a new
    build under the same name is compressed again)."""
    return gzip.compress(Path(target).read_bytes(), compresslevel=9, mtime=0)
