"""The create-only field table, and the warnings `inferplan.diff` raises from it."""

from __future__ import annotations

from typing import Any

import pytest

from inferplan.review.diff import StackSide, changed_paths, diff_stack
from inferplan.review.immutable_fields import (
    CREATE_ONLY_FIELDS,
    SOURCES,
    apim_family,
    create_only_changes,
    normalise_path,
    value_at,
)

POOL = "azure-native:containerservice:AgentPool"
CLUSTER = "azure-native:containerservice:ManagedCluster"
APIM = "azure-native:apimanagement:ApiManagementService"
ACCOUNT = "azure-native:cognitiveservices:Account"
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"


def effects(type_: str, old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str]]:
    hits = create_only_changes(type_, changed_paths(old, new), old, new)
    return [(h.path, h.field.effect) for h in hits]


def test_every_row_cites_a_known_source() -> None:
    for row in CREATE_ONLY_FIELDS:
        assert row.source in SOURCES, row
        assert row.why and row.effect in ("replace", "interrupt")


@pytest.mark.parametrize(
    "path",
    ["vmSize", "nodeTaints", "gpuProfile", "gpuInstanceProfile", "availabilityZones"],
)
def test_the_gpu_pool_fields_aks_fixes_at_creation_are_in_the_table(path: str) -> None:
    """aks-gpu.md: VM size and taints [use-gpu], gpuProfile [managed-gpu], MIG [mig], zones."""
    rows = [r for r in CREATE_ONLY_FIELDS if r.type_pattern == POOL and r.path == path]
    assert [r.effect for r in rows] == ["replace"]


@pytest.mark.parametrize(
    ("type_", "old", "new", "expected"),
    [
        (POOL, {"vmSize": "Standard_NC4as_T4_v3"}, {"vmSize": "Standard_NC24ads_A100_v4"},
         [("vmSize", "replace")]),
        (POOL, {"gpuProfile": {"driver": "Install"}}, {"gpuProfile": {"driver": "None"}},
         [("gpuProfile.driver", "replace")]),
        (POOL, {"nodeTaints": ["a=b:NoSchedule"]}, {"nodeTaints": []}, [("nodeTaints", "replace")]),
        (POOL, {"count": 2, "maxCount": 4}, {"count": 3, "maxCount": 8}, []),
        (POOL, {"agentPoolName": "nc4as0e34a10"}, {"agentPoolName": "nc24adsd2484"},
         [("agentPoolName", "replace")]),
        (CLUSTER, {"networkProfile": {"networkPlugin": "azure"}},
         {"networkProfile": {"networkPlugin": "kubenet"}},
         [("networkProfile.networkPlugin", "replace")]),
        (CLUSTER, {"dnsPrefix": "a"}, {"dnsPrefix": "b"}, [("dnsPrefix", "replace")]),
        (CLUSTER, {"location": "westeurope"}, {"location": "francecentral"},
         [("location", "replace")]),
        (CLUSTER, {"kubernetesVersion": "1.31"}, {"kubernetesVersion": "1.32"},
         [("kubernetesVersion", "interrupt")]),
        (CLUSTER, {"agentPoolProfiles": [{"vmSize": "Standard_D4ds_v5"}]},
         {"agentPoolProfiles": [{"vmSize": "Standard_D8ds_v5"}]},
         [("agentPoolProfiles[0].vmSize", "interrupt")]),
        (CLUSTER, {"sku": {"tier": "Free"}}, {"sku": {"tier": "Standard"}}, []),
        (APIM, {"sku": {"name": "Developer"}}, {"sku": {"name": "StandardV2"}},
         [("sku.name", "replace")]),
        (APIM, {"sku": {"name": "Developer"}}, {"sku": {"name": "Premium"}},
         [("sku.name", "interrupt")]),
        (APIM, {"sku": {"name": "BasicV2"}}, {"sku": {"name": "StandardV2"}},
         [("sku.name", "interrupt")]),
        (APIM, {"sku": {"capacity": 1}}, {"sku": {"capacity": 2}}, []),
        (APIM, {"serviceName": "apim-a"}, {"serviceName": "apim-b"}, [("serviceName", "replace")]),
        (ACCOUNT, {"properties": {"customSubDomainName": "oai-a"}},
         {"properties": {"customSubDomainName": "oai-b"}},
         [("properties.customSubDomainName", "replace")]),
        (ACCOUNT, {"kind": "OpenAI"}, {"kind": "AIServices"}, [("kind", "replace")]),
        (ACCOUNT, {"properties": {"publicNetworkAccess": "Enabled"}},
         {"properties": {"publicNetworkAccess": "Disabled"}}, []),
        (DEPLOYMENT, {"properties": {"model": {"name": "gpt-4o-mini", "version": "1"}}},
         {"properties": {"model": {"name": "gpt-4o", "version": "1"}}},
         [("properties.model.name", "replace")]),
        (DEPLOYMENT, {"properties": {"model": {"name": "gpt-4o", "version": "2024-08-06"}}},
         {"properties": {"model": {"name": "gpt-4o", "version": "2024-11-20"}}}, []),
        (DEPLOYMENT, {"sku": {"name": "Standard", "capacity": 300}},
         {"sku": {"name": "Standard", "capacity": 600}}, []),
        ("azure-native:network:VirtualNetwork", {"location": "swedencentral"},
         {"location": "westeurope"}, [("location", "replace")]),
        ("kubernetes:apps/v1:Deployment", {"spec": {"selector": {"matchLabels": {"a": "1"}}}},
         {"spec": {"selector": {"matchLabels": {"a": "2"}}}},
         [("spec.selector.matchLabels.a", "replace")]),
        ("kubernetes:apps/v1:Deployment", {"spec": {"replicas": 2}}, {"spec": {"replicas": 4}},
         []),
        ("kubernetes:core/v1:Namespace", {"metadata": {"name": "a"}}, {"metadata": {"name": "b"}},
         [("metadata.name", "replace")]),
        ("inferplan:azure:GpuCluster", {"parent": None}, {"parent": "x::y"},
         [("parent", "replace")]),
    ],
    ids=lambda v: v if isinstance(v, str) and ":" not in v else None,
)  # fmt: skip
def test_which_changes_replace_or_interrupt(type_, old, new, expected) -> None:
    assert effects(type_, old, new) == expected


