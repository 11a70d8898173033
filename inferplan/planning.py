"""Load what the user pointed at (workload files, folders, environment files) and plan it.

Shared by ``plan`` and the later commands that start from a plan (preview, render, diff), so
they all read the same inputs the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sizing.catalog import Catalog
from sizing.from_spec import environment_plan, finish_workload_plan, request_from_workload
from sizing.optimizer import plan_all
from sizing.plan import Plan
from spec.catalog_view import CatalogView
from spec.environment import Environment
from spec.errors import Problem, SpecError, SpecValidationError
from spec.loader import load_environment_workloads, load_file
from spec.paths import find_yaml_files
from spec.template import TemplateLibrary
from spec.template_library import TemplateFolders
from spec.workload import Workload


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
    Template files among ``paths`` are validated and otherwise skipped. ``templates`` resolves
    ``spec.template``; left out, the default search path (``TemplateFolders.default()``).
    """
    if templates is None:
        templates = TemplateFolders.default()
    files, problems = find_yaml_files(paths)
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


def build_plan(inputs: PlanInputs, *, catalog: Catalog) -> Plan:
    requests = [
        (
            request_from_workload(w, catalog=catalog, environment=env),
            w.source.file,
            env.name if env else None,
        )
        for w, env in inputs.workloads
    ]
    planned = {(p.environment, p.name): p for p in plan_all(requests, catalog=catalog)}
    finished = sorted(
        (
            finish_workload_plan(
                planned[(env.name if env else None, w.name)],
                w,
                environment=env,
                allowed_regions=request.regions,
            )
            for (w, env), (request, _, _) in zip(inputs.workloads, requests, strict=True)
        ),
        key=lambda p: (p.environment or "", p.name, p.source),
    )
    environments = tuple(
        environment_plan(env, tuple(finished))
        for env in sorted(inputs.environments, key=lambda e: e.name)
    )
    return Plan(workloads=tuple(finished), environments=environments)
