"""Plan a stack and run its Pulumi program offline: shared by preview, render, check and diff."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from inferplan.offline.capture import Capture
from inferplan.offline.stack_config import SECURE_PLACEHOLDER, stack_config
from inferplan.sizing.plan import Plan


@dataclass(frozen=True)
class StackRun:
    stack: str
    plan: Plan
    capture: Capture | None  # None when the plan cannot be deployed
    blocked: tuple[str, ...]  # why the program would refuse to run


def run_stack_offline(
    stack: str,
    *,
    catalog_dirs: tuple[Path, ...] = (),
    template_dirs: tuple[Path, ...] = (),
    root: Path = Path(),
) -> StackRun:
    """Plan ``stack`` (``dev`` or a path to an environment file) and, when deployable, capture
    its program under mocks (preview mode) with the stack's Pulumi config (`stack_config`), so
    what the config turns on (a Hugging Face token Secret) is in the capture too."""
    from inferplan.components.program import (
        InfeasiblePlanError,
        deployable,
        environment_program,
    )
    from inferplan.inputs.errors import Problem, SpecReadError
    from inferplan.inputs.plan_inputs import stack_file, stack_name
    from inferplan.inputs.template_library import TemplateFolders
    from inferplan.offline.capture import capture
    from inferplan.offline.stack_config import offline_config, read_stack_config
    from inferplan.sizing.catalog import catalog_for
    from inferplan.sizing.planning import plan_paths

    name, path = stack_name(stack), stack_file(stack, root=root)
    if not path.is_file():
        raise SpecReadError(
            [Problem(str(path), 0, 0, "", f"no environment file for stack {name!r}")]
        )
    _, plan = plan_paths(
        [path], catalog=catalog_for(catalog_dirs), templates=TemplateFolders.default(template_dirs)
    )
    environment = plan.environments[0].name if plan.environments else name
    try:
        deployable(plan, environment)
    except InfeasiblePlanError as error:
        return StackRun(environment, plan, None, (str(error),))
    config, secret_keys = offline_config(read_stack_config(name, root=root))
    result = capture(
        environment_program(plan, environment),
        stack=environment,
        preview=True,
        config=config,
        secret_keys=secret_keys,
    )
    return StackRun(environment, plan, result, ())


__all__ = ["SECURE_PLACEHOLDER", "StackRun", "run_stack_offline", "stack_config"]
