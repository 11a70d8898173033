"""Numbers the gateway and monitoring need, derived from the workload and its chosen plan.

Gateway: a ``max_tokens`` cap, a tokens-per-minute limit sized for the peak, and a backend
timeout long enough for the slowest acceptable complete response but inside the 240 s that
Azure's network keeps an idle connection open. Alerts: thresholds straight from the SLO.
"""

from __future__ import annotations

import math

from sizing.catalog.engines import pinned_engine
from sizing.deploy.autoscaling import queue_depth_target
from sizing.plan import Alert, Gateway, StatusFilter
from sizing.search.request import SizingRequest

MAX_BACKEND_TIMEOUT_S = 240  # API Management: larger values "may not be honored" (idle drop)
MIN_BACKEND_TIMEOUT_S = 30
SLOWEST_ACCEPTABLE_SHARE = 0.5  # slowest acceptable stream: half the p50 tokens/s target
TPM_HEADROOM = 0.15
FIVE_MINUTES_S = 300
TEN_MINUTES_S = 600


def slo_request_seconds(req: SizingRequest) -> float:
    """How long an average request takes when it just meets the SLO: the fallback duration
    when no prediction exists (Azure OpenAI, infeasible plans)."""
    return req.ttft_p95_ms / 1000.0 + req.avg_output_tokens / req.output_tokens_per_second_p50


def peak_requests_per_minute(req: SizingRequest, *, e2e_latency_s: float | None = None) -> float:
    """The stated peak, or Little's law: peak concurrency over the request duration (the
    predicted one when known, else the SLO's)."""
    if req.peak_requests_per_minute:
        return req.peak_requests_per_minute
    seconds = e2e_latency_s if e2e_latency_s and e2e_latency_s > 0 else slo_request_seconds(req)
    return req.peak_concurrency * 60.0 / max(seconds, 0.1)


def implied_concurrency(req: SizingRequest, *, e2e_latency_s: float) -> float | None:
    """Requests in flight that the stated request rate implies (Little's law), if stated."""
    if not req.peak_requests_per_minute:
        return None
    return req.peak_requests_per_minute / 60.0 * e2e_latency_s


def gateway_limits(req: SizingRequest, *, peak_rpm: float) -> Gateway:
    """Tokens per minute count the prompt plus ``max_tokens``, as Azure OpenAI counts them."""
    tokens = peak_rpm * (req.avg_input_tokens + req.max_tokens_cap) * (1 + TPM_HEADROOM)
    tpm = int(math.ceil(tokens / 1000.0) * 1000)
    slowest_tps = max(req.output_tokens_per_second_p50 * SLOWEST_ACCEPTABLE_SHARE, 1.0)
    response_s = req.ttft_p95_ms / 1000.0 + req.max_tokens_cap / slowest_tps
    timeout = int(math.ceil(response_s / 5.0) * 5)
    timeout = min(max(timeout, MIN_BACKEND_TIMEOUT_S), MAX_BACKEND_TIMEOUT_S)
    sampling = req.sampling
    return Gateway(
        max_tokens=req.max_tokens_cap,
        tokens_per_minute=tpm,
        timeout_s=timeout,
        streaming=req.streaming,
        temperature=sampling.temperature,
        top_p=sampling.top_p,
        frequency_penalty=sampling.frequency_penalty,
        presence_penalty=sampling.presence_penalty,
        stop=sampling.stop,
    )


def slowest_response_s(req: SizingRequest) -> float:
    slowest_tps = max(req.output_tokens_per_second_p50 * SLOWEST_ACCEPTABLE_SHARE, 1.0)
    return req.ttft_p95_ms / 1000.0 + req.max_tokens_cap / slowest_tps


def common_alerts() -> list[Alert]:
    """Gateway-side alerts every workload gets (API Management metrics)."""
    return [
        Alert(
            "gateway-5xx-rate",
            "log-query",
            "Requests",
            "share",
            0.01,
            FIVE_MINUTES_S,
            requests=StatusFilter("GatewayResponseCodeCategory", "5xx", 500, 599),
            severity=1,
            description="more than 1% of requests fail at or behind the gateway",
        ),
        # The gateway's own status code: its llm-token-limit answers 429 without calling the
        # backend, so BackendResponseCode would miss every throttle the gateway decides.
        Alert(
            "gateway-429-rate",
            "log-query",
            "Requests",
            "share",
            0.05,
            FIVE_MINUTES_S,
            requests=StatusFilter("GatewayResponseCode", "429", 429, 429),
            severity=2,
            description="more than 5% of requests are throttled (token limit or quota)",
        ),
    ]


