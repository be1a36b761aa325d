"""`./dev run` after `./dev test`: the same environment, nothing to reinstall."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from participant_support import ROOT

FAKE = """#!/bin/sh
echo "$(basename "$0") $*" >> "{log}"
"""


def test_dev_run_does_not_reinstall_after_dev_test(tmp_path: Path) -> None:
    shutil.copy(ROOT / "dev", tmp_path / "dev")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    log = tmp_path / "calls.log"
    bin_ = tmp_path / ".venv" / "bin"
    bin_.mkdir(parents=True)
    for name in ("python", "escape-home"):
        (bin_ / name).write_text(FAKE.format(log=log))
        (bin_ / name).chmod(0o755)
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    (tmp_path / ".venv" / ".setup-test").write_text(want + "\n")  # `./dev test` ran
    env = {**os.environ, "PYTHON": "false"}
    subprocess.run(
        ["bash", str(tmp_path / "dev"), "run"], cwd=tmp_path, env=env, check=True
    )
    calls = log.read_text().splitlines()
    assert not [c for c in calls if "pip" in c], calls
    assert calls[-1].startswith("escape-home run"), calls
    # With no install at all, `./dev run` does install.
    (tmp_path / ".venv" / ".setup-test").unlink()
    log.write_text("")
    subprocess.run(
        ["bash", str(tmp_path / "dev"), "run"], cwd=tmp_path, env=env, check=True
    )
    assert any("pip install" in c for c in log.read_text().splitlines())
