"""Azure OpenAI checks: each deployment's model, version and deployment type offered in its
region within the type's maximum capacity, and the quota the deployments add. Pure.

Deployments drawing on one quota (several workloads, or a PTU quota shared by models) are
summed; a deployment that already exists at some capacity counts only for what it adds.
"""

from __future__ import annotations

from inferplan.preflight.apis import ModelOffer
from inferplan.preflight.findings import Answers, Failed, Finding, join, number, unchecked
from inferplan.preflight.needs import Needs

# --- Azure OpenAI -------------------------------------------------------------------------------

MODELS_API = "Microsoft.CognitiveServices/locations/models"
# lifecycleStatus values of the models API under which a new deployment fails: Deprecated is
# "no longer available to new customers" (Learn, Microsoft Foundry Models lifecycle and support
# policy). The API also answers Preview, GenerallyAvailable, Legacy and Deprecating, which deploy.
UNDEPLOYABLE_STATUSES = frozenset({"Deprecated", "Retired"})
COGNITIVE_USAGES_API = "Microsoft.CognitiveServices/locations/usages"


def _offer_for(
    offers: tuple[ModelOffer, ...], model: str, version: str, kind: str
) -> ModelOffer | None:
    return next(
        (
            o
            for o in offers
            if o.model == model and o.version == version and o.deployment_type == kind
        ),
        None,
    )


def check_openai_models(needs: Needs, answers: Answers) -> list[Finding]:
    """Each deployment's model, version and deployment type offered in its region, within the
    type's maximum capacity."""
    findings = []
    for d in needs.deployments:
        offers = answers.region(d.region).models
        resource = f"deployment {d.deployment_name} ({d.role}) on {d.account}"
        wanted = f"{d.model} {d.version} as {d.deployment_type}, {d.capacity} {d.capacity_unit}"
        if offers is None:
            continue
        if isinstance(offers, Failed):
            findings.append(unchecked("openai-model", d.region, resource, wanted, offers))
            continue
        of_model = [o for o in offers if o.model == d.model]
        of_version = [o for o in of_model if o.version == d.version]
        offer = _offer_for(offers, d.model, d.version, d.deployment_type)
        if not of_model:
            said = (
                f"no Azure OpenAI model at all in {d.region}"
                if not offers
                else f"{d.model} is not offered in {d.region}"
            )
            findings.append(
                Finding(
                    "openai-model",
                    "blocking",
                    "model-not-offered",
                    d.region,
                    resource,
                    wanted,
                    said,
                    "plan another region for the workload, or another model",
                    MODELS_API,
                )
            )
        elif offer is None and not of_version:
            versions = sorted(
                {o.version for o in of_model if o.deployment_type == d.deployment_type}
            )
            findings.append(
                Finding(
                    "openai-model",
                    "blocking",
                    "version-not-offered",
                    d.region,
                    resource,
                    wanted,
                    f"{d.model} {d.version} is not offered in {d.region}; as {d.deployment_type} "
                    f"it is offered in versions {join(versions)}",
                    "pin a version that is offered (the catalog's `versions` for the model), "
                    "or plan another region",
                    MODELS_API,
                )
            )
        elif offer is None:
            kinds = sorted({o.deployment_type for o in of_version})
            findings.append(
                Finding(
                    "openai-model",
                    "blocking",
                    "type-not-offered",
                    d.region,
                    resource,
                    wanted,
                    f"{d.model} {d.version} is offered in {d.region} as {join(kinds)}, not as "
                    f"{d.deployment_type}",
                    "plan a deployment type that is offered there (residency permitting), or "
                    "another region; the catalog's region list for this offer may be stale: "
                    "refresh it (scripts/refresh_catalog.py)",
                    MODELS_API,
                )
            )
        elif offer.lifecycle in UNDEPLOYABLE_STATUSES:
            ends = f" (inference ends {offer.deprecation_date})" if offer.deprecation_date else ""
            findings.append(
                Finding(
                    "openai-model",
                    "blocking",
                    "deprecated",
                    d.region,
                    resource,
                    wanted,
                    f"{d.model} {d.version} is {offer.lifecycle}{ends}"
                    ": a subscription that has never deployed it cannot create a deployment",
                    "move the workload to a current model (`inferplan plan` names the catalog's "
                    "deployable replacement) and refresh the catalog: "
                    "`inferplan catalog refresh models`",
                    MODELS_API,
                )
            )
        elif offer.max_capacity is not None and d.capacity > offer.max_capacity:
            findings.append(
                Finding(
                    "openai-model",
                    "blocking",
                    "capacity",
                    d.region,
                    resource,
                    wanted,
                    f"{d.deployment_type} deployments of {d.model} take at most "
                    f"{offer.max_capacity}",
                    "split the capacity over regions or lower it",
                    MODELS_API,
                    d.capacity,
                    offer.max_capacity,
                )
            )
        else:
            findings.append(
                Finding(
                    "openai-model",
                    "ok",
                    "none",
                    d.region,
                    resource,
                    wanted,
                    f"offered ({offer.lifecycle or 'no lifecycle given'}; "
                    f"quota {offer.usage_name})",
                    api=MODELS_API,
                )
            )
    return findings


