"""The public network access table against the installed SDK and the program: every Azure type
the shipped stacks register that has a public network access setting is in the table, with the
paths the SDK gives it; the rule closes them in production and leaves what is public by design."""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from pathlib import Path

import pytest

from inferplan.review.checks import stack_enforcement
from policies.rules import RENAMED, RULES_BY_NAME, rule_violations
from policies.rules.public_network_access import (
    TABLE_FILE,
    parse_table,
    public_access_keys,
    public_access_table,
)
from policies.view import PolicyContext, ResourceView, context_from_plan
from tests.conftest import ROOT, TEST_AUTHORIZED_RANGES, capture_environment

RULE = RULES_BY_NAME["public-network-access"]
APIM = "azure-native:apimanagement:ApiManagementService"


def sdk_public_access_paths(token: str) -> list[str]:
    """The wire paths of every ``public_network_access*`` input of ``token``'s Args class in the
    installed pulumi-azure-native, its nested Args classes included."""
    _, module_name, class_name = token.split(":")
    module = importlib.import_module(f"pulumi_azure_native.{module_name}")
    resource = getattr(module, class_name)
    args = getattr(sys.modules[resource.__module__], f"{class_name}Args")
    try:
        nested = importlib.import_module(f"pulumi_azure_native.{module_name}._inputs")
    except ModuleNotFoundError:  # a module without input types
        nested = None
    found: list[str] = []

    def walk(klass: type, prefix: str, seen: frozenset[type]) -> None:
        if klass in seen or len(seen) > 6:
            return
        for attr, prop in vars(klass).items():
            if not isinstance(prop, property):
                continue
            path = prefix + getattr(prop.fget, "_pulumi_name", attr)
            if "public_network_access" in attr:
                found.append(path)
            annotation = repr(inspect.signature(prop.fget).return_annotation)
            for ref in sorted(set(re.findall(r"\b(\w+Args)\b", annotation))):
                inner = getattr(nested, ref, None) if nested else None
                if isinstance(inner, type):
                    walk(inner, f"{path}.", seen | {klass})

    walk(args, "", frozenset())
    return sorted(found)


@pytest.fixture(scope="module")
def shipped_prod_capture(shipped_prod_plan):
    return capture_environment(shipped_prod_plan, "prod", authorized_ranges=TEST_AUTHORIZED_RANGES)


@pytest.fixture(scope="module")
def shipped_types(dev_capture, shipped_prod_capture) -> set[str]:
    prod = shipped_prod_capture
    return {
        r.type
        for capture in (dev_capture, prod)
        for r in capture.resources
        if r.type.startswith("azure-native:")
    }


def test_every_registered_type_with_public_access_is_in_the_table(shipped_types):
    """A type the program registers whose SDK inputs can open it to public networks, and that
    the table does not list (or lists with other paths), fails here before it ships."""
    table = public_access_table()
    missing, different = [], []
    for token in sorted(shipped_types):
        paths = sdk_public_access_paths(token)
        if paths and token not in table:
            missing.append(f"{token} {paths}")
        elif token in table and sorted(table[token].paths) != paths:
            different.append(f"{token}: table {table[token].paths}, SDK {paths}")
    assert not missing, f"not in {TABLE_FILE.name}: {missing}"
    assert not different


def test_every_table_entry_matches_the_sdk():
    for token, entry in public_access_table().items():
        assert sorted(entry.paths) == sdk_public_access_paths(token), token


def test_the_walker_finds_nested_settings():
    """The SDK walk itself: a nested Args class (the endpoint's networkAcls), a property object
    (Key Vault's properties) and a type without any such input."""
    assert sdk_public_access_paths("azure-native:monitor:DataCollectionEndpoint") == [
        "networkAcls.publicNetworkAccess"
    ]
    assert sdk_public_access_paths("azure-native:keyvault:Vault") == [
        "properties.publicNetworkAccess"
    ]
    assert sdk_public_access_paths("azure-native:network:Subnet") == []


def test_public_by_design_types_say_why_and_are_not_flagged(shipped_prod_plan):
    ctx = context_from_plan(shipped_prod_plan, "prod")
    gateway = ResourceView(APIM, "gateway-apim", {"publicNetworkAccess": "Enabled"})
    assert public_access_table()[APIM].public_by_design
    assert rule_violations(RULE, [gateway], ctx) == []


def test_nothing_is_flagged_where_the_environment_allows_public_access():
    account = ResourceView(
        "azure-native:cognitiveservices:Account",
        "a",
        {"properties": {"publicNetworkAccess": "Enabled"}},
    )
    unknown = ResourceView("azure-native:search:Service", "s", {"publicNetworkAccess": "Enabled"})
    for allowed in (True, None):
        ctx = PolicyContext(environment="dev", public_network_access=allowed)
        assert rule_violations(RULE, [account, unknown], ctx) == []
    ctx = PolicyContext(environment="x", public_network_access=False)
    assert len(rule_violations(RULE, [account, unknown], ctx)) == 2


