"""Details of what inferplan prints and writes that users and tools rely on: square brackets in
terminal tables, file permissions, exact percentages in JSON, help and docs that say what is
there."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import ROOT

from inferplan.cli.main import main


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture(autouse=True)
def at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


# --- rich markup --------------------------------------------------------------------------------


def test_explain_prints_square_brackets_in_reasons() -> None:
    """precision: auto chose int8 for ticket-triage; the warning quotes a YAML list."""
    result = run("plan", "examples/small-open-model.yaml", "--explain")
    assert result.exit_code == 0, result.output
    assert "pin precision (e.g. [bf16, fp8]) where" in result.stdout


def test_table_cells_print_square_brackets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every cell holds text from the plan, so markup in a name or reason is printed as is."""
    import dataclasses

    from conftest import _stack_plan

    from inferplan.cli import plan_render
    from sizing.plan import Plan

    plan = _stack_plan("dev")
    first = plan.workloads[0]
    tagged = dataclasses.replace(
        first,
        name="[bold]chat[/bold]",
        feasible=False,
        reasons=("quota [quota, documented] applies",),
        nearest_relaxation="relax [slo]",
    )
    from io import StringIO

    from rich.console import Console

    out = StringIO()
    monkeypatch.setattr(
        "rich.console.Console", lambda **kwargs: Console(file=out, width=200, color_system=None)
    )
    plan_render.print_table(Plan(workloads=(tagged,), environments=()), explain=True)
    text = out.getvalue()
    assert "[bold]chat[/bold]" in text
    assert "quota [quota, documented] applies" in text
    assert "relax [slo]" in text


# --- files written with the user's umask ---------------------------------------------------------


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    from inferplan.cli import output_files

    output_files._umask.cache_clear()
    yield
    os.umask(previous)
    output_files._umask.cache_clear()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_output_files_follow_the_umask(tmp_path: Path, umask_022) -> None:
    target = tmp_path / "plan.json"
    result = run("plan", "examples/small-open-model.yaml", "--format", "json", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert mode(target) == 0o644


def test_rendered_files_and_folders_follow_the_umask(tmp_path: Path, umask_022) -> None:
    out = tmp_path / "out"
    result = run("render", "dev", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert mode(out) == 0o755
    for path in out.rglob("*"):
        assert mode(path) == (0o755 if path.is_dir() else 0o644), path


# --- machine output -----------------------------------------------------------------------------


def test_json_keeps_an_availability_of_99_999_exact(tmp_path: Path) -> None:
    """Rounded to two decimals, 99.999 would read as 100.0."""
    text = (ROOT / "examples" / "small-open-model.yaml").read_text(encoding="utf-8")
    # 99.999% is past the highest rung inferplan plans for; accepting 99.99% keeps it feasible.
    text = text.replace(
        "availability: 99.5", "availability: 99.999\n    accept_availability: 99.99"
    )
    text = text.replace("regions: [westeurope]", "regions: [westeurope, swedencentral]")
    path = tmp_path / "w.yaml"
    path.write_text(text, encoding="utf-8")
    result = run("plan", str(path), "--format", "json")
    [workload] = json.loads(result.stdout)["workloads"]
    assert workload["availability"]["required"] == 99.999
    assert workload["availability"]["accepted"] == 99.99
    assert '"required": 99.999,' in result.stdout


# --- help and docs say what is there --------------------------------------------------------------


def test_estimate_help_lists_the_case_columns_it_reads_and_writes() -> None:
    from sizing.performance.cases import CASE_COLUMNS, RESULT_COLUMNS

    result = run("estimate", "--help")
    text = " ".join(result.stdout.split())
    assert "see above" not in text
    columns = re.search(r"--cases FILE (.*?) --format", text)[1]
    for column in (*CASE_COLUMNS, *RESULT_COLUMNS):
        assert re.search(rf"\b{column}\b", columns), column


def test_every_shipped_template_is_in_the_templates_doc() -> None:
    doc = (ROOT / "docs" / "templates.md").read_text(encoding="utf-8")
    shipped = sorted(p.stem for p in (ROOT / "templates").glob("*.yaml"))
    assert "selfhosted-chat-eu@1" in shipped
    assert [t for t in shipped if f"`{t}`" not in doc] == []


def test_shell_completion_is_documented_and_works() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "_INFERPLAN_COMPLETE=bash_source inferplan" in readme
    script = subprocess.run(  # the console script pip installs; completion keys on its name
        [str(Path(sys.executable).parent / "inferplan")],
        env={**os.environ, "_INFERPLAN_COMPLETE": "bash_source"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert "complete -o nosort -F _inferplan_completion inferplan" in script.stdout


def test_the_readme_exit_code_table_matches_the_cli() -> None:
    from inferplan.cli.errors_output import (
        EXIT_BAD_INPUT,
        EXIT_INTERNAL,
        EXIT_INTERRUPTED,
        EXIT_OK,
        EXIT_VIOLATION,
    )

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| (\d+) \| (.+) \|$", readme, flags=re.M))
    assert sorted(int(code) for code in rows) == sorted(
        [EXIT_OK, EXIT_VIOLATION, EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED]
    )
    assert "internal error" in rows[str(EXIT_INTERNAL)]
    assert "--debug" in rows[str(EXIT_INTERNAL)]
