"""``inferplan plan`` end to end: golden plans for the examples, exit codes, files written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from inferplan.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
FIXTURES = ROOT / "tests" / "fixtures" / "plan"
UPDATE = os.environ.get("INFERPLAN_UPDATE_GOLDEN") == "1"


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(autouse=True)
def at_repo_root(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize(
    ("fmt", "golden"), [("json", "plan-examples.json"), ("markdown", "plan-examples.md")]
)
def test_examples_match_the_reviewed_golden_plan(fmt: str, golden: str) -> None:
    """Reviewed by eye once; any change to sizing that moves a number shows up here.

    Regenerate deliberately with INFERPLAN_UPDATE_GOLDEN=1 and review the diff.
    """
    result = invoke("plan", "examples", "--format", fmt)
    assert result.exit_code == 0, result.output
    path = GOLDEN / golden
    if UPDATE:
        path.write_text(result.output, encoding="utf-8")
    assert result.output == path.read_text(encoding="utf-8")


def test_every_example_is_feasible_and_the_table_lists_them() -> None:
    result = invoke("plan")  # default: examples/
    assert result.exit_code == 0
    for example in sorted((ROOT / "examples").glob("*.yaml")):
        name = next(
            line.split(":", 1)[1].strip()
            for line in example.read_text().splitlines()
            if line.startswith("  name:")
        )
        assert name[:10] in result.output


def test_an_unreachable_slo_exits_1_with_the_nearest_relaxation() -> None:
    result = invoke("plan", str(FIXTURES / "unreachable-ttft.yaml"), "--format", "markdown")
    assert result.exit_code == 1
    assert "INFEASIBLE" in result.output
    assert "TTFT 50 ms is not reachable for llama-3.1-405b; best found" in result.output


def test_an_environment_over_its_cost_cap_exits_1() -> None:
    result = invoke("plan", str(FIXTURES / "capped-stack" / "env.yaml"), "--format", "json")
    assert result.exit_code == 1
    assert "exceeds the environment cap of $100" in result.output
    assert '"environment": "capped"' in result.output
    [env] = json.loads(result.output)["environments"]
    [violation] = env["violations"]
    assert (violation["kind"], violation["limit"]) == ("cost-cap", 100)
    assert violation["planned"] == env["monthly_usd"] > 100
    # the environment's allowed regions narrow the workload's own list
    assert '"westus3"' not in result.output.split('"workloads"')[1].split('"alternatives"')[0]


def test_bad_input_exits_2_with_file_and_line_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: inferplan/v1\nkind: Workload\nmetadata: {name: x}\n"
        "spec:\n  model: llama-3.1-8b\n  context: {max_input_tokens: 10, max_output_tokens: 5}\n"
        "  traffic: {peak_concurrency: 0}\n",
        encoding="utf-8",
    )
    out = tmp_path / "plan.json"
    result = invoke("plan", str(bad), "--format", "json", "--output", str(out))
    assert result.exit_code == 2
    assert f"{bad}:7:" in result.output
    assert "spec.traffic.peak_concurrency" in result.output
    assert not out.exists()


def test_output_file_holds_exactly_what_stdout_would(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "plan.md"
    result = invoke(
        "plan", "examples/small-open-model.yaml", "--format", "markdown", "-o", str(out)
    )
    assert result.exit_code == 0
    printed = invoke("plan", "examples/small-open-model.yaml", "--format", "markdown").output
    assert out.read_text(encoding="utf-8") == printed
    assert not list(out.parent.glob(".*.tmp"))


@pytest.mark.parametrize("seed", ["1", "999"])
def test_plan_bytes_do_not_depend_on_the_hash_seed(seed: str) -> None:
    env = dict(os.environ, PYTHONHASHSEED=seed)
    run = subprocess.run(
        [sys.executable, "-m", "inferplan.cli", "plan", "examples", "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == (GOLDEN / "plan-examples.json").read_text(encoding="utf-8")


def test_the_plan_predicts_each_stated_percentile(tmp_path: Path) -> None:
    """slo.ttft and slo.itl targets come back under predicted.percentiles, each predicted at
    or inside its target, with a reason that names them."""
    import json

    text = (ROOT / "examples" / "small-open-model.yaml").read_text(encoding="utf-8")
    stated = (
        "    ttft_p95_ms: 1500\n"
        "    ttft:\n      - {percentile: 50, ms: 200}\n      - {percentile: 99, ms: 900}\n"
        "    itl:\n      - {percentile: 99, ms: 120}\n"
    )
    assert "    ttft_p95_ms: 1500\n" in text
    path = tmp_path / "w.yaml"
    path.write_text(text.replace("    ttft_p95_ms: 1500\n", stated), encoding="utf-8")
    result = invoke("plan", str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    (workload,) = json.loads(result.output)["workloads"]
    got = {(p["metric"], p["percentile"]): p for p in workload["predicted"]["percentiles"]}
    assert set(got) == {("ttft", 50), ("ttft", 99), ("itl", 99)}
    for p in got.values():
        assert 0 < p["predicted_ms"] <= p["target_ms"], p
    assert any(r.startswith("At the stated percentiles: TTFT p50") for r in workload["reasons"])


def test_azure_openai_plans_say_they_cannot_predict_stated_percentiles(tmp_path: Path) -> None:
    import json

    text = (ROOT / "examples" / "reasoning-managed.yaml").read_text(encoding="utf-8")
    assert "  slo:\n" in text
    path = tmp_path / "w.yaml"
    path.write_text(
        text.replace("  slo:\n", "  slo:\n    ttft: [{percentile: 99, ms: 5000}]\n", 1),
        encoding="utf-8",
    )
    result = invoke("plan", str(path), "--format", "json")
    assert result.exit_code in (0, 1), result.output
    (workload,) = json.loads(result.output)["workloads"]
    assert workload["target"] == "azure-openai"
    assert [w["kind"] for w in workload["warnings"]].count("percentile-slo") == 1