def vllm_alerts(req: SizingRequest, *, concurrency_per_replica: int) -> list[Alert]:
    """Prometheus alerts on vLLM's own metrics, thresholds from the SLO and the plan.

    No GPU-utilisation alert: the clusters' GPU pools run the AKS-installed driver without the
    managed GPU profile, so no DCGM exporter publishes ``DCGM_FI_*`` series [aks-gpu.md section
    7] and such an alert could never fire. Saturation shows as queue depth and KV-cache use."""
    itl_budget_s = 1.0 / req.output_tokens_per_second_p50
    metrics = pinned_engine().metrics  # the pinned release's names (engines catalog)
    return [
        Alert(
            "ttft-p95",
            "prometheus",
            metrics.time_to_first_token,
            "percentile",
            req.ttft_p95_ms / 1000.0,
            FIVE_MINUTES_S,
            quantile=0.95,
            severity=2,
            description=f"TTFT p95 above the SLO of {req.ttft_p95_ms:g} ms",
        ),
        Alert(
            "itl-p50",
            "prometheus",
            metrics.inter_token_latency,
            "percentile",
            round(itl_budget_s, 4),
            FIVE_MINUTES_S,
            quantile=0.5,
            severity=2,
            description=(
                f"median inter-token latency slower than {req.output_tokens_per_second_p50:g} "
                "tokens/s"
            ),
        ),
        Alert(
            "queue-depth",
            "prometheus",
            metrics.requests_waiting,
            "maximum",
            queue_depth_target(concurrency_per_replica),
            FIVE_MINUTES_S,
            severity=3,
            description="requests wait for a slot: replicas are saturated",
        ),
        Alert(
            "kv-cache-usage",
            "prometheus",
            metrics.kv_cache_usage,
            "maximum",
            0.9,
            TEN_MINUTES_S,
            severity=3,
            description="KV cache above 90%: preemptions and latency spikes follow",
        ),
        *common_alerts(),
    ]


def azure_openai_alerts(
    req: SizingRequest,
    *,
    provisioned: bool,
    streams_tokens: bool = True,
    latency_metrics: bool | None = None,
) -> list[Alert]:
    """Alerts for an Azure OpenAI deployment.

    Time to Response, Time Between Tokens and Tokens per Second are published for provisioned
    deployments only ("not available for Standard deployments", Learn, Azure OpenAI monitoring
    data reference, monitor-openai-reference). Where the type has no such metric the latency
    alert reads the gateway's own log instead: the p95 of ``BackendTime`` against the longest
    response the SLO allows, ``ttft_p95 + max_tokens / tokens_per_s_p50`` (streamed responses
    take their whole generation there, so a shorter threshold would fire on long answers). It
    never fires falsely and may fire late, like the platform metrics' averages.

    The platform metrics carry no percentiles: an ``average`` above a p95 target means the p95
    is above it too, so those alerts never fire falsely either (they may fire late)."""
    has_metrics = provisioned if latency_metrics is None else latency_metrics
    if has_metrics:
        alerts = [
            Alert(
                "ttft-p95",
                "azure-monitor-metric",
                "TimeToResponse",
                "average",
                req.ttft_p95_ms,
                FIVE_MINUTES_S,
                severity=2,
                description=f"time to first token above the SLO of {req.ttft_p95_ms:g} ms",
            ),
        ]
    else:
        tps = req.output_tokens_per_second_p50 if streams_tokens else None
        longest_ms = req.ttft_p95_ms + (req.max_tokens_cap / tps * 1000.0 if tps else 0.0)
        alerts = [
            Alert(
                "gateway-latency-p95",
                "log-query",
                "BackendTime",
                "percentile",
                round(longest_ms),
                FIVE_MINUTES_S,
                quantile=0.95,
                severity=2,
                description=(
                    f"p95 backend time above {round(longest_ms):,} ms, the longest response "
                    "the SLO allows"
                ),
            ),
        ]
    if streams_tokens and has_metrics:  # Azure publishes time-between-tokens for PTU only
        alerts.append(
            Alert(
                "time-between-tokens",
                "azure-monitor-metric",
                "TimeBetweenTokens",
                "average",
                round(1000.0 / req.output_tokens_per_second_p50, 2),
                FIVE_MINUTES_S,
                severity=2,
                description="tokens stream slower than the SLO",
            )
        )
    if provisioned:
        alerts.append(
            Alert(
                "ptu-utilization",
                "azure-monitor-metric",
                "ProvisionedManagedUtilizationV2",
                "average",
                90.0,
                FIVE_MINUTES_S,
                severity=2,
                description="provisioned capacity above 90%: 429s and spillover follow",
            )
        )
    return [*alerts, *common_alerts()]
