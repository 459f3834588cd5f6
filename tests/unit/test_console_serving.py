"""gateway/console.py: the officer console's files, served under a strict Content-Security-Policy."""

from __future__ import annotations

import gzip
import json

import pytest
from werkzeug.exceptions import NotFound
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.console import Console, policy, settings, takes_gzip


@pytest.fixture
def built(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!DOCTYPE html><title>console</title>", encoding="utf-8")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)", encoding="utf-8")
    return tmp_path


def test_the_page_and_its_files_carry_a_policy_with_no_inline_script_and_the_provider_named(built):
    console = Console({"CONSOLE_DIR": str(built), "AUTH_ISSUER": "https://idp.example.gov.cn/realms/x",
                       "AUTH_JWKS_URL": "https://idp.example.gov.cn/realms/x/jwks"})
    page = console.page()
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "connect-src 'self' https://idp.example.gov.cn;" in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["Cache-Control"] == "no-cache"
    script = console.file("assets/index-abc123.js")
    assert script.mimetype == "text/javascript"
    assert "immutable" in script.headers["Cache-Control"]
    assert script.headers["Content-Security-Policy"] == csp


def test_a_console_route_gets_the_page_and_a_missing_built_file_is_not_found(built):
    console = Console({"CONSOLE_DIR": str(built)})
    assert console.file("appraisal/cycles/C-1").get_data(as_text=True).startswith("<!DOCTYPE html>")
    with pytest.raises(NotFound):
        console.file("assets/index-old999.js")  # an older build's: never the page, read as a script


def test_a_path_too_long_for_the_file_system_is_a_console_route_not_an_error(built):
    console = Console({"CONSOLE_DIR": str(built)})
    long = "Ṱ̺̺̕o͞ ̷i̲̬͇̪͙n̝̗͕v̟̜̘̦͟o̶̙̰̠kè͚̮̺" * 20  # over 255 bytes: ENAMETOOLONG, not "no such file"
    assert console.file(long).get_data(as_text=True).startswith("<!DOCTYPE html>")
    with pytest.raises(NotFound):
        console.file("assets/" + long)


def test_no_path_leaves_the_built_directory(built, tmp_path_factory):
    secret = tmp_path_factory.mktemp("outside") / "secret.txt"
    secret.write_text("not for the browser", encoding="utf-8")
    console = Console({"CONSOLE_DIR": str(built)})
    for path in (f"../{secret.parent.name}/secret.txt", "../../etc/passwd", "/etc/passwd"):
        answer = console.file(path)
        assert "not for the browser" not in answer.get_data(as_text=True)
        assert "root:" not in answer.get_data(as_text=True)


def test_an_unbuilt_console_says_so_in_both_languages(tmp_path):
    page = Console({"CONSOLE_DIR": str(tmp_path / "none")}).page()
    assert page.status_code == 503
    assert "控制台尚未构建" in page.get_data(as_text=True) and "not built" in page.get_data(as_text=True)


def test_the_settings_the_console_reads():
    assert settings({}) == {"issuer": "", "client_id": "cadre-console", "scopes": "openid profile",
                            "max_in_flight": 4}
    # a page keeps its requests within what the gateway takes from one token
    assert settings({"GATEWAY_MAX_REQUESTS_PER_CLIENT": "8"})["max_in_flight"] == 8
    # the key set's issuer by default; the console's own setting when given
    assert settings({"AUTH_ISSUER": "https://a", "AUTH_JWKS_URL": "https://a/jwks"})["issuer"] == "https://a"
    assert settings({"AUTH_ISSUER": "cadre-local"})["issuer"] == ""  # a secret's issuer is no provider
    assert settings({"CONSOLE_OIDC_ISSUER": "https://b", "CONSOLE_OIDC_SCOPES": "openid"}) == {
        "issuer": "https://b", "client_id": "cadre-console", "scopes": "openid", "max_in_flight": 4}
    body = json.loads(Console({"CONSOLE_OIDC_ISSUER": "https://b"}).config_response().get_data())
    assert body["issuer"] == "https://b"
    assert "connect-src 'self';" in policy("")


@pytest.fixture
def large(built):
    script = "".join(f"console.log({n}, '干部激励');\n" for n in range(2000)).encode()
    (built / "assets" / "index-big456.js").write_bytes(script)
    (built / "assets" / "logo-1.png").write_bytes(b"\x89PNG" + bytes(4000))
    (built / "index.html").write_text("<!DOCTYPE html><title>console</title>" + "<!-- -->" * 500,
                                      encoding="utf-8")
    return built, script


def test_text_goes_gzipped_to_a_browser_that_takes_it_and_plain_to_one_that_does_not(large):
    built, script = large
    console = Console({"CONSOLE_DIR": str(built)})
    zipped = console.file("assets/index-big456.js", gzip_ok=True)
    assert zipped.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped.vary
    assert gzip.decompress(zipped.get_data()) == script and len(zipped.get_data()) < len(script) / 4
    assert "immutable" in zipped.headers["Cache-Control"] and zipped.headers["Content-Security-Policy"]
    plain = console.file("assets/index-big456.js", gzip_ok=False)
    assert "Content-Encoding" not in plain.headers and plain.get_data() == script
    assert "Accept-Encoding" in plain.vary  # a shared cache keeps the two apart
    page = console.page(gzip_ok=True)
    assert page.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(page.get_data()).startswith(b"<!DOCTYPE html>")
    # a console route gets the page compressed too
    assert console.file("appraisal/cycles/C-1", gzip_ok=True).headers["Content-Encoding"] == "gzip"


def test_small_files_and_images_go_as_they_are(large):
    built, _ = large
    console = Console({"CONSOLE_DIR": str(built)})
    small = console.file("assets/index-abc123.js", gzip_ok=True)
    assert "Content-Encoding" not in small.headers and small.get_data() == b"console.log(1)"
    image = console.file("assets/logo-1.png", gzip_ok=True)
    assert "Content-Encoding" not in image.headers and "Accept-Encoding" not in image.vary


def test_a_new_build_under_the_same_name_is_compressed_again(large):
    built, _ = large
    console = Console({"CONSOLE_DIR": str(built)})
    first = gzip.decompress(console.page(gzip_ok=True).get_data())
    (built / "index.html").write_text("<!DOCTYPE html><title>release 2</title>" + "<!-- -->" * 600,
                                      encoding="utf-8")
    assert gzip.decompress(console.page(gzip_ok=True).get_data()) != first


@pytest.mark.parametrize(("header", "expected"), [
    ("gzip, deflate, br", True), ("br;q=1.0, gzip;q=0.8, *;q=0.1", True), ("gzip;q=0", False),
    ("identity", False), ("", False), ("*", True)])
def test_who_takes_gzip(header, expected):
    request = Request(EnvironBuilder(headers={"Accept-Encoding": header} if header else {}).get_environ())
    assert takes_gzip(request) is expected
