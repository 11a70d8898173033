"""What a policy rule sees: one resource as a small view, and a context derived from the Plan.

Rules are plain functions over these two types, so the same rule runs in-process over an offline
capture (``inferplan check``, ``inferplan.checks.evaluate``) and inside the Pulumi CLI's policy
pack (``pulumi preview --policy-pack policies``), where ``policies.pack`` builds the views from
pulumi_policy's arguments and the context from the pack's config.

The context is plain JSON-ready data (``context_to_data`` / ``context_from_data``): that is how
it travels to the CLI pack, written by ``inferplan check STACK --policy-config FILE``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from inferplan.sizing.plan import Plan

Level = Literal["mandatory", "advisory", "disabled"]
LEVELS: tuple[Level, ...] = ("mandatory", "advisory", "disabled")

COMPUTED = "<computed>"  # a value only the cloud knows (same marker as inferplan.capture)
SECRET = "<secret>"  # {SECRET: value}: an input Pulumi keeps secret (same as inferplan.capture)


@dataclass(frozen=True)
class ResourceView:
    """One resource as the program registered it: type token, logical name, inputs with wire
    (camelCase) names, options (``ignoreChanges``, ``protect``, ...) and the parent's URN.

    ``secrets_marked`` says whether secret inputs still carry their ``{SECRET: value}`` wrapper
    (true for an offline capture; false in the Pulumi CLI, whose analyzer unwraps them).
    """

    type: str
    name: str
    inputs: Mapping[str, Any]
    options: Mapping[str, Any] = field(default_factory=dict)
    parent: str | None = None
    urn: str = ""
    secrets_marked: bool = True

    @property
    def key(self) -> str:
        """``type::name``: how findings name a resource (as ``inferplan preview`` does)."""
        return f"{self.type}::{self.name}"

    def get(self, path: str, default: Any = None) -> Any:
        """The input at a dotted path (``properties.disableLocalAuth``), or ``default``."""
        value: Any = self.inputs
        for part in path.split("."):
            if not isinstance(value, Mapping) or part not in value:
                return default
            value = value[part]
        return value


@dataclass(frozen=True)
class WorkloadContext:
    """What the rules need to know about one workload of the environment, from its Plan."""

    name: str
    target: str | None = None  # azure-openai | aks-vllm
    regions: tuple[str, ...] = ()  # where the plan put it
    allowed_regions: tuple[str, ...] = ()  # residency; empty: any region
    geography: str | None = None
    strict_residency: bool = False
    streaming: bool = True
    monthly_usd: float | None = None
    max_monthly_usd: float | None = None
    template: str | None = None
    tensor_parallel: int | None = None  # GPUs per vLLM replica
    timeout_s: int | None = None  # the gateway's backend timeout


@dataclass(frozen=True)
class PolicyContext:
    """The environment's guardrail settings and its workloads. An empty context (the CLI pack run
    without config) makes context-dependent checks skip instead of guessing."""

    environment: str = ""
    allowed_regions: tuple[str, ...] = ()  # limits.allowed_regions; empty: any region
    public_network_access: bool | None = None  # None: unknown, not checked
    monthly_usd: float | None = None
    max_monthly_usd: float | None = None
    require_templates: bool = False
    workloads: tuple[WorkloadContext, ...] = ()
    enforcement: Mapping[str, Level] = field(default_factory=dict)  # rule name -> level

    def workload(self, name: str | None) -> WorkloadContext | None:
        return next((w for w in self.workloads if w.name == name), None)

    @property
    def known(self) -> bool:
        """True when the context came from a Plan (not the empty default)."""
        return bool(self.environment)


def context_from_plan(
    plan: Plan, environment: str, *, enforcement: Mapping[str, Level] | None = None
) -> PolicyContext:
    """The context of ``environment``: its limits and every feasible workload it carries."""
    env = plan.environment(environment)
    workloads = tuple(
        WorkloadContext(
            name=w.name,
            target=w.target,
            regions=tuple(w.regions),
            allowed_regions=tuple(w.residency.allowed_regions),
            geography=w.residency.geography,
            strict_residency=w.residency.strict,
            streaming=w.gateway.streaming,
            monthly_usd=w.cost.monthly_usd if w.cost else None,
            max_monthly_usd=w.max_monthly_usd,
            template=w.template,
            tensor_parallel=w.aks.tensor_parallel if w.aks else None,
            timeout_s=w.gateway.timeout_s,
        )
        for w in plan.workloads_of(environment)
    )
    return PolicyContext(
        environment=env.name,
        allowed_regions=tuple(env.allowed_regions),
        public_network_access=env.public_network_access,
        monthly_usd=env.monthly_usd,
        max_monthly_usd=env.max_monthly_usd,
        require_templates=env.require_templates,
        workloads=workloads,
        enforcement=dict(enforcement or {}),
    )


def context_to_data(ctx: PolicyContext) -> dict[str, Any]:
    """JSON-ready dict (tuples as lists); ``context_from_data`` reads it back."""

    def plain(value: Any) -> Any:
        if isinstance(value, tuple | list):
            return [plain(v) for v in value]
        if isinstance(value, Mapping):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, WorkloadContext):
            return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
        return value

    return {f.name: plain(getattr(ctx, f.name)) for f in fields(ctx)}


def context_from_data(data: Mapping[str, Any] | None) -> PolicyContext:
    """The context from the pack config; unknown keys are ignored, missing ones default."""
    if not data:
        return PolicyContext()
    known = {f.name for f in fields(WorkloadContext)}
    workloads = tuple(
        WorkloadContext(
            **{k: tuple(v) if isinstance(v, list) else v for k, v in dict(w).items() if k in known}
        )
        for w in data.get("workloads") or ()
    )
    return PolicyContext(
        environment=str(data.get("environment") or ""),
        allowed_regions=tuple(data.get("allowed_regions") or ()),
        public_network_access=data.get("public_network_access"),
        monthly_usd=data.get("monthly_usd"),
        max_monthly_usd=data.get("max_monthly_usd"),
        require_templates=bool(data.get("require_templates", False)),
        workloads=workloads,
        enforcement=dict(data.get("enforcement") or {}),
    )
