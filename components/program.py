"""The Pulumi program: load the environment of the current stack, plan it, build it.

``pulumi up`` runs this through the repository's ``__main__.py``; ``inferplan preview`` runs the
very same function in-process under mocks (``inferplan.offline``). An infeasible plan (or a
broken cost cap) stops the program before any resource is registered.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sizing.plan import Plan

if TYPE_CHECKING:
    from components.kube_credentials import KubeloginLogin


class InfeasiblePlanError(Exception):
    """The stack's plan cannot be deployed: a workload misses its SLO or a cap is broken."""


def stack_plan(stack: str, *, root: Path = Path(), catalog_dirs: tuple[Path, ...] = ()) -> Plan:
    """Plan the environment file ``stacks/<stack>.yaml``; spec errors raise ``SpecError``.

    Catalogs: the built-in files, ``$INFERPLAN_CATALOG_PATH``, then ``catalog_dirs``.
    Templates come from ``<root>/templates`` (after ``$INFERPLAN_TEMPLATE_PATH``).
    """
    from inputs.plan_inputs import stack_file
    from inputs.template_library import TemplateFolders, template_search_path
    from sizing.catalog import catalog_for
    from sizing.planner import plan_paths

    templates = TemplateFolders(template_search_path(cwd_templates=root / "templates"))
    _, plan = plan_paths(
        [stack_file(stack, root=root)], catalog=catalog_for(catalog_dirs), templates=templates
    )
    return plan


def deployable(plan: Plan, environment: str) -> None:
    problems = [
        f"{w.name}: {w.infeasible_reason}" for w in plan.workloads_of(environment) if not w.feasible
    ]
    problems += [v.message for v in plan.environment(environment).violations]
    if problems:
        raise InfeasiblePlanError(f"stack {environment} cannot be deployed: " + "; ".join(problems))


# The stack's Pulumi config keys the program reads (namespace ``inferplan``).
HF_TOKEN_KEY = "hfToken"  # secret: Hugging Face token for gated models
DOCKER_HUB_USERNAME_KEY = "dockerHubUsername"  # the registry's Docker Hub credential set
DOCKER_HUB_TOKEN_KEY = "dockerHubToken"  # secret: a Docker Hub access token
DOCKER_HUB_CREDENTIAL = "docker-io"  # credential set name (sizing.deploy.container_images)
# The AKS API servers' authorized ranges (a list): the runners' egress belongs to the stack that
# deploys, not to the environment file shared by every stack of it; it takes precedence.
AUTHORIZED_RANGES_KEY = "apiServerAuthorizedIpRanges"


class StackConfigError(ValueError):
    """A stack config value the program cannot deploy with."""


def authorized_ranges(value: object) -> tuple[str, ...] | None:
    """``inferplan:apiServerAuthorizedIpRanges`` as a tuple of public IPv4 ranges; None when
    unset. Documentation, private, reserved and 0.0.0.0/0 ranges are refused
    (inputs/network_ranges.py), as in the environment file."""
    from inputs.network_ranges import range_problem

    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or not value:
        raise StackConfigError(
            f"inferplan:{AUTHORIZED_RANGES_KEY}: a non-empty list of CIDR ranges, got {value!r}"
        )
    problems = [p for p in map(range_problem, value) if p is not None]
    if problems:
        raise StackConfigError(f"inferplan:{AUTHORIZED_RANGES_KEY}: " + "; ".join(problems))
    return tuple(value)


def stack_inputs() -> object:
    """``StackInputs`` from the current stack's Pulumi config; secrets stay Pulumi secrets."""
    import pulumi

    from components.environment import StackInputs

    config = pulumi.Config("inferplan")
    credentials = {}
    username = config.get(DOCKER_HUB_USERNAME_KEY)
    token = config.get_secret(DOCKER_HUB_TOKEN_KEY)
    if username and token is not None:
        credentials[DOCKER_HUB_CREDENTIAL] = (username, token)
    return StackInputs(
        hf_token=config.get_secret(HF_TOKEN_KEY),
        upstream_credentials=credentials,
        api_server_authorized_ip_ranges=authorized_ranges(config.get_object(AUTHORIZED_RANGES_KEY)),
        kube_login=kube_login(),
    )


def kube_login() -> KubeloginLogin:
    """The kubelogin mode for the credentials Pulumi's azure-native provider runs with: its
    ``azure-native:*`` config, else the ``ARM_*`` environment (components/kube_credentials.py).
    Secret settings are only checked for presence; their values are not kept."""
    import os

    import pulumi

    from components.kube_credentials import PROVIDER_SETTINGS, kubelogin_login, provider_settings

    azure = pulumi.Config("azure-native")
    config = {key: azure.get(key) for key in PROVIDER_SETTINGS}
    return kubelogin_login(provider_settings(config, os.environ), os.environ)


def environment_program(plan: Plan, environment: str) -> Callable[[], None]:
    """The Pulumi program for one environment of a finished plan."""

    def program() -> None:
        from components.environment import build_environment

        deployable(plan, environment)
        build_environment(plan, environment, inputs=stack_inputs())

    return program


def run_stack(stack: str) -> None:
    """Entry point for ``pulumi up``/``preview``: the stack name selects stacks/<stack>.yaml."""
    environment_program(stack_plan(stack), stack)()
