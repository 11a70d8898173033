"""Azure's read-only APIs that preflight and the catalog refresh ask, as typed values.

Each function makes its calls through `AzureClient` and keeps only the fields a check or the
refresh uses. Path, api-version and answer shape of every call are taken from the Azure REST
API specs (github.com/Azure/azure-rest-api-specs, the file named beside each call, and its
``examples/`` folder); all of them are readable with the built-in Reader role.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from inferplan.preflight.client import AzureClient, NotFound

# specification/compute/resource-manager/Microsoft.Compute/Skus/stable/2021-07-01/skus.json
RESOURCE_SKUS_API = "2021-07-01"
# specification/compute/resource-manager/Microsoft.Compute/ComputeRP/stable/2024-11-01/
# computeRPCommon.json (Usage_List)
COMPUTE_USAGES_API = "2024-11-01"
# specification/cognitiveservices/resource-manager/Microsoft.CognitiveServices/stable/2024-10-01/
# cognitiveservices.json (Models_List, Usages_List, DeletedAccounts_List, Deployments_List)
COGNITIVE_API = "2024-10-01"
# specification/containerservice/resource-manager/Microsoft.ContainerService/aks/stable/
# 2025-05-01/managedClusters.json (KubernetesVersions_List, AgentPools_List)
CONTAINER_SERVICE_API = "2025-05-01"
# specification/apimanagement/resource-manager/Microsoft.ApiManagement/stable/2024-05-01/
# apimskus.json (ApiManagementSkus_List) and apimdeletedservices.json
# (DeletedServices_ListBySubscription)
API_MANAGEMENT_API = "2024-05-01"

OPENAI_KIND = "OpenAI"  # the account kind OpenAIService creates, and the models API's `kind`
# The Foundry account kind OpenAIService creates for Foundry Models sold by Azure of another
# publisher (format Meta, DeepSeek, ...): the models API lists those under this kind.
FOUNDRY_KIND = "AIServices"


def _location_key(location: str) -> str:
    """``West US 2`` (display names, as deleted API Management services report) -> ``westus2``."""
    return location.replace(" ", "").lower()


def _int(value: Any) -> int:
    return int(float(value)) if value not in (None, "") else 0


# --- VM sizes: Microsoft.Compute/skus ----------------------------------------------------------


@dataclass(frozen=True)
class VmSizeOffer:
    """One VM size in one region as the Resource SKUs API describes it for a subscription.

    ``zones`` are the zones the size exists in there; ``restricted_zones`` those the
    subscription may not use, and ``restricted`` means the whole region is closed to it.
    ``reason_codes`` are the restrictions' reason codes (``NotAvailableForSubscription``,
    ``QuotaId``). ``family`` is the vCPU quota family (``standardNCADSA100v4Family``).
    """

    name: str
    location: str
    family: str
    vcpus: int
    zones: tuple[str, ...]
    restricted: bool = False
    restricted_zones: tuple[str, ...] = ()
    reason_codes: tuple[str, ...] = ()

    @property
    def usable_zones(self) -> tuple[str, ...]:
        return tuple(z for z in self.zones if z not in self.restricted_zones)


def vm_size_offers(items: list[Mapping[str, Any]]) -> dict[tuple[str, str], VmSizeOffer]:
    """``(size, location) -> VmSizeOffer`` for the ``virtualMachines`` entries of an answer."""
    offers: dict[tuple[str, str], VmSizeOffer] = {}
    for item in items:
        if item.get("resourceType") != "virtualMachines":
            continue
        capabilities = {c.get("name"): c.get("value") for c in item.get("capabilities") or []}
        zones_by_location = {
            _location_key(info.get("location", "")): tuple(sorted(info.get("zones") or []))
            for info in item.get("locationInfo") or []
        }
        for location in item.get("locations") or []:
            key = _location_key(location)
            restricted, restricted_zones, reasons = False, set(), []
            for restriction in item.get("restrictions") or []:
                info = restriction.get("restrictionInfo") or {}
                where = {_location_key(x) for x in info.get("locations") or []}
                where |= {_location_key(x) for x in restriction.get("values") or []}
                if key not in where:
                    continue
                reasons.append(str(restriction.get("reasonCode") or ""))
                if restriction.get("type") == "Location":
                    restricted = True
                elif restriction.get("type") == "Zone":
                    restricted_zones |= set(info.get("zones") or [])
            offers[(item["name"], key)] = VmSizeOffer(
                name=item["name"],
                location=key,
                family=str(item.get("family") or ""),
                vcpus=_int(capabilities.get("vCPUs")),
                zones=zones_by_location.get(key, ()),
                restricted=restricted,
                restricted_zones=tuple(sorted(restricted_zones)),
                reason_codes=tuple(sorted(set(filter(None, reasons)))),
            )
    return dict(sorted(offers.items()))


def resource_skus(
    client: AzureClient, *, subscription_id: str, location: str | None = None
) -> dict[tuple[str, str], VmSizeOffer]:
    """VM sizes offered to the subscription, in ``location`` or (None) everywhere."""
    # skus.json: GET /subscriptions/{subscriptionId}/providers/Microsoft.Compute/skus,
    # optional $filter "location eq '<region>'"; answer {value: [ResourceSku], nextLink}.
    params = {"$filter": f"location eq '{location}'"} if location else {}
    items = client.arm_list(
        f"/subscriptions/{subscription_id}/providers/Microsoft.Compute/skus",
        api_version=RESOURCE_SKUS_API,
        params=params,
    )
    return vm_size_offers(items)


# --- quotas: Microsoft.Compute and Microsoft.CognitiveServices usages ---------------------------


@dataclass(frozen=True)
class QuotaUsage:
    """One quota in one region: ``name`` is the API's ``name.value`` (``cores`` for Total
    Regional vCPUs, ``standardNCADSA100v4Family``, ``OpenAI.Standard.gpt-4o``)."""

    name: str
    display_name: str
    current: float
    limit: float

    @property
    def free(self) -> float:
        return max(self.limit - self.current, 0.0)


def _usages(items: list[Mapping[str, Any]]) -> dict[str, QuotaUsage]:
    usages = {}
    for item in items:
        name = item.get("name") or {}
        value = str(name.get("value") or "")
        if value:
            usages[value] = QuotaUsage(
                name=value,
                display_name=str(name.get("localizedValue") or value),
                current=float(item.get("currentValue") or 0),
                limit=float(item.get("limit") or 0),
            )
    return dict(sorted(usages.items()))


def compute_usages(
    client: AzureClient, *, subscription_id: str, location: str
) -> dict[str, QuotaUsage]:
    """vCPU quotas of the subscription in ``location``, per VM family and the regional total."""
    # computeRPCommon.json: GET /subscriptions/{subscriptionId}/providers/Microsoft.Compute/
    # locations/{location}/usages; answer {value: [Usage{unit, currentValue, limit, name}],
    # nextLink}.
    return _usages(
        client.arm_list(
            f"/subscriptions/{subscription_id}/providers/Microsoft.Compute/locations/"
            f"{location}/usages",
            api_version=COMPUTE_USAGES_API,
        )
    )


def cognitive_usages(
    client: AzureClient, *, subscription_id: str, location: str
) -> dict[str, QuotaUsage]:
    """Cognitive Services quotas in ``location``: Azure OpenAI capacity per usage name."""
    # cognitiveservices.json: GET /subscriptions/{subscriptionId}/providers/
    # Microsoft.CognitiveServices/locations/{location}/usages; answer {value: [Usage], nextLink}.
    return _usages(
        client.arm_list(
            f"/subscriptions/{subscription_id}/providers/Microsoft.CognitiveServices/locations/"
            f"{location}/usages",
            api_version=COGNITIVE_API,
        )
    )


# --- Azure OpenAI models ------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelOffer:
    """One model version offered as one deployment type in one region.

    ``usage_name`` is the quota the deployment draws on (``OpenAI.Standard.gpt-4o``,
    ``OpenAI.ProvisionedManaged``); ``max_capacity`` the largest deployment the type allows.
    """

    location: str
    model: str
    version: str
    deployment_type: str
    usage_name: str
    max_capacity: int | None
    lifecycle: str
    deprecation_date: str | None


def _deployable_here(kind: object, model_format: object) -> bool:
    """The account kind OpenAIService gives a model of this format: Azure OpenAI models as
    listed for kind OpenAI, other publishers' Foundry Models as listed for kind AIServices (the
    API lists OpenAI models under both kinds; reading each once keeps one offer per model)."""
    if model_format == OPENAI_KIND:
        return kind == OPENAI_KIND
    return kind == FOUNDRY_KIND and bool(model_format)


def model_offers(items: list[Mapping[str, Any]], *, location: str) -> tuple[ModelOffer, ...]:
    offers = []
    for item in items:
        model = item.get("model") or {}
        if not _deployable_here(item.get("kind"), model.get("format")):
            continue
        for sku in model.get("skus") or []:
            capacity = sku.get("capacity") or {}
            offers.append(
                ModelOffer(
                    location=_location_key(location),
                    model=str(model.get("name")),
                    version=str(model.get("version")),
                    deployment_type=str(sku.get("name")),
                    usage_name=str(sku.get("usageName") or ""),
                    max_capacity=_int(capacity["maximum"]) if "maximum" in capacity else None,
                    lifecycle=str(model.get("lifecycleStatus") or ""),
                    deprecation_date=sku.get("deprecationDate")
                    or (model.get("deprecation") or {}).get("inference"),
                )
            )
    return tuple(sorted(offers, key=lambda o: (o.model, o.version, o.deployment_type)))


def location_models(
    client: AzureClient, *, subscription_id: str, location: str
) -> tuple[ModelOffer, ...]:
    """Azure OpenAI model versions and deployment types the subscription can deploy there."""
    # cognitiveservices.json: GET /subscriptions/{subscriptionId}/providers/
    # Microsoft.CognitiveServices/locations/{location}/models; answer {value: [Model{kind,
    # skuName, model: {format, name, version, lifecycleStatus, deprecation, skus: [{name,
    # usageName, capacity, deprecationDate}]}}], nextLink} (examples/ListLocationModels.json).
    items = client.arm_list(
        f"/subscriptions/{subscription_id}/providers/Microsoft.CognitiveServices/locations/"
        f"{location}/models",
        api_version=COGNITIVE_API,
    )
    return model_offers(items, location=location)


# --- AKS ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KubernetesVersionOffer:
    """A Kubernetes minor version AKS offers in a region, its patches and support plans
    (``KubernetesOfficial``, ``AKSLongTermSupport``)."""

    version: str
    patches: tuple[str, ...]
    support_plans: tuple[str, ...]
    is_preview: bool
    is_default: bool


def kubernetes_versions(
    client: AzureClient, *, subscription_id: str, location: str
) -> tuple[KubernetesVersionOffer, ...]:
    # managedClusters.json: GET /subscriptions/{subscriptionId}/providers/
    # Microsoft.ContainerService/locations/{location}/kubernetesVersions; answer
    # {values: [{version, isDefault, isPreview, capabilities: {supportPlan}, patchVersions}]}
    # (the list is `values`, not `value`, and has no nextLink: examples/KubernetesVersions_List).
    answer = client.arm_get(
        f"/subscriptions/{subscription_id}/providers/Microsoft.ContainerService/locations/"
        f"{location}/kubernetesVersions",
        api_version=CONTAINER_SERVICE_API,
    )
    offers = [
        KubernetesVersionOffer(
            version=str(v.get("version")),
            patches=tuple(sorted(v.get("patchVersions") or {}, key=_version_key)),
            support_plans=tuple(sorted((v.get("capabilities") or {}).get("supportPlan") or [])),
            is_preview=bool(v.get("isPreview")),
            is_default=bool(v.get("isDefault")),
        )
        for v in answer.get("values") or []
    ]
    return tuple(sorted(offers, key=lambda o: _version_key(o.version)))


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))


@dataclass(frozen=True)
class ExistingPool:
    """A node pool that already exists (its nodes already count in the quota usage)."""

    name: str
    vm_size: str
    count: int


def existing_agent_pools(
    client: AzureClient, *, subscription_id: str, resource_group: str, cluster: str
) -> tuple[ExistingPool, ...]:
    """The cluster's node pools; none when the cluster or its resource group does not exist."""
    # managedClusters.json: GET /subscriptions/{subscriptionId}/resourceGroups/
    # {resourceGroupName}/providers/Microsoft.ContainerService/managedClusters/{resourceName}/
    # agentPools; answer {value: [AgentPool{name, properties: {count, vmSize, ...}}], nextLink}.
    try:
        items = client.arm_list(
            f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/"
            f"Microsoft.ContainerService/managedClusters/{cluster}/agentPools",
            api_version=CONTAINER_SERVICE_API,
        )
    except NotFound:
        return ()
    return tuple(
        sorted(
            (
                ExistingPool(
                    name=str(i.get("name")),
                    vm_size=str((i.get("properties") or {}).get("vmSize") or ""),
                    count=_int((i.get("properties") or {}).get("count")),
                )
                for i in items
            ),
            key=lambda p: p.name,
        )
    )


