"""The base side of ``inferplan diff``, read with the base revision's own code and catalogs.

A pull request that changes only the load model or a component must show its effect, so the
base cannot be planned by the working tree's code. When the base tree carries inferplan's code
(the side protocol's entry, ``inferplan/review/stack_sides.py``, with its packages at their
folders), it runs in a subprocess of the same interpreter and environment (same Pulumi and
provider SDKs), started in the base tree with ``SIDE_ENTRY`` (``python -E -s -c``, so the
base's root is first on the path): import path = folder path, so that is all it takes, and every
project module that process imports is the base's. ``-E`` drops ``PYTHONPATH`` (the working
tree's root), ``-s`` the user site. A base without that code (a folder of stacks, a revision
from before the protocol, or one whose packages were mapped onto other folders at install time)
is read in this process by the working tree's code, and the report says so.

The whole side is cached (``inferplan.offline.cache``) under the digest of the base tree's
files, the options, the interpreter and the SDK versions: an unchanged base costs one read.
Effectful: runs a subprocess, reads and writes files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inferplan.review.stack_sides import (
    SIDE_PROTOCOL,
    SideInputError,
    SideOptions,
    Tree,
    read_side,
    side_from_data,
    side_to_data,
)

if TYPE_CHECKING:
    from inferplan.offline.cache import ResultCache
    from inferplan.review.diff import StackSide

ENTRY = Path("inferplan") / "review" / "stack_sides.py"
# Folders whose modules the base side imports; their files are what "the base's code" means.
CODE_FOLDERS = ("inferplan", "inputs", "sizing", "components", "policies")
SIDE_KIND = "diff-side"
BASE_TIMEOUT_S = 600
EXIT_NO_ENTRY = 3  # the base tree has no side protocol entry
# Run in the base tree's root (its folders are its packages); exit 3 when it cannot read a side.
SIDE_ENTRY = """
import sys
try:
    from inferplan.review.stack_sides import side_main
except ImportError as error:
    print(f"no diff side entry: {error}", file=sys.stderr)
    sys.exit(3)
sys.exit(side_main(sys.argv[1], sys.argv[2]))
"""
TREE_SUFFIXES = (".py", ".yaml", ".yml", ".j2", ".json", ".toml")

CodeUsed = str  # "base" (its own code) or "working tree"


@dataclass(frozen=True)
class BaseSide:
    sides: dict[str, StackSide]
    notes: list[str]
    code: CodeUsed
    cached: bool = False


def has_own_code(root: Path) -> bool:
    """The base tree can run itself: the side entry, and its packages at their folders (a tree
    from before that layout mapped them at install time and cannot run from its folders)."""
    if not (root / ENTRY).is_file() or not (root / "sizing" / "__init__.py").is_file():
        return False
    pyproject = root / "pyproject.toml"
    try:
        return "package-dir" not in pyproject.read_text(encoding="utf-8")
    except OSError:
        return False


def side_key(tree: Tree, stacks: list[str], options: SideOptions, code: CodeUsed) -> str:
    """Everything the base side's result depends on: the tree's files (its code, catalogs,
    stacks, workloads and templates), the options' folders and the environment variables
    that add folders, the interpreter and its SDKs, and this protocol's own files."""
    from inferplan.offline.cache import (
        RUNTIME_DISTRIBUTIONS,
        _version,
        code_version,
        digest,
        folder_digest,
    )
    from inputs.template_library import TEMPLATE_PATH_VARIABLE
    from sizing.catalog.loader import CATALOG_PATH_ENV

    extra = [*options.catalog_dirs, *options.template_dirs]
    for variable in (CATALOG_PATH_ENV, TEMPLATE_PATH_VARIABLE):
        extra += [Path(p) for p in os.environ.get(variable, "").split(os.pathsep) if p]
    return digest(
        SIDE_KIND,
        SIDE_PROTOCOL,
        code,
        # with the working tree's code the result depends on that code; with its own, on the
        # base tree's files (below) and the interpreter that runs them
        code_version() if code != "base" else "base",
        sys.executable,
        sys.version,
        {name: _version(name) for name in RUNTIME_DISTRIBUTIONS},
        tree.side,
        tree.label,
        sorted(stacks),
        _tree_digest(tree.root),
        [str(p) for p in extra],
        folder_digest([p.resolve() for p in extra]),
    )


