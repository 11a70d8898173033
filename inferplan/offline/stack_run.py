"""Plan a stack and run its Pulumi program offline: shared by preview, render, check and diff.

The capture is a pure function of the environment's plan and the code, so it is kept in the
result cache (``inferplan.offline.cache``) under the digest of both: ``preview``, ``render``,
``check`` and ``diff`` of one plan run the program once between them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from inferplan.offline.cache import ResultCache, code_version, digest
from inferplan.offline.registrations import Capture
from inferplan.offline.stack_config import SECURE_PLACEHOLDER, stack_config
from sizing.plan import Plan

CAPTURE_KIND = "capture"


@dataclass(frozen=True)
class StackRun:
    stack: str
    plan: Plan
    capture: Capture | None  # None when the plan cannot be deployed
    blocked: tuple[str, ...]  # why the program would refuse to run
    cached: bool = False  # the capture came from the result cache


def capture_key(
    plan: Plan,
    environment: str,
    config: Mapping[str, str] | None = None,
    secret_keys: Sequence[str] = (),
) -> str:
    """What the program's registrations depend on: the plan's data, the environment it
    builds, the stack's Pulumi config (and which keys are secret), and the code (components,
    the mocks, the SDK versions)."""
    from sizing.plan import plan_to_data

    return digest(
        "capture",
        code_version(),
        environment,
        dict(sorted((config or {}).items())),
        sorted(secret_keys),
        plan_to_data(plan),
    )


def capture_plan(
    plan: Plan,
    environment: str,
    *,
    cache: ResultCache | None = None,
    config: Mapping[str, str] | None = None,
    secret_keys: Sequence[str] = (),
) -> tuple[Capture, bool]:
    """The program's capture for a deployable plan (preview mode) with the stack's Pulumi
    ``config``, from the cache when the same plan and config were captured by the same code
    before; also whether it was."""
    from inferplan.offline.registrations import capture_from_data, capture_to_data

    cache = cache if cache is not None else ResultCache.from_environment()
    key = capture_key(plan, environment, config, secret_keys)
    stored = cache.get(CAPTURE_KIND, key)
    if stored is not None:
        try:
            return capture_from_data(stored), True
        except (KeyError, TypeError, ValueError):
            pass  # an entry of another shape: run the program again
    from inferplan.offline.sdk_modules import install

    install()  # before the components import the SDK: only the modules they use
    from components.program import environment_program
    from inferplan.offline.capture import capture

    result = capture(
        environment_program(plan, environment),
        stack=environment,
        preview=True,
        config=dict(config) if config else None,
        secret_keys=list(secret_keys),
    )
    cache.put(CAPTURE_KIND, key, capture_to_data(result))
    return result, False


def run_stack_offline(
    stack: str,
    *,
    catalog_dirs: tuple[Path, ...] = (),
    template_dirs: tuple[Path, ...] = (),
    root: Path = Path(),
    cache: ResultCache | None = None,
) -> StackRun:
    """Plan ``stack`` (``dev`` or a path to an environment file) and, when deployable, capture
    its program under mocks (preview mode) with the stack's Pulumi config (`stack_config`), so
    what the config turns on (a Hugging Face token Secret) is in the capture too; the capture
    comes from the result cache when the same plan, config and code made it before."""
    from components.program import InfeasiblePlanError, deployable
    from inferplan.offline.stack_config import offline_config, read_stack_config
    from inputs.errors import Problem, SpecReadError
    from inputs.plan_inputs import stack_file, stack_name
    from inputs.template_library import TemplateFolders
    from sizing.catalog import catalog_for
    from sizing.planner import plan_paths

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
    result, cached = capture_plan(
        plan, environment, cache=cache, config=config, secret_keys=secret_keys
    )
    return StackRun(environment, plan, result, (), cached)


__all__ = [
    "SECURE_PLACEHOLDER",
    "StackRun",
    "capture_key",
    "capture_plan",
    "run_stack_offline",
    "stack_config",
]
