"""One ``validate`` run reports every problem it can: no stage hides the next, a typo is one
message, and a folder search checks only inferplan's own files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import ROOT

from inferplan.cli.main import main

SMALL = (ROOT / "examples" / "small-open-model.yaml").read_text(encoding="utf-8")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def lines_of(text: str) -> dict[str, int]:
    """Line number of each distinct stripped line of ``text``."""
    found: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        found.setdefault(line.strip(), number)
    return found


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("edits", "expected"),
    [
        pytest.param(
            [
                ("precision: auto", "precison: auto"),
                ("model: llama-3.1-8b-instruct", "model: llama-3.1-8b-instruc"),
            ],
            [
                (
                    "precison: auto",
                    "spec.precison: unknown field 'precison'; did you mean 'precision'?",
                ),
                (
                    "model: llama-3.1-8b-instruc",
                    "spec.model: unknown model 'llama-3.1-8b-instruc'; did you mean "
                    "'llama-3.1-8b-instruct' or 'llama-3-8b-instruct' or 'llama-3.1-70b-instruct'?",
                ),
            ],
            id="an-unknown-field-does-not-hide-the-catalog",
        ),
        pytest.param(
            [
                ("temperature: 0", "temperature: 3"),
                ("avg_input_tokens: 800", "avg_input_tokens: 8000"),
            ],
            [
                ("temperature: 3", "spec.generation.temperature: must be at most 2, got 3"),
                (
                    "avg_input_tokens: 8000",
                    "spec.context.avg_input_tokens: average input of "
                    "8000 tokens is more than max_input_tokens (3000)",
                ),
            ],
            id="a-range-error-does-not-hide-a-cross-field-rule",
        ),
        pytest.param(
            [
                ("peak_concurrency: 4", "peak_concurrency: many"),
                ("regions: [westeurope]", "regions: [frankfurt]"),
            ],
            [
                (
                    "peak_concurrency: many",
                    "spec.traffic.peak_concurrency: expected a whole number, got string 'many'",
                ),
                (
                    "regions: [frankfurt]",
                    "spec.residency.regions[0]: unknown Azure region "
                    "'frankfurt'; did you mean 'germanywestcentral'?",
                ),
            ],
            id="a-type-error-does-not-hide-the-regions",
        ),
    ],
)
def test_every_stage_reports_at_once(
    folder: Path, edits: list[tuple[str, str]], expected: list[tuple[str, str]]
) -> None:
    text = SMALL
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    path = folder / "w.yaml"
    path.write_text(text, encoding="utf-8")
    result = run("validate", "w.yaml")
    assert result.exit_code == 2
    at = lines_of(text)
    reported = [line.split(":", 3)[1:] for line in result.stderr.splitlines()[:-1]]
    assert [(int(line), message.strip()) for line, _, message in reported] == sorted(
        (at[written], message) for written, message in expected
    )


def test_a_field_that_failed_is_not_reported_again_by_a_rule_reading_it(folder: Path) -> None:
    """max_output_tokens of -5 is one problem: the chat-output rule, which reads it, does not
    also say "needs max_output_tokens of at least 1" about the default standing in for it."""
    (folder / "w.yaml").write_text(SMALL.replace("max_output_tokens: 200", "max_output_tokens: -5"))
    result = run("validate", "w.yaml")
    assert result.exit_code == 2
    problems = result.stderr.splitlines()[:-1]
    assert problems == [
        f"w.yaml:{lines_of(SMALL)['max_output_tokens: 200']}:24: spec.context.max_output_tokens: "
        "must be at least 0, got -5"
    ]


def test_a_misspelt_required_field_is_one_problem_not_two(folder: Path) -> None:
    text = SMALL.replace("max_input_tokens: 3000", "max_input_token: 3000")
    (folder / "w.yaml").write_text(text, encoding="utf-8")
    result = run("validate", "w.yaml")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[:-1] == [
        f"w.yaml:{lines_of(text)['max_input_token: 3000']}:5: spec.context.max_input_token: "
        "unknown field 'max_input_token'; did you mean 'max_input_tokens'? "
        "('max_input_tokens' is required and missing)"
    ]


def test_a_misspelt_field_a_rule_requires_is_also_one_problem(folder: Path) -> None:
    """``peak_concurrency`` is required by a rule (unless traffic.batch), not by pydantic: its
    typo was two problems where ``max_input_token`` was one."""
    text = SMALL.replace("peak_concurrency: 4", "peak_concurency: 4")
    (folder / "w.yaml").write_text(text, encoding="utf-8")
    result = run("validate", "w.yaml")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[:-1] == [
        f"w.yaml:{lines_of(text)['peak_concurency: 4']}:5: spec.traffic.peak_concurency: "
        "unknown field 'peak_concurency'; did you mean 'peak_concurrency'? "
        "('peak_concurrency' is required and missing)"
    ]


def test_a_misspelt_field_hides_neither_the_model_nor_the_region(folder: Path) -> None:
    text = (
        SMALL.replace("max_input_tokens: 3000", "max_input_token: 3000")
        .replace("model: llama-3.1-8b-instruct", "model: llama3-8bb")
        .replace("regions: [westeurope]", "regions: [frankfurt]")
    )
    (folder / "w.yaml").write_text(text, encoding="utf-8")
    result = run("validate", "w.yaml")
    assert "unknown field 'max_input_token'" in result.stderr
    assert "unknown model 'llama3-8bb'" in result.stderr
    assert "unknown Azure region 'frankfurt'" in result.stderr


def test_a_wrong_strict_does_not_hide_an_unknown_region(folder: Path) -> None:
    text = SMALL.replace("regions: [westeurope]", "strict: yes\n    regions: [frankfurt]")
    (folder / "w.yaml").write_text(text, encoding="utf-8")
    result = run("validate", "w.yaml")
    assert result.exit_code == 2
    assert "spec.residency.strict: expected true or false" in result.stderr
    assert "unknown Azure region 'frankfurt'" in result.stderr


def test_the_folded_typo_is_still_checked_as_the_field_it_meant(folder: Path) -> None:
    """The value of the misspelt field is checked as the field it most likely meant, so the
    next round brings no new problem about it."""
    text = SMALL.replace("max_input_tokens: 3000", "max_input_token: 100")
    (folder / "w.yaml").write_text(text, encoding="utf-8")
    result = run("validate", "w.yaml")
    assert "average input of 800 tokens is more than max_input_tokens (100)" in result.stderr


def test_a_duplicate_key_does_not_hide_the_rest(folder: Path) -> None:
    text = SMALL.replace("  owner: team-support\n", "  owner: team-support\n  owner: again\n")
    text = text.replace("temperature: 0", "temperature: 5")
    (folder / "w.yaml").write_text(text, encoding="utf-8")
    result = run("validate", "w.yaml")
    assert result.exit_code == 2
    messages = [line.split(": ", 2)[-1] for line in result.stderr.splitlines()[:-1]]
    assert messages == [
        f"duplicate key 'owner' (first given on line {lines_of(text)['owner: team-support']}); "
        "YAML would silently keep only the last value",
        "must be at most 2, got 5",
    ]


def test_a_wrong_api_version_does_not_hide_the_fields(folder: Path) -> None:
    text = SMALL.replace("apiVersion: inferplan/v1", "apiVersion: inferplan/v2")
    text = text.replace("temperature: 0", "temperature: 5")
    (folder / "w.yaml").write_text(text, encoding="utf-8")
    result = run("validate", "w.yaml")
    fields = [line.split(": ")[1] for line in result.stderr.splitlines()[:-1]]
    assert fields == ["apiVersion", "spec.generation.temperature"]


def test_an_empty_file_is_reported_at_line_1_column_1(folder: Path) -> None:
    (folder / "empty.yaml").write_text("", encoding="utf-8")
    result = run("validate", "empty.yaml")
    assert result.stderr.splitlines()[0] == (
        "empty.yaml:1:1: file is empty; expected a mapping with apiVersion, kind and spec"
    )


# --- what a folder search reads -----------------------------------------------------------------

MANIFEST = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: x}\n"


def test_a_folder_search_skips_yaml_that_is_not_inferplans_and_says_how_many(
    folder: Path,
) -> None:
    (folder / "w.yaml").write_text(SMALL, encoding="utf-8")
    (folder / "golden").mkdir()
    (folder / "golden" / "deployment.yaml").write_text(MANIFEST, encoding="utf-8")
    (folder / "golden" / "ci.yml").write_text("on: [push]\njobs: {}\n", encoding="utf-8")
    result = run("validate", ".")
    assert result.exit_code == 0, result.output
    assert result.stdout == "1 file(s) valid; 2 skipped (not inferplan documents)\n"


def test_a_file_named_on_the_command_line_is_always_checked(folder: Path) -> None:
    (folder / "deployment.yaml").write_text(MANIFEST, encoding="utf-8")
    result = run("validate", "deployment.yaml")
    assert result.exit_code == 2
    assert "unsupported apiVersion string 'apps/v1'" in result.stderr


def test_a_broken_file_in_a_folder_is_reported_not_skipped(folder: Path) -> None:
    (folder / "broken.yaml").write_text("kind: Workload\nspec: [\n", encoding="utf-8")
    result = run("validate", ".")
    assert result.exit_code == 2
    assert result.stderr.startswith("broken.yaml:3:1: YAML syntax error")


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_folder_search_honours_gitignore(folder: Path) -> None:
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    (folder / ".gitignore").write_text("out/\n*.local.yaml\n", encoding="utf-8")
    (folder / "w.yaml").write_text(SMALL, encoding="utf-8")
    (folder / "out").mkdir()
    (folder / "out" / "broken.yaml").write_text("kind: Workload\nspec: [\n", encoding="utf-8")
    (folder / "mine.local.yaml").write_text("kind: Workload\n", encoding="utf-8")
    result = run("validate", ".")
    assert result.exit_code == 0, result.output
    assert result.stdout == "1 file(s) valid\n"
    # A folder named on the command line is searched even when git ignores all of it.
    named = run("validate", "out")
    assert named.exit_code == 2
    assert named.stderr.startswith("out/broken.yaml:3:1: YAML syntax error")


def test_validate_from_the_repository_root_reports_only_deliberately_broken_fixtures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    result = run("validate", ".")
    files = {line.split(":")[0] for line in result.stderr.splitlines()[:-1]}
    assert files <= {
        "tests/fixtures/spec/broken/typo.yaml",
        "tests/fixtures/spec/broken/unknown-model.yaml",
        "tests/fixtures/templates/broken-library/chat-eu@1.yaml",
        "tests/fixtures/templates/misnamed/chat-eu@3.yaml",
    }, files
    assert "skipped (not inferplan documents)" in result.stderr
