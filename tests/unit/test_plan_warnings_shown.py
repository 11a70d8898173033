"""The plan's own warnings reach every reader: the plan table and markdown, `check` (advisory)
and the PR comment (only what the head adds)."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner
from conftest import ROOT

from inferplan.cli.main import main
from inferplan.cli.plan_render import markdown
from inferplan.review.checks import plan_warning_findings
from inferplan.review.diff import StackSide, diff_stack


def test_the_markdown_plan_lists_each_warning_with_its_workload(dev_plan) -> None:
    text = markdown(dev_plan)
    assert "**Warnings**" in text
    assert "- `ticket-triage` (quantized): precision: auto chose int8 weights" in text


def test_the_table_prints_warnings_for_feasible_workloads_too(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["plan", "examples/small-open-model.yaml"])
    assert result.exit_code == 0, result.output
    assert "warning ticket-triage (quantized):" in result.stdout


def test_check_reports_plan_warnings_as_advisory_findings(dev_plan) -> None:
    findings = plan_warning_findings(dev_plan, "dev")
    rules = {(f.rule, f.resource) for f in findings}
    assert ("plan-warning:quantized", "workload:ticket-triage") in rules
    assert {f.severity for f in findings} == {"advisory"}


def _side(name: str, warnings: list[dict[str, str]]) -> StackSide:
    plan: dict[str, Any] = {
        "environments": [{"name": "s", "monthly_usd": 0}],
        "workloads": [{"name": "chat", "feasible": True, "environment": "s", "warnings": warnings}],
    }
    return StackSide("s", plan, [], side_name=name)


def test_the_comment_names_a_warning_only_when_the_head_adds_it() -> None:
    quota = {"kind": "quota", "message": "needs 1,050 kTPM"}
    retired = {"kind": "retirement", "message": "gpt-4o-mini was retired"}
    report = diff_stack("s", _side("base", [quota]), _side("head", [quota, retired]))
    plan_warnings = [w for w in report["warnings"] if w["kind"] == "plan"]
    assert [w["message"] for w in plan_warnings] == ["`chat` (retirement): gpt-4o-mini was retired"]
