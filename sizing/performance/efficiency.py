"""Fitted efficiency factors of the performance model, read from
``sizing/performance/data/efficiency.yaml``.

The roofline gives the time a step would take at peak bandwidth and peak FLOP/s; these factors
say which fraction of peak real engines reach, plus the fixed costs a roofline ignores. They are
fitted to published measurements by ``scripts/calibrate.py`` and are the only fitted numbers in
the estimator.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path

import yaml

DEFAULT_PATH = Path(__file__).with_name("data") / "efficiency.yaml"


@dataclass(frozen=True)
class EfficiencyFactors:
    """Fractions of peak and fixed costs; see docs/sizing-model.md for each one's role."""

    hbm_efficiency: float  # achieved / peak memory bandwidth when streaming weights and KV
    prefill_compute_efficiency: float  # achieved / peak dense FLOP/s in prefill (16-bit)
    decode_compute_efficiency: float  # achieved / peak dense FLOP/s in large-batch decode
    fp8_compute_ratio: float  # 8-bit (FP8, INT8) efficiency relative to 16-bit peaks
    weight_only_compute_ratio: float  # INT4/INT8 weight-only: dequantization cost on compute
    step_overhead_s: float  # fixed cost of one engine step (scheduling, sampling)
    layer_overhead_s: float  # per layer and step: kernel launches and synchronisation
    moe_compute_ratio: float  # grouped expert GEMMs reach less of peak than dense GEMMs
    allreduce_latency_nvlink_s: float  # latency term of one all-reduce over NVLink
    allreduce_latency_pcie_s: float  # latency term of one all-reduce over PCIe
    vllm_step_time_ratio: float  # vLLM step time relative to the fitted (mostly TRT-LLM) engines
    base_overhead_bytes: float  # per GPU: CUDA context, NCCL buffers, CUDA graphs
    roofline_sharpness: float  # p of the smooth maximum of compute and memory time

    def replace(self, **changes: float) -> EfficiencyFactors:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return EfficiencyFactors(**values)


def factor_names() -> tuple[str, ...]:
    return tuple(f.name for f in fields(EfficiencyFactors))


def load_efficiency(path: Path = DEFAULT_PATH) -> EfficiencyFactors:
    """Read the ``factors`` mapping of an efficiency file; every factor must be present."""
    with path.open(encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    raw = doc["factors"]
    missing = [n for n in factor_names() if n not in raw]
    unknown = sorted(set(raw) - set(factor_names()))
    if missing or unknown:
        raise ValueError(f"{path}: missing factors {missing}, unknown factors {unknown}")
    return EfficiencyFactors(**{n: float(raw[n]["value"]) for n in factor_names()})


@cache
def default_efficiency() -> EfficiencyFactors:
    return load_efficiency()
