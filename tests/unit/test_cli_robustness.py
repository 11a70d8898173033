"""What a user can get wrong on the command line: one line, exit 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT

from inferplan.cli.main import main


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture(autouse=True)
def at_repo_root(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(("render", "dev", "--out", "/dev/null/x"), id="render-into-a-file"),
        pytest.param(("plan", "--format", "json", "-o", "/dev/null/x"), id="plan-output"),
        pytest.param(("preview", "dev", "-o", "/dev/null/x"), id="preview-output"),
    ],
)
def test_a_place_that_cannot_be_written_is_bad_input(args: tuple[str, ...]) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "error: /dev/null" in result.output


def test_table_output_to_a_file_is_refused_rather_than_ignored(tmp_path: Path) -> None:
    result = invoke("plan", "-o", str(tmp_path / "plan.txt"))
    assert result.exit_code == 2
    assert "--output writes json or markdown" in result.output
    assert not (tmp_path / "plan.txt").exists()


@pytest.mark.parametrize("reference", ["chat-eu@x", "chat-eu@1.x", "chat-eu@2@2"])
def test_a_malformed_template_reference_is_bad_input(reference: str) -> None:
    result = invoke("templates", "show", reference)
    assert result.exit_code == 2
    assert f"{reference}: not a template reference" in result.output


def test_nothing_to_plan_is_bad_input() -> None:
    result = invoke("plan", "templates")
    assert result.exit_code == 2
    assert "no workloads to plan in templates" in result.output


def test_a_file_of_empty_documents_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("---\n---\n", encoding="utf-8")
    result = invoke("validate", str(path))
    assert result.exit_code == 2
    assert f"{path}:1:1: file is empty" in result.output


def test_an_environment_file_holds_one_stack(tmp_path: Path) -> None:
    env = (
        "apiVersion: inferplan/v1\nkind: Environment\nmetadata: {name: %s}\nspec:\n"
        "  location: swedencentral\n  workloads: [w.yaml]\n"
        "  gateway: {tier: Developer, publisher_email: a@example.com, publisher_name: X}\n"
    )
    (tmp_path / "w.yaml").write_text((ROOT / "examples" / "small-open-model.yaml").read_text())
    path = tmp_path / "env.yaml"
    path.write_text(env % "a" + "---\n" + env % "b", encoding="utf-8")
    result = invoke("validate", str(path))
    assert result.exit_code == 2
    assert f"{path}:9:1: an environment file holds exactly one document" in result.output


def test_a_broken_pulumi_stack_config_is_reported_with_its_line(tmp_path: Path) -> None:
    from inferplan.review.checks import stack_enforcement
    from inputs.errors import SpecError

    (tmp_path / "Pulumi.x.yaml").write_text("config:\n  inferplan:policyEnforcement: {a: 1\n")
    with pytest.raises(SpecError) as caught:
        stack_enforcement("x", root=tmp_path)
    assert "Pulumi.x.yaml:3:1: YAML syntax error" in caught.value.problems[0].format()
