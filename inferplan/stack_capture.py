"""Plan a stack and run its Pulumi program offline: shared by preview, render, check and diff."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from inferplan.capture import Capture
from sizing.plan import Plan


@dataclass(frozen=True)
class StackRun:
    stack: str
    plan: Plan
    capture: Capture | None  # None when the plan cannot be deployed
    blocked: tuple[str, ...]  # why the program would refuse to run


def resolve_stack(stack: str, *, root: Path = Path()) -> tuple[str, Path]:
    """``dev`` means stacks/dev.yaml; a path to an environment file is taken as given."""
    as_path = Path(stack)
    if as_path.suffix in (".yaml", ".yml"):
        return as_path.stem, as_path
    return stack, root / "stacks" / f"{stack}.yaml"


def run_stack_offline(
    stack: str,
    *,
    catalog_dirs: tuple[Path, ...] = (),
    template_dirs: tuple[Path, ...] = (),
    root: Path = Path(),
) -> StackRun:
    """Plan ``stack`` and, when deployable, capture its program under mocks (preview mode)."""
    from inferplan.capture import capture
    from inferplan.cli_context import CliContext
    from inferplan.planning import build_plan, load_inputs
    from inferplan.program import InfeasiblePlanError, deployable, environment_program
    from spec.errors import Problem, SpecReadError

    name, path = resolve_stack(stack, root=root)
    if not path.is_file():
        raise SpecReadError(
            [Problem(str(path), 0, 0, "", f"no environment file for stack {name!r}")]
        )
    context = CliContext(catalog_dirs=catalog_dirs, template_dirs=template_dirs)
    inputs = load_inputs([path], context.catalog_view, templates=context.templates)
    plan = build_plan(inputs, catalog=context.catalog)
    environment = plan.environments[0].name if plan.environments else name
    try:
        deployable(plan, environment)
    except InfeasiblePlanError as error:
        return StackRun(environment, plan, None, (str(error),))
    result = capture(environment_program(plan, environment), stack=environment, preview=True)
    return StackRun(environment, plan, result, ())
