"""Fit the estimator's efficiency factors to calibration/calibration.csv, or report its error.

    ./dev python scripts/calibrate.py            # report with the committed factors
    ./dev python scripts/calibrate.py --fit      # refit, rewrite
    sizing/performance/data/efficiency.yaml
    ./dev python scripts/calibrate.py --fit --only step_overhead_s   # refit one factor

The fit minimises the squared log error of every metric, averaged per group of comparable rows
(one group per measurement regime and metric), so no single source dominates. Only the factors
in ``FITTED`` move; the rest are assumptions documented in the YAML. Needs scipy (dev extra).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from sizing.catalog import default_catalog
from sizing.performance.calibration import (
    DEFAULT_FILES,
    compare,
    harness_markdown,
    harness_scores,
    load_measurements,
    log_loss,
    report_markdown,
    score,
    skipped_rows,
    target_scores,
    targets_markdown,
)
from sizing.performance.efficiency import DEFAULT_PATH, EfficiencyFactors, load_efficiency

# (factor, lower bound, upper bound): the physics bounds each factor must respect.
FITTED = (
    ("hbm_efficiency", 0.3, 0.95),
    ("prefill_compute_efficiency", 0.2, 0.95),
    ("decode_compute_efficiency", 0.1, 0.95),
    ("fp8_compute_ratio", 0.3, 1.0),
    ("step_overhead_s", 0.0, 0.02),
    ("layer_overhead_s", 0.0, 0.0002),
    ("roofline_sharpness", 1.0, 12.0),
    ("moe_compute_ratio", 0.2, 1.0),
    ("allreduce_latency_nvlink_s", 0.0, 0.0002),
    ("allreduce_latency_pcie_s", 0.0, 0.001),
)


def fitted(m) -> bool:
    """Whether a measurement takes part in the fit (``Measurement.fitted``; all are reported)."""
    return m.fitted


NOTES = {
    "vllm_step_time_ratio": "assumption: 1.0, vLLM steps as fast as the fitted engines; the "
    "vLLM rows with fixed lengths are six CI rows (batch 8), which agree within the reported "
    "error: too few to fit, and the vLLM serve rows have dataset lengths (not fitted)",
    "weight_only_compute_ratio": "assumption: dequantizing INT4 weights halves tensor-core "
    "throughput at large batch (published: AWQ slower than BF16 at batch >= 8 on H200); "
    "not fitted, calibration.csv has no weight-only rows",
    "base_overhead_bytes": "assumption: CUDA context, NCCL buffers and CUDA graphs per GPU "
    "(KAITO budgets 2.3 GiB including activations, which inferplan models separately)",
}


# What each factor does, for the table in docs/sizing-model.md.
ROLES = {
    "hbm_efficiency": (
        "achieved / peak HBM bandwidth when streaming weights and KV; divides every byte term"
    ),
    "prefill_compute_efficiency": (
        "achieved / peak FLOP/s in prefill at 16-bit; `η_base` of `Pm` and `P1`"
    ),
    "decode_compute_efficiency": "achieved / peak FLOP/s in large-batch decode; `η_base` of `S`",
    "fp8_compute_ratio": (
        "8-bit (FP8, INT8) efficiency relative to 16-bit: 8-bit peaks are twice as high and "
        "harder to reach"
    ),
    "weight_only_compute_ratio": (
        "dequantizing int4 weights inside the matmul halves tensor-core throughput; no "
        "weight-only rows to fit"
    ),
    "moe_compute_ratio": "grouped expert GEMMs reach less of peak than dense GEMMs",
    "step_overhead_s": "per engine step: scheduling, sampling, Python",
    "layer_overhead_s": "per layer and step: kernel launches and synchronisation",
    "allreduce_latency_nvlink_s": "`λ` of one all-reduce over NVLink (NVSwitch or bridge)",
    "allreduce_latency_pcie_s": "`λ` of one all-reduce over PCIe",
    "vllm_step_time_ratio": "vLLM step time relative to the fitted, mostly TensorRT-LLM, engines",
    "base_overhead_bytes": "per GPU: CUDA context, NCCL buffers, CUDA graphs (1.5 GiB)",
    "roofline_sharpness": (
        "`p` of the smooth maximum `(c^p + m^p)^(1/p)` of compute and memory time: how well "
        "they overlap"
    ),
}
DOCS = Path(__file__).resolve().parent.parent / "docs" / "sizing-model.md"
UNITS = {
    "step_overhead_s": "s",
    "layer_overhead_s": "s",
    "allreduce_latency_nvlink_s": "s",
    "allreduce_latency_pcie_s": "s",
    "base_overhead_bytes": "bytes",
}


def factor_table(eff: EfficiencyFactors) -> str:
    """The factors as docs/sizing-model.md shows them: value, unit, fitted or assumed, role."""
    fitted = {name for name, _, _ in FITTED}
    lines = ["| factor | value | unit | kind | role |", "|---|---|---|---|---|"]
    for name in EfficiencyFactors.__dataclass_fields__:
        value = getattr(eff, name)
        text = _number(name, value)
        kind = "fitted" if name in fitted else "assumption"
        lines.append(f"| `{name}` | {text} | {UNITS.get(name, 'ratio')} | {kind} | {ROLES[name]} |")
    fixed_ms = (eff.step_overhead_s + 80 * eff.layer_overhead_s) * 1e3
    lines += [
        "",
        f"For orientation: an 80-layer model pays `T_fixed = {eff.step_overhead_s * 1e3:.2f} + "
        f"80 · {eff.layer_overhead_s * 1e3:.4f} = {fixed_ms:.2f}` ms per step, whatever the batch.",
    ]
    return "\n".join(lines)


def replace_section(text: str, name: str, body: str) -> str:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body.rstrip()}\n{end}{tail}"


def documented(
    text: str, eff: EfficiencyFactors, report: str, harness: str, skipped: str, targets: str
) -> str:
    """docs/sizing-model.md with its generated tables brought up to date."""
    text = replace_section(text, "efficiency-factors", factor_table(eff))
    text = replace_section(text, "targets-table", targets)
    text = replace_section(text, "calibration-table", report)
    text = replace_section(text, "harness-table", harness)
    return replace_section(text, "skipped-table", skipped)


def _to_unit(value: float, lo: float, hi: float) -> float:
    """Map a bounded factor onto the real line (logit), so the optimiser needs no bounds."""
    share = min(max((value - lo) / (hi - lo), 1e-6), 1 - 1e-6)
    return math.log(share / (1 - share))


def _from_unit(x: float, lo: float, hi: float) -> float:
    return lo + (hi - lo) / (1 + math.exp(-x))


def fit(start: EfficiencyFactors, rows, catalog, only: tuple[str, ...] = ()) -> EfficiencyFactors:
    """Refit the ``FITTED`` factors (``only``: these, the rest held at ``start``)."""
    from scipy.optimize import minimize

    moving = tuple(f for f in FITTED if not only or f[0] in only)

    def unpack(xs) -> EfficiencyFactors:
        return start.replace(
            **{name: _from_unit(x, lo, hi) for x, (name, lo, hi) in zip(xs, moving, strict=True)}
        )

    fitted_rows = [r for r in rows if fitted(r)]

    def loss(xs) -> float:
        return log_loss(compare(fitted_rows, catalog=catalog, eff=unpack(xs)))

    x0 = [_to_unit(getattr(start, name), lo, hi) for name, lo, hi in moving]
    result = minimize(loss, x0, method="Powell", options={"maxiter": 6, "xtol": 1e-3, "ftol": 1e-4})
    print(
        f"fit: loss {loss(x0):.4f} -> {result.fun:.4f} ({result.nfev} evaluations)", file=sys.stderr
    )
    return unpack(result.x)


def _number(name: str, value: float) -> str:
    """Factors as written: bytes whole, the rest to 6 significant digits, a factor the fit
    drove to its zero bound as 0 (not 1e-22)."""
    if name == "base_overhead_bytes":
        return f"{value:.0f}"
    return "0" if abs(value) < 1e-12 else f"{value:.6g}"


def write_efficiency(eff: EfficiencyFactors, path: Path) -> None:
    fitted = {name for name, _, _ in FITTED}
    units = UNITS
    lines = [
        "# Fitted efficiency factors of the performance model (see docs/sizing-model.md).",
        "# Written by scripts/calibrate.py --fit from calibration/calibration.csv and",
        "# calibration/vllm-steady.csv; do not edit fitted values by hand: refit. Values marked",
        "# 'assumption' are not fitted.",
        "kind: efficiency",
        "schema_version: 1",
        "fitted_on: calibration/calibration.csv calibration/vllm-steady.csv",
        "factors:",
    ]
    for name in EfficiencyFactors.__dataclass_fields__:
        value = getattr(eff, name)
        note = "empirical: fitted" if name in fitted else NOTES.get(name, "assumption")
        text = _number(name, value)
        unit = units.get(name, "ratio")
        lines.append(f'  {name}: {{value: {text}, unit: {unit}, note: "{note}"}}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", action="store_true", help="refit and rewrite the factors file")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        choices=[name for name, _, _ in FITTED],
        help="with --fit: refit only this factor (repeatable); the others keep their values",
    )
    parser.add_argument(
        "--update-docs", action="store_true", help="rewrite the tables in docs/sizing-model.md"
    )
    parser.add_argument(
        "--csv",
        type=Path,
        action="append",
        default=None,
        help="measurements (repeatable; default: calibration/calibration.csv and vllm-steady.csv)",
    )
    args = parser.parse_args(argv)
    files = tuple(args.csv) if args.csv else DEFAULT_FILES
    catalog = default_catalog()
    rows = load_measurements(files, catalog=catalog)
    eff = load_efficiency()
    if args.fit:
        eff = fit(eff, rows, catalog, only=tuple(args.only))
        write_efficiency(eff, DEFAULT_PATH)
    report, harness, skipped, targets = generated_tables(files, catalog, eff)
    if args.update_docs:
        DOCS.write_text(
            documented(DOCS.read_text(encoding="utf-8"), eff, report, harness, skipped, targets),
            encoding="utf-8",
        )
    print(targets, end="")
    print()
    print(report, end="")
    print()
    print(harness, end="")
    print()
    print(skipped, end="")
    return 0


def generated_tables(files, catalog, eff: EfficiencyFactors) -> tuple[str, str, str, str]:
    """The tables docs/sizing-model.md shows: per group, per harness, rows left out, and the
    load model's targets."""
    comparisons = compare(load_measurements(files, catalog=catalog), catalog=catalog, eff=eff)
    return (
        report_markdown(score(comparisons)),
        harness_markdown(harness_scores(comparisons)),
        skipped_markdown(files, catalog),
        targets_markdown(target_scores(comparisons)),
    )


def skipped_markdown(files, catalog) -> str:
    """The rows left out, by reason (a model the catalog does not have yet, no lengths)."""
    lines = ["| rows left out | reason |", "|---:|---|"]
    lines += [f"| {s.rows} | {s.reason} |" for s in skipped_rows(files, catalog=catalog)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
