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
from inferplan.sizing.from_spec import environment_plan, finish_workload_plan, request_from_workload
from inferplan.sizing.optimizer import plan_all
from inferplan.sizing.plan import Plan


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
        environment_plan(env, tuple(finished), catalog=catalog)
        for env in sorted(inputs.environments, key=lambda e: e.name)
    )
    return Plan(workloads=tuple(finished), environments=environments)


def plan_paths(
    paths: Iterable[str | Path], *, catalog: Catalog, templates: TemplateLibrary | None = None
) -> tuple[PlanInputs, Plan]:
    """Load ``paths`` (raising one ``SpecError`` with every problem) and plan them."""
    inputs = load_inputs(paths, CatalogFacts(catalog), templates=templates)
    return inputs, build_plan(inputs, catalog=catalog)
