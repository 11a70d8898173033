"""The search runs once per workload per revision: the plan keeps every candidate it ranked, and
``plan --candidates``, ``report`` and each side of ``diff`` read them from the plan.

Each test counts the optimizer's searches (``targets_for`` runs once at the start of every
search, whoever calls it) while the command runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

import sizing.search.optimizer as optimizer
from inferplan.cli.main import main
from sizing.catalog import default_catalog
from sizing.plan import plan_to_data
from sizing.planner import plan_paths
from sizing.search.candidate_rows import candidate_rows

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ("examples/small-open-model.yaml", "examples/managed-assistant.yaml")


@pytest.fixture
def searches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of each workload searched, in the order searched."""
    seen: list[str] = []
    original: Callable = optimizer.targets_for

    def counted(model, req):
        seen.append(req.name)
        return original(model, req)

    monkeypatch.setattr(optimizer, "targets_for", counted)
    return seen


@pytest.fixture(scope="module")
def plan():
    return plan_paths([ROOT / p for p in EXAMPLES], catalog=default_catalog())[1]


def test_the_plan_keeps_every_candidate_ranked_once_the_chosen_one_its_plan(plan):
    for w in plan.workloads:
        assert w.candidates, w.name
        assert [c.rank for c in w.candidates] == list(range(1, len(w.candidates) + 1))
        chosen = [c for c in w.candidates if c.chosen]
        assert len(chosen) == 1 and chosen[0] is next(c for c in w.candidates if c.feasible)
        assert chosen[0].target == w.target
        assert chosen[0].monthly_usd == pytest.approx(w.cost.monthly_usd)


def test_the_plan_json_leaves_the_candidates_out(plan):
    assert all(w.candidates for w in plan.workloads)
    assert all("candidates" not in w for w in plan_to_data(plan)["workloads"])


def test_plan_candidates_searches_each_workload_once(plan, searches, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["plan", *EXAMPLES, "--candidates", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert sorted(searches) == sorted(set(searches)) and len(searches) == 2
    rows = json.loads(result.output)["candidates"]
    assert rows == [row.values() for row in candidate_rows(plan)]


def test_report_reads_the_candidates_from_the_plan(searches):
    from inferplan.review.report_data import stack_figures

    figures = stack_figures("dev", catalog=default_catalog(), root=ROOT)
    assert len(searches) == len(figures.plan.workloads) == len(set(searches))
    for w in figures.workloads:
        assert [row.summary for row in w.candidates] == [c.summary for c in w.plan.candidates]


def test_a_diff_side_searches_each_workload_once(searches, monkeypatch):
    """One side of ``diff`` (the base side runs this same function in its own tree): the
    offline capture is left out here, only the planning is counted."""
    import inferplan.offline.stack_run as stack_run
    from inferplan.review.stack_sides import Tree, read_side

    def no_capture(plan, environment, **_):
        raise LookupError("capture not needed to count searches")

    monkeypatch.setattr(stack_run, "capture_plan", no_capture)
    with pytest.raises(LookupError):
        read_side(Tree(ROOT, "head", "working tree"), ["dev"])
    assert searches and len(searches) == len(set(searches))
