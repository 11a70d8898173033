"""``inferplan validate`` and ``inferplan schema`` as a user runs them: output and exit codes.

These run against the built-in catalog, so the fixtures use facts unlikely to change (a model
that exists, a name with swapped letters).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from inferplan.cli.main import main

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path("tests/fixtures/spec")


@pytest.fixture(autouse=True)
def _from_repository_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Paths in messages are as the user typed them; run from the root so they stay short."""
    monkeypatch.chdir(REPO)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_examples_validate_clean() -> None:
    result = run("validate", "examples")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{len(list((REPO / 'examples').glob('*.yaml')))} file(s) valid\n"


def test_folder_is_searched_recursively_skipping_pulumi_config() -> None:
    result = run("validate", str(FIXTURES / "stack"))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "3 file(s) valid\n"  # env.yaml, chat.yaml, nested/embeddings.yaml


def test_environment_file_brings_its_workloads_along() -> None:
    result = run("validate", str(FIXTURES / "stack" / "env.yaml"))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "3 file(s) valid\n"


def test_every_problem_in_every_file_is_reported_sorted_with_exit_2() -> None:
    result = run("validate", str(FIXTURES / "broken"))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "tests/fixtures/spec/broken/typo.yaml:8:3: spec.precison: unknown field 'precison'; "
        "did you mean 'precision'?",
        "tests/fixtures/spec/broken/typo.yaml:11:29: spec.generation.temperature: "
        "must be at most 2, got 3",
        "tests/fixtures/spec/broken/unknown-model.yaml:7:10: spec.model: unknown model "
        "'gtp-4o-mini'; did you mean 'gpt-4o-mini'?",
        "3 problems; 2 file(s) checked",
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("missing.yaml", "missing.yaml: no such file or folder", id="missing-path"),
        pytest.param("", ": no YAML files (*.yaml, *.yml)", id="empty-folder"),
    ],
)
def test_paths_without_yaml_are_bad_input(tmp_path: Path, name: str, expected: str) -> None:
    (tmp_path / ".git").mkdir()  # a project: folders outside any are not walked at all
    result = run("validate", str(tmp_path / name))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].endswith(expected)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(b"\xff\xfekind: Workload\n", "file is not UTF-8 text", id="non-utf8"),
        pytest.param(b"kind: [\n", "YAML syntax error", id="syntax-error"),
        pytest.param(b"", "file is empty", id="empty-file"),
        pytest.param(b"a: 1\na: 2\n", "duplicate key 'a' (first given on line 1)", id="duplicate"),
    ],
)
def test_unreadable_files_exit_2_without_traceback(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    result = run("validate", str(path))
    assert result.exit_code == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_extra_catalog_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("kind: no-such-catalog-kind\n", encoding="utf-8")
    result = run("--catalog", str(tmp_path), "validate", "examples")
    assert result.exit_code == 2
    assert "broken.yaml" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import sys, inferplan.cli.main\n"
        "heavy = {'pydantic', 'rich', 'yaml', 'pulumi', 'pulumi_azure_native',"
        " 'pulumi_kubernetes', 'jinja2'} & {name.split('.')[0] for name in sys.modules}\n"
        "heavy |= {m for m in sys.modules if m.split('.')[:2] in (['inferplan', 'sizing'],"
        " ['inferplan', 'inputs'], ['inferplan', 'components'], ['inferplan', 'policies'])}\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
    result = run("--help")
    assert result.exit_code == 0
    assert "validate" in result.stdout and "schema" in result.stdout


# --- schema -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["workload", "environment", "all"])
def test_schema_prints_deterministic_json(kind: str) -> None:
    first = run("schema", "--kind", kind)
    second = run("schema", "--kind", kind)
    assert first.exit_code == 0
    assert first.stdout == second.stdout
    schema = json.loads(first.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_output_writes_the_committed_files(tmp_path: Path) -> None:
    result = run("schema", "--output", str(tmp_path))
    assert result.exit_code == 0
    written = sorted(path.name for path in tmp_path.iterdir())
    assert written == [
        "environment.schema.json",
        "inferplan.schema.json",
        "measurement.schema.json",
        "template.schema.json",
        "workload.schema.json",
    ]
    for name in written:  # schema/ in the repository is regenerated with the same command
        committed = (REPO / "schema" / name).read_text(encoding="utf-8")
        assert (tmp_path / name).read_text(encoding="utf-8") == committed, (
            f"schema/{name} is stale: run `inferplan schema --output schema`"
        )
