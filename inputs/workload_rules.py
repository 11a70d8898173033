"""Workload rules that span fields or need the catalog.

pydantic checks each field on its own (types, ranges, patterns). The rules here run after that,
on a valid `WorkloadDocument`, and each yields ``(field path, message)`` findings so that every
broken rule is reported, not just the first. A rule that needs the model's facts is skipped when
the model is unknown (that is reported once, by `model_is_known`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from inputs.catalog_view import CatalogView, ModelFacts
from inputs.did_you_mean import closest, did_you_mean, region_hint, suggestion_text
from inputs.partial_validation import overlaps
from inputs.workload import WorkloadDocument
from inputs.yaml_source import FieldPath, SourceMap

Finding = tuple[FieldPath, str]

_SPEC: FieldPath = ("spec",)
_CONTEXT: FieldPath = ("spec", "context")


@dataclass(frozen=True)
class RuleInput:
    """What every rule sees: the document, the catalog, the model's facts and the source."""

    document: WorkloadDocument
    catalog: CatalogView
    facts: ModelFacts | None  # None when the model is not in the catalog
    source_map: SourceMap

    def written(self, path: FieldPath) -> bool:
        """True when the YAML (or the template it names) sets ``path`` rather than a default."""
        return self.source_map.written(path)


Rule = Callable[[RuleInput], Iterator[Finding]]


def model_is_known(rule: RuleInput) -> Iterator[Finding]:
    if rule.facts is None:
        name = rule.document.spec.model
        # An alias and its id often look alike; offer the closest name of each of the (up to
        # three) closest models: llama3-70b offers llama-3-70b, llama-3.1-70b, llama-3.3-70b.
        names = rule.catalog.model_names()
        best_name_per_model: dict[str, str] = {}
        for candidate in closest(name, names, limit=len(names)):
            facts = rule.catalog.model_facts(candidate)
            best_name_per_model.setdefault(facts.id if facts else candidate, candidate)
        hint = suggestion_text(list(best_name_per_model.values())[:3])
        yield (*_SPEC, "model"), f"unknown model '{name}'{hint}"


def context_fits_window(rule: RuleInput) -> Iterator[Finding]:
    if rule.facts is None:
        return
    context = rule.document.spec.context
    total = context.max_input_tokens + context.max_output_tokens
    if total > rule.facts.max_context_tokens:
        yield (
            (*_CONTEXT, "max_input_tokens"),
            f"input {context.max_input_tokens} + output {context.max_output_tokens} tokens "
            f"exceed {rule.facts.id}'s context window of {rule.facts.max_context_tokens} tokens",
        )


def averages_within_maxima(rule: RuleInput) -> Iterator[Finding]:
    context = rule.document.spec.context
    for side in ("input", "output"):
        average = getattr(context, f"avg_{side}_tokens")
        maximum = getattr(context, f"max_{side}_tokens")
        if average > maximum:
            yield (
                (*_CONTEXT, f"avg_{side}_tokens"),
                f"average {side} of {average} tokens is more than max_{side}_tokens ({maximum})",
            )


def output_matches_task(rule: RuleInput) -> Iterator[Finding]:
    """Chat models must generate; embedding models generate nothing and do not stream."""
    if rule.facts is None:
        return
    spec = rule.document.spec
    model = rule.facts.id
    if rule.facts.task == "chat":
        if spec.context.max_output_tokens < 1:
            where = (*_CONTEXT, "max_output_tokens")
            yield where, f"chat model '{model}' needs max_output_tokens of at least 1"
        elif spec.context.avg_output_tokens < 1:
            # Sizing divides by the average answer (tokens per request, per-token prices).
            where = (*_CONTEXT, "avg_output_tokens")
            yield where, f"chat model '{model}' needs avg_output_tokens of at least 1"
        return
    if spec.context.max_output_tokens:
        yield (
            (*_CONTEXT, "max_output_tokens"),
            f"embedding model '{model}' produces no output tokens; set 0 or leave it out",
        )
    if rule.written((*_CONTEXT, "avg_output_tokens")) and spec.context.avg_output_tokens:
        yield (
            (*_CONTEXT, "avg_output_tokens"),
            f"embedding model '{model}' produces no output tokens; set 0 or leave it out",
        )
    if spec.generation is not None:
        yield (*_SPEC, "generation"), f"embedding model '{model}' takes no generation settings"
    if rule.written((*_SPEC, "streaming")) and spec.streaming:
        yield (*_SPEC, "streaming"), f"embedding model '{model}' does not stream; remove it"
    where = (*_SPEC, "slo", "output_tokens_per_second_p50")
    if rule.written(where):
        yield where, f"embedding model '{model}' has no output speed; remove it"


def generation_within_output(rule: RuleInput) -> Iterator[Finding]:
    generation = rule.document.spec.generation
    maximum = rule.document.spec.context.max_output_tokens
    if generation is None or generation.max_tokens is None or not maximum:
        return
    if generation.max_tokens > maximum:
        yield (
            (*_SPEC, "generation", "max_tokens"),
            f"max_tokens {generation.max_tokens} is more than "
            f"context.max_output_tokens ({maximum})",
        )


