"""What verify measures for one planned workload, decided from the plan and its request.

The plan says the request lengths (the workload's average input and output tokens), the arrival
process its prediction assumes (Poisson), the SLO, the peak load (the stated requests per minute,
or Little's law over the predicted request time) and the capacity inside the SLO. Verify loads
the endpoint at the peak and steps from there; the endpoint may reach fewer replicas than the
plan has in a region (``--replicas``, e.g. one engine before scaling out), in which case both the
load and the predicted capacity are scaled to those replicas.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sizing.deploy.serving_limits import peak_requests_per_minute
from sizing.plan import WorkloadPlan, to_data
from sizing.search.request import SizingRequest

STEP_FACTOR = 1.5  # each step up multiplies the rate by this, each step down divides by it
MAX_ERROR_SHARE = 0.01  # more errored requests than this and a step misses the SLO


class NotMeasurable(Exception):
    """A workload verify cannot load (infeasible, offline batch work, embeddings)."""


@dataclass(frozen=True)
class VerifyTarget:
    workload: str
    plan: WorkloadPlan
    request: SizingRequest
    input_tokens: int
    output_tokens: int
    ttft_p95_ms: float
    tps_per_request: float  # the SLO's tokens/s per request, median
    plan_replicas: int  # replicas in the first region: what the gateway's pool reaches
    replicas: int  # replicas behind the measured endpoint
    planned_rate_per_s: float  # the peak, scaled to ``replicas``
    predicted_capacity_rate_per_s: float  # the SLO's capacity, scaled to ``replicas``
    served_model: str  # the model name the endpoint expects in requests
    tokenizer: str  # what GuideLLM counts prompt tokens with

    @property
    def predicted_capacity_concurrency(self) -> float:
        predicted = self.plan.predicted
        assert predicted is not None
        return predicted.max_concurrency * self.replicas / self.plan_replicas


def plan_digest(plan: WorkloadPlan) -> str:
    """SHA-256 of the workload's plan as JSON: which prediction a measurement answers."""
    text = json.dumps(to_data(plan), sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def verify_target(
    plan: WorkloadPlan,
    request: SizingRequest,
    *,
    replicas: int | None = None,
    tokenizer: str | None = None,
) -> VerifyTarget:
    if not plan.feasible or plan.predicted is None:
        raise NotMeasurable(f"{plan.name}: the plan is infeasible; nothing is deployed to measure")
    if request.batch is not None:
        raise NotMeasurable(f"{plan.name}: offline batch work has no interactive SLO to measure")
    if plan.task != "chat":
        raise NotMeasurable(f"{plan.name}: an {plan.task} workload; verify measures chat")
    predicted = plan.predicted
    if plan.aks is not None:
        plan_replicas = plan.aks.replicas_per_region
        served_model, default_tokenizer = plan.name, plan.aks.hf_model
    else:
        assert plan.azure_openai is not None
        plan_replicas = 1
        served_model, default_tokenizer = plan.azure_openai.model, None
    measured_replicas = replicas or plan_replicas
    share = measured_replicas / plan_replicas
    e2e_s = request.avg_output_tokens / max(predicted.tps_per_request, 1e-9)
    peak_rate = peak_requests_per_minute(request, e2e_latency_s=e2e_s) / 60.0
    capacity_rate = predicted.max_concurrency / max(e2e_s, 1e-9)
    chosen_tokenizer = tokenizer or default_tokenizer
    if chosen_tokenizer is None:
        raise NotMeasurable(
            f"{plan.name}: Azure OpenAI models have no Hugging Face tokenizer; pass --tokenizer "
            "(any tokenizer close to the model's, e.g. Xenova/gpt-4o)"
        )
    return VerifyTarget(
        workload=plan.name,
        plan=plan,
        request=request,
        input_tokens=request.avg_input_tokens,
        output_tokens=request.avg_output_tokens,
        ttft_p95_ms=request.ttft_p95_ms,
        tps_per_request=request.output_tokens_per_second_p50,
        plan_replicas=plan_replicas,
        replicas=measured_replicas,
        planned_rate_per_s=peak_rate * share,
        predicted_capacity_rate_per_s=capacity_rate * share,
        served_model=served_model,
        tokenizer=chosen_tokenizer,
    )
