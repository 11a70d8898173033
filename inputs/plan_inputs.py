"""Load what the user pointed at (workload files, folders, environment files) for planning.

Shared by ``plan``, the Pulumi program and the commands that start from a plan (preview,
render, check, diff), so they all read the same inputs the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from inputs.catalog_view import CatalogView
from inputs.environment import Environment
from inputs.errors import Problem, SpecError, SpecValidationError
from inputs.loader import is_foreign_file, load_environment_workloads, load_file
from inputs.paths import find_yaml_files
from inputs.template import TemplateLibrary
from inputs.template_library import TemplateFolders
from inputs.workload import Workload


@dataclass(frozen=True)
class PlanInputs:
    """Workloads with the environment that carries them (None for a loose workload file)."""

    workloads: tuple[tuple[Workload, Environment | None], ...]
    environments: tuple[Environment, ...]


def load_inputs(
    paths: Iterable[str | Path],
    catalog: CatalogView,
    *,
    templates: TemplateLibrary | None = None,
) -> PlanInputs:
    """Every workload and environment under ``paths``; raises one SpecError with all problems.

    A workload that an environment given here lists is planned for that environment only.
    Folders skip YAML that is not inferplan's (`loader.is_foreign_file`).
    Template files among ``paths`` are validated and otherwise skipped. ``templates`` resolves
    ``spec.template``; left out, the default search path (``TemplateFolders.default()``).
    """
    if templates is None:
        templates = TemplateFolders.default()
    paths = [Path(p) for p in paths]
    found, problems = find_yaml_files(paths)
    named = {path for path in paths if path.is_file()}
    files = [path for path in found if path in named or not is_foreign_file(path)]
    loose: list[Workload] = []
    environments: list[Environment] = []
    error_type: type[SpecError] = SpecValidationError
    for path in files:
        try:
            loaded = load_file(path, catalog, templates=templates)
        except SpecError as error:
            problems += error.problems
            error_type = type(error)
            continue
        for item in loaded:
            if isinstance(item, Environment):
                environments.append(item)
            elif isinstance(item, Workload):
                loose.append(item)
    pairs: list[tuple[Workload, Environment | None]] = []
    claimed: set[Path] = set()
    for env in environments:
        try:
            pairs += [
                (w, env) for w in load_environment_workloads(env, catalog, templates=templates)
            ]
        except SpecError as error:
            problems += error.problems
            error_type = type(error)
        claimed.update(p.resolve() for p in env.workload_files)
    pairs += [(w, None) for w in loose if Path(w.source.file).resolve() not in claimed]
    if problems:
        raise error_type(_unique(problems))
    return PlanInputs(tuple(pairs), tuple(environments))


def _unique(problems: list[Problem]) -> list[Problem]:
    return sorted(set(problems))


STACKS_DIR = Path("stacks")


def stack_file(stack: str, *, root: Path = Path()) -> Path:
    """``dev`` means ``<root>/stacks/dev.yaml``; a path to an environment file is taken as given."""
    as_path = Path(stack)
    if as_path.suffix in (".yaml", ".yml"):
        return as_path
    return root / STACKS_DIR / f"{stack}.yaml"


def stack_name(stack: str) -> str:
    """The stack a ``stack`` argument names: ``dev`` or the stem of an environment file."""
    return Path(stack).stem if Path(stack).suffix in (".yaml", ".yml") else stack
