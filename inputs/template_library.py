"""Published templates in folders: one file per version, named ``<name>@<version>.yaml``.

The file name is the reference a workload writes (``templates/chat-eu@2.yaml`` is
``chat-eu@2``), so finding a version never needs to read the others, and publishing a new
version means adding a file, never editing one. A file's ``metadata`` must agree with its name.

Folders are searched in order (`template_search_path`): the ``--templates`` folders, then
``INFERPLAN_TEMPLATE_PATH``, then ``templates/`` in the current directory. One name@version in
two folders is an error when it is used: versions are immutable, so two files for one version
would make a workload's meaning depend on the search order.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from inputs.errors import Problem, SpecError, SpecValidationError
from inputs.paths import YAML_SUFFIXES
from inputs.template import TEMPLATE_FILE_NAME, WorkloadTemplate, version_key

TEMPLATE_PATH_VARIABLE = "INFERPLAN_TEMPLATE_PATH"
DEFAULT_TEMPLATE_DIR = Path("templates")


def template_search_path(
    extra_dirs: Iterable[Path] = (),
    *,
    environ: Mapping[str, str] | None = None,
    cwd_templates: Path = DEFAULT_TEMPLATE_DIR,
) -> tuple[Path, ...]:
    """The folders to search, in order, each once: ``extra_dirs``, then the folders in
    ``$INFERPLAN_TEMPLATE_PATH`` (``os.pathsep``-separated), then ``cwd_templates``."""
    environment = os.environ if environ is None else environ
    listed = [p for p in environment.get(TEMPLATE_PATH_VARIABLE, "").split(os.pathsep) if p]
    found: list[Path] = []
    seen: set[Path] = set()
    for folder in [*extra_dirs, *map(Path, listed), cwd_templates]:
        key = folder.resolve()
        if key not in seen:
            seen.add(key)
            found.append(folder)
    return tuple(found)


class TemplateFolders:
    """A `inputs.TemplateLibrary` over template folders; each file is read once, when used."""

    def __init__(self, folders: Sequence[Path]) -> None:
        self.folders = tuple(folders)
        self._files: dict[tuple[str, str], list[Path]] | None = None
        self._misnamed: list[Path] = []
        self._loaded: dict[tuple[str, str], WorkloadTemplate] = {}

    @classmethod
    def default(cls, extra_dirs: Iterable[Path] = ()) -> TemplateFolders:
        """The folders `template_search_path` names for this process."""
        return cls(template_search_path(extra_dirs))

    def _index(self) -> dict[tuple[str, str], list[Path]]:
        if self._files is None:
            self._files = {}
            for folder in self.folders:
                if not folder.is_dir():
                    continue
                for path in sorted(folder.iterdir()):
                    if path.suffix not in YAML_SUFFIXES or path.name.startswith("."):
                        continue
                    match = TEMPLATE_FILE_NAME.match(path.name)
                    if match is None:
                        self._misnamed.append(path)
                        continue
                    key = (match["name"], match["version"])
                    self._files.setdefault(key, []).append(path)
        return self._files

    def template_names(self) -> Sequence[str]:
        return sorted({name for name, _ in self._index()})

    def versions(self, name: str) -> Sequence[str]:
        return sorted((v for n, v in self._index() if n == name), key=version_key)

    def describe_search(self) -> str:
        return ", ".join(f"{folder}/" for folder in self.folders) or "no folders"

    def template(self, name: str, version: str) -> WorkloadTemplate:
        from inputs.loader import (
            load_template_file,  # the loader imports this module's protocol
        )

        key = (name, version)
        if key in self._loaded:
            return self._loaded[key]
        paths = self._index()[key]
        if len(paths) > 1:
            others = ", ".join(str(path) for path in paths[1:])
            message = (
                f"{name}@{version} is published twice (also in {others}); versions are "
                "immutable, so publish a changed template as a new version"
            )
            raise SpecValidationError([Problem(str(paths[0]), 0, 0, "", message)])
        template = load_template_file(paths[0])  # checks that metadata matches the file name
        self._loaded[key] = template
        return template

    def load_all(self) -> tuple[list[WorkloadTemplate], list[Problem]]:
        """Every published template, and every problem of every template file (for listing)."""
        templates: list[WorkloadTemplate] = []
        problems: list[Problem] = []
        for name, version in sorted(self._index(), key=lambda k: (k[0], version_key(k[1]))):
            try:
                templates.append(self.template(name, version))
            except SpecError as error:
                problems += error.problems
        for path in self._misnamed:
            message = "not a template file name; name it <name>@<version>.yaml (chat-eu@2.yaml)"
            problems.append(Problem(str(path), 0, 0, "", message))
        return templates, problems
