"""Reading the calibration data: each row's harness, lengths and settings, from its notes."""

from __future__ import annotations

from pathlib import Path

import pytest

from sizing.catalog import default_catalog
from sizing.performance.calibration import (
    Comparison,
    Measurement,
    load_measurements,
    skipped_rows,
    sweep_capacities,
)

CAT = default_catalog()
HEADER = "source,engine,gpu,gpu_count,model,precision,input_len,output_len,concurrency,metric,value,unit,notes\n"  # noqa: E501


def rows_of(tmp_path: Path, *lines: str) -> list[Measurement]:
    path = tmp_path / "rows.csv"
    path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return load_measurements(path, catalog=CAT)


@pytest.mark.parametrize(
    ("engine", "concurrency", "notes", "harness", "requests", "rate"),
    [
        pytest.param("TensorRT-LLM 0.9.0 (static batching)", "64", "static batch 64", "static",
                     64, None, id="static-batch"),
        pytest.param("NIM (TensorRT-LLM), 2024", "50", "genai-perf", "burst", 50, None,
                     id="nim-2024-as-burst"),
        pytest.param("vLLM 0.11.0", "8", "closed loop --max-concurrency 8", "closed-loop", 8,
                     None, id="max-concurrency"),
        pytest.param("vLLM 0.11.0", "", "request_rate=inf; burst: 500 prompts at t=0", "burst",
                     500, None, id="request-rate-inf"),
        pytest.param("vLLM 0.6.3", "", "request_rate=16 (Poisson, 1000 ShareGPT prompts)",
                     "rate", 1000, 16.0, id="finite-rate"),
        pytest.param("TensorRT-LLM 0.12.0", "", "in-flight batching, infinite rate", "offline",
                     None, None, id="offline"),
    ],
)  # fmt: skip
def test_the_harness_comes_from_the_engine_and_the_notes(
    tmp_path, engine, concurrency, notes, harness, requests, rate
) -> None:
    (row,) = rows_of(
        tmp_path,
        f'x,"{engine}",H100-80GB-SXM,1,Llama-3.1-8B,FP8,1000,200,{concurrency},ttft_ms,1,ms,'
        f'"{notes}"',
    )  # fmt: skip
    assert (row.harness, row.concurrency, row.rate_per_s) == (harness, requests, rate)


@pytest.mark.parametrize(
    ("engine", "concurrency", "notes", "fitted"),
    [
        pytest.param("vLLM 0.11.0", "1", "closed loop --max-concurrency 1", False,
                     id="vllm-serve-lone-held-out"),
        pytest.param("vLLM 0.11.0", "8", "closed loop --max-concurrency 8", False,
                     id="vllm-serve-loaded-held-out"),
        pytest.param("NIM (TensorRT-LLM), 2024", "1", "genai-perf", True, id="nim-fitted"),
        pytest.param("TensorRT-LLM 0.9.0 (static batching)", "1", "static batch 1", True,
                     id="in-process-static"),
    ],
)  # fmt: skip
def test_no_vllm_serve_row_is_fitted_so_each_is_judged_out_of_sample(
    tmp_path, engine, concurrency, notes, fitted
) -> None:
    (row,) = rows_of(
        tmp_path,
        f'x,"{engine}",H100-80GB-SXM,1,Llama-3.1-8B,FP8,1000,200,{concurrency},ttft_ms,1,ms,'
        f'"{notes}"',
    )  # fmt: skip
    assert row.fitted == fitted


def test_dataset_lengths_and_server_settings_come_from_the_notes(tmp_path) -> None:
    (row,) = rows_of(
        tmp_path,
        'x,vLLM 0.6.3,H100-80GB-SXM,8,Llama-3.1-405B,FP8,,,,itl_ms,38,ms,"request_rate=32 '
        "(1000 ShareGPT prompts); mean ISL=215.2, mean OSL=117.1; enable-chunked-prefill=TRUE, "
        'max-num-batched-tokens=512, max-num-seqs=256, --gpu-memory-utilization 0.95"',
    )
    assert (row.input_tokens, row.output_tokens, row.lengths_stated) == (215, 117, False)
    assert (row.max_num_batched_tokens, row.max_num_seqs) == (512, 256)
    assert row.gpu_memory_utilization == 0.95


