"""Every shell script of the repository passes shellcheck (Debian's, from `make tools`), warnings and
notes included: the image's entrypoint (the local stack is Python: devstack/)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.deploy import facts

SHELLCHECK = Path(os.environ.get("SHELLCHECK") or facts.ROOT / ".stack" / "bin" / "shellcheck")


def scripts() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "*.sh"], cwd=facts.ROOT, capture_output=True, text=True,
                            check=True).stdout.split()
    return [path for path in listed if (facts.ROOT / path).is_file()]


def test_every_shell_script_passes_shellcheck():
    if not SHELLCHECK.is_file():
        pytest.fail(f"shellcheck is not installed at {SHELLCHECK}: run `make tools`", pytrace=False)
    found = scripts()
    assert "deploy/entrypoint.sh" in found
    done = subprocess.run([str(SHELLCHECK), "--severity=style", *found], cwd=facts.ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
