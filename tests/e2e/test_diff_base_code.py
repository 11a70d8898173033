"""``inferplan diff`` runs the base with the base revision's own code and catalogs.

A temporary git repository holds a copy of this project whose only commit differs from the
working tree in one catalog price (Standard_NC4as_T4_v3 in westeurope) and one sizing constant
(``HEADROOM``, the capacity bought above the peak). The working tree is this project as it is,
so the head side is what the installed code computes; the base side must show both changes.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT

from inferplan.cli.main import main
from inferplan.review import base_side

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

PROJECT = ("inferplan", "inputs", "sizing", "components", "policies", "stacks", "examples")
PRICE_LINE = "      westeurope: {usd_per_hour: 0.579, kind: estimate"
HEAD_PRICE, BASE_PRICE = 0.579, 0.65
HEAD_HEADROOM, BASE_HEADROOM = "0.15", "3.0"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def copy_project(to: Path) -> Path:
    for folder in (*PROJECT, "templates"):
        shutil.copytree(ROOT / folder, to / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", to / "pyproject.toml")
    return to


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    start = text.index("  - name: Standard_NC4as_T4_v3") if path.suffix == ".yaml" else 0
    at = text.index(old, start)
    path.write_text(text[:at] + new + text[at + len(old) :], encoding="utf-8")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The base commit has the dearer T4 and more headroom; the working tree is as shipped."""
    root = copy_project(tmp_path_factory.mktemp("base-code") / "repo")
    vm_skus = root / "sizing" / "catalog" / "data" / "vm_skus.yaml"
    aks_sizing = root / "sizing" / "search" / "self_hosted.py"
    replace_once(vm_skus, PRICE_LINE, PRICE_LINE.replace(str(HEAD_PRICE), str(BASE_PRICE)))
    replace_once(aks_sizing, f"HEADROOM = {HEAD_HEADROOM} ", f"HEADROOM = {BASE_HEADROOM} ")
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", ".")
    git(root, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "base")
    shutil.copy(ROOT / "sizing" / "catalog" / "data" / "vm_skus.yaml", vm_skus)
    shutil.copy(ROOT / "sizing" / "search" / "self_hosted.py", aks_sizing)
    return root


def diff_json(repo: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> dict:
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, ["diff", *args, "dev", "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def triage(report: dict) -> dict:
    (stack,) = report["stacks"]
    return next(w for w in stack["workloads"] if w["name"] == "ticket-triage")


def test_the_base_side_sees_its_own_price_and_sizing_constant(repo, monkeypatch) -> None:
    report = diff_json(repo, monkeypatch, "--base", "main")
    assert report["base_code"] == "base"
    row = triage(report)
    base, head = row["base"], row["head"]
    # the constant: more headroom above the same peak buys more replicas (one per node here)
    assert base["replicas"] > head["replicas"]
    assert base["nodes"] == base["replicas"] and head["nodes"] == head["replicas"]
    # the price: the same billed hours per node, at each side's own hourly price
    base_per_node, head_per_node = (
        base["monthly_usd"] / base["nodes"],
        head["monthly_usd"] / head["nodes"],
    )
    assert math.isclose(base_per_node / head_per_node, BASE_PRICE / HEAD_PRICE, rel_tol=1e-3)


def test_a_base_without_code_is_planned_with_the_working_tree_code(
    repo, tmp_path, monkeypatch
) -> None:
    """A folder of stacks alone cannot change the code: the constant is not seen, the price
    (its catalog data) still is."""
    plain = tmp_path / "plain"
    for folder in ("stacks", "examples", "templates"):
        shutil.copytree(repo / folder, plain / folder)
    data = plain / "sizing" / "catalog" / "data"
    data.mkdir(parents=True)
    for entry in (repo / "sizing" / "catalog" / "data").iterdir():
        shutil.copy(entry, data / entry.name)
    replace_once(
        data / "vm_skus.yaml", PRICE_LINE, PRICE_LINE.replace(str(HEAD_PRICE), str(BASE_PRICE))
    )
    report = diff_json(repo, monkeypatch, "--base-dir", str(plain))
    assert report["base_code"] == "working tree"
    row = triage(report)
    assert row["base"]["replicas"] == row["head"]["replicas"]
    assert row["base"]["monthly_usd"] > row["head"]["monthly_usd"]


def test_a_base_from_before_the_side_protocol_falls_back_with_a_note(
    repo, tmp_path, monkeypatch
) -> None:
    old = copy_project(tmp_path / "old")
    # the entry's file is there, what it needs is not (a tree between two versions)
    (old / "inferplan" / "review" / "stack_sides.py").write_text(
        "from inferplan.review.no_such_module import side_main\n", encoding="utf-8"
    )
    assert base_side.has_own_code(old)
    report = diff_json(repo, monkeypatch, "--base-dir", str(old))
    assert report["base_code"] == "working tree"
    assert any("predates the diff side protocol" in note for note in report["notes"])


def test_an_unchanged_base_is_read_from_the_cache(repo, monkeypatch) -> None:
    diff_json(repo, monkeypatch, "--base", "main")

    def must_not_run(*args, **kwargs):
        raise AssertionError("the base side ran again")

    monkeypatch.setattr(base_side, "_run_base_code", must_not_run)
    report = diff_json(repo, monkeypatch, "--base", "main")
    assert report["base_code"] == "base"
    assert triage(report)["base"]["replicas"] > triage(report)["head"]["replicas"]


def test_a_base_whose_code_fails_is_bad_input_named_by_side(repo, tmp_path, monkeypatch) -> None:
    broken = copy_project(tmp_path / "broken")
    (broken / "sizing" / "planner.py").write_text("raise RuntimeError('boom')\n")
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, ["diff", "--base-dir", str(broken), "dev"])
    assert result.exit_code == 2
    assert "base (broken): the base revision's code failed to plan its stacks" in result.output
    assert "RuntimeError: boom" in result.output
