"""The layout is the import graph: a module's dotted path is its file's path from the repository
root, and imports point one way: shell -> review -> verify -> preflight -> offline -> policies ->
components -> sizing -> inputs. A module may import its own part and the parts after it, never
one before."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Packages in the order imports may point; each is the folder of the same dotted path.
LAYERS = (
    "inferplan.cli",
    "inferplan.review",
    "inferplan.verify",
    "inferplan.preflight",
    "inferplan.offline",
    "policies",
    "components",
    "sizing",
    "inputs",
)
RANK = {package: rank for rank, package in enumerate(LAYERS)}
TOP_LEVEL = {package.split(".")[0] for package in LAYERS}


def _folder(package: str) -> Path:
    return ROOT.joinpath(*package.split("."))


def _modules() -> list[tuple[str, Path]]:
    return [
        (package, path) for package in LAYERS for path in sorted(_folder(package).rglob("*.py"))
    ]


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def _layer_of(module: str) -> str | None:
    parts = module.split(".")
    for length in (2, 1):
        if ".".join(parts[:length]) in RANK:
            return ".".join(parts[:length])
    return None


def _resolves(module: str) -> bool:
    """``a.b.c`` is ``a/b/c.py`` or ``a/b/c/__init__.py`` from the root (or a name that module
    ``a.b`` defines, for ``from a.b import name``)."""
    path = ROOT.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


PROJECT_MODULES = _modules()


@pytest.mark.parametrize(
    ("package", "path"),
    PROJECT_MODULES,
    ids=lambda v: str(v.relative_to(ROOT)) if isinstance(v, Path) else v,
)
def test_imports_point_down_the_flow(package: str, path: Path) -> None:
    upward = [
        name
        for name in _imports(path)
        if (layer := _layer_of(name)) is not None and RANK[layer] < RANK[package]
    ]
    assert not upward, f"{package} must not import {upward}"


def test_every_project_import_is_its_folder_path() -> None:
    """What a static reader does: each imported project module is found at its dotted path."""
    unresolved = set()
    for _, path in PROJECT_MODULES:
        for name in _imports(path):
            if name.split(".")[0] not in TOP_LEVEL:
                continue
            parent = name.rpartition(".")[0]
            if not _resolves(name) and not (parent and _resolves(parent)):
                unresolved.add(f"{path.relative_to(ROOT)}: {name}")
    assert sorted(unresolved) == []


def test_no_install_time_renaming() -> None:
    """No package-dir table and no import finder: the folders are the packages."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "package-dir" not in pyproject["tool"]["setuptools"]
    finders = [
        str(path.relative_to(ROOT))
        for _, path in PROJECT_MODULES
        if "meta_path" in path.read_text(encoding="utf-8")
    ]
    assert finders == []


def test_sizing_and_inputs_import_no_pulumi() -> None:
    for folder in ("sizing", "inputs"):
        for path in (ROOT / folder).rglob("*.py"):
            pulumi = [n for n in _imports(path) if n.split(".")[0].startswith("pulumi")]
            assert not pulumi, f"{path.relative_to(ROOT)} imports {pulumi}"


def test_tests_live_in_their_tier_folder() -> None:
    """A test module outside tests/<tier>/ would run without a tier marker."""
    from conftest import TIERS

    stray = sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "tests").rglob("test_*.py")
        if p.parent.name not in TIERS
    )
    assert stray == []
