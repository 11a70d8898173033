"""Read the files of a git revision into a temporary folder, leaving the user's checkout alone.

``inferplan diff --base REV`` needs the stacks, workloads, templates and catalog data as they
were at REV. ``git archive REV`` streams exactly the committed tree, so nothing in the working
tree, the index, the stash or ``.git/worktrees`` changes (``git worktree add`` would register a
worktree; ``git checkout`` would move HEAD). Effectful: runs git and writes a temporary folder,
removed on exit.
"""

from __future__ import annotations

import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class BaseRevisionError(Exception):
    """REV is not a commit of the repository, or git cannot be run (a user mistake: exit 2)."""


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)
    except FileNotFoundError as error:
        raise BaseRevisionError("git is not installed (needed for --base)") from error


def resolve_revision(rev: str, *, repo: Path = Path()) -> str:
    """The commit id REV names; `BaseRevisionError` when it names none."""
    if not rev or rev.startswith("-"):
        raise BaseRevisionError(f"not a revision: {rev!r}")
    done = _git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    if done.returncode != 0:
        inside = _git(repo, "rev-parse", "--is-inside-work-tree")
        if inside.returncode != 0:
            raise BaseRevisionError(f"--base {rev}: not inside a git repository")
        raise BaseRevisionError(
            f"--base {rev}: no such commit (in CI, fetch the full history: fetch-depth: 0)"
        )
    return done.stdout.decode().strip()


def project_prefix(*, repo: Path = Path()) -> str:
    """Where the project sits inside its repository (``""`` at the top, else ``sub/dir/``)."""
    done = _git(repo, "rev-parse", "--show-prefix")
    return done.stdout.decode().strip() if done.returncode == 0 else ""


@contextmanager
def revision_tree(rev: str, *, repo: Path = Path()) -> Iterator[Path]:
    """A temporary copy of the project folder as committed at REV; removed on exit.

    When the project is a subfolder of its repository, the path yielded is that subfolder of
    the copy, so relative paths (``stacks/dev.yaml``) mean the same on both sides.
    """
    commit = resolve_revision(rev, repo=repo)
    prefix = project_prefix(repo=repo)
    top = _git(repo, "rev-parse", "--show-toplevel").stdout.decode().strip() or str(repo)
    with tempfile.TemporaryDirectory(prefix="inferplan-base-") as tmp:
        root = Path(tmp)
        with tempfile.TemporaryFile() as archive:
            done = subprocess.run(
                ["git", "-C", top, "archive", "--format=tar", commit],  # the whole tree
                stdout=archive,
                stderr=subprocess.PIPE,
                check=False,
            )
            if done.returncode != 0:
                message = done.stderr.decode(errors="replace").strip()
                raise BaseRevisionError(f"--base {rev}: git archive failed: {message}")
            archive.seek(0)
            with tarfile.open(fileobj=archive, mode="r:") as tar:
                tar.extractall(root, filter="data")  # no links out, no absolute paths
        yield root / prefix if prefix else root
