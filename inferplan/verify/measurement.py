"""The measurement file: what one ``inferplan verify`` run measured, as data.

One JSON file per workload and run under ``measurements/`` (the team commits them): what was
measured (model, precision, engine and version, VM size, tensor parallel, replicas behind the
endpoint, request lengths), how (harness and version, arrival process, each load step), what
came out (percentiles, goodput, errors and throttles), when, and the digest of the plan it was
measured against. ``calibrate``, ``report`` and ``diff`` read them back through
`read_measurement`, which validates them (``schema/measurement.schema.json``) and reports a bad
file as ``file: field: message``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

MEASUREMENT_API_VERSION = "inferplan/v1"
MEASUREMENT_KIND = "Measurement"

NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Percentiles(_Strict):
    """Milliseconds at the 50th, 95th and 99th percentile of the successful requests."""

    p50: NonNegative
    p95: NonNegative
    p99: NonNegative


class LoadStep(_Strict):
    """One load level held for ``duration_s``: what the harness sent and what came back."""

    rate_per_s: Annotated[float, Field(gt=0, description="requests/s the harness aimed at")]
    arrival: Literal["poisson", "constant", "concurrent", "synchronous", "throughput"]
    duration_s: NonNegative
    started_at: Annotated[float, Field(description="Unix seconds")]
    ended_at: float
    requests_ok: Annotated[int, Field(ge=0)]
    requests_errored: Annotated[int, Field(ge=0)]
    requests_incomplete: Annotated[int, Field(ge=0, description="cut off by the step's end")]
    throttled: Annotated[int, Field(ge=0, description="errored requests answered 429")]
    retry_after_s: Annotated[
        float | None,
        Field(description="largest Retry-After of a 429 (None: none, or the harness keeps none)"),
    ] = None
    achieved_rate_per_s: NonNegative
    concurrency_mean: NonNegative  # requests in flight, averaged over the step
    ttft_ms: Percentiles
    itl_ms: Percentiles
    itl_mean_ms: NonNegative
    tps_per_request_p50: Annotated[
        float | None, Field(description="output tokens / end-to-end seconds, median request")
    ]
    output_tokens_per_s: NonNegative  # the whole endpoint
    input_tokens_p50: NonNegative
    output_tokens_p50: NonNegative
    goodput: Annotated[
        Share | None, Field(description="share of requests inside the SLO (harness's attainment)")
    ] = None
    slo_met: bool = False  # decided by verify against the plan's SLO


class Subject(_Strict):
    """What was measured: the deployment the plan describes."""

    stack: str
    workload: str
    target: Literal["aks-vllm", "azure-openai"]
    model: str
    precision: str | None  # None for Azure OpenAI
    engine: str  # vllm, or azure-openai
    engine_version: str | None  # the image tag the plan pins (vLLM), the model version (AOAI)
    vm_sku: str | None
    tensor_parallel: int | None
    replicas: Annotated[int, Field(ge=1, description="replicas behind the measured endpoint")]
    deployment_type: str | None = None  # Azure OpenAI only
    region: str | None = None


class Harness(_Strict):
    name: Literal["guidellm"]
    version: str
    arrival: str  # the harness's arrival process (plans assume poisson; see loadgen)
    input_tokens: Annotated[int, Field(gt=0)]
    output_tokens: Annotated[int, Field(gt=0)]
    step_duration_s: Annotated[float, Field(gt=0)]


class Slo(_Strict):
    ttft_p95_ms: Annotated[float, Field(gt=0)]
    output_tokens_per_second_p50: Annotated[float, Field(ge=0)]


class PredictedFigures(_Strict):
    """The plan's prediction the measurement is compared with (per deployment)."""

    ttft_p95_ms: float | None
    itl_ms: float | None
    tps_per_request: float
    max_concurrency: int  # the whole deployment, inside the SLO
    concurrency_per_replica: int | None
    plan_replicas: Annotated[int, Field(ge=1, description="replicas per region in the plan")]
    planned_rate_per_s: Annotated[float, Field(gt=0)]  # the peak at the measured replicas
    capacity_rate_per_s: Annotated[float, Field(ge=0)]  # inside the SLO, measured replicas
    capacity_concurrency: Annotated[float, Field(ge=0)]  # the same in requests in flight


class Measurement(_Strict):
    api_version: Literal["inferplan/v1"] = MEASUREMENT_API_VERSION
    kind: Literal["Measurement"] = MEASUREMENT_KIND
    subject: Subject
    harness: Harness
    slo: Slo
    predicted: PredictedFigures
    plan_digest: Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]
    started_at: str  # ISO 8601, UTC
    ended_at: str
    steps: Annotated[tuple[LoadStep, ...], Field(min_length=1)]
    capacity_rate_per_s: Annotated[
        float | None, Field(description="largest step rate that met the SLO (None: none did)")
    ]
    capacity_concurrency: Annotated[
        float | None, Field(description="requests in flight at that step")
    ]


class MeasurementError(Exception):
    """A measurement file that cannot be read or does not match the schema."""


def write_measurement(measurement: Measurement, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(measurement.model_dump(mode="json"), indent=2, sort_keys=False) + "\n"
    path.write_text(text, encoding="utf-8")


def read_measurement(path: Path) -> Measurement:
    """The validated measurement in ``path``; every mistake as ``file: field: message``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise MeasurementError(f"{path}: {error.strerror or error}") from None
    except json.JSONDecodeError as error:
        raise MeasurementError(
            f"{path}:{error.lineno}:{error.colno}: not JSON: {error.msg}"
        ) from None
    try:
        return Measurement.model_validate(data)
    except ValidationError as error:
        lines = [
            f"{path}: {'.'.join(str(p) for p in e['loc']) or '(file)'}: {e['msg']}"
            for e in error.errors()
        ]
        raise MeasurementError("\n".join(lines)) from None


def read_measurements(folder: Path) -> list[tuple[Path, Measurement]]:
    """Every ``*.json`` measurement under ``folder``, sorted by path; all or nothing."""
    if not folder.is_dir():
        raise MeasurementError(f"{folder}: not a folder of measurements")
    found, problems = [], []
    for path in sorted(folder.rglob("*.json")):
        try:
            found.append((path, read_measurement(path)))
        except MeasurementError as error:
            problems.append(str(error))
    if problems:
        raise MeasurementError("\n".join(problems))
    return found


def measurement_schema_text() -> str:
    """``schema/measurement.schema.json``: sorted keys, so the file is stable."""
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "inferplan measurement",
        **Measurement.model_json_schema(),
    }
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