@dataclass(frozen=True)
class ExistingDeployment:
    """An Azure OpenAI deployment that already exists (its capacity already counts in usage)."""

    name: str
    deployment_type: str
    capacity: int
    model: str
    version: str


def existing_deployments(
    client: AzureClient, *, subscription_id: str, resource_group: str, account: str
) -> tuple[ExistingDeployment, ...]:
    """The account's deployments; none when the account or its resource group does not exist."""
    # cognitiveservices.json: GET /subscriptions/{subscriptionId}/resourceGroups/
    # {resourceGroupName}/providers/Microsoft.CognitiveServices/accounts/{accountName}/
    # deployments; answer {value: [Deployment{name, sku: {name, capacity}, properties: {model}}],
    # nextLink} (examples/ListDeployments.json).
    try:
        items = client.arm_list(
            f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/"
            f"Microsoft.CognitiveServices/accounts/{account}/deployments",
            api_version=COGNITIVE_API,
        )
    except NotFound:
        return ()
    out = []
    for item in items:
        sku = item.get("sku") or {}
        model = (item.get("properties") or {}).get("model") or {}
        out.append(
            ExistingDeployment(
                name=str(item.get("name")),
                deployment_type=str(sku.get("name") or ""),
                capacity=_int(sku.get("capacity")),
                model=str(model.get("name") or ""),
                version=str(model.get("version") or ""),
            )
        )
    return tuple(sorted(out, key=lambda d: d.name))


