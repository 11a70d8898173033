"""Run GuideLLM, the load generator, from its own environment, one load step at a time.

GuideLLM (https://github.com/vllm-project/guidellm, 0.8.1, ``requirements-loadgen.lock``)
lives in ``.venv-loadgen`` (``./dev inferplan verify`` builds it): it pulls torch, transformers
and datasets, which the planner does not need. It is given a scenario file (the same fields as
its ``guidellm run`` options) and writes its JSON report, which `guidellm_results` reads.

The endpoint's key reaches GuideLLM in the scenario's ``backend.api_key`` (sent as
``Authorization: Bearer``): GuideLLM keeps it as a secret and writes ``**********`` in its
report; the scenario file is written into a private temporary folder and deleted after the run.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from inferplan.verify.guidellm_results import GuidellmRun, read_results

ROOT = Path(__file__).resolve().parents[2]
LOADGEN_ENV = "INFERPLAN_LOADGEN"  # path to a guidellm executable, overrides the default
DEFAULT_LOADGEN = ROOT / ".venv-loadgen" / "bin" / "guidellm"
SEED = 42  # the same prompts and the same arrival times for the same plan


class LoadgenError(Exception):
    """GuideLLM is missing, or a run failed; the message is one line for the user."""


@dataclass(frozen=True)
class StepRequest:
    """One load step: ``rate_per_s`` arrivals of fixed-length requests.

    ``arrival`` is GuideLLM's constant-rate profile, not its Poisson one: GuideLLM 0.8.1's
    ``poisson`` profile sent requests as fast as it could in every run here (rate 0.5/s: 17.5
    requests/s achieved, 5,262 requests created in an 8 s step), while ``constant`` held its
    rate (0.5/s: 4 requests in 8 s). Plans predict Poisson arrivals; the measurement records
    the arrival process it used, and a constant rate is the gentler load (its TTFT tail is
    lower than Poisson's at the same rate)."""

    target: str  # base URL: the endpoint without its trailing /v1
    model: str  # the served model name the endpoint expects
    tokenizer: str  # Hugging Face id or local folder GuideLLM counts prompt tokens with
    input_tokens: int
    output_tokens: int
    rate_per_s: float
    duration_s: float
    arrival: str = "constant"
    slo_ttft_ms: float | None = None  # goodput objectives (GuideLLM's slo_attainment)
    slo_itl_ms: float | None = None
    verify_tls: bool = True


def loadgen_executable(environ: Mapping[str, str] = os.environ) -> Path:
    """GuideLLM's executable: ``$INFERPLAN_LOADGEN``, else ``.venv-loadgen/bin/guidellm``."""
    path = Path(environ[LOADGEN_ENV]) if environ.get(LOADGEN_ENV) else DEFAULT_LOADGEN
    if not path.is_file():
        raise LoadgenError(
            f"GuideLLM not found at {path}: run verify through `./dev inferplan verify` (it "
            f"builds .venv-loadgen from requirements-loadgen.lock) or set ${LOADGEN_ENV}"
        )
    return path


def scenario(step: StepRequest, *, results: Path, api_key: str | None) -> dict:
    """GuideLLM's scenario for one step (``guidellm run --scenario FILE``)."""
    # sample_size 0: GuideLLM keeps every request's timings and token counts, not its text.
    metrics: dict = {"kind": "generative", "sample_size": 0}
    objectives = {
        k: v for k, v in (("ttft_ms", step.slo_ttft_ms), ("tpot_ms", step.slo_itl_ms)) if v
    }
    if objectives:
        metrics["slo"] = objectives
    backend: dict = {
        "kind": "openai_http",
        "target": step.target,
        "model": step.model,
        "verify": step.verify_tls,
    }
    if api_key:
        backend["api_key"] = api_key
    spec = {
        "backend": backend,
        "profile": {"kind": step.arrival, "rate": [step.rate_per_s]},
        "constraints": [{"kind": "max_duration", "seconds": step.duration_s}],
        "tokenizer": {"kind": "huggingface_auto", "model": step.tokenizer},
        "data": [
            {
                "kind": "synthetic_text",
                "prompt_tokens": step.input_tokens,
                "output_tokens": step.output_tokens,
            }
        ],
        "seed": {"kind": "static", "value": SEED},
        "outputs": [{"kind": "json", "path": str(results)}],
        "metrics": metrics,
    }
    return {"spec": spec}


def run_step(
    step: StepRequest,
    *,
    results: Path,
    api_key: str | None,
    executable: Path,
    timeout_s: float,
) -> GuidellmRun:
    """Run one step; GuideLLM's report is kept at ``results``."""
    results.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="inferplan-loadgen-") as private:
        scenario_path = Path(private) / "scenario.json"
        fd = os.open(scenario_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(scenario(step, results=results, api_key=api_key), fh)
        command = [
            str(executable),
            "run",
            "--scenario",
            str(scenario_path),
            "--disable-console-interactive",
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except subprocess.TimeoutExpired:
            raise LoadgenError(
                f"GuideLLM did not finish a {step.duration_s:g} s step in {timeout_s:g} s"
            ) from None
    if done.returncode != 0 or not results.is_file():
        last = (done.stderr or done.stdout).strip().splitlines()
        detail = last[-1] if last else f"exit status {done.returncode}"
        if api_key:
            detail = detail.replace(api_key, "***")
        raise LoadgenError(f"GuideLLM failed at {step.rate_per_s:g} requests/s: {detail}")
    return read_results(results)
