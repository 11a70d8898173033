"""Plan loaded inputs: every workload through the optimizer, then each environment's totals.

Pure over what ``inputs.plan_inputs`` loaded and the catalog; ``plan_paths`` is the one
call that loads and plans, shared by the CLI, the Pulumi program and the offline run.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from inputs.errors import Problem, SpecValidationError
from inputs.plan_inputs import PlanInputs, load_inputs
from inputs.template import TemplateLibrary
from inputs.workload import Workload
from sizing.azure_openai.offers import AzureOpenAISizingError
from sizing.catalog import Catalog, CatalogError
from sizing.catalog.input_facts import CatalogFacts
from sizing.performance.estimator import UnsupportedConfiguration
from sizing.plan import Plan, WorkloadPlan
from sizing.search.from_spec import environment_plan, request_from_workload
from sizing.search.optimizer import plan_workload
from sizing.search.request import HardwareChoice, SizingRequest

# Sizing's own exceptions for an input it cannot answer: the workload's mistake, not a bug.
INPUT_ERRORS = (AzureOpenAISizingError, UnsupportedConfiguration, CatalogError)


def _sizing_problem(workload: Workload, error: Exception) -> Problem:
    return workload.source.problem(("spec",), f"cannot be sized: {error}")


def requests_of(inputs: PlanInputs, *, catalog: Catalog) -> list[SizingRequest]:
    """One sizing request per loaded workload, in the environment that carries it."""
    return [
        request_from_workload(w, catalog=catalog, environment=env) for w, env in inputs.workloads
    ]


def build_plan(inputs: PlanInputs, *, catalog: Catalog) -> Plan:
    """Every workload planned (finished plans, ordered by environment, name and file), then
    each environment's settings and total against its cap.

    An input sizing refuses (`INPUT_ERRORS`) is a `SpecValidationError` at that workload's file
    and line, every such workload reported at once.
    """
    planned: list[WorkloadPlan] = []
    problems: list[Problem] = []
    hardware: dict[str, dict[str, HardwareChoice]] = {}  # environment -> workload -> choice
    for workload, environment in inputs.workloads:
        try:
            request = request_from_workload(workload, catalog=catalog, environment=environment)
            planned.append(plan_workload(request, catalog=catalog))
            hardware.setdefault(request.environment or "", {})[request.name] = request.hardware
        except INPUT_ERRORS as error:
            problems.append(_sizing_problem(workload, error))
    if problems:
        raise SpecValidationError(problems)
    workloads = tuple(sorted(planned, key=lambda p: (p.environment or "", p.name, p.source)))
    environments = tuple(
        environment_plan(env, workloads, catalog=catalog, hardware=hardware.get(env.name, {}))
        for env in sorted(inputs.environments, key=lambda e: e.name)
    )
    return Plan(workloads=workloads, environments=environments)


def plan_paths(
    paths: Iterable[str | Path], *, catalog: Catalog, templates: TemplateLibrary | None = None
) -> tuple[PlanInputs, Plan]:
    """Load ``paths`` (raising one ``SpecError`` with every problem) and plan them."""
    inputs = load_inputs(paths, CatalogFacts(catalog), templates=templates)
    return inputs, build_plan(inputs, catalog=catalog)
