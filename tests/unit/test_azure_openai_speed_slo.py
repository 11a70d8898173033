"""A speed stated at a tail percentile needs a published latency target (Azure OpenAI).

The rule (sizing/azure_openai/speed_slo.py): ``slo.itl`` at p95 or p99 of ``ms`` asks at least
``1000 / ms`` output tokens/s at the tail; Standard, Data Zone and Global token-billed types
publish no speed (an estimate, no SLA) and are rejected, PTU + spillover too (its spill runs on
Standard); provisioned types and priority processing, whose targets read "99% > X tokens/s"
[priority-latency, ptu-sizing-2026], are judged against ``X``. gpt-5.1's priority target and
provisioned floor are both 50 tokens/s, its priority price multiple 2 [priority-price].
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from inferplan.cli.main import main
from sizing.azure_openai.options import azure_openai_options
from sizing.azure_openai.speed_slo import SpeedSlo, speed_slo
from sizing.catalog import default_catalog
from sizing.search.request import SizingRequest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "priority-voice-agent.yaml"

FIELDS = {
    "name": "voice",
    "model": "gpt-5.1",
    "precisions": (),
    "deployment": "azure-openai",
    "max_input_tokens": 4000,
    "max_output_tokens": 800,
    "avg_input_tokens": 2000,
    "avg_output_tokens": 300,
    "peak_concurrency": 20,
    "peak_requests_per_minute": 60,
    "ttft_p95_ms": 3000,
    "output_tokens_per_second_p50": 40,
    "availability": 99.9,
    "regions": ("eastus2",),
    "geography": None,
    "strict_residency": False,
}


def request(**changes) -> SizingRequest:
    return SizingRequest(**{**FIELDS, **changes})


def options(**changes) -> dict:
    catalog = default_catalog()
    req = request(**changes)
    found = azure_openai_options(req=req, model=catalog.model(req.model), catalog=catalog)
    return {o.summary: o for o in found if o.monthly_usd != float("inf")}


# --- the rule ------------------------------------------------------------------------------------


def test_a_median_speed_needs_no_guarantee() -> None:
    assert speed_slo(request(), embedding=False) == SpeedSlo(40)
    # an ITL median is no tail either
    assert not speed_slo(request(itl_targets=((50, 10.0),)), embedding=False).guarantee_required
    assert speed_slo(request(itl_targets=((99, 20.0),)), embedding=True) == SpeedSlo(None)


@pytest.mark.parametrize(
    ("targets", "tps", "tail"),
    [
        (((99, 20.0),), 50.0, (99, 20.0)),
        (((95, 10.0), (99, 25.0)), 100.0, (95, 10.0)),  # the tightest tail binds
        (((99, 50.0),), 40.0, (99, 50.0)),  # 20 tokens/s at the tail: the p50 of 40 is faster
    ],
)
def test_a_tail_itl_is_a_speed_that_needs_a_published_target(targets, tps, tail) -> None:
    speed = speed_slo(request(itl_targets=targets), embedding=False)
    assert speed.min_output_tokens_per_s == pytest.approx(tps)
    assert speed.tail == tail and speed.guarantee_required
    assert f"ITL p{tail[0]} of {tail[1]:g} ms" in speed.tail_reason()


# --- candidates under the rule -------------------------------------------------------------------


def test_without_a_tail_standard_meets_the_speed_and_is_cheapest() -> None:
    found = options()
    standard = found["GlobalStandard 168 ktpm in eastus2"]
    assert standard.rejections == ()
    assert min(o.monthly_usd for o in found.values() if not o.rejections) == standard.monthly_usd


def test_a_tail_rejects_estimates_and_priority_competes_with_ptu() -> None:
    found = options(itl_targets=((99, 20.0),))
    for name in ("GlobalStandard 168 ktpm in eastus2", "DataZoneStandard 168 ktpm in eastus2"):
        (r,) = found[name].rejections
        assert r.kind == "slo" and "no latency SLA" in r.message
    (spill,) = [o for s, o in found.items() if "spillover" in s]
    assert [r.kind for r in spill.rejections] == ["slo"]
    assert "spilled requests" in spill.rejections[0].message
    priority = found["GlobalStandard 168 ktpm priority processing in eastus2"]
    ptu = found["GlobalProvisionedManaged 60 ptu in eastus2"]
    assert priority.rejections == () and ptu.rejections == ()
    # the same tokens at twice the GlobalStandard price, still below 60 PTU
    assert priority.monthly_usd == pytest.approx(
        2 * found["GlobalStandard 168 ktpm in eastus2"].monthly_usd
    )
    assert priority.monthly_usd < ptu.monthly_usd
    plan = priority.build()
    assert plan.predicted.tps_basis == "priority-latency-target"
    assert any("ITL p99 of 20 ms is read as >= 50.0" in r for r in plan.reasons)


def test_a_tail_above_the_priority_target_rejects_priority_with_its_reason() -> None:
    found = options(itl_targets=((99, 15.0),))  # 66.7 tokens/s
    priority = found["GlobalStandard 168 ktpm priority processing in eastus2"]
    (r,) = priority.rejections
    assert r.kind == "slo" and "priority processing targets 50" in r.message
    assert dict(r.figures) == {"tps": 50, "slo_tps": pytest.approx(1000 / 15)}
    assert all(o.rejections for o in found.values())  # PTU's floor is 50 too


# --- the example, as a user runs it --------------------------------------------------------------


def run(path: Path, *args: str):
    return CliRunner().invoke(main, ["plan", str(path), *args], catch_exceptions=False)


def test_the_voice_agent_example_chooses_priority_processing() -> None:
    result = run(EXAMPLE, "--candidates", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["candidates"]
    chosen = next(r for r in rows if r["chosen"])
    assert chosen["configuration"] == "GlobalStandard 168 ktpm priority processing in eastus2"
    # 60 req/min x 0.5 average/peak x 60 x 730 h = 1,314,000 requests x (2,000 in x $1.25/1M
    # + 300 out x $10/1M) = $7,227 at the GlobalStandard price, times the multiple of 2
    assert chosen["monthly_usd"] == pytest.approx(1_314_000 * (2000 * 1.25 + 300 * 10) / 1e6 * 2)
    # 60 req/min x (2,000 + 8 x 300) input-equivalent tokens / 4,750 per PTU = 55.6 -> 60 PTU
    ptu = next(r for r in rows if r["configuration"].startswith("GlobalProvisionedManaged 60 "))
    assert ptu["rejection"] is None and ptu["monthly_usd"] > 3 * chosen["monthly_usd"]
    (workload,) = json.loads(run(EXAMPLE, "--format", "json").output)["workloads"]
    reasons = " ".join(workload["reasons"])
    for said in ("2 × the GlobalStandard price", "99% of requests above 50", "standard priority"):
        assert said in reasons
    (warning,) = [w for w in workload["warnings"] if w["kind"] == "percentile-slo"]
    held = "ITL p99 was held, as tokens/s, to the offer's published latency target"
    assert held in warning["message"]


def test_a_tail_above_every_target_is_infeasible(tmp_path: Path) -> None:
    spec = tmp_path / "faster.yaml"
    spec.write_text(EXAMPLE.read_text().replace("ms: 20}", "ms: 15}"))
    assert run(spec).exit_code == 1
    rows = json.loads(run(spec, "--candidates", "--format", "json").output)["candidates"]
    assert not any(r["chosen"] for r in rows)
    (priority,) = [r for r in rows if r["configuration"].startswith("GlobalStandard 168 ktpm pri")]
    assert priority["rejection_kind"] == "slo" and "targets 50" in priority["rejection"]


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [("ms: 20}", "ms: 0}", "ms"), ("percentile: 99,", "percentile: 90,", "percentile")],
)
def test_a_bad_itl_target_is_a_located_error(tmp_path: Path, old: str, new: str, field) -> None:
    spec = tmp_path / "bad.yaml"
    text = EXAMPLE.read_text()
    spec.write_text(text.replace(old, new))
    result = run(spec)
    assert result.exit_code == 2
    line = text.splitlines().index("      - {percentile: 99, ms: 20}") + 1
    assert f"{spec}:{line}:" in result.output and field in result.output
    assert "Traceback" not in result.output
