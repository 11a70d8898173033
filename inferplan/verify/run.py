"""One verify run of one workload: the planned load, then steps to the capacity at the SLO.

The first step is the plan's peak load (at the measured replicas). If it meets the SLO, the rate
goes up by `STEP_FACTOR` until a step misses; if it misses, the rate goes down until one meets;
at most ``max_steps`` steps. The capacity at the SLO is the largest achieved rate of a step that
met it. ``load`` runs one step (GuideLLM in `loadgen`; recorded reports in the tests).
"""

from __future__ import annotations

from collections.abc import Callable

from inferplan.verify.compare import capacity, iso, step_meets_slo
from inferplan.verify.measurement import (
    Harness,
    LoadStep,
    Measurement,
    PredictedFigures,
    Slo,
    Subject,
)
from inferplan.verify.targets import STEP_FACTOR, VerifyTarget, plan_digest

LoadStepRunner = Callable[[float], tuple[str, LoadStep]]  # rate -> (harness version, step)


def step_rates(
    target: VerifyTarget, load: LoadStepRunner, *, max_steps: int
) -> tuple[str, tuple[LoadStep, ...]]:
    """Run the steps; every step comes back judged against the SLO (``slo_met``)."""
    steps: list[LoadStep] = []
    version = ""
    rate = target.planned_rate_per_s
    direction = 0
    for _ in range(max_steps):
        version, step = load(rate)
        met = step_meets_slo(
            step, ttft_p95_ms=target.ttft_p95_ms, tps_per_request=target.tps_per_request
        )
        steps.append(step.model_copy(update={"slo_met": met}))
        if direction == 0:
            direction = 1 if met else -1
        elif (direction == 1 and not met) or (direction == -1 and met):
            break
        rate = rate * STEP_FACTOR if direction == 1 else rate / STEP_FACTOR
    return version, tuple(steps)


def judged(target: VerifyTarget, steps: tuple[LoadStep, ...]) -> tuple[LoadStep, ...]:
    """Recorded steps (a Job's report, ``verify --from-results``) judged against the SLO."""
    return tuple(
        s.model_copy(
            update={
                "slo_met": step_meets_slo(
                    s, ttft_p95_ms=target.ttft_p95_ms, tps_per_request=target.tps_per_request
                )
            }
        )
        for s in steps
    )


def measure(
    target: VerifyTarget,
    load: LoadStepRunner,
    *,
    stack: str,
    step_duration_s: float,
    max_steps: int,
) -> Measurement:
    version, steps = step_rates(target, load, max_steps=max_steps)
    return measurement_of(target, version, steps, stack=stack, step_duration_s=step_duration_s)


def measurement_of(
    target: VerifyTarget,
    version: str,
    steps: tuple[LoadStep, ...],
    *,
    stack: str,
    step_duration_s: float,
    lengths: tuple[int, int] | None = None,
) -> Measurement:
    """The measurement of judged steps; the first is the one at the planned load.
    ``lengths``: the input and output tokens the harness was asked for, when not the plan's
    (recorded reports)."""
    plan = target.plan
    predicted = plan.predicted
    assert predicted is not None
    best = capacity(steps)
    if plan.aks is not None:
        aks = plan.aks
        subject = Subject(
            stack=stack,
            workload=plan.name,
            target="aks-vllm",
            model=plan.model,
            precision=aks.precision,
            engine="vllm",
            engine_version=aks.container_image.tag,
            vm_sku=aks.vm_sku,
            tensor_parallel=aks.tensor_parallel,
            replicas=target.replicas,
            region=plan.regions[0] if plan.regions else None,
        )
    else:
        aoai = plan.azure_openai
        assert aoai is not None
        subject = Subject(
            stack=stack,
            workload=plan.name,
            target="azure-openai",
            model=plan.model,
            precision=None,
            engine="azure-openai",
            engine_version=aoai.model_version,
            vm_sku=None,
            tensor_parallel=None,
            replicas=target.replicas,
            deployment_type=aoai.deployment_type,
            region=plan.regions[0] if plan.regions else None,
        )
    return Measurement(
        subject=subject,
        harness=Harness(
            name="guidellm",
            version=version,
            arrival=steps[0].arrival,
            input_tokens=(lengths or (target.input_tokens, target.output_tokens))[0],
            output_tokens=(lengths or (target.input_tokens, target.output_tokens))[1],
            step_duration_s=step_duration_s,
        ),
        slo=Slo(
            ttft_p95_ms=target.ttft_p95_ms,
            output_tokens_per_second_p50=target.tps_per_request,
        ),
        predicted=PredictedFigures(
            ttft_p95_ms=predicted.ttft_p95_ms,
            itl_ms=predicted.itl_ms,
            tps_per_request=predicted.tps_per_request,
            max_concurrency=predicted.max_concurrency,
            concurrency_per_replica=predicted.concurrency_per_replica,
            plan_replicas=target.plan_replicas,
            planned_rate_per_s=target.planned_rate_per_s,
            capacity_rate_per_s=target.predicted_capacity_rate_per_s,
            capacity_concurrency=target.predicted_capacity_concurrency,
        ),
        plan_digest=plan_digest(plan),
        started_at=iso(min(s.started_at for s in steps)),
        ended_at=iso(max(s.ended_at for s in steps)),
        steps=steps,
        capacity_rate_per_s=best.achieved_rate_per_s if best else None,
        capacity_concurrency=best.concurrency_mean if best else None,
    )
