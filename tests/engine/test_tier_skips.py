"""Without the engine environment (no package registry to install it from) the tier skips and
says why, instead of failing."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT


def test_the_tier_skips_with_its_reason_when_the_engine_is_missing(tmp_path) -> None:
    env = os.environ | {"INFERPLAN_ENGINE_VENV": str(tmp_path / "no-engine")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "0",
            "tests/engine/test_serve_args.py::test_the_device_only_flags_are_real_flags_of_the_engine",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout
    assert "engine tier skipped: no engine environment at no-engine" in done.stdout
