"""What the stack installs, each once: Debian packages (RabbitMQ, PostgreSQL, Chromium and a Chinese font),
single binaries out of Debian packages (promtool, shellcheck), and Go programs built from the module proxy
(kustomize, kubeconform), all into .stack/bin where they are not system packages."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from devstack.common import STATE, StackError, log_tail, say

BIN = STATE / "bin"
APT_LOG = STATE / "apt.log"


def _sudo() -> list[str]:
    return [] if os.geteuid() == 0 else ["sudo"]


def _apt(*args: str, log) -> bool:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run([*_sudo(), "apt-get", *args], stdout=log, stderr=subprocess.STDOUT,
                          env=env).returncode == 0


def apt_install(what: str, package: str) -> None:
    """A Debian package, or StackError saying why not. The package lists are refreshed only when they do
    not know the package, or when the install fails with stale lists."""
    if os.geteuid() != 0 and not shutil.which("sudo"):
        raise StackError(f"{what}: cannot install {package}: not root and sudo is not installed")
    say(f"installing {package} with apt-get (one-time)")
    STATE.mkdir(parents=True, exist_ok=True)
    with APT_LOG.open("w") as log:
        if subprocess.run(["apt-cache", "show", package], capture_output=True).returncode != 0:
            _apt("update", log=log)
        if _apt("install", "-y", package, log=log):
            return
        _apt("update", log=log)
        if _apt("install", "-y", package, log=log):
            return
    lines = APT_LOG.read_text(errors="replace").splitlines()
    reasons = [line for line in lines if line.startswith(("E:", "W:"))] or lines[-1:]
    raise StackError(f"{what}: cannot install {package}: "
                     f"{reasons[-1] if reasons else f'apt-get failed (see {APT_LOG})'}")


def tool_from_deb(tool: str, package: str) -> Path:
    """The binary ``tool`` out of Debian's ``package``, into .stack/bin, nothing else of the package
    installed (promtool comes without the Prometheus server and its web assets)."""
    target = BIN / tool
    if target.exists():
        return target
    BIN.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, APT_LOG.open("w") as log:
        def download() -> bool:
            return subprocess.run(["apt-get", "download", package], cwd=tmp, stdout=log,
                                  stderr=subprocess.STDOUT).returncode == 0
        if not download():
            _apt("update", log=log)
            if not download():
                raise StackError(f"{tool}: cannot download Debian's {package} package (see {APT_LOG})")
        [deb] = Path(tmp).glob(f"{package}_*.deb")
        subprocess.run(["dpkg-deb", "-x", str(deb), f"{tmp}/root"], check=True)
        shutil.copy(f"{tmp}/root/usr/bin/{tool}", target)
    target.chmod(0o755)
    return target


def find_go() -> str | None:
    return shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None)


def tool_from_go(tool: str, module: str) -> Path:
    """`go install` of ``module`` (path@version from the module proxy), ``tool`` into .stack/bin, built once.
    Go's module and build caches stay in .stack/go, so the user's home is not written (and -modcacherw
    lets `rm -rf .stack` remove them)."""
    target = BIN / tool
    if target.exists():
        return target
    go = find_go()
    if go is None:
        raise StackError(f"{tool}: no Go toolchain (go) to build {module} with: install Go, then run "
                         "make tools again")
    go_path = STATE / "go"
    go_path.mkdir(parents=True, exist_ok=True)
    say(f"building {tool} ({module})")
    log = go_path / "build.log"
    with log.open("w") as out:
        built = subprocess.run([go, "install", module], stdout=out, stderr=subprocess.STDOUT, env={
            **os.environ, "GOBIN": str(BIN), "GOPATH": str(go_path), "GOFLAGS": "-modcacherw",
            "GOMODCACHE": str(go_path / "pkg" / "mod"), "GOCACHE": str(go_path / "cache")})
    if built.returncode != 0:
        raise StackError(f"{tool}: go install {module} failed\n{log_tail(log)}")
    return target


def _version(*command) -> str:
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True)
    return ((done.stdout or done.stderr).strip().splitlines() or ["?"])[0]


def browser() -> str:
    """Debian's Chromium for the browser tests (Playwright's own download reaches the internet, which these
    machines do not), and a Chinese font: the console is in Chinese, and its screenshots and the tests read
    it as officers do."""
    if not shutil.which("chromium"):
        apt_install("Chromium", "chromium")
    if not shutil.which("chromium"):
        raise StackError("Chromium: no chromium after install")
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True)
    if not fonts.stdout.strip():
        apt_install("a Chinese font", "fonts-wqy-microhei")
    version = subprocess.run(["chromium", "--version"], capture_output=True, text=True).stdout.strip()
    return version or "chromium"


def validators() -> str:
    """The validators the deploy tests run: promtool (the alerts), shellcheck (the shell scripts), and
    kustomize and kubeconform (deploy/k8s rendered as kubectl would, then checked against the API
    schemas). Their versions, one line."""
    promtool = tool_from_deb("promtool", "prometheus")
    shellcheck = tool_from_deb("shellcheck", "shellcheck")
    kustomize = tool_from_go("kustomize", "sigs.k8s.io/kustomize/kustomize/v5@v5.7.1")
    kubeconform = tool_from_go("kubeconform", "github.com/yannh/kubeconform/cmd/kubeconform@v0.7.0")
    shellcheck_version = subprocess.run([shellcheck, "--version"], capture_output=True, text=True).stdout
    built = subprocess.run([find_go() or "go", "version", "-m", kubeconform], capture_output=True, text=True)
    return "; ".join([
        _version(promtool, "--version"),
        "shellcheck " + next((line.split(": ", 1)[1] for line in shellcheck_version.splitlines()
                              if line.startswith("version:")), "?"),
        "kustomize " + _version(kustomize, "version"),
        # built without release flags it calls itself "development": the module's version, as built
        "kubeconform " + next((line.split()[2] for line in built.stdout.splitlines()
                               if line.split()[:1] == ["mod"]), "?")])
