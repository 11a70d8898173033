"""``inferplan verify`` against the real engine: GuideLLM really loads the CPU vLLM serving the
dev stack's flags, its report is really parsed, and the measurement file is really written.

Skips where the engine environment (.venv-engine) or the load generator's (.venv-loadgen) is
missing; ``./dev test tests/engine`` builds both.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from inferplan.verify.loadgen import DEFAULT_LOADGEN
from inferplan.verify.measurement import read_measurements
from tests.engine.conftest import API_KEY

ROOT = Path(__file__).resolve().parents[2]
# Seconds per load step. At the planned quarter request per second an 8 s step sent two
# requests and the first ones (the CPU engine warming up on 800-token prompts) were still
# running when GuideLLM cancelled them at the step's end: 30 s leaves room for some to finish.
STEP_S = 30


@pytest.fixture(scope="module")
def loadgen() -> Path:
    if not DEFAULT_LOADGEN.is_file():
        pytest.skip("no .venv-loadgen (./dev test tests/engine builds it)")
    return DEFAULT_LOADGEN


def test_verify_loads_the_engine_and_writes_a_measurement(
    engine, engine_model, dev_workload, loadgen, tmp_path: Path
) -> None:
    out = tmp_path / "measurements"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "VERIFY_KEY": API_KEY,
        "INFERPLAN_LOADGEN": str(loadgen),
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "inferplan.cli",
            "verify",
            "dev",
            "--workload",
            dev_workload.name,
            "--endpoint",
            f"{engine.base_url}/v1",
            "--key-env",
            "VERIFY_KEY",
            "--replicas",
            "1",
            "--duration",
            str(STEP_S),
            "--steps",
            "1",
            "--tokenizer",
            str(engine_model),
            "--out",
            str(out),
            "--format",
            "json",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode in (0, 1), done.stderr[-3000:]
    assert API_KEY not in done.stdout + done.stderr
    ((path, m),) = read_measurements(out)
    assert path.parent.name == "dev"
    assert m.subject.workload == dev_workload.name
    assert m.subject.vm_sku == dev_workload.aks.vm_sku
    assert m.subject.engine_version == dev_workload.aks.container_image.tag
    assert m.harness.name == "guidellm" and m.harness.version == "0.8.1"
    first = m.steps[0]
    assert first.requests_ok >= 1, first
    assert first.requests_errored == 0  # the key was accepted: no 401s
    assert first.ttft_ms.p50 > 0 and first.itl_ms.p50 > 0
    assert first.output_tokens_p50 > 0
    # The exit code is the verdict at the planned load.
    assert done.returncode == (0 if first.slo_met else 1)
    assert f'"workload": "{dev_workload.name}"' in done.stdout
