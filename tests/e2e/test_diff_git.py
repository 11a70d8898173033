"""``inferplan diff --base REV`` against a real git repository in a temporary folder."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from inferplan.cli.main import main
from inferplan.review.git_base import BaseRevisionError, resolve_revision, revision_tree

ROOT = Path(__file__).resolve().parents[2]
TREE = ROOT / "tests" / "fixtures" / "diff" / "tree"

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository whose only commit holds the small stack; the working directory is its root."""
    root = tmp_path / "repo"
    shutil.copytree(TREE, root)
    shutil.copytree(ROOT / "templates", root / "templates")
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "config", "user.email", "test@example.com")
    git(root, "config", "user.name", "test")
    git(root, "config", "commit.gpgsign", "false")
    git(root, "add", ".")
    git(root, "commit", "--quiet", "-m", "base")
    monkeypatch.chdir(root)
    return root


def state(repo: Path) -> tuple[str, str, str, str]:
    """What must not change: HEAD, the index and working tree status, worktrees, stashes."""
    return (
        git(repo, "rev-parse", "HEAD"),
        git(repo, "status", "--porcelain", "--untracked-files=all"),
        git(repo, "worktree", "list", "--porcelain"),
        git(repo, "stash", "list"),
    )


def test_base_rev_compares_the_commit_with_the_working_tree(repo: Path) -> None:
    triage = repo / "workloads" / "triage.yaml"
    triage.write_text(triage.read_text().replace("peak_concurrency: 4", "peak_concurrency: 16"))
    (repo / "workloads" / "docs-embed.yaml").unlink()
    before = state(repo)
    result = CliRunner().invoke(main, ["diff", "--base", "main"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "`main` → `working tree`" in result.output
    assert "peak concurrency 4 → 16" in result.output
    assert "| ~~docs-embed~~ | removed |" in result.output
    assert state(repo) == before  # the checkout is untouched


def test_a_committed_change_shows_against_its_parent(repo: Path) -> None:
    (repo / "workloads" / "docs-embed.yaml").unlink()
    git(repo, "commit", "--quiet", "-am", "drop docs-embed")
    result = CliRunner().invoke(main, ["diff", "--base", "HEAD~1"], catch_exceptions=False)
    assert "| ~~docs-embed~~ | removed |" in result.output
    same = CliRunner().invoke(main, ["diff", "--base", "HEAD"], catch_exceptions=False)
    assert "no change in any environment" in same.output


def test_a_bad_revision_exits_2(repo: Path) -> None:
    result = CliRunner().invoke(main, ["diff", "--base", "no-such-branch"])
    assert result.exit_code == 2
    assert "--base no-such-branch: no such commit" in result.output
    option_like = CliRunner().invoke(main, ["diff", "--base=--output=x"])
    assert option_like.exit_code == 2


def test_outside_a_repository_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    with pytest.raises(BaseRevisionError, match="not inside a git repository"):
        resolve_revision("HEAD")


def test_a_project_in_a_subfolder_reads_the_same_subfolder(repo: Path, monkeypatch) -> None:
    monorepo = repo.parent / "mono"
    (monorepo / "platform").mkdir(parents=True)
    for entry in repo.iterdir():
        if entry.name != ".git":
            shutil.move(str(entry), monorepo / "platform" / entry.name)
    git(monorepo, "init", "--quiet")
    git(monorepo, "add", ".")
    git(monorepo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "base")
    monkeypatch.chdir(monorepo / "platform")
    with revision_tree("HEAD") as tree:
        assert (tree / "stacks" / "small.yaml").is_file()
    assert not tree.exists()  # removed on exit
