"""Platform checks: the AKS Kubernetes version per cluster region, the API Management tier in
the environment's location, and soft-deleted services holding the plan's names. Pure."""

from __future__ import annotations

from inferplan.preflight.apis import DeletedService
from inferplan.preflight.findings import Answer, Answers, Failed, Finding, join, unchecked
from inferplan.preflight.needs import Needs

# --- Kubernetes version -------------------------------------------------------------------------

VERSIONS_API = "Microsoft.ContainerService/locations/kubernetesVersions"


def check_kubernetes_versions(needs: Needs, answers: Answers) -> list[Finding]:
    """The planned version (minor, or minor.patch) offered in each cluster's region with the
    community support plan; LTS-only and preview versions are called out."""
    findings = []
    for cluster in needs.clusters:
        offered = answers.region(cluster.region).kubernetes_versions
        resource = f"cluster {cluster.name}"
        wanted = f"Kubernetes {cluster.kubernetes_version} ({cluster.sku_tier} tier)"
        if offered is None:
            continue
        if isinstance(offered, Failed):
            findings.append(
                unchecked("kubernetes-version", cluster.region, resource, wanted, offered)
            )
            continue
        minor = ".".join(cluster.kubernetes_version.split(".")[:2])
        match = next((v for v in offered if v.version == minor), None)
        listing = join(
            [
                v.version + (" (default)" if v.is_default else "") + (" (preview)" * v.is_preview)
                for v in offered
            ]
        )
        default = next((v.version for v in offered if v.is_default), None)
        patch_missing = (
            match is not None
            and cluster.kubernetes_version != minor
            and cluster.kubernetes_version not in match.patches
        )
        if match is None or patch_missing:
            said = (
                f"{cluster.region} offers {listing}"
                if match is None
                else f"{minor} is offered with patches {join(match.patches)}"
            )
            suggestion = f", e.g. {default}" if default else ""
            findings.append(
                Finding(
                    "kubernetes-version",
                    "blocking",
                    "version-not-offered",
                    cluster.region,
                    resource,
                    wanted,
                    said,
                    f"set spec.kubernetes.version in the environment to an offered version"
                    f"{suggestion}",
                    VERSIONS_API,
                )
            )
        elif "KubernetesOfficial" not in match.support_plans:
            findings.append(
                Finding(
                    "kubernetes-version",
                    "blocking",
                    "lts-only",
                    cluster.region,
                    resource,
                    wanted,
                    f"{minor} is offered only with support plans {join(match.support_plans)}",
                    "long-term support needs the Premium tier and supportPlan "
                    "AKSLongTermSupport, which inferplan does not set: choose a version with "
                    f"community support ({listing})",
                    VERSIONS_API,
                )
            )
        elif match.is_preview:
            findings.append(
                Finding(
                    "kubernetes-version",
                    "warning",
                    "preview",
                    cluster.region,
                    resource,
                    wanted,
                    f"{minor} is a preview in {cluster.region}",
                    "previews carry no support: use a generally available version"
                    + (f" such as {default}" if default else ""),
                    VERSIONS_API,
                )
            )
        else:
            findings.append(
                Finding(
                    "kubernetes-version",
                    "ok",
                    "none",
                    cluster.region,
                    resource,
                    wanted,
                    f"offered ({join(match.support_plans)})",
                    api=VERSIONS_API,
                )
            )
    return findings


# --- API Management tier ------------------------------------------------------------------------

APIM_SKUS_API = "Microsoft.ApiManagement/skus"


def check_gateway_tier(needs: Needs, answers: Answers) -> list[Finding]:
    gateway, tiers = needs.gateway, answers.gateway_tiers
    if gateway is None or tiers is None:
        return []
    resource = f"API Management {gateway.name}"
    wanted = f"tier {gateway.tier} in {gateway.region}"
    if isinstance(tiers, Failed):
        return [unchecked("gateway-tier", gateway.region, resource, wanted, tiers)]
    offer = tiers.get(gateway.tier)
    if offer is None:
        return [
            Finding(
                "gateway-tier",
                "warning",
                "not-listed",
                gateway.region,
                resource,
                wanted,
                f"the SKUs API lists no {gateway.tier} tier (it lists {join(sorted(tiers))})",
                "confirm the tier's regions on the API Management tier availability page "
                "before deploying",
                APIM_SKUS_API,
            )
        ]
    if gateway.region in offer.restricted:
        return [
            Finding(
                "gateway-tier",
                "blocking",
                "restricted",
                gateway.region,
                resource,
                wanted,
                f"{gateway.tier} is restricted in {gateway.region} for this subscription",
                "choose another gateway tier or environment location",
                APIM_SKUS_API,
            )
        ]
    if gateway.region not in offer.locations:
        others = [t for t, o in sorted(tiers.items()) if gateway.region in o.locations]
        return [
            Finding(
                "gateway-tier",
                "blocking",
                "not-offered",
                gateway.region,
                resource,
                wanted,
                f"{gateway.tier} is not offered in {gateway.region}",
                f"set spec.gateway.tier to a tier offered there ({join(others)}) or move the "
                "environment's location",
                APIM_SKUS_API,
            )
        ]
    return [
        Finding(
            "gateway-tier",
            "ok",
            "none",
            gateway.region,
            resource,
            wanted,
            "offered",
            api=APIM_SKUS_API,
        )
    ]


# --- soft-deleted names -------------------------------------------------------------------------


def check_soft_deleted(needs: Needs, answers: Answers) -> list[Finding]:
    """No soft-deleted API Management service or Cognitive Services account holds a name the
    plan creates: Azure keeps a deleted service's name until it is purged, and refuses a new
    one with the same name in the meantime."""
    findings = []
    wanted: list[tuple[str, str, str, Answer[tuple[DeletedService, ...]]]] = []
    if needs.gateway is not None:
        wanted.append(
            ("API Management", needs.gateway.name, needs.gateway.region, answers.deleted_gateways)
        )
    wanted += [
        ("Azure OpenAI account", name, region, answers.deleted_accounts)
        for region, name in needs.accounts
    ]
    for label, name, region, deleted in wanted:
        resource = f"{label} {name}"
        api = (
            "Microsoft.ApiManagement/deletedservices"
            if label == "API Management"
            else "Microsoft.CognitiveServices/deletedAccounts"
        )
        if deleted is None:
            continue
        if isinstance(deleted, Failed):
            findings.append(
                unchecked("soft-deleted-name", region, resource, "a free name", deleted)
            )
            continue
        holder = next((d for d in deleted if d.name.lower() == name.lower()), None)
        if holder is None:
            findings.append(
                Finding(
                    "soft-deleted-name",
                    "ok",
                    "none",
                    region,
                    resource,
                    "a free name",
                    "no soft-deleted service holds it",
                    api=api,
                )
            )
            continue
        until = f", purged on {holder.purge_date}" if holder.purge_date else ""
        if holder.kind == "api-management":
            fix = (
                f"purge it (`az apim deletedservice purge --service-name {holder.name} "
                f"--location {holder.location}`) or restore it; purging needs Contributor"
            )
        else:
            group = holder.resource_group or "<resource-group>"
            fix = (
                f"purge it (`az cognitiveservices account purge --name {holder.name} "
                f"--resource-group {group} --location {holder.location}`) or recover it; "
                "purging needs Contributor"
            )
        findings.append(
            Finding(
                "soft-deleted-name",
                "blocking",
                "soft-deleted",
                region,
                resource,
                "a free name",
                f"a soft-deleted {label} named {holder.name} in {holder.location} holds the "
                f"name{until}",
                fix,
                api,
            )
        )
    return findings
