"""Resource names and tags: Azure's abbreviation conventions, deterministic and length-safe.

Names follow the Cloud Adoption Framework abbreviations (``rg-``, ``aks-``, ``apim-``, ``oai-``,
``log-``, ``appi-``, ``amw-``, ``ag-``, ``vnet-``) joined with the environment and a short region
code. Globally unique names (API Management, Azure OpenAI subdomains, Key Vault, the container
registry) add a hash of the deploying subscription and the resource group: stable for a stack,
different for every subscription that deploys the same environment, so a second adopter never
collides with the first. Role assignment names are GUIDs derived from scope, principal and role,
so a re-created principal gets a new assignment instead of a name clash.
"""

from __future__ import annotations

import hashlib
import re
import uuid

import pulumi

from sizing.deploy.pool_names import AGENT_POOL_NAME_MAX, agent_pool_name

__all__ = [
    "AGENT_POOL_NAME_MAX",
    "agent_pool_name",
    "globally_unique_name",
    "globally_unique_output",
    "is_backend_id",
    "kubernetes_name",
    "node_resource_group_name",
    "region_code",
    "resource_name",
    "role_assignment_name",
    "stable_hash",
]

# Short codes for the regions inferplan plans into; other regions fall back to their initials.
REGION_CODES = {
    "australiaeast": "aue",
    "brazilsouth": "brs",
    "canadacentral": "cac",
    "centralindia": "inc",
    "centralus": "cus",
    "eastus": "eus",
    "eastus2": "eus2",
    "francecentral": "frc",
    "germanywestcentral": "gwc",
    "italynorth": "itn",
    "japaneast": "jpe",
    "koreacentral": "krc",
    "northcentralus": "ncus",
    "northeurope": "neu",
    "norwayeast": "nwe",
    "polandcentral": "plc",
    "southcentralus": "scus",
    "southeastasia": "sea",
    "spaincentral": "spc",
    "swedencentral": "swc",
    "switzerlandnorth": "szn",
    "uksouth": "uks",
    "westeurope": "weu",
    "westus": "wus",
    "westus2": "wus2",
    "westus3": "wus3",
}

RESOURCE_GROUP_NAME_MAX = 90  # resource groups; the AKS node resource group allows 80
NODE_RESOURCE_GROUP_NAME_MAX = 80
ROLE_ASSIGNMENT_NAMESPACE = uuid.UUID("5b6a3f1e-2d8c-4c57-9e1f-7a0b4d2c9e61")  # inferplan's


def stable_hash(*parts: str, length: int = 6) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def region_code(region: str) -> str:
    if region in REGION_CODES:
        return REGION_CODES[region]
    words = re.findall(r"[a-z]+|[0-9]+", region)
    return "".join(w[0] if w.isalpha() else w for w in words)[:5]


def resource_name(
    abbreviation: str, environment: str, region: str | None = None, *extra: str
) -> str:
    """``rg-prod-swc``, ``aks-prod-eus2``: abbreviation, environment, region code, extras."""
    parts = [abbreviation, environment]
    if region:
        parts.append(region_code(region))
    parts += [e for e in extra if e]
    return "-".join(parts)


_BACKEND_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,79}$")


def is_backend_id(name: str) -> bool:
    """An API Management backend (or pool) id: letters, digits and hyphens, at most 80."""
    return bool(_BACKEND_ID.match(name))


def globally_unique_name(
    abbreviation: str,
    environment: str,
    region: str | None = None,
    *,
    subscription_id: str,
    resource_group: str,
    max_length: int = 50,
    alphanumeric: bool = False,
) -> str:
    """The readable name cut to fit, plus ``-<hash of subscription, resource group, name>``.

    Pure, so preflight names what the program will create from the same code the components
    run. ``alphanumeric`` (container registries): lowercase letters and digits only, no
    hyphens. The subscription is lowercased first: Azure treats its id case-insensitively.
    """
    base = resource_name(abbreviation, environment, region)
    if alphanumeric:
        base = re.sub(r"[^a-z0-9]", "", base.lower())
    suffix = stable_hash(subscription_id.lower(), resource_group, base)
    joint = "" if alphanumeric else "-"
    head = base[: max_length - len(suffix) - len(joint)].rstrip("-")
    return f"{head}{joint}{suffix}"


def globally_unique_output(
    abbreviation: str,
    environment: str,
    region: str | None = None,
    *,
    subscription_id: pulumi.Input[str],
    resource_group: str,
    max_length: int = 50,
    alphanumeric: bool = False,
) -> pulumi.Output[str]:
    """`globally_unique_name` once the deploying subscription is known (the program reads it
    from the provider's client config, an Output)."""
    return pulumi.Output.from_input(subscription_id).apply(
        lambda subscription: globally_unique_name(
            abbreviation,
            environment,
            region,
            subscription_id=subscription,
            resource_group=resource_group,
            max_length=max_length,
            alphanumeric=alphanumeric,
        )
    )


def node_resource_group_name(environment: str, region: str) -> str:
    """``rg-<env>-<region code>-aks-nodes``, named explicitly: AKS's default
    ``MC_<rg>_<cluster>_<region>`` passes Azure's 80-character limit for environment names over
    about 21 characters. With environment names of at most 40 this is at most 59."""
    name = resource_name("rg", environment, region, "aks-nodes")
    if len(name) > NODE_RESOURCE_GROUP_NAME_MAX:
        raise ValueError(f"node resource group name {name!r} is over 80 characters")
    return name


def role_assignment_name(
    scope: pulumi.Input[str], principal_id: pulumi.Input[str], role_definition_id: str
) -> pulumi.Output[str]:
    """uuid5 of scope, principal and role: the same assignment keeps its name across runs, a
    new principal (a re-created identity) or another scope gets another."""
    return pulumi.Output.all(scope, principal_id).apply(
        lambda args: str(
            uuid.uuid5(
                ROLE_ASSIGNMENT_NAMESPACE,
                f"{str(args[0]).lower()}|{args[1]}|{role_definition_id.lower()}",
            )
        )
    )


def kubernetes_name(workload: str) -> str:
    """Workload names are already DNS labels (the spec checks); namespaces use them as given."""
    return workload
