"""Run one diff side with the code of another tree: ``python -I base_bootstrap.py ROOT REQ ANS``.

Imports nothing of inferplan before it has put a finder on ``sys.meta_path`` that resolves
``inferplan`` and ``inferplan.<part>`` exactly as ROOT's ``pyproject.toml`` maps them
(``[tool.setuptools.package-dir]``), so every inferplan module this process runs is ROOT's;
third-party packages (Pulumi, pydantic) are the ones of this interpreter. Then it calls ROOT's
``inferplan.review.stack_sides.side_main(REQ, ANS)``. Exit 3 when ROOT has no such entry.

Standard library only: this file is run by path from the working tree, for any base.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
import tomllib
from pathlib import Path

EXIT_NO_ENTRY = 3


class TreeFinder(importlib.abc.MetaPathFinder):
    """``inferplan.*`` from the folders of one tree, by its package-dir table."""

    def __init__(self, root: Path, mapping: dict[str, str]) -> None:
        self.root = root
        self.mapping = mapping

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "inferplan" and not fullname.startswith("inferplan."):
            return None
        prefix = max(
            (p for p in self.mapping if fullname == p or fullname.startswith(p + ".")),
            key=len,
            default=None,
        )
        if prefix is None:
            return None
        rest = fullname[len(prefix) :].lstrip(".")
        folder = self.root / self.mapping[prefix]
        if rest:
            folder = folder.joinpath(*rest.split("."))
        init = folder / "__init__.py"
        if init.is_file():
            return importlib.util.spec_from_file_location(
                fullname, init, submodule_search_locations=[str(folder)]
            )
        module = folder.with_suffix(".py")
        if module.is_file():
            return importlib.util.spec_from_file_location(fullname, module)
        return None


def package_dirs(root: Path) -> dict[str, str]:
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    mapping = data.get("tool", {}).get("setuptools", {}).get("package-dir", {})
    return {str(k): str(v) for k, v in mapping.items()}


def main(argv: list[str]) -> int:
    root, request, answer = Path(argv[1]), argv[2], argv[3]
    for name in [m for m in sys.modules if m == "inferplan" or m.startswith("inferplan.")]:
        del sys.modules[name]  # nothing of another tree may stay imported
    sys.meta_path.insert(0, TreeFinder(root, package_dirs(root)))
    try:
        from inferplan.review.stack_sides import side_main
    except ImportError as error:
        print(f"the tree at {root} has no diff side entry: {error}", file=sys.stderr)
        return EXIT_NO_ENTRY
    return side_main(request, answer)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
