"""Priority processing: a token-billed deployment whose requests carry ``service_tier: priority``.

Priority processing is pay-per-token like Standard, at a higher price, with a per-model latency
target ("99% > X tokens/s" of 5-minute p50 windows) [priority-latency]; it is the only
token-billed way to a published speed, so it changes which tokens/s SLOs Azure OpenAI meets
without PTUs. The catalog (``models.<id>.priority`` and ``priority_processing``) says which
model versions have it, on which deployment types and data zones, at which price multiple.

Each candidate here is derived from the Standard candidate of the same (type, region): the same
kTPM capacity (quota is the deployment's), the token cost times the price multiple, and the
latency target as the speed. Its limits are stated in its reasons: prompts above the model's
long-context threshold are served (and billed) at standard priority, and traffic that ramps
faster than the ramp limit is too [priority-how].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sizing.azure_openai.offers import AoaiCandidate
from sizing.catalog.azure_openai import AoaiCatalog, AoaiPriority, AoaiPriorityRules
from sizing.search.decisions import Rejection


def _num(value: float) -> str:
    return f"{round(value):,}" if abs(value - round(value)) < 1e-9 else f"{value:,.2f}"


def priority_candidates(
    standard: Sequence[AoaiCandidate],
    *,
    catalog: AoaiCatalog,
    avg_input_tokens: int,
    max_input_tokens: int,
    slo_ttft_p95_ms: float | None,
    slo_min_output_tokens_per_s: float | None,
    average_to_peak_ratio: float,
) -> tuple[AoaiCandidate, ...]:
    """A priority candidate beside every offered Standard candidate of a type that takes
    priority processing, for a model with a priority tier; none for other models."""
    rules = catalog.priority_processing
    if rules is None:
        return ()
    out = []
    for c in standard:
        if c.deployment_type not in rules.deployment_types or c.monthly_usd is None:
            continue
        if c.service_tier != "default" or c.spillover is not None:
            continue
        tier = catalog.models[c.model].priority
        if tier is None:
            continue
        out.append(
            _priority(
                c,
                tier,
                rules,
                catalog=catalog,
                avg_input_tokens=avg_input_tokens,
                max_input_tokens=max_input_tokens,
                slo_ttft_p95_ms=slo_ttft_p95_ms,
                slo_min_output_tokens_per_s=slo_min_output_tokens_per_s,
                average_to_peak_ratio=average_to_peak_ratio,
            )
        )
    return tuple(out)


def _priority(
    c: AoaiCandidate,
    tier: AoaiPriority,
    rules: AoaiPriorityRules,
    *,
    catalog: AoaiCatalog,
    avg_input_tokens: int,
    max_input_tokens: int,
    slo_ttft_p95_ms: float | None,
    slo_min_output_tokens_per_s: float | None,
    average_to_peak_ratio: float,
) -> AoaiCandidate:
    # The Standard candidate's speed rejection is its own; the priority speed is the target.
    rejections = [r for r in c.rejections if r.kind != "slo"]
    advisories = list(c.advisories)
    target = tier.latency_target_output_tokens_per_s
    multiple = tier.price_multiple
    dtype = catalog.deployment_types[c.deployment_type]
    if c.model_version not in tier.versions:
        rejections.append(
            Rejection(
                "offer",
                f"priority processing lists {c.model} {', '.join(tier.versions)}, not "
                f"{c.model_version} [{target.source}]",
            )
        )
    geography = catalog.region_geographies[c.region]
    if dtype.residency_scope == "datazone" and geography not in rules.data_zones:
        rejections.append(
            Rejection(
                "offer",
                f"priority processing on {c.deployment_type} is offered in the "
                f"{', '.join(rules.data_zones)} data zone only, not {geography} ({c.region}) "
                f"[{rules.source}]",
            )
        )
    long_context = tier.long_context_standard_above_tokens
    if long_context is not None and avg_input_tokens > long_context.value:
        rejections.append(
            Rejection(
                "slo",
                f"the average prompt of {_num(avg_input_tokens)} tokens is above "
                f"{_num(long_context.value)}: {c.model} serves such requests at standard "
                f"priority, without the latency target {long_context.describe()}",
                (("avg_input_tokens", avg_input_tokens), ("limit", long_context.value)),
            )
        )
    elif long_context is not None and max_input_tokens > long_context.value:
        advisories.append(
            f"prompts above {_num(long_context.value)} tokens (the longest is "
            f"{_num(max_input_tokens)}) are served and billed at standard priority, without "
            f"the latency target {long_context.describe()}"
        )
    if slo_min_output_tokens_per_s is not None and target.value < slo_min_output_tokens_per_s:
        rejections.append(
            Rejection(
                "slo",
                f"SLO needs >= {_num(slo_min_output_tokens_per_s)} output tokens/s per request; "
                f"priority processing targets {_num(target.value)} for {c.model} "
                f"{target.describe()}",
                (("tps", target.value), ("slo_tps", slo_min_output_tokens_per_s)),
            )
        )
    ttft = c.ttft_p95_ms
    if slo_ttft_p95_ms is not None and ttft is not None and ttft > slo_ttft_p95_ms:
        rejections.append(
            Rejection(
                "slo",
                f"predicted TTFT p95 {_num(ttft)} ms (estimate) exceeds the SLO of "
                f"{_num(slo_ttft_p95_ms)} ms",
                (("ttft_p95_ms", ttft), ("slo_ttft_p95_ms", slo_ttft_p95_ms)),
            )
        )
    monthly = (c.monthly_usd or 0.0) * multiple.value
    ramp, minutes = rules.ramp_limit_increase.value, rules.ramp_limit_minutes.value
    reasons = [
        *c.reasons,
        f'priority processing: requests carry service_tier "priority" (the gateway sets it, '
        f"with api-version {rules.request_api_version}); "
        f"tokens cost {multiple.value:g} × the {c.deployment_type} price: "
        f"${_num(c.monthly_usd or 0.0)} × {multiple.value:g} = ${monthly:,.2f}/month "
        f"{multiple.describe()}",
        f"latency target: 99% of requests above {_num(target.value)} output tokens/s (5-minute "
        f"p50 windows) {target.describe()}; TTFT is the {c.deployment_type} estimate "
        "(Microsoft publishes no priority TTFT)",
    ]
    advisories.append(
        f"priority processing's regions per model are not in the catalog: check that {c.model} "
        f"{c.model_version} takes priority on {c.deployment_type} in {c.region} "
        f"[{target.source}]"
    )
    advisories.append(
        f"traffic that rises more than {ramp:.0%} in tokens per minute within {minutes:g} "
        "minutes, and requests at times of peak priority demand, are served and billed at "
        f"standard priority [{rules.ramp_limit_increase.source}]"
        + (
            f"; at {average_to_peak_ratio:g} average/peak this load ramps steeply, so expect "
            "some standard-priority answers or pair it with PTU"
            if average_to_peak_ratio < 1 - ramp
            else ""
        )
    )
    return replace(
        c,
        service_tier="priority",
        request_api_version=rules.request_api_version,
        monthly_usd=monthly,
        usd_per_million_output_tokens_at_peak=(
            None
            if c.usd_per_million_output_tokens_at_peak is None
            else c.usd_per_million_output_tokens_at_peak * multiple.value
        ),
        output_tokens_per_s_per_request=target.value,
        latency_guaranteed=True,
        ptu_latency_floor_tps=None,
        rejections=tuple(rejections),
        reasons=tuple(reasons),
        advisories=tuple(advisories),
        estimated_figures=c.estimated_figures
        + ((f"priority price_multiple [{multiple.source}]",) if multiple.is_estimate else ()),
        break_even_note="",
    )
