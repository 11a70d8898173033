"""The import graph points one way: shell -> review -> preflight -> offline -> policies ->
components -> sizing -> inputs. A module may import its own part and the parts after it, never
one before."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Folder in the repository -> installed package, in the order imports may point.
LAYERS = (
    ("inferplan/cli", "inferplan.cli"),
    ("inferplan/review", "inferplan.review"),
    ("inferplan/preflight", "inferplan.preflight"),
    ("inferplan/offline", "inferplan.offline"),
    ("policies", "inferplan.policies"),
    ("components", "inferplan.components"),
    ("sizing", "inferplan.sizing"),
    ("inputs", "inferplan.inputs"),
)
RANK = {package: rank for rank, (_, package) in enumerate(LAYERS)}
GENERIC = {"spec", "sizing", "components", "policies", "inputs", "offline", "review"}


def _modules() -> list[tuple[str, Path]]:
    found = []
    for folder, package in LAYERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            found.append((package, path))
    return found


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _layer_of(module: str) -> str | None:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 and ".".join(parts[:2]) in RANK else None


@pytest.mark.parametrize(
    ("package", "path"),
    _modules(),
    ids=lambda v: str(v.relative_to(ROOT)) if isinstance(v, Path) else v,
)
def test_imports_point_down_the_flow(package: str, path: Path) -> None:
    upward = [
        name
        for name in _imports(path)
        if (layer := _layer_of(name)) is not None and RANK[layer] < RANK[package]
    ]
    generic = [name for name in _imports(path) if name.split(".")[0] in GENERIC]
    assert not upward, f"{package} must not import {upward}"
    assert not generic, f"import through the inferplan namespace, not {generic}"


def test_sizing_and_inputs_import_no_pulumi() -> None:
    for folder in ("sizing", "inputs"):
        for path in (ROOT / folder).rglob("*.py"):
            pulumi = [n for n in _imports(path) if n.split(".")[0].startswith("pulumi")]
            assert not pulumi, f"{path.relative_to(ROOT)} imports {pulumi}"
