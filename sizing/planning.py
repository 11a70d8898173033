"""Plan loaded inputs: every workload through the optimizer, then each environment's totals.

Pure over what ``inferplan.inputs.plan_inputs`` loaded and the catalog; ``plan_paths`` is the one
call that loads and plans, shared by the CLI, the Pulumi program and the offline run.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from inferplan.inputs.errors import Problem, SpecValidationError
from inferplan.inputs.plan_inputs import PlanInputs, load_inputs
from inferplan.inputs.template import TemplateLibrary
from inferplan.inputs.workload import Workload
from inferplan.sizing.azure_openai_sizing import AzureOpenAISizingError
from inferplan.sizing.catalog import Catalog, CatalogError
from inferplan.sizing.catalog.input_facts import CatalogFacts
from inferplan.sizing.estimator import UnsupportedConfiguration
from inferplan.sizing.from_spec import environment_plan, finish_workload_plan, request_from_workload
from inferplan.sizing.optimizer import plan_all
from inferplan.sizing.plan import Plan

# Sizing's own exceptions for an input it cannot answer: the workload's mistake, not a bug.
INPUT_ERRORS = (AzureOpenAISizingError, UnsupportedConfiguration, CatalogError)


def _sizing_problem(workload: Workload, error: Exception) -> Problem:
    return workload.source.problem(("spec",), f"cannot be sized: {error}")


def build_plan(inputs: PlanInputs, *, catalog: Catalog) -> Plan:
    """Plan every workload; an input sizing refuses (`INPUT_ERRORS`) is a `SpecValidationError`
    at that workload's file and line, with every such workload reported at once."""
    requests = []
    problems: list[Problem] = []
    for w, env in inputs.workloads:
        try:
            request = request_from_workload(w, catalog=catalog, environment=env)
        except INPUT_ERRORS as error:
            problems.append(_sizing_problem(w, error))
            continue
        requests.append((request, w.source.file, env.name if env else None))
    if problems:
        raise SpecValidationError(problems)
    try:
        planned = {(p.environment, p.name): p for p in plan_all(requests, catalog=catalog)}
    except INPUT_ERRORS as error:
        raise SpecValidationError(_blame(inputs, requests, catalog, error)) from None
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


def _blame(inputs: PlanInputs, requests: list, catalog: Catalog, error: Exception) -> list[Problem]:
    """Which workloads sizing refused: each is planned alone to find out (only on failure)."""
    problems = []
    for (w, _), request in zip(inputs.workloads, requests, strict=True):
        try:
            plan_all([request], catalog=catalog)
        except INPUT_ERRORS as own:
            problems.append(_sizing_problem(w, own))
    return problems or [_sizing_problem(inputs.workloads[0][0], error)]


def plan_paths(
    paths: Iterable[str | Path], *, catalog: Catalog, templates: TemplateLibrary | None = None
) -> tuple[PlanInputs, Plan]:
    """Load ``paths`` (raising one ``SpecError`` with every problem) and plan them."""
    inputs = load_inputs(paths, CatalogFacts(catalog), templates=templates)
    return inputs, build_plan(inputs, catalog=catalog)