@pytest.mark.parametrize(
    ("model", "notes", "reason"),
    [
        pytest.param("Yi-34B", "closed loop", "model not in the catalog (Yi-34B)",
                     id="unknown-model"),
        pytest.param("Llama-3.1-405B", "--num-scheduler-steps 10, enable-chunked-prefill=TRUE",
                     "vLLM 0.6 multi-step scheduling or chunked prefill off (not in V1)",
                     id="multi-step"),
    ],
)  # fmt: skip
def test_rows_the_model_cannot_predict_are_counted_not_guessed(tmp_path, model, notes, reason):
    path = tmp_path / "rows.csv"
    path.write_text(
        HEADER + f'x,vLLM,H100-80GB-SXM,8,{model},FP8,1000,100,4,ttft_ms,1,ms,"{notes}"\n',
        encoding="utf-8",
    )
    assert load_measurements(path, catalog=CAT) == []
    assert [(s.reason, s.rows) for s in skipped_rows(path, catalog=CAT)] == [(reason, 1)]


def sweep(points: dict[int, tuple[float, float, float, float]]) -> list[Comparison]:
    """A sweep as comparisons: concurrency -> (TTFT measured, predicted, ITL measured,
    predicted)."""
    out = []
    for c, (ttft_m, ttft_p, itl_m, itl_p) in points.items():
        for metric, value, predicted in (("ttft_ms", ttft_m, ttft_p), ("itl_ms", itl_m, itl_p)):
            m = Measurement("s", "NIM", "A100-80GB-SXM", 1, "Llama-3-8B", "FP16", 200, 1000, c,
                            metric, value, "", harness="burst")  # fmt: skip
            out.append(Comparison(m, predicted))
    return out


def test_capacity_at_slo_interpolates_where_a_sweep_crosses_the_threshold() -> None:
    """Tightest threshold: TTFT 3x the lone 10 ms, ITL 1.5x the lone 5 ms. The worse of the two
    decides: a flat ITL sits at 1/1.5 of its limit, TTFT at 20/30 at concurrency 10 and 40/30 at
    100, so the measured sweep crosses halfway on a log scale, at 10^1.5; the prediction, twice
    as slow above the lone request, reaches 40/30 at 10 and crosses at 10^0.5."""
    points = {1: (10.0, 10.0, 5.0, 5.0), 10: (20.0, 40.0, 5.0, 5.0), 100: (40.0, 80.0, 5.0, 5.0)}
    tightest = sweep_capacities(sweep(points))[0]
    assert (tightest.itl_factor, tightest.ttft_factor) == (1.5, 3.0)
    assert tightest.measured == pytest.approx(10 * 10**0.5)
    assert tightest.predicted == pytest.approx(10**0.5)
    assert tightest.ratio < 0.8  # under-predicted by more than 20%


def test_a_closed_loop_row_carries_its_start_up_wave(tmp_path) -> None:
    """8 clients that start together over 40 prompts: the first 8 requests are a burst, a fifth
    of the run, so the predicted mean TTFT is a fifth the burst's and four fifths the steady
    state's; without a stated request count the row is the steady state alone."""
    from sizing.performance.calibration import predict
    from sizing.performance.efficiency import default_efficiency

    eff = default_efficiency()
    line = (
        "x,vLLM 0.11.0,H100-80GB-SXM,1,Llama-3.1-8B,FP8,2000,200,8,ttft_ms,1,ms,"
        '"closed loop --max-concurrency 8{}"'
    )
    (waved,) = rows_of(tmp_path, line.format(", 40 prompts"))
    (steady,) = rows_of(tmp_path, line.format(""))
    assert (waved.requests, steady.requests) == (40, None)
    burst = rows_of(
        tmp_path,
        "x,vLLM 0.11.0,H100-80GB-SXM,1,Llama-3.1-8B,FP8,2000,200,,ttft_ms,1,ms,"
        '"request_rate=inf, 8 prompts"',
    )[0]
    assert burst.harness == "burst"
    at_steady = predict(steady, catalog=CAT, eff=eff).ttft_ms
    at_burst = predict(burst, catalog=CAT, eff=eff).ttft_ms
    assert at_burst > at_steady
    assert predict(waved, catalog=CAT, eff=eff).ttft_ms == pytest.approx(
        0.2 * at_burst + 0.8 * at_steady
    )
