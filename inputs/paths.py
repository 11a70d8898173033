"""Which files to read: YAML files under folders, and an environment's workload globs.

Only path logic lives here (listing and matching); reading and parsing is `spec.loader`'s job.
Results are sorted so that every run reads files, and so reports problems, in the same order.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable
from pathlib import Path

from inferplan.inputs.errors import Problem

YAML_SUFFIXES = (".yaml", ".yml")


def _is_pulumi_config(path: Path) -> bool:
    """``Pulumi.yaml`` / ``Pulumi.<stack>.yaml`` belong to Pulumi, not to inferplan."""
    return path.name.startswith("Pulumi.") or path.name == "Pulumi.yaml"


def find_yaml_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[Problem]]:
    """Expand files and folders into YAML files, and say which paths gave none.

    A file is taken as given, whatever its suffix. A folder is searched recursively for
    ``*.yaml`` and ``*.yml``, skipping hidden files and folders and Pulumi's own config files.
    Returns the files (deduplicated, in the order given; each folder's files sorted) and one
    `Problem` per path that is missing or holds no YAML file.
    """
    files: list[Path] = []
    problems: list[Problem] = []
    for given in paths:
        path = Path(given)
        if path.is_file():
            found = [path]
        elif path.is_dir():
            found = sorted(
                candidate
                for candidate in path.rglob("*")
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


def resolve_workload_globs(base_dir: Path, pattern: str) -> list[Path]:
    """Files matching one environment ``workloads`` entry, relative to ``base_dir``, sorted.

    Supports ``*``, ``?``, ``[...]`` and ``**`` (any depth) and ``..``. Matches are returned as
    ``base_dir / match`` with ``..`` folded away, so messages show short, stable paths.
    """
    matches = glob.glob(pattern, root_dir=base_dir, recursive=True)
    resolved = {Path(os.path.normpath(base_dir / match)) for match in matches}
    return sorted(path for path in resolved if path.is_file())
