"""Which files to read: YAML files under folders, and an environment's workload globs.

Only path logic lives here (listing and matching); reading and parsing is `inputs.loader`'s job.
Results are sorted so that every run reads files, and so reports problems, in the same order.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from inputs.errors import Problem

YAML_SUFFIXES = (".yaml", ".yml")


def _is_pulumi_config(path: Path) -> bool:
    """``Pulumi.yaml`` / ``Pulumi.<stack>.yaml`` belong to Pulumi, not to inferplan."""
    return path.name.startswith("Pulumi.") or path.name == "Pulumi.yaml"


def find_yaml_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[Problem]]:
    """Expand files and folders into YAML files, and say which paths gave none.

    A file is taken as given, whatever its suffix. A folder is searched recursively for
    ``*.yaml`` and ``*.yml``, skipping hidden files and folders, Pulumi's own config files and,
    inside a git work tree, what git ignores (.gitignore, .git/info/exclude). Like an
    environment's globs, a folder is confined (`folder_is_confined`): ``validate /`` does not
    walk the disk. Returns the files (deduplicated, in the order given; each folder's files
    sorted) and one `Problem` per path that is missing or holds no YAML file.
    """
    files: list[Path] = []
    problems: list[Problem] = []
    for given in paths:
        path = Path(given)
        if path.is_file():
            found = [path]
        elif path.is_dir() and not folder_is_confined(path):
            problems.append(Problem(str(given), 0, 0, "", FOLDER_OUTSIDE_PROJECTS))
            found = []
        elif path.is_dir():
            listed = _not_ignored(path)
            found = sorted(
                candidate
                for candidate in (path.rglob("*") if listed is None else listed)
                if candidate.suffix in YAML_SUFFIXES
                and candidate.is_file()
                and not _is_pulumi_config(candidate)
                and not any(part.startswith(".") for part in candidate.relative_to(path).parts)
            )
            if not found:
                problems.append(Problem(str(given), 0, 0, "", "no YAML files (*.yaml, *.yml)"))
        elif path.exists():
            problems.append(Problem(str(given), 0, 0, "", "not a file or folder"))
            found = []
        else:
            problems.append(Problem(str(given), 0, 0, "", "no such file or folder"))
            found = []
        files += [candidate for candidate in found if candidate not in files]
    return files, problems


FOLDER_OUTSIDE_PROJECTS = (
    "folder is outside any project (no Pulumi.yaml or .git in it or a folder above it) and "
    "outside the current one; name the files, or a folder inside a project"
)


def folder_is_confined(folder: Path) -> bool:
    """True when a folder named on the command line may be walked: it lies in a project (it or
    a folder above holds ``Pulumi.yaml`` or ``.git``), or inside the current folder's project
    (`project_root` of the working directory). ``/`` or a home folder is neither, and would
    read every YAML file on the disk."""
    folder = folder.resolve()
    if any((f / marker).exists() for f in (folder, *folder.parents) for marker in PROJECT_MARKERS):
        return True
    return folder.is_relative_to(project_root(Path.cwd()))


def _not_ignored(folder: Path) -> list[Path] | None:
    """The files under ``folder`` that git does not ignore (tracked or not), or None when
    nothing is to be ignored: ``folder`` is not in a git work tree, git cannot be run, or the
    user named a folder git ignores as a whole (``validate out/``).

    Side effect: runs git, the one place that knows every ignore rule (nested .gitignore files,
    negations, the user's excludes file).
    """
    git = shutil.which("git")
    if git is None:
        return None
    try:
        named_ignored = subprocess.run(  # a fixed executable with our own arguments
            [git, "-C", str(folder), "check-ignore", "-q", "."],
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
        if named_ignored.returncode == 0:
            return None
        listed = subprocess.run(
            [git, "-C", str(folder), "ls-files", "-z", "-c", "-o", "--exclude-standard"],
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if listed.returncode != 0:
        return None
    names = listed.stdout.decode("utf-8", "surrogateescape").split("\0")
    return [folder / name for name in names if name]


GIT_TIMEOUT_S = 30


# What marks the project an environment file belongs to: its workload globs stay inside it.
PROJECT_MARKERS = ("Pulumi.yaml", ".git")
_GLOB_MAGIC = re.compile(r"[*?[]")


STACKS_FOLDER = "stacks"  # where environment files live: <project>/stacks/<stack>.yaml


def project_root(start: Path) -> Path:
    """The folder an environment's workload globs must stay in, for an environment file in
    ``start``: the nearest of ``start`` and its parents that holds ``Pulumi.yaml`` or ``.git``
    (the repository); outside any, the folder above ``start`` when ``start`` is a ``stacks/``
    folder (the project's layout), else ``start`` itself."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in PROJECT_MARKERS):
            return folder
    return start.parent if start.name == STACKS_FOLDER else start


def glob_leaves_root(base_dir: Path, pattern: str, root: Path) -> bool:
    """True when the fixed part of ``pattern`` (up to its first wildcard), taken from
    ``base_dir`` with ``..`` folded, lies outside ``root``: ``../../../../**/*.x`` would
    walk the whole disk, ``../../outside/*.yaml`` read another project's files."""
    full = Path(os.path.normpath(base_dir.resolve() / pattern))
    fixed: list[str] = []
    for part in full.parts:
        if _GLOB_MAGIC.search(part):
            break
        fixed.append(part)
    return not Path(*fixed).is_relative_to(root)


def resolve_workload_globs(base_dir: Path, pattern: str, *, root: Path | None = None) -> list[Path]:
    """Files matching one environment ``workloads`` entry, relative to ``base_dir``, sorted.

    Supports ``*``, ``?``, ``[...]`` and ``**`` (any depth) and ``..``, confined to ``root``
    (default: `project_root` of ``base_dir``): a pattern that leaves it matches nothing, and a
    match that is a symbolic link out of it is dropped. Wildcards never follow a symbolic link
    to a folder (`_expand`): one pointing back up would make ``**`` loop. Matches are returned
    as ``base_dir / match`` with ``..`` folded away, so messages show short, stable paths.
    """
    root = project_root(base_dir) if root is None else root.resolve()
    if glob_leaves_root(base_dir, pattern, root):
        return []
    matches = _expand(base_dir, pattern)
    resolved = {Path(os.path.normpath(match)) for match in matches}
    return sorted(
        path for path in resolved if path.is_file() and path.resolve().is_relative_to(root)
    )


def _expand(base_dir: Path, pattern: str) -> set[Path]:
    """Paths matching ``pattern`` below ``base_dir``, as `glob.glob` would find them (hidden
    names only when the part names them) except that a wildcard part never enters a symbolic
    link to a folder: a link back up the tree is a loop under ``**``, and a link elsewhere
    leaves the walked tree. A part without wildcards is taken as written, links included."""
    parts = [part for part in re.split(r"[/\\]", pattern) if part not in ("", ".")]
    current = {base_dir}
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        found: set[Path] = set()
        for folder in current:
            if part == "**":
                found |= _walk(folder, files=last)
            elif _GLOB_MAGIC.search(part):
                found |= {
                    entry
                    for entry in _entries(folder)
                    if fnmatch.fnmatchcase(entry.name, part)
                    and (part.startswith(".") or not entry.name.startswith("."))
                    and (last or _real_folder(entry))
                }
            else:  # ``..`` folded as in `glob_leaves_root`, which checked the pattern
                found.add(Path(os.path.normpath(folder / part)))
        current = found
    return current


def _entries(folder: Path) -> list[Path]:
    try:
        return [Path(entry.path) for entry in os.scandir(folder)]
    except OSError:  # not a folder, gone, or unreadable: nothing below it
        return []


def _real_folder(path: Path) -> bool:
    """A folder that is not a symbolic link."""
    return path.is_dir() and not path.is_symlink()


def _walk(folder: Path, *, files: bool) -> set[Path]:
    """``folder`` and every non-hidden folder below it, without entering symbolic links;
    with ``files``, the non-hidden entries of each too (``**`` as the last part)."""
    found: set[Path] = set()
    for top, folders, names in os.walk(folder, followlinks=False):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        here = Path(top)
        found.add(here)
        if files:
            found |= {here / name for name in (*names, *folders) if not name.startswith(".")}
    return found