# --- API Management ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GatewayTierOffer:
    """Where an API Management tier (``sku.name``) is offered, and where it is restricted."""

    tier: str
    locations: tuple[str, ...]
    restricted: tuple[str, ...]


def gateway_tiers(client: AzureClient, *, subscription_id: str) -> dict[str, GatewayTierOffer]:
    # apimskus.json: GET /subscriptions/{subscriptionId}/providers/Microsoft.ApiManagement/skus;
    # answer {value: [ApiManagementSku{resourceType, name, locations, restrictions}], nextLink}.
    items = client.arm_list(
        f"/subscriptions/{subscription_id}/providers/Microsoft.ApiManagement/skus",
        api_version=API_MANAGEMENT_API,
    )
    locations: dict[str, set[str]] = {}
    restricted: dict[str, set[str]] = {}
    for item in items:
        tier = str(item.get("name") or "")
        if not tier:
            continue
        locations.setdefault(tier, set()).update(
            _location_key(x) for x in item.get("locations") or []
        )
        for restriction in item.get("restrictions") or []:
            if restriction.get("type") == "Location":
                info = restriction.get("restrictionInfo") or {}
                where = list(info.get("locations") or []) + list(restriction.get("values") or [])
                restricted.setdefault(tier, set()).update(_location_key(x) for x in where)
    return {
        tier: GatewayTierOffer(
            tier=tier,
            locations=tuple(sorted(where)),
            restricted=tuple(sorted(restricted.get(tier, set()))),
        )
        for tier, where in sorted(locations.items())
    }