def _tree_digest(root: Path) -> str:
    import hashlib

    sha = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith(".") or part == "__pycache__" for part in relative.parts):
            continue
        if path.suffix in TREE_SUFFIXES and path.is_file():
            sha.update(f"{relative.as_posix()}\0".encode())
            sha.update(hashlib.sha256(path.read_bytes()).digest())
    return sha.hexdigest()


def read_base_side(
    tree: Tree, stacks: list[str], options: SideOptions, *, cache: ResultCache
) -> BaseSide:
    """The base side with the base's own code when it has it (see the module docstring)."""
    code: CodeUsed = "base" if has_own_code(tree.root) else "working tree"
    key = side_key(tree, stacks, options, code)
    stored = cache.get(SIDE_KIND, key)
    if stored is not None:
        try:
            sides = {s: side_from_data(d) for s, d in stored["sides"].items()}
            return BaseSide(sides, list(stored["notes"]), stored["code"], cached=True)
        except (KeyError, TypeError, AttributeError):
            pass
    notes: list[str] = []
    if code == "base":
        answer = _run_base_code(tree, stacks, options)
        if answer is None:
            code = "working tree"
            notes.append(
                f"the {tree.who} code cannot read its own side (it predates the diff side "
                "protocol); the base was planned with the working tree's code"
            )
        else:
            if answer["errors"]:
                raise SideInputError(answer["errors"])
            sides = {s: side_from_data(d) for s, d in answer["sides"].items()}
            notes += answer["notes"]
    if code != "base":
        sides, more = read_side(tree, stacks, options, cache=cache)
        notes += more
    value = {
        "sides": {s: side_to_data(side) for s, side in sides.items()},
        "notes": notes,
        "code": code,
    }
    cache.put(SIDE_KIND, key, value)
    return BaseSide(sides, notes, code)


def _run_base_code(tree: Tree, stacks: list[str], options: SideOptions) -> dict[str, Any] | None:
    """Run the side in the base's code; None when the base has no entry for it. A crash of the
    base's code is bad input of that side (exit 2), with its last lines."""
    request = {
        "protocol": SIDE_PROTOCOL,
        "root": str(tree.root.resolve()),
        "side": tree.side,
        "label": tree.label,
        "stacks": stacks,
        "catalog_dirs": [str(p.resolve()) for p in options.catalog_dirs],
        "template_dirs": [str(p.resolve()) for p in options.template_dirs],
    }
    with tempfile.TemporaryDirectory(prefix="inferplan-side-") as tmp:
        request_path, answer_path = Path(tmp) / "request.json", Path(tmp) / "answer.json"
        request_path.write_text(json.dumps(request), encoding="utf-8")
        command = [
            sys.executable,
            "-E",
            "-s",
            "-c",
            SIDE_ENTRY,
            str(request_path),
            str(answer_path),
        ]
        try:
            done = subprocess.run(  # our own interpreter, the base's modules, fixed arguments
                command,
                cwd=tree.root.resolve(),
                capture_output=True,
                text=True,
                timeout=BASE_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise SideInputError(
                [f"{tree.who}: planning the base took longer than {BASE_TIMEOUT_S} s"]
            ) from None
        if done.returncode == EXIT_NO_ENTRY:
            return None
        if done.returncode != 0 or not answer_path.is_file():
            tail = "\n".join(done.stderr.strip().splitlines()[-5:])
            raise SideInputError(
                [f"{tree.who}: the base revision's code failed to plan its stacks: {tail}"]
            )
        answer = json.loads(answer_path.read_text(encoding="utf-8"))
    if answer.get("protocol") != SIDE_PROTOCOL:
        return None
    return answer