def check_openai_quota(needs: Needs, answers: Answers) -> list[Finding]:
    """Per region and quota (usage name): the capacity the deployments add against what is
    free. Deployments drawing on one quota (several workloads, or a PTU pool shared by models)
    are summed."""
    findings = []
    for region in needs.openai_regions:
        region_answers = answers.region(region)
        offers, usages = region_answers.models, region_answers.cognitive_usages
        if not isinstance(offers, tuple) or usages is None:
            continue
        if isinstance(usages, Failed):
            findings.append(
                unchecked("openai-quota", region, "Azure OpenAI quota", "capacity", usages)
            )
            continue
        existing = region_answers.deployments
        if isinstance(existing, Failed):
            findings.append(
                unchecked("openai-quota", region, "existing deployments", "capacity", existing)
            )
            existing = ()
        by_usage: dict[str, list[tuple[int, int, str]]] = {}
        for d in needs.deployments:
            if d.region != region:
                continue
            offer = _offer_for(offers, d.model, d.version, d.deployment_type)
            if offer is None or not offer.usage_name:
                continue
            running = sum(
                e.capacity
                for e in existing or ()
                if e.name == d.deployment_name and e.deployment_type == d.deployment_type
            )
            label = f"{d.deployment_name} {d.capacity} {d.capacity_unit}"
            by_usage.setdefault(offer.usage_name, []).append((d.capacity, running, label))
        for usage_name, entries in sorted(by_usage.items()):
            planned = sum(c for c, _, _ in entries)
            running = sum(r for _, r, _ in entries)
            adds = planned - running
            wanted = f"{planned} ({'; '.join(label for _, _, label in entries)})"
            if running:
                wanted += f", {running} of it already deployed"
            usage = usages.get(usage_name)
            if usage is None:
                findings.append(
                    Finding(
                        "openai-quota",
                        "warning",
                        "no-quota-entry",
                        region,
                        usage_name,
                        wanted,
                        f"no quota named {usage_name} in {region}",
                        "check the quota in the Azure AI Foundry portal (Quotas) before deploying",
                        COGNITIVE_USAGES_API,
                        adds,
                    )
                )
                continue
            said = (
                f"{number(usage.free)} of {number(usage.limit)} free "
                f"({number(usage.current)} in use)"
            )
            if adds <= usage.free:
                findings.append(
                    Finding(
                        "openai-quota",
                        "ok",
                        "none",
                        region,
                        usage_name,
                        wanted,
                        said,
                        "",
                        COGNITIVE_USAGES_API,
                        adds,
                        usage.free,
                    )
                )
            else:
                findings.append(
                    Finding(
                        "openai-quota",
                        "blocking",
                        "quota",
                        region,
                        usage_name,
                        wanted,
                        said,
                        f"request {usage_name} in {region} of at least "
                        f"{number(usage.current + adds)} (Azure AI Foundry portal: Quotas, "
                        "Request quota), or lower the workload's capacity (traffic) or move it "
                        "to a region with quota",
                        COGNITIVE_USAGES_API,
                        adds,
                        usage.free,
                    )
                )
    return findings