# --- soft-deleted services ---------------------------------------------------------------------


@dataclass(frozen=True)
class DeletedService:
    """A soft-deleted API Management service or Cognitive Services account: it keeps its name
    until purged (``purge_date``, when Azure reports it)."""

    kind: str  # "api-management" | "cognitive-services"
    name: str
    location: str
    resource_id: str
    resource_group: str | None
    purge_date: str | None


def _resource_group_of(resource_id: str) -> str | None:
    parts = resource_id.split("/")
    lowered = [p.lower() for p in parts]
    if "resourcegroups" in lowered:
        index = lowered.index("resourcegroups")
        return parts[index + 1] if index + 1 < len(parts) else None
    return None


def deleted_gateways(client: AzureClient, *, subscription_id: str) -> tuple[DeletedService, ...]:
    # apimdeletedservices.json: GET /subscriptions/{subscriptionId}/providers/
    # Microsoft.ApiManagement/deletedservices; answer {value: [DeletedServiceContract{name,
    # location (display name), properties: {serviceId, scheduledPurgeDate, deletionDate}}],
    # nextLink} (examples/ApiManagementDeletedServicesListBySubscription.json).
    items = client.arm_list(
        f"/subscriptions/{subscription_id}/providers/Microsoft.ApiManagement/deletedservices",
        api_version=API_MANAGEMENT_API,
    )
    out = []
    for item in items:
        properties = item.get("properties") or {}
        service_id = str(properties.get("serviceId") or item.get("id") or "")
        out.append(
            DeletedService(
                kind="api-management",
                name=str(item.get("name")),
                location=_location_key(str(item.get("location") or "")),
                resource_id=service_id,
                resource_group=_resource_group_of(service_id),
                purge_date=properties.get("scheduledPurgeDate"),
            )
        )
    return tuple(sorted(out, key=lambda d: (d.name, d.location)))


def deleted_accounts(client: AzureClient, *, subscription_id: str) -> tuple[DeletedService, ...]:
    # cognitiveservices.json: GET /subscriptions/{subscriptionId}/providers/
    # Microsoft.CognitiveServices/deletedAccounts; answer {value: [Account{id, name, location,
    # kind, properties}], nextLink}; the id holds .../locations/{l}/resourceGroups/{rg}/
    # deletedAccounts/{name} (examples/GetDeletedAccount.json).
    items = client.arm_list(
        f"/subscriptions/{subscription_id}/providers/Microsoft.CognitiveServices/deletedAccounts",
        api_version=COGNITIVE_API,
    )
    out = []
    for item in items:
        resource_id = str(item.get("id") or "")
        properties = item.get("properties") or {}
        out.append(
            DeletedService(
                kind="cognitive-services",
                name=str(item.get("name")),
                location=_location_key(str(item.get("location") or "")),
                resource_id=resource_id,
                resource_group=_resource_group_of(resource_id),
                purge_date=properties.get("scheduledPurgeDate"),
            )
        )
    return tuple(sorted(out, key=lambda d: (d.name, d.location)))