def test_apim_families() -> None:
    assert {apim_family(t) for t in ("Developer", "Basic", "Standard", "Premium")} == {"classic"}
    assert {apim_family(t) for t in ("BasicV2", "StandardV2", "PremiumV2")} == {"v2"}


def test_paths() -> None:
    assert normalise_path("agentPoolProfiles[0].vmSize") == "agentPoolProfiles[].vmSize"
    data = {"a": [{"b": 1}], "c": {"d": "x"}}
    assert [value_at(data, p) for p in ("a[0].b", "c.d", "c.e")] == [1, "x", None]
    assert value_at({"labels": {"nvidia.com/gpu": "1"}}, 'labels["nvidia.com/gpu"]') == "1"
    assert changed_paths(
        {"labels": {"nvidia.com/gpu": "1"}, "list": [1, 2]},
        {"labels": {"nvidia.com/gpu": "2"}, "list": [1, 3]},
    ) == ['labels["nvidia.com/gpu"]', "list"]


# --- the warnings in a report --------------------------------------------------------------------


def side(resources: list[dict[str, Any]], name: str = "base") -> StackSide:
    plan = {"environments": [{"name": "s", "monthly_usd": 0}], "workloads": []}
    return StackSide("s", plan, resources, side_name=name)


def resource(type_: str, name: str, options: dict[str, Any] | None = None, **inputs: Any):
    return {"type": type_, "name": name, "parent": None, "options": options or {}, "inputs": inputs}


def test_a_vm_size_change_on_the_same_pool_names_the_field_and_the_outage() -> None:
    options = {"deleteBeforeReplace": True}
    before = resource(POOL, "gpu", options, vmSize="Standard_NC4as_T4_v3")
    after = resource(POOL, "gpu", options, vmSize="Standard_NC24ads_A100_v4")
    report = diff_stack("s", side([before]), side([after], "head"))
    (warning,) = report["warnings"]
    assert warning["kind"] == "replace"
    assert warning["source"] == "use-gpu"
    assert "`vmSize` Standard_NC4as_T4_v3 → Standard_NC24ads_A100_v4" in warning["message"]
    assert "deleteBeforeReplace is set" in warning["message"]
    assert report["resources"]["changed"] == [
        {"key": f"{POOL}::gpu", "paths": ["vmSize"], "replace": True}
    ]


def test_a_cluster_replacement_stops_the_line_and_protect_is_named() -> None:
    before = resource(CLUSTER, "aks", {"protect": True}, networkProfile={"networkPlugin": "azure"})
    after = resource(CLUSTER, "aks", {"protect": True}, networkProfile={"networkPlugin": "none"})
    (warning,) = diff_stack("s", side([before]), side([after], "head"))["warnings"]
    assert "Stop the line" in warning["message"]
    assert "protected" in warning["message"]


def test_deleting_a_cluster_or_gateway_is_a_warning() -> None:
    before = [resource(CLUSTER, "aks"), resource(APIM, "gw"), resource(POOL, "p")]
    report = diff_stack("s", side(before), side([], "head"))
    assert [(w["kind"], w["subject"]) for w in report["warnings"]] == [
        ("delete", f"{APIM}::gw"),
        ("delete", f"{CLUSTER}::aks"),
    ]


def test_a_removed_pool_whose_workload_stays_is_a_warning() -> None:
    labels = {"workload.inferplan.io/chat": "true"}
    plan_head = {
        "environments": [{"name": "s", "monthly_usd": 0}],
        "workloads": [{"name": "chat", "feasible": True, "target": "azure-openai", "regions": []}],
    }
    base = side([resource(POOL, "p", nodeLabels=labels, vmSize="Standard_NC4as_T4_v3")])
    head = StackSide("s", plan_head, [], side_name="head")
    (warning,) = [w for w in diff_stack("s", base, head)["warnings"] if w["kind"] != "infeasible"]
    assert warning["kind"] == "pool-removed"
    assert "`chat` still runs on it and no new pool takes it over" in warning["message"]
