"""``inferplan estimate``: what-if predictions for one model/GPU configuration, or a CSV of them.

One case from flags prints a table (or JSON); ``--simulate`` adds the scheduler simulated
request by request (tail latencies, utilisation) and ``--slo-ttft-p95-ms``/``--slo-tps`` the
capacity at that SLO. ``--cases FILE.csv`` answers every row with the
columns ``model,gpu,tp,precision,input_tokens,output_tokens,concurrency`` followed by
``fits,max_concurrency,ttft_ms,itl_ms,tps_per_request,output_tps_total,error`` (then
``ttft_p95_ms``, added after the contract's columns); a row that cannot
be answered gets its reason in ``error`` and the run goes on. This CSV interface is a contract.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from dataclasses import replace
from pathlib import Path

import click

from inferplan.cli.context import CliContext
from inferplan.cli.csv_cells import safe_row
from inferplan.cli.errors_output import EXIT_BAD_INPUT, EXIT_VIOLATION, exit_on_input_errors


@click.command()
@click.option("--model", help="Catalog model id or alias, e.g. llama-3.1-70b-instruct.")
@click.option("--gpu", help="Catalog GPU id or alias, e.g. h100-sxm.")
@click.option(
    "--tp",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Tensor-parallel degree (GPUs per replica).",
)
@click.option(
    "--precision", default="bf16", show_default=True, help="fp16, bf16, fp8, int8 or int4."
)
@click.option("--input-tokens", type=click.IntRange(min=1), help="Prompt length.")
@click.option("--output-tokens", type=click.IntRange(min=1), help="Generated length.")
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=None,
    help="Concurrent requests; omit for offline maximum throughput.",
)
@click.option(
    "--engine",
    type=click.Choice(["vllm", "trtllm"]),
    default="vllm",
    show_default=True,
    help="Serving engine the prediction is for.",
)
@click.option(
    "--arrival",
    type=click.Choice(["closed-loop", "poisson", "burst"]),
    default="closed-loop",
    show_default=True,
    help="closed-loop: clients in steady state that send again when answered (how "
    "benchmarks run); poisson: random arrivals keeping CONCURRENCY in flight (what plan sizes "
    "for); burst: CONCURRENCY requests sent at the same instant.",
)
@click.option(
    "--simulate",
    is_flag=True,
    help="Also simulate the scheduler request by request: tail latencies (p95, p99) and "
    "utilisation. Seeded and deterministic.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Seed of --simulate.",
)
@click.option(
    "--slo-ttft-p95-ms",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Print the capacity at this SLO: the largest concurrency (and request rate) one "
    "replica sustains with TTFT p95 within this many ms under --arrival.",
)
@click.option(
    "--slo-tps",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="With --slo-ttft-p95-ms: also keep output tokens/s per request at least this.",
)
@click.option(
    "--cases",
    "cases_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV with the columns model, gpu, tp, precision, input_tokens, output_tokens, "
    "concurrency (empty: offline maximum); each row is written back as CSV with fits, "
    "max_concurrency, ttft_ms, itl_ms, tps_per_request, output_tps_total, error, ttft_p95_ms "
    "appended.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default=None,
    help="Output format (default: table for one case, csv for --cases).",
)
@click.pass_obj
def estimate(
    context: CliContext,
    model: str | None,
    gpu: str | None,
    tp: int,
    precision: str,
    input_tokens: int | None,
    output_tokens: int | None,
    concurrency: int | None,
    engine: str,
    arrival: str,
    simulate: bool,
    seed: int,
    slo_ttft_p95_ms: float | None,
    slo_tps: float | None,
    cases_file: Path | None,
    fmt: str | None,
) -> None:
    """Predict TTFT, inter-token latency and throughput of one replica.

    Example: inferplan estimate --model llama-3.1-70b --gpu h100-sxm --tp 4 --precision fp8
    --input-tokens 2000 --output-tokens 500 --concurrency 32
    """
    from sizing.performance.cases import Case, run_case

    with exit_on_input_errors():
        catalog = context.catalog
        if slo_tps is not None and slo_ttft_p95_ms is None:
            raise click.UsageError("--slo-tps needs --slo-ttft-p95-ms")
        if cases_file is not None:
            if simulate or slo_ttft_p95_ms is not None:
                raise click.UsageError("--simulate and --slo-* answer one case, not --cases")
            _run_batch(cases_file, catalog, engine, arrival, fmt or "csv")
            return
        missing = [
            flag
            for flag, value in (
                ("--model", model),
                ("--gpu", gpu),
                ("--input-tokens", input_tokens),
                ("--output-tokens", output_tokens),
            )
            if value is None
        ]
        if missing:
            raise click.UsageError(f"missing {', '.join(missing)} (or give --cases FILE.csv)")
        case = Case(
            str(model),
            str(gpu),
            tp,
            precision,
            int(input_tokens or 0),
            int(output_tokens or 0),
            concurrency,
        )
        result = run_case(
            case,
            catalog=catalog,
            engine=engine,
            arrival=arrival,  # type: ignore[arg-type]
        )
        if result.estimate is None:
            click.echo(f"error: {result.error}", err=True)
            raise click.exceptions.Exit(EXIT_BAD_INPUT)
        extra: dict = {}
        capacity = None
        if slo_ttft_p95_ms is not None:
            capacity = _capacity(case, catalog, engine, arrival, slo_ttft_p95_ms, slo_tps)
        if simulate and result.estimate.fits:
            # The operating point: --concurrency as given, else the capacity found at the SLO
            # (so the tails printed are those of that capacity), else the offline maximum.
            simulated_case, point = case, OPERATING_POINTS["given"]
            if case.concurrency is None and capacity is not None and capacity["concurrency"] >= 1:
                simulated_case = replace(case, concurrency=capacity["concurrency"])
                point = OPERATING_POINTS["capacity"]
            elif case.concurrency is None:
                point = OPERATING_POINTS["offline"]
            extra["simulated"] = {
                "operating_point": point,
                "concurrency": simulated_case.concurrency,
                **_simulated(simulated_case, catalog, engine, arrival, seed),
            }
        if capacity is not None:
            extra["capacity"] = capacity
        _print_one(result, fmt or "table", extra)
        if not result.estimate.fits or (capacity is not None and capacity["concurrency"] < 1):
            raise click.exceptions.Exit(EXIT_VIOLATION)


# What `--simulate` simulates at, as printed beside its figures.
OPERATING_POINTS = {
    "given": "--concurrency",
    "capacity": "capacity at the SLO",
    "offline": "offline maximum (no --concurrency, no --slo-ttft-p95-ms)",
}


def _entries(case, catalog):
    return (
        catalog.model(case.model),
        catalog.gpu(case.gpu),
        catalog.precision(case.precision),
    )


def _simulated(case, catalog, engine: str, arrival: str, seed: int) -> dict:
    """The case simulated request by request (``sizing.performance.simulator``), as printed
    fields."""
    from sizing.performance.simulation_report import simulate_case

    model, gpu, precision = _entries(case, catalog)
    sim = simulate_case(
        model=model,
        gpu=gpu,
        precision=precision,
        tp=case.tp,
        input_tokens=case.input_tokens,
        output_tokens=case.output_tokens,
        concurrency=case.concurrency,
        engine=engine,  # type: ignore[arg-type]
        arrival=arrival,  # type: ignore[arg-type]
        seed=seed,
    )
    return {
        "requests": sim.requests,
        "seed": seed,
        "ttft_ms": _finite(sim.ttft_mean_ms),
        "ttft_p95_ms": _finite(sim.ttft_p95_ms),
        "ttft_p99_ms": _finite(sim.ttft_p99_ms),
        "itl_ms": _finite(sim.itl_mean_ms),
        "itl_p95_ms": _finite(sim.itl_p95_ms),
        "itl_p99_ms": _finite(sim.itl_p99_ms),
        "tps_per_request_p50": _finite(sim.tps_per_request_p50),
        "output_tps_total": _finite(sim.output_tps_total),
        "request_rate_per_s": _finite(sim.request_rate_per_s),
        "busy_share": _finite(sim.busy_share),
        "budget_share": _finite(sim.budget_share),
        "peak_kv_share": _finite(sim.peak_kv_share),
        "preemptions": sim.preemptions,
    }


def _capacity(
    case, catalog, engine: str, arrival: str, ttft_p95_ms: float, tps: float | None
) -> dict:
    """Capacity at the SLO (``sizing.performance.capacity``), as printed fields."""
    from sizing.performance.capacity import SloTarget, capacity_at_slo

    model, gpu, precision = _entries(case, catalog)
    cap = capacity_at_slo(
        model=model,
        gpu=gpu,
        precision=precision,
        tp=case.tp,
        input_tokens=case.input_tokens,
        output_tokens=case.output_tokens,
        target=SloTarget(ttft_p95_ms, tps),
        arrival=arrival,  # type: ignore[arg-type]
        engine=engine,  # type: ignore[arg-type]
    )
    at = cap.at_capacity
    return {
        "arrival": cap.arrival,
        "slo_ttft_p95_ms": ttft_p95_ms,
        "slo_tps_per_request": tps,
        "concurrency": cap.concurrency,
        "request_rate_per_s": _finite(cap.request_rate_per_s),
        "binding_constraint": cap.binding,
        "ttft_p95_ms": _finite(at.ttft_p95_ms) if at else None,
        "tps_per_request": _finite(at.tps_per_request) if at else None,
    }


def _run_batch(path: Path, catalog, engine: str, arrival: str, fmt: str) -> None:
    from sizing.performance.cases import (
        CASE_COLUMNS,
        RESULT_COLUMNS,
        CaseResult,
        parse_case,
        run_case,
    )

    if fmt != "csv":
        raise click.UsageError("--cases writes CSV; use --format csv")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        click.echo(f"{path}: cannot read: {exc}", err=True)
        raise click.exceptions.Exit(EXIT_BAD_INPUT) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    absent = [c for c in CASE_COLUMNS if c not in header]
    if absent:
        click.echo(f"{path}:1: missing column(s): {', '.join(absent)}", err=True)
        raise click.exceptions.Exit(EXIT_BAD_INPUT)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*CASE_COLUMNS, *RESULT_COLUMNS])
    for row in reader:
        row = {(k or "").strip(): (v or "") for k, v in row.items()}
        raw = [row.get(c, "").strip() for c in CASE_COLUMNS]
        try:
            result = run_case(
                parse_case(row),
                catalog=catalog,
                engine=engine,
                arrival=arrival,  # type: ignore[arg-type]
            )
            cols = result.columns()
        except ValueError as exc:
            cols = CaseResult(None, None, str(exc)).columns()  # type: ignore[arg-type]
        writer.writerow(safe_row([*raw, *(cols[c] for c in RESULT_COLUMNS)]))
    sys.stdout.write(out.getvalue())


def _finite(value: float, digits: int = 3) -> float | None:
    """JSON has no NaN: a quantity that does not exist (nothing fits) is null."""
    return round(value, digits) if math.isfinite(value) else None


def _kv_cache_gib(kv_bytes: float) -> float | None:
    """The KV cache budget per GPU; none (``-``, null) when the weights alone overflow the GPU,
    where the difference is a shortfall, not a cache."""
    return _finite(kv_bytes / 1024**3, 2) if kv_bytes >= 0 else None


def _print_one(result, fmt: str, extra: dict) -> None:
    from sizing.performance.cases import RESULT_COLUMNS

    est = result.estimate
    data = {
        "model": result.case.model,
        "gpu": result.case.gpu,
        "tp": result.case.tp,
        "precision": result.case.precision,
        "input_tokens": result.case.input_tokens,
        "output_tokens": result.case.output_tokens,
        "concurrency": result.case.concurrency,
        "fits": est.fits,
        "max_concurrency": est.max_concurrency,
        "ttft_ms": _finite(est.ttft_ms),
        "ttft_p95_ms": _finite(est.ttft_p95_ms),
        "itl_ms": _finite(est.itl_ms),
        "itl_p95_ms": _finite(est.itl_p95_ms),
        "tps_per_request": _finite(est.tps_per_request),
        "output_tps_total": _finite(est.output_tps_total),
        "weights_gib_per_gpu": _finite(est.memory.weights_bytes_per_gpu / 1024**3, 2),
        # Negative when the weights alone overflow the GPU: no KV cache at all, not a figure.
        "kv_cache_gib_per_gpu": _kv_cache_gib(est.memory.kv_cache_bytes_per_gpu),
        "arrival": est.arrival,
        "limited_by": est.limited_by,
        "max_num_seqs": est.max_num_seqs or None,
        "max_num_batched_tokens": est.max_num_batched_tokens or None,
        "error": result.error,
        **extra,
    }
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
        return
    if fmt == "csv":
        cols = result.columns()
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(RESULT_COLUMNS)
        writer.writerow(safe_row(cols[c] for c in RESULT_COLUMNS))
        click.echo(out.getvalue(), nl=False)
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="inferplan estimate", show_header=True, header_style="bold")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for key, value in data.items():  # catalog names and reasons may hold [brackets]
        if isinstance(value, dict):
            for sub, item in value.items():
                table.add_row(f"{key}.{sub}", "-" if item is None else escape(str(item)))
            continue
        table.add_row(key, "-" if value is None else escape(str(value)))
    Console().print(table)
