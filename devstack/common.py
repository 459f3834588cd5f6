"""What every part of the local stack shares: where its state lives, how a server is started, found again
and stopped, and how to wait for one."""

from __future__ import annotations

import os
import pwd
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
STATE = ROOT / ".stack"
ENV_FILE = STATE / "env"

# RabbitMQ's Erlang cookie and Go's caches both need a home directory
os.environ.setdefault("HOME", pwd.getpwuid(os.getuid()).pw_dir)


class StackError(RuntimeError):
    """A part of the stack could not be installed, started or reached; the message says why."""


def timeout() -> float:
    """The start-up wait in seconds (STACK_TIMEOUT, default 90)."""
    return float(os.environ.get("STACK_TIMEOUT", "90"))


def say(message: str) -> None:
    print(f"stack: {message}", flush=True)


def warn(message: str) -> None:
    print(f"stack: {message}", file=sys.stderr, flush=True)


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A port nothing listens on, never one handed out before in this process: the OS may give a port just
    closed out again, and two of our processes given the same one would collide (a bench run once posted
    /units to an ops endpoint, when both still listened with SO_REUSEPORT; now the second fails to start)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


def tcp_open(host: str, port: int, within: float = 2.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=within):
            return True
    except OSError:
        return False


def host_port(uri: str, default_port: int) -> tuple[str, int]:
    """The first host of a URI (a replica set lists several) and its port."""
    netloc = urlsplit(uri).netloc.rsplit("@", 1)[-1].split(",")[0]
    parts = urlsplit(f"//{netloc}")
    return parts.hostname or "localhost", parts.port or default_port


def redact_uri(uri: str) -> str:
    """The URI without its password (everything up to the last '@' but the user name is dropped, so a
    password holding '@' or '/' cannot leak)."""
    scheme, sep, rest = uri.partition("://")
    if not sep or "@" not in rest:
        return uri
    user = rest.split("@", 1)[0].split(":", 1)[0]
    return f"{scheme}://{user}@{rest.rsplit('@', 1)[1]}"


def log_tail(path: Path, lines: int = 20) -> str:
    if not path.exists() or not path.stat().st_size:
        return f"(no output in {path})"
    text = path.read_text(errors="replace").splitlines()[-lines:]
    return f"last {len(text)} lines of {path}:\n" + "\n".join("    " + line for line in text)


def wait_until(predicate, within: float, what: str, interval: float = 0.2, explain=None):
    """Poll ``predicate`` until it returns something truthy; after ``within`` seconds raise StackError with
    ``explain()`` (a log's tail) added."""
    deadline = time.monotonic() + within
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = f"\n{explain()}" if explain else ""
            raise StackError(f"timed out after {within:.0f} s waiting for {what}{detail}")
        time.sleep(interval)


def spawn(command: list[str], log: Path, env: dict[str, str] | None = None, pidfile: Path | None = None,
          cwd: Path | None = None) -> subprocess.Popen:
    """Start a server in a session of its own (it outlives the caller and a Ctrl-C at the caller's
    terminal), output appended to ``log``, tagged STACK_OWNER so that ``our_pid`` knows it for ours."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                env={**(env if env is not None else os.environ), "STACK_OWNER": str(STATE)},
                                cwd=cwd, start_new_session=True)
    if pidfile is not None:
        pidfile.write_text(f"{proc.pid}\n")
    return proc


def our_pid(pidfile: Path) -> int | None:
    """The pid in ``pidfile`` if that process is alive and one this checkout started (its STACK_OWNER tag:
    a pid used again by another program is never mistaken for ours)."""
    try:
        pid = int("".join(c for c in pidfile.read_text() if c.isdigit()))
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return None
    return pid if f"STACK_OWNER={STATE}".encode() in environ else None


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def kill_pid(pid: int, grace: float = 10.0) -> None:
    """SIGTERM, ``grace`` seconds, then SIGKILL."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not alive(pid):
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def kill_group(proc: subprocess.Popen, sig=signal.SIGTERM, grace: float = 30) -> None:
    """Signal a process started in a session of its own and everything it started, SIGKILL after
    ``grace`` seconds."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines, read literally (the files are never sourced)."""
    if not path.exists():
        return {}
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def write_private(path: Path, text: str) -> None:
    """A file only its owner may read (passwords, secrets), replaced whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.replace(tmp, path)