def reasoning_tokens_need_a_reasoning_model(rule: RuleInput) -> Iterator[Finding]:
    """Only Azure OpenAI's reasoning models bill hidden reasoning tokens on top of the output."""
    if rule.facts is None or rule.document.spec.context.reasoning_tokens is None:
        return
    model = rule.facts.id
    if not rule.facts.reasoning_model:
        yield (
            (*_CONTEXT, "reasoning_tokens"),
            f"'{model}' is not an Azure OpenAI reasoning model; self-hosted models count their "
            "reasoning in avg_output_tokens and max_output_tokens",
        )
    elif rule.document.spec.deployment == "aks-vllm":
        yield (
            (*_CONTEXT, "reasoning_tokens"),
            f"reasoning_tokens applies to '{model}' on Azure OpenAI; deployment is aks-vllm",
        )


# Sampling parameters Azure OpenAI's reasoning models reject ("Not supported: temperature,
# top_p, presence_penalty, frequency_penalty, ...", Microsoft Learn, Azure OpenAI reasoning
# models, ms.date 08/15/2025): a gateway that filled them in would break every request.
REASONING_REJECTS = ("temperature", "top_p", "presence_penalty", "frequency_penalty")


def reasoning_models_take_no_sampling_defaults(rule: RuleInput) -> Iterator[Finding]:
    generation = rule.document.spec.generation
    if rule.facts is None or not rule.facts.reasoning_model or generation is None:
        return
    if rule.document.spec.deployment == "aks-vllm":
        return
    for name in REASONING_REJECTS:
        if getattr(generation, name) is not None:
            yield (
                (*_SPEC, "generation", name),
                f"reasoning model '{rule.facts.id}' rejects {name} on Azure OpenAI; remove it",
            )


def deployment_matches_hosting(rule: RuleInput) -> Iterator[Finding]:
    if rule.facts is None:
        return
    deployment = rule.document.spec.deployment
    hosting = rule.facts.hosting
    model = rule.facts.id
    if deployment == "aks-vllm" and hosting == "managed":
        yield (
            (*_SPEC, "deployment"),
            f"'{model}' is only offered by Azure OpenAI (its weights are not public); "
            "use 'azure-managed' or 'auto'",
        )
    if deployment == "azure-openai" and hosting == "open":
        yield (
            (*_SPEC, "deployment"),
            f"'{model}' is not sold by Azure (neither Azure OpenAI nor another Foundry Model "
            "sold by Azure in the catalog); use 'aks-vllm' or 'auto'",
        )


def precision_is_known(rule: RuleInput) -> Iterator[Finding]:
    known = list(rule.catalog.precision_ids())
    for index, precision in enumerate(rule.document.spec.precision):
        if precision == "auto" or precision in known:
            continue
        where: FieldPath = (*_SPEC, "precision", index)
        if not rule.written(where):
            where = (*_SPEC, "precision")
        hint = did_you_mean(precision, known) or f"; known: {', '.join(sorted(known))} or auto"
        yield where, f"unknown precision '{precision}'{hint}"


def precision_auto_when_managed(rule: RuleInput) -> Iterator[Finding]:
    """Azure OpenAI chooses its own precision, so a managed deployment cannot pin one."""
    if rule.facts is None or rule.document.spec.precision == ("auto",):
        return
    managed = rule.facts.hosting == "managed" or rule.document.spec.deployment == "azure-openai"
    if managed:
        yield (
            (*_SPEC, "precision"),
            f"'{rule.facts.id}' on Azure OpenAI runs at the precision Microsoft chooses; "
            "use 'auto' or leave precision out",
        )


def residency_is_real(rule: RuleInput) -> Iterator[Finding]:
    residency = rule.document.spec.residency
    if residency is None:
        return
    where: FieldPath = (*_SPEC, "residency")
    if not residency.regions and residency.geography is None:
        yield where, "give regions, a geography, or both (or leave residency out)"
    geographies = rule.catalog.region_geographies()
    known_geographies = sorted(set(geographies.values()))
    geography = residency.geography
    if geography is not None and geography not in known_geographies:
        hint = did_you_mean(geography, known_geographies)
        hint = hint or f"; known: {', '.join(known_geographies)}"
        yield (*where, "geography"), f"unknown geography '{geography}'{hint}"
        geography = None  # membership below would only repeat the same mistake per region
    seen: set[str] = set()
    for index, region in enumerate(residency.regions):
        here = (*where, "regions", index)
        if region in seen:
            yield here, f"region '{region}' is listed twice"
        seen.add(region)
        if region not in geographies:
            hint = region_hint(region, geographies, rule.catalog.region_aliases())
            yield here, f"unknown Azure region '{region}'{hint}"
        elif geography is not None and geographies[region] != geography:
            yield (
                here,
                f"region '{region}' is in geography '{geographies[region]}', not '{geography}'",
            )


