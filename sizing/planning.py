"""Plan loaded inputs: every workload through the optimizer, then each environment's totals.

Pure over what ``inferplan.inputs.plan_inputs`` loaded and the catalog; ``plan_paths`` is the one
call that loads and plans, shared by the CLI, the Pulumi program and the offline run.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from inferplan.inputs.plan_inputs import PlanInputs, load_inputs
from inferplan.inputs.template import TemplateLibrary
from inferplan.sizing.catalog import Catalog
from inferplan.sizing.catalog.input_facts import CatalogFacts
from inferplan.sizing.from_spec import environment_plan, request_from_workload
from inferplan.sizing.optimizer import plan_all
from inferplan.sizing.plan import Plan
from inferplan.sizing.request import SizingRequest


def requests_of(inputs: PlanInputs, *, catalog: Catalog) -> list[SizingRequest]:
    """One sizing request per loaded workload, in the environment that carries it."""
    return [
        request_from_workload(w, catalog=catalog, environment=env) for w, env in inputs.workloads
    ]


def build_plan(inputs: PlanInputs, *, catalog: Catalog) -> Plan:
    """Every workload planned (finished plans, ordered by environment, name and file), then
    each environment's settings and total against its cap."""
    workloads = plan_all(requests_of(inputs, catalog=catalog), catalog=catalog)
    environments = tuple(
        environment_plan(env, workloads)
        for env in sorted(inputs.environments, key=lambda e: e.name)
    )
    return Plan(workloads=workloads, environments=environments)


def plan_paths(
    paths: Iterable[str | Path], *, catalog: Catalog, templates: TemplateLibrary | None = None
) -> tuple[PlanInputs, Plan]:
    """Load ``paths`` (raising one ``SpecError`` with every problem) and plan them."""
    inputs = load_inputs(paths, CatalogFacts(catalog), templates=templates)
    return inputs, build_plan(inputs, catalog=catalog)
