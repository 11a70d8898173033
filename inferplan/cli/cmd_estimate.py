"""``inferplan estimate``: what-if predictions for one model/GPU configuration, or a CSV of them.

One case from flags prints a table (or JSON). ``--cases FILE.csv`` answers every row with the
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
    type=click.Choice(["closed-loop", "poisson"]),
    default="closed-loop",
    show_default=True,
    help="closed-loop: clients that send again when answered (how benchmarks run); "
    "poisson: random arrivals (what plan sizes for).",
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
    cases_file: Path | None,
    fmt: str | None,
) -> None:
    """Predict TTFT, inter-token latency and throughput of one replica.

    Example: inferplan estimate --model llama-3.1-70b --gpu h100-sxm --tp 4 --precision fp8
    --input-tokens 2000 --output-tokens 500 --concurrency 32
    """
    from inferplan.sizing.cases import Case, run_case

    with exit_on_input_errors():
        catalog = context.catalog
        if cases_file is not None:
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
        _print_one(result, fmt or "table")
        if not result.estimate.fits:
            raise click.exceptions.Exit(EXIT_VIOLATION)


def _run_batch(path: Path, catalog, engine: str, arrival: str, fmt: str) -> None:
    from inferplan.sizing.cases import (
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


def _print_one(result, fmt: str) -> None:
    from inferplan.sizing.cases import RESULT_COLUMNS

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
        "tps_per_request": _finite(est.tps_per_request),
        "output_tps_total": _finite(est.output_tps_total),
        "weights_gib_per_gpu": _finite(est.memory.weights_bytes_per_gpu / 1024**3, 2),
        "kv_cache_gib_per_gpu": _finite(est.memory.kv_cache_bytes_per_gpu / 1024**3, 2),
        "error": result.error,
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
        table.add_row(key, "-" if value is None else escape(str(value)))
    Console().print(table)