def traffic_is_interactive_or_batch(rule: RuleInput) -> Iterator[Finding]:
    """Interactive traffic (peak concurrency, optional rate) or offline work, never both."""
    traffic = rule.document.spec.traffic
    where: FieldPath = (*_SPEC, "traffic")
    if traffic.batch is None and traffic.peak_concurrency is None:
        yield (
            (*where, "peak_concurrency"),
            "required field is missing (or give traffic.batch for offline work)",
        )
    if traffic.batch is not None:
        for name in ("peak_concurrency", "peak_requests_per_minute"):
            if getattr(traffic, name) is not None:
                yield (
                    (*where, name),
                    "traffic.batch describes offline work; leave peak_concurrency and "
                    "peak_requests_per_minute out",
                )
        if traffic.steady_share is not None:
            yield (
                (*where, "steady_share"),
                "traffic.batch describes offline work, which has no steady share of a peak; "
                "leave steady_share out",
            )


def accepted_availability_is_lower(rule: RuleInput) -> Iterator[Finding]:
    slo = rule.document.spec.slo
    if slo.accept_availability is not None and slo.accept_availability > slo.availability:
        yield (
            (*_SPEC, "slo", "accept_availability"),
            f"accept_availability {slo.accept_availability:g} is above slo.availability "
            f"{slo.availability:g}; it names the lower figure the team accepts",
        )


def percentile_targets_are_one_each(rule: RuleInput) -> Iterator[Finding]:
    """Each percentile once per metric, and TTFT p95 in one place only."""
    slo = rule.document.spec.slo
    for metric in ("ttft", "itl"):
        seen: set[int] = set()
        for index, target in enumerate(getattr(slo, metric)):
            if target.percentile in seen:
                yield (
                    (*_SPEC, "slo", metric, index, "percentile"),
                    f"p{target.percentile} is already given; one {metric} target per percentile",
                )
            seen.add(target.percentile)
    written = rule.written((*_SPEC, "slo", "ttft_p95_ms"))
    for index, target in enumerate(slo.ttft):
        if target.percentile == 95 and written:
            yield (
                (*_SPEC, "slo", "ttft", index, "percentile"),
                "ttft_p95_ms already sets the p95; give it in one place",
            )


def hardware_is_known(rule: RuleInput) -> Iterator[Finding]:
    hardware = rule.document.spec.hardware
    if hardware is None:
        return
    yield from hardware_findings(hardware, (*_SPEC, "hardware"), rule.catalog)


def hardware_findings(hardware, where: FieldPath, catalog: CatalogView) -> Iterator[Finding]:
    """Every allow/exclude name that names no GPU, VM size or VM family of the catalog."""
    known = list(catalog.hardware_names())
    lowered = {name.lower() for name in known}
    for side in ("allow", "exclude"):
        for index, name in enumerate(getattr(hardware, side)):
            if name.lower() not in lowered:
                yield (
                    (*where, side, index),
                    f"'{name}' names no GPU, VM size, VM family or MIG profile"
                    + did_you_mean(name, known),
                )


_MODEL: FieldPath = (*_SPEC, "model")
_GENERATION: FieldPath = (*_SPEC, "generation")

# The fields each rule reads. A rule is skipped when one of them failed validation (a default
# standing in for the bad value would make it report an echo of that error).
RULES: dict[Rule, tuple[FieldPath, ...]] = {
    model_is_known: (_MODEL,),
    context_fits_window: (_MODEL, _CONTEXT),
    averages_within_maxima: (_CONTEXT,),
    output_matches_task: (
        _MODEL,
        _CONTEXT,
        _GENERATION,
        (*_SPEC, "streaming"),
        (*_SPEC, "slo"),
    ),
    generation_within_output: (_GENERATION, _CONTEXT),
    deployment_matches_hosting: (_MODEL, (*_SPEC, "deployment")),
    precision_is_known: ((*_SPEC, "precision"),),
    precision_auto_when_managed: (_MODEL, (*_SPEC, "precision"), (*_SPEC, "deployment")),
    # Not residency.strict: a wrong ``strict: yes`` must not hide an unknown region.
    residency_is_real: ((*_SPEC, "residency", "regions"), (*_SPEC, "residency", "geography")),
    reasoning_tokens_need_a_reasoning_model: (_MODEL, _CONTEXT),
    reasoning_models_take_no_sampling_defaults: (_MODEL, _GENERATION),
    traffic_is_interactive_or_batch: ((*_SPEC, "traffic"),),
    accepted_availability_is_lower: ((*_SPEC, "slo"),),
    percentile_targets_are_one_each: ((*_SPEC, "slo"),),
    hardware_is_known: ((*_SPEC, "hardware"),),
}


def check_workload(
    rule_input: RuleInput, *, untrusted: tuple[FieldPath, ...] = ()
) -> list[Finding]:
    """Every finding of every rule, in rule order; rules reading an ``untrusted`` field (one
    that failed validation) are skipped."""
    return [
        finding
        for rule, reads in RULES.items()
        if not any(overlaps(read, untrusted) for read in reads)
        for finding in rule(rule_input)
    ]
