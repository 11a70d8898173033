"""``inferplan estimate``: one case from flags, or a CSV of cases (the evaluation interface)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from inferplan.cli.main import main

CASE = [
    "--model", "llama-3.1-70b-instruct", "--gpu", "H100-80GB-SXM", "--tp", "4",
    "--precision", "fp8", "--input-tokens", "2000", "--output-tokens", "500",
]  # fmt: skip
HEADER = (
    "model,gpu,tp,precision,input_tokens,output_tokens,concurrency,"
    "fits,max_concurrency,ttft_ms,itl_ms,tps_per_request,output_tps_total,error,ttft_p95_ms"
)


def invoke(*args: str):
    return CliRunner().invoke(main, ["estimate", *args], catch_exceptions=False)


def test_one_case_as_json_names_every_quantity() -> None:
    result = invoke(*CASE, "--concurrency", "32", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["fits"] is True
    assert data["max_concurrency"] > 32
    assert 0 < data["ttft_ms"] <= data["ttft_p95_ms"]
    # closed-loop throughput: every client streams at the per-request rate
    # (both printed to 3 decimals: 32 x a rounding of 0.0005 allows 0.016)
    assert data["output_tps_total"] == pytest.approx(32 * data["tps_per_request"], abs=0.02)
    assert data["error"] is None


def test_random_arrivals_queue_less_than_a_burst() -> None:
    burst = json.loads(
        invoke(*CASE, "--concurrency", "32", "--arrival", "burst", "--format", "json").output
    )
    poisson = json.loads(
        invoke(*CASE, "--concurrency", "32", "--arrival", "poisson", "--format", "json").output
    )
    assert poisson["ttft_p95_ms"] < burst["ttft_p95_ms"]
    assert (poisson["arrival"], burst["arrival"]) == ("poisson", "burst")


def test_simulate_adds_tail_latencies_and_is_deterministic() -> None:
    args = (*CASE, "--concurrency", "16", "--simulate", "--format", "json")
    first, again = invoke(*args), invoke(*args)
    assert first.exit_code == 0 and first.output == again.output
    sim = json.loads(first.output)["simulated"]
    assert sim["ttft_p99_ms"] >= sim["ttft_p95_ms"] > 0
    assert sim["itl_p99_ms"] >= sim["itl_p95_ms"] > 0
    assert 0 < sim["busy_share"] <= 1 and sim["seed"] == 1
    other = json.loads(invoke(*args, "--seed", "7").output)["simulated"]
    assert other["seed"] == 7 and other != sim


def test_slo_flags_print_the_capacity_and_what_binds_it() -> None:
    result = invoke(
        *CASE, "--arrival", "poisson", "--slo-ttft-p95-ms", "1500", "--slo-tps", "20",
        "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0
    cap = json.loads(result.output)["capacity"]
    assert cap["concurrency"] >= 1 and cap["arrival"] == "poisson"
    assert cap["binding_constraint"] in ("ttft", "itl", "kv-memory", "max-num-seqs")
    assert cap["ttft_p95_ms"] <= 1500 and cap["tps_per_request"] >= 20
    assert cap["request_rate_per_s"] > 0


def test_an_slo_no_request_meets_exits_1() -> None:
    result = invoke(*CASE, "--slo-ttft-p95-ms", "1", "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.output)["capacity"]["concurrency"] == 0


def test_simulate_and_slo_flags_are_for_one_case(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("model,gpu,tp,precision,input_tokens,output_tokens,concurrency\n")
    assert invoke("--cases", str(path), "--simulate").exit_code == 2
    assert invoke("--cases", str(path), "--slo-ttft-p95-ms", "100").exit_code == 2
    assert invoke(*CASE, "--slo-tps", "20").exit_code == 2


def test_a_configuration_that_does_not_fit_exits_1_with_its_reason_and_valid_json() -> None:
    result = invoke(
        "--model", "llama-3.1-405b", "--gpu", "a100-80gb-sxm", "--tp", "8",
        "--input-tokens", "100", "--output-tokens", "100", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 1
    data = json.loads(result.output)  # no NaN: JSON stays valid
    assert data["fits"] is False and data["ttft_ms"] is None
    assert data["error"].startswith("does not fit: llama-3.1-405b bf16 needs 94.5 GiB")


def test_bad_flags_and_unknown_names_are_bad_input() -> None:
    unknown = invoke("--model", "llama-3.1-7b", "--gpu", "h100", "--input-tokens", "1",
                     "--output-tokens", "1")  # fmt: skip
    assert unknown.exit_code == 2
    assert "unknown model 'llama-3.1-7b'; did you mean" in unknown.output
    missing = invoke("--model", "llama-3-8b")
    assert missing.exit_code == 2
    assert "missing --gpu, --input-tokens, --output-tokens" in missing.output


def run_cases(tmp_path: Path, text: str, *extra: str):
    path = tmp_path / "cases.csv"
    path.write_text(text, encoding="utf-8")
    return invoke("--cases", str(path), *extra)


def test_cases_file_answers_every_row_and_keeps_going(tmp_path: Path) -> None:
    result = run_cases(
        tmp_path,
        "model,gpu,tp,precision,input_tokens,output_tokens,concurrency\n"
        "llama-3-8b,h100-sxm,1,bf16,128,128,\n"  # offline maximum throughput
        "llama-3-8b,a100-80gb-sxm,1,fp8,128,128,4\n"  # no FP8 on Ampere
        "nope,h100,1,bf16,1,1,\n"  # unknown model
        "llama-3.1-405b,a100-80gb-sxm,8,bf16,100,100,1\n"  # does not fit
        "llama-3-8b,h100,x,bf16,1,1,\n",  # not a number
    )
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert result.output.splitlines()[0] == HEADER
    assert [r["fits"] for r in rows] == ["true", "false", "false", "false", "false"]
    offline = rows[0]
    assert int(offline["max_concurrency"]) > 1 and float(offline["output_tps_total"]) > 1000
    assert "compute capability >= 8.9" in rows[1]["error"]
    assert rows[2]["error"].startswith("unknown model 'nope'")
    assert rows[3]["error"].startswith("does not fit:") and "," in rows[3]["error"]
    assert rows[4]["error"] == "tp: expected an integer, got 'x'"
    assert rows[4]["tp"] == "x"  # the input columns come back as written


def test_cases_output_is_byte_identical_across_runs(tmp_path: Path) -> None:
    text = "model,gpu,tp,precision,input_tokens,output_tokens,concurrency\n" + "".join(
        f"mixtral-8x7b,h200-sxm,2,fp8,{n},{n // 2},{c}\n" for n in (128, 2048) for c in (1, 64)
    )
    assert run_cases(tmp_path, text).output == run_cases(tmp_path, text).output


def test_a_cases_file_without_the_contract_columns_is_bad_input(tmp_path: Path) -> None:
    result = run_cases(tmp_path, "model,gpu\nllama-3-8b,h100\n")
    assert result.exit_code == 2
    assert "cases.csv:1: missing column(s): tp, precision, input_tokens" in result.output


def test_a_cases_file_that_is_not_utf8_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_bytes(b"model,gpu\n\xff\xfe\n")
    result = invoke("--cases", str(path))
    assert result.exit_code == 2
    assert "cannot read" in result.output


# Every newer open model, on a configuration that holds it (CSV contract: one row each).
NEW_MODELS_CSV = """\
model,gpu,tp,precision,input_tokens,output_tokens,concurrency
qwen3-8b,h100-sxm,1,bf16,2000,500,16
qwen3-14b,h100-sxm,1,fp8,2000,500,16
qwen3-32b,h100-sxm,1,bf16,2000,500,16
qwen3-30b-a3b,h100-sxm,1,bf16,2000,500,16
qwen3-235b-a22b,h100-sxm,4,fp8,2000,500,16
deepseek-v3,h200-sxm,8,fp8,2000,500,16
deepseek-r1,h200-sxm,8,fp8,2000,500,16
gpt-oss-20b,l4,1,mxfp4,2000,500,16
gpt-oss-120b,h100-sxm,1,mxfp4,2000,500,16
llama-4-scout,h100-sxm,4,bf16,2000,500,16
llama-4-maverick,h100-sxm,8,fp8,2000,500,16
glm-4.5-air,h100-sxm,4,bf16,2000,500,16
glm-4.6,h100-sxm,8,fp8,2000,500,16
mistral-small-3.2,h100-sxm,1,bf16,2000,500,16
phi-4,a100-80gb-sxm,2,bf16,2000,500,16
deepseek-v3,h100-sxm,8,fp8,2000,500,16
phi-4,a100-80gb-sxm,4,bf16,2000,500,16
gpt-oss-20b,t4,1,mxfp4,2000,500,16
"""


def test_estimate_answers_every_newer_open_model(tmp_path: Path) -> None:
    cases = tmp_path / "new.csv"
    cases.write_text(NEW_MODELS_CSV, encoding="utf-8")
    result = invoke("--cases", str(cases), "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.output)))
    answered = {(r["model"], r["gpu"], r["tp"]): r for r in rows}
    for row in rows[:15]:
        assert row["fits"] == "true", row
        assert int(row["max_concurrency"]) >= 1 and float(row["ttft_ms"]) > 0, row
    # and says why where it cannot: 671B FP8 weights exceed eight 80 GB GPUs; phi-4's 10 KV
    # heads do not split four ways; MXFP4's kernels need Ampere
    assert answered[("deepseek-v3", "h100-sxm", "8")]["error"].startswith(
        "does not fit: deepseek-v3 fp8 needs 78.3 GiB of weights"
    )
    assert answered[("phi-4", "a100-80gb-sxm", "4")]["error"] == (
        "tensor parallel 4 must divide phi-4's 10 KV heads (or be a multiple)"
    )
    assert answered[("gpt-oss-20b", "t4", "1")]["error"] == (
        "mxfp4 needs compute capability >= 8.0; t4 has 7.5"
    )


def test_simulate_without_concurrency_simulates_at_the_capacity_it_found() -> None:
    """The tails printed beside the capacity are those of that capacity, not of the offline
    maximum; each simulation says which operating point it is."""
    base = (*CASE, "--simulate", "--format", "json")
    at_slo = json.loads(invoke(*base, "--slo-ttft-p95-ms", "1500").output)
    assert at_slo["simulated"]["operating_point"] == "capacity at the SLO"
    assert at_slo["simulated"]["concurrency"] == at_slo["capacity"]["concurrency"] >= 1
    given = json.loads(
        invoke(*base, "--concurrency", str(at_slo["capacity"]["concurrency"])).output
    )
    assert given["simulated"]["operating_point"] == "--concurrency"
    assert {k: v for k, v in given["simulated"].items() if k != "operating_point"} == {
        k: v for k, v in at_slo["simulated"].items() if k != "operating_point"
    }
    offline = json.loads(invoke(*base).output)["simulated"]
    assert offline["operating_point"].startswith("offline maximum")


def test_every_unknown_name_is_reported_at_once() -> None:
    result = invoke(
        "--model", "llama-3.1-8b-instrct", "--gpu", "h100-sxmm", "--precision", "fp9",
        "--input-tokens", "100", "--output-tokens", "10",
    )  # fmt: skip
    assert result.exit_code == 2
    for name in ("model 'llama-3.1-8b-instrct'", "GPU 'h100-sxmm'", "precision 'fp9'"):
        assert f"unknown {name}" in result.output, result.output


def test_a_negative_kv_budget_is_shown_as_none() -> None:
    """The weights alone overflow an A10: there is no KV cache, not -113 GiB of one."""
    args = ("--model", "llama-3.1-70b-instruct", "--gpu", "a10", "--input-tokens", "100")
    data = json.loads(invoke(*args, "--output-tokens", "10", "--format", "json").output)
    assert data["fits"] is False
    assert data["kv_cache_gib_per_gpu"] is None
    table = invoke(*args, "--output-tokens", "10").output
    assert "-113" not in table