def test_settings_are_found_at_any_depth():
    inputs = {"a": {"publicNetworkAccess": "Enabled"}, "b": [{"publicNetworkAccessForQuery": 1}]}
    assert list(public_access_keys(inputs)) == [
        ("a.publicNetworkAccess", "Enabled"),
        ("b.0.publicNetworkAccessForQuery", 1),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"sources": {"s": "x"}, "types": [{"type": "t", "source": "s"}]}, "non-empty list"),
        (
            {"sources": {}, "types": [{"type": "t", "paths": ["p"], "source": "s"}]},
            "not in sources",
        ),
        (
            {"sources": {"s": "x"}, "types": [{"type": "t", "paths": ["p"], "source": "s"}] * 2},
            "t is listed twice",
        ),
    ],
)
def test_a_malformed_table_says_where(data, message):
    with pytest.raises(ValueError, match=message):
        parse_table(data, "table.yaml")


def test_production_makes_the_rule_mandatory_and_the_old_name_still_works(tmp_path: Path):
    assert RULE.level == "advisory"
    assert stack_enforcement("prod", root=ROOT)["public-network-access"] == "mandatory"
    (tmp_path / "Pulumi.x.yaml").write_text(
        "config:\n  inferplan:policyEnforcement:\n    openai-public-network-access: disabled\n"
    )
    assert RENAMED["openai-public-network-access"] == "public-network-access"
    assert stack_enforcement("x", root=tmp_path) == {"public-network-access": "disabled"}


def test_a_private_environment_queries_prometheus_through_the_workspace_endpoint(
    shipped_prod_capture, dev_capture
):
    """KEDA's query path: the workspace's public query endpoint closed, a private endpoint on its
    prometheusMetrics sub-resource, registered in the zone of the workspace's region and linked
    to every virtual network."""
    (workspace,) = shipped_prod_capture.of_type("azure-native:monitor:AzureMonitorWorkspace")
    assert workspace.inputs["publicNetworkAccess"] == "Disabled"
    endpoint = shipped_prod_capture.get("azure-native:network:PrivateEndpoint", "prometheus-pep")
    (connection,) = endpoint.inputs["privateLinkServiceConnections"]
    assert connection["groupIds"] == ["prometheusMetrics"]
    assert connection["privateLinkServiceId"].endswith("/AzureMonitorWorkspace/amw-prod-swc")
    zone_name = "privatelink.swedencentral.prometheus.monitor.azure.com"
    zone = shipped_prod_capture.get(
        "azure-native:privatedns:PrivateZone", f"network-dns-{zone_name}"
    )
    assert zone.inputs["privateZoneName"] == zone_name
    group = shipped_prod_capture.get(
        "azure-native:network:PrivateDnsZoneGroup", "prometheus-pep-dns"
    )
    (config,) = group.inputs["privateDnsZoneConfigs"]
    assert config["privateDnsZoneId"].endswith(f"/PrivateZone/network-dns-{zone_name}")
    links = [
        r
        for r in shipped_prod_capture.of_type("azure-native:privatedns:VirtualNetworkLink")
        if r.inputs["privateZoneName"] == zone_name
    ]
    assert len(links) == len(shipped_prod_capture.of_type("azure-native:network:VirtualNetwork"))
    assert not [
        r
        for r in dev_capture.of_type("azure-native:network:PrivateEndpoint")
        if r.name == "prometheus-pep"
    ]


def _inputs(paths: tuple[str, ...], value: str) -> dict:
    inputs: dict = {}
    for path in paths:
        *parents, last = path.split(".")
        node = inputs
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return inputs


@pytest.mark.parametrize("token", sorted(public_access_table()))
def test_each_type_is_flagged_per_open_path_and_passes_closed(token: str):
    """Every table entry, each of its paths: Enabled (or unset) is one finding in a private
    environment, Disabled none; a type public by design gives none either way."""
    entry = public_access_table()[token]
    ctx = PolicyContext(environment="prod", public_network_access=False)
    closed = ResourceView(token, "r", _inputs(entry.paths, "Disabled"))
    assert rule_violations(RULE, [closed], ctx) == []
    for path in entry.paths:
        opened = ResourceView(
            token, "r", {**_inputs(entry.paths, "Disabled"), **_inputs((path,), "Enabled")}
        )
        found = rule_violations(RULE, [opened], ctx)
        if entry.public_by_design:
            assert found == [], token
        else:
            (violation,) = found
            assert f"{path} Enabled" in violation.message
    unset = rule_violations(RULE, [ResourceView(token, "r", {})], ctx)
    assert len(unset) == (0 if entry.public_by_design else len(entry.paths))
