"""PTU with spillover: a provisioned deployment for the steady load, a Standard one for the peak.

Azure's native spillover [spillover]: a provisioned deployment whose ``spilloverDeploymentName``
names a Standard deployment in the same account, of the same data processing level (Global
provisioned with GlobalStandard, Data Zone with DataZoneStandard), sends a request that would get
a non-200 answer (429 when the PTUs are used up) there instead; spilled requests are billed per
token at the Standard rate. The residency of the pair is that of its narrower-or-equal scope, so
no request leaves the scope the provisioned type has.

Load shape (stated in every such plan): while the service is busy, the load spreads evenly
between a floor ``f × peak`` and the peak (a straight load-duration curve); ``f`` is the spec's
``traffic.steady_share`` or 0 when unstated; ``traffic.average_to_peak_ratio`` still sets how
many tokens the month holds. With the PTUs carrying a share ``c >= f`` of the peak rate, the
expected share of the month's tokens above them is::

    spill_share = (1 - c)^2 / ((1 - f) x (1 + f))      (1 - 2c / (1 + f) when c < f)

    monthly_usd = ptu x usd_per_ptu_month + spill_share x standard_monthly_usd_for_all_traffic

A stated steady share is carried on PTU (``c`` the PTU count that covers ``f``, rounded up to
the increment); unstated, the PTU count is the cheapest one below the count that carries the
whole peak. The Standard deployment is sized for the peak of what spills, ``(1 - c) × peak``
requests a minute, like any token-billed deployment (prompt + max_tokens per request).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sizing.azure_openai.offers import (
    AoaiCandidate,
    provisioned_capacity_ptu,
    rate_limit_tokens_per_minute,
    token_capacity_ktpm,
)
from sizing.catalog.azure_openai import AoaiCatalog, AoaiModel
from sizing.plan import AzureOpenAISpillover
from sizing.search.decisions import Rejection

# Provisioned scopes that take spillover [spillover]: global and data zone, not regional.
SPILLOVER_SCOPES = ("global", "datazone")


@dataclass(frozen=True)
class SpillTraffic:
    """The figures the split needs, per request and at peak."""

    peak_rpm: float
    avg_in: int
    avg_out: int
    max_out: int
    steady_share: float | None  # traffic.steady_share; None: unstated
    average_to_peak_ratio: float
    slo_ttft_p95_ms: float | None
    slo_min_output_tokens_per_s: float | None
    # The SLO states its speed at a tail: the spilled requests, on Standard, have no SLA.
    latency_guarantee_required: bool = False


def spill_token_share(provisioned_share: float, floor: float) -> float:
    """Expected share of the month's tokens above the PTUs, for a busy-hours load spread
    evenly between ``floor`` and 1 (shares of the peak rate); see the module docstring."""
    c = min(max(provisioned_share, 0.0), 1.0)
    if c < floor:  # the PTUs carry less than the floor: all the load above them spills
        return 1.0 - 2.0 * c / (1.0 + floor)
    return (1.0 - c) ** 2 / ((1.0 - floor) * (1.0 + floor))


def load_floor(steady_share: float | None, average_to_peak_ratio: float) -> float:
    """The floor of the assumed busy-hours load: the stated steady share (0 unstated), raised
    to ``2 × average_to_peak_ratio - 1`` where the month's average needs it (a load spread
    evenly from f to the peak averages (1 + f) / 2 of it, even if busy all month)."""
    return max(steady_share or 0.0, 2.0 * average_to_peak_ratio - 1.0, 0.0)


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def spillover_candidates(
    candidates: Sequence[AoaiCandidate], *, catalog: AoaiCatalog, traffic: SpillTraffic
) -> tuple[AoaiCandidate, ...]:
    """One PTU + spillover candidate per offered Global or Data Zone provisioned candidate."""
    out = []
    for p in candidates:
        if p.billing != "ptu" or p.residency_scope not in SPILLOVER_SCOPES or not p.capacity:
            continue
        counterpart = catalog.deployment_types[p.deployment_type].counterpart
        standard = next(
            (
                c
                for c in candidates
                if c.deployment_type == counterpart
                and c.region == p.region
                and c.service_tier == "default"
                and c.spillover is None
            ),
            None,
        )
        if standard is None or standard.monthly_usd is None or counterpart is None:
            continue
        out.append(_split(p, standard, catalog.models[p.model], catalog, traffic))
    return tuple(out)


def _split(
    p: AoaiCandidate,
    s: AoaiCandidate,
    entry: AoaiModel,
    catalog: AoaiCatalog,
    t: SpillTraffic,
) -> AoaiCandidate:
    rules = entry.provisioned
    assert rules is not None and p.capacity is not None and p.monthly_usd is not None
    minimum = int(rules.minimum_ptu(p.residency_scope).value)
    increment = int(rules.increment_ptu(p.residency_scope).value)
    per_ptu = rules.input_tpm_per_ptu.value
    per_request = t.avg_in + rules.output_token_weight.value * (t.avg_out + p.reasoning_tokens)
    peak_tpm = t.peak_rpm * per_request  # input-equivalent tokens a minute at peak
    usd_per_ptu = p.monthly_usd / p.capacity
    floor = load_floor(t.steady_share, t.average_to_peak_ratio)
    stated = t.steady_share is not None

    def share(ptu: int) -> float:
        return min(1.0, ptu * per_ptu / peak_tpm) if peak_tpm else 1.0

    def cost(ptu: int) -> float:
        return ptu * usd_per_ptu + spill_token_share(share(ptu), floor) * (s.monthly_usd or 0.0)

    levels = list(range(minimum, p.capacity, increment))
    rejections = [r for r in (*p.rejections, *s.rejections) if r.kind not in ("slo", "quota")]
    reasons: list[str] = []
    if stated:
        ptu = provisioned_capacity_ptu(
            effective_input_tokens_per_minute=(t.steady_share or 0.0) * peak_tpm,
            input_tpm_per_ptu=per_ptu,
            minimum_ptu=minimum,
            increment_ptu=increment,
        )
        steady = _pct(t.steady_share or 0.0)
        reasons.append(
            f"steady share {steady} of the peak (traffic.steady_share) on PTU: {steady} × "
            f"{peak_tpm:,.0f} input-equivalent TPM ÷ {per_ptu:,.0f} TPM per PTU → {ptu} PTU "
            f"(minimum {minimum}, increment {increment}) {rules.input_tpm_per_ptu.describe()}"
        )
    elif levels:
        ptu = min(levels, key=lambda n: (round(cost(n), 6), n))
        reasons.append(
            f"steady share not stated: the cheapest PTU count below the {p.capacity} PTU that "
            f"carry the whole peak, trying {minimum} to {levels[-1]} PTU in steps of "
            f"{increment}, is {ptu} PTU (set traffic.steady_share to carry a known floor)"
        )
    else:
        ptu = p.capacity
    if ptu >= p.capacity:
        rejections.append(
            Rejection(
                "offer",
                f"{p.capacity} PTU {p.deployment_type} (the minimum, or the steady share) already "
                "carry the whole peak: nothing would spill, the provisioned option alone serves it",
            )
        )
    covered = share(ptu)
    spill = spill_token_share(covered, floor)
    spill_rpm = (1.0 - covered) * t.peak_rpm
    ktpm = token_capacity_ktpm(
        rate_limit_tokens_per_minute=rate_limit_tokens_per_minute(
            peak_requests_per_minute=spill_rpm,
            avg_input_tokens=t.avg_in,
            max_output_tokens=t.max_out,
            reasoning_tokens=s.reasoning_tokens,
        ),
        peak_requests_per_minute=spill_rpm,
        rpm_per_ktpm=entry.rpm_per_ktpm.value,
        tokens_per_minute_per_ktpm=catalog.tokens_per_minute_per_ktpm.value,
    )
    ptu_usd = ptu * usd_per_ptu
    spill_usd = spill * (s.monthly_usd or 0.0)
    monthly = ptu_usd + spill_usd
    shape = (
        f"evenly from {_pct(floor)} of the peak to the peak ("
        + (
            "traffic.steady_share"
            if stated and floor == t.steady_share
            else "no traffic.steady_share stated"
            if not stated and floor == 0
            else f"raised to 2 × {t.average_to_peak_ratio:g} average/peak - 1, the least floor "
            "such a load can have at that average"
        )
        + ")"
    )
    reasons += [
        f"PTU + spillover: {ptu} PTU {p.deployment_type} carry {_pct(covered)} of the peak "
        f"({t.peak_rpm * covered:,.1f} of {t.peak_rpm:,.1f} req/min); a request the PTUs answer "
        f"with 429 goes to the {s.deployment_type} deployment named in spilloverDeploymentName, "
        f"in the same account and data processing level [spillover]",
        f"load shape assumed: while busy, the load spreads {shape}; the spill is then "
        f"{_pct(spill)} of the month's tokens: (1 - {covered:.3f})² ÷ ((1 - {floor:g}) × "
        f"(1 + {floor:g}))",
        f"spillover deployment: {ktpm} kTPM {s.deployment_type} for the spill's peak of "
        f"{spill_rpm:,.1f} req/min (prompt + max_tokens per request [quota])",
        f"monthly: {ptu} PTU × ${usd_per_ptu:,.2f} = ${ptu_usd:,.2f} + {_pct(spill)} of the "
        f"${s.monthly_usd:,.2f} all-Standard token cost = ${spill_usd:,.2f} → ${monthly:,.2f}",
    ]
    p_tps, s_tps = p.output_tokens_per_s_per_request, s.output_tokens_per_s_per_request
    tps = min(x for x in (p_tps, s_tps, float("inf")) if x is not None)
    tps = None if tps == float("inf") else tps
    ttft = max((x for x in (p.ttft_p95_ms, s.ttft_p95_ms) if x is not None), default=None)
    reasons.append(
        f"latency: the provisioned share gets the PTU floor of {p_tps or 0:g} output tokens/s and "
        f"TTFT ≈ {p.ttft_p95_ms or 0:,.0f} ms; the spill gets {s.deployment_type}'s working "
        f"figure of {s_tps or 0:g} tokens/s and ≈ {s.ttft_p95_ms or 0:,.0f} ms (no SLA); the plan "
        "states the slower of each"
    )
    slo_tps = t.slo_min_output_tokens_per_s
    if slo_tps is not None and tps is not None and tps < slo_tps:
        rejections.append(
            Rejection(
                "slo",
                f"SLO needs >= {slo_tps:g} output tokens/s per request; the spilled requests "
                f"get {tps:g} (estimate, no SLA)",
                (("tps", tps), ("slo_tps", slo_tps)),
            )
        )
    if t.latency_guarantee_required:
        rejections.append(
            Rejection(
                "slo",
                f"the spilled requests are served by {s.deployment_type}, which has no latency "
                "SLA [quota], and the SLO states its speed at a tail percentile, which only a "
                "published latency target meets",
                (("slo_tps", slo_tps or 0.0),),
            )
        )
    if t.slo_ttft_p95_ms is not None and ttft is not None and ttft > t.slo_ttft_p95_ms:
        rejections.append(
            Rejection(
                "slo",
                f"predicted TTFT p95 {ttft:,.0f} ms (estimate) exceeds the SLO of "
                f"{t.slo_ttft_p95_ms:,.0f} ms",
                (("ttft_p95_ms", ttft), ("slo_ttft_p95_ms", t.slo_ttft_p95_ms)),
            )
        )
    return replace(
        p,
        capacity=ptu,
        monthly_usd=monthly,
        # All cost over the output at peak, as the provisioned candidate counts it.
        usd_per_million_output_tokens_at_peak=(
            None
            if p.usd_per_million_output_tokens_at_peak is None
            else p.usd_per_million_output_tokens_at_peak * monthly / p.monthly_usd
        ),
        ttft_p95_ms=ttft,
        output_tokens_per_s_per_request=tps,
        latency_guaranteed=False,
        break_even_note="",
        rejections=tuple(dict.fromkeys(rejections)),
        reasons=tuple(reasons),
        # The Standard candidate's advisories are about carrying the whole peak: not this one.
        advisories=p.advisories,
        estimated_figures=tuple(dict.fromkeys((*p.estimated_figures, *s.estimated_figures))),
        quota_shortfall=None,
        spillover=AzureOpenAISpillover(
            deployment_type=s.deployment_type,
            capacity=ktpm,
            capacity_unit="ktpm",
            steady_share=floor,
            steady_share_stated=stated,
            provisioned_share=covered,
            spill_token_share=spill,
        ),
    )
