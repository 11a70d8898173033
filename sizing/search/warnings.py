"""Warnings on feasible plans: true things a reviewer should see before deploying.

Each is a `PlanWarning` whose kind is decided here, from the plan and the request; ``plan``,
``diff`` and ``check`` show them. Thresholds are named below with their reasoning.
"""

from __future__ import annotations

from sizing.azure_openai.speed_slo import TAIL_PERCENTILES
from sizing.deploy.serving_limits import MAX_BACKEND_TIMEOUT_S, slowest_response_s
from sizing.plan import PlanWarning, WorkloadPlan
from sizing.search.request import SizingRequest

SMALL_REPLICA = 2  # a replica serving this few requests pays a whole GPU share per user or two
LOW_UTILIZATION = 0.2  # below a fifth of what is paid for, a smaller GPU or a managed offer fits


def shared_warnings(plan: WorkloadPlan, req: SizingRequest) -> list[PlanWarning]:
    """Warnings that apply whatever the target."""
    found: list[PlanWarning] = []
    if not req.streaming and slowest_response_s(req) > MAX_BACKEND_TIMEOUT_S:
        found.append(
            PlanWarning(
                "streaming-timeout",
                f"a non-streaming response may take {slowest_response_s(req):.0f} s, more than "
                f"the {MAX_BACKEND_TIMEOUT_S} s Azure keeps an idle connection; enable streaming.",
            )
        )
    if plan.cost is not None and req.batch is None:
        per_user = plan.cost.monthly_usd / req.peak_concurrency
        if per_user > req.warn_monthly_usd_per_user:
            found.append(
                PlanWarning(
                    "cost-per-user",
                    f"${per_user:,.0f}/month per concurrent user ({req.peak_concurrency} at "
                    f"peak, ${plan.cost.monthly_usd:,.0f}/month) is above the "
                    f"${req.warn_monthly_usd_per_user:,.0f} warning threshold; check which SLO "
                    "term drives it (plan --candidates shows every configuration)",
                )
            )
    stated = [f"TTFT p{p}" for p, _ in req.ttft_targets] + [f"ITL p{p}" for p, _ in req.itl_targets]
    if stated and plan.target == "azure-openai":
        held = [f"ITL p{p}" for p, _ in req.itl_targets if p in TAIL_PERCENTILES]
        text = (
            f"Azure OpenAI publishes no latency distribution: {', '.join(stated)} are not "
            "predicted for this offer, which is judged on TTFT p95 and tokens/s only"
        )
        if held:
            text += (
                f"; {', '.join(held)} was held, as tokens/s, to the offer's published latency "
                "target (the median request of 99% of 5-minute windows), not to each token gap"
            )
        found.append(PlanWarning("percentile-slo", text + "."))
    return found


def aks_warnings(plan: WorkloadPlan, req: SizingRequest) -> list[PlanWarning]:
    """Warnings about how a self-hosted plan uses the GPUs it pays for."""
    aks, predicted = plan.aks, plan.predicted
    if aks is None or predicted is None or not predicted.concurrency_per_replica:
        return []
    found: list[PlanWarning] = []
    per_replica = predicted.concurrency_per_replica
    if per_replica <= SMALL_REPLICA:
        found.append(
            PlanWarning(
                "small-replica",
                f"one replica serves only {per_replica} request(s) inside the SLO: each user "
                f"holds {aks.tensor_parallel} GPU(s)/{per_replica}; a looser SLO or a faster GPU "
                "serves more per replica",
            )
        )
    capacity = per_replica * aks.replicas_per_region
    load = req.peak_concurrency / capacity if capacity else 0.0
    gpu_share = aks.tensor_parallel * aks.replicas_per_node / aks.vm_gpus if aks.vm_gpus else 1.0
    if load < LOW_UTILIZATION:
        found.append(
            PlanWarning(
                "low-utilization",
                f"the peak of {req.peak_concurrency} uses {load:.0%} of the {capacity} concurrent "
                "requests the planned replicas serve in each region; spare capacity for "
                "availability and whole nodes dominate the cost",
            )
        )
    elif gpu_share < LOW_UTILIZATION:
        found.append(
            PlanWarning(
                "low-utilization",
                f"replicas use {gpu_share:.0%} of each {aks.vm_sku} node's GPUs",
            )
        )
    return found
