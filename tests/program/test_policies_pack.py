"""The Pulumi CLI pack: the same rules, adapted to pulumi_policy, with the Plan context from
the pack config that ``inferplan check --policy-config`` writes.

``PolicyPack(...)`` starts a gRPC server and blocks, so the pack is exercised three ways: the
policy list ``__main__.py`` hands to it (with ``PolicyPack`` stubbed), each policy's
``validate`` with hand-built pulumi_policy arguments, and pulumi_policy's own analyzer servicer
(a private API of the pinned 1.21, the path the engine drives) with the config file as the
engine would send it.
"""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import proto
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

import policies.pack as pack
from policies.rules import RULES
from policies.view import SECRET, context_from_plan
from tests.conftest import ROOT

ACCOUNT = "azure-native:cognitiveservices:Account"
PUBLIC_ACCOUNT = {
    "location": "swedencentral",
    "kind": "OpenAI",
    "properties": {"disableLocalAuth": True, "publicNetworkAccess": "Enabled"},
}


def options(**kwargs: Any) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        kwargs.get("protect", False),
        kwargs.get("ignore_changes", []),
        None,
        [],
        PolicyCustomTimeouts(0, 0, 0),
        [],
        kwargs.get("parent"),
    )


def by_name(name: str):
    return next(p for p in pack.pulumi_policies() if p.name == name)


def validate_resource(
    name: str, type_: str, props: dict[str, Any], config: dict[str, Any] | None = None
) -> list[str]:
    found: list[str] = []
    args = ResourceValidationArgs(
        type_, props, f"urn:pulumi:test::p::{type_}::r", "r", options(), None, config
    )
    by_name(name).validate(args, lambda message, urn=None: found.append(message))
    return found


def test_main_builds_the_pack_from_every_rule(monkeypatch):
    built: dict[str, Any] = {}

    def fake_pack(**kwargs: Any) -> None:  # PolicyPack would serve gRPC and never return
        built.update(kwargs)

    monkeypatch.setattr(pack, "PolicyPack", fake_pack)
    runpy.run_path(str(ROOT / "policies" / "__main__.py"), run_name="__main__")

    assert built["name"] == pack.PACK_NAME
    assert [p.name for p in built["policies"]] == [r.name for r in RULES]
    for policy, rule in zip(built["policies"], RULES, strict=True):
        expected = ResourceValidationPolicy if rule.kind == "resource" else StackValidationPolicy
        assert isinstance(policy, expected)
        assert policy.description == rule.description
        assert policy.enforcement_level == pack.LEVELS[rule.level]


def test_pack_files_name_the_entry_point_and_dependencies():
    manifest = (ROOT / "policies" / "PulumiPolicy.yaml").read_text()
    requirements = (ROOT / "policies" / "requirements.txt").read_text().splitlines()

    assert "runtime:" in manifest and "name: python" in manifest
    assert {"pulumi-policy>=1.21,<2", "pulumi>=3.200,<4"} <= set(requirements)
    # the project is not installed: the pack imports its packages from the repository root
    assert not [line for line in requirements if line.startswith("-e")]
    entry = (ROOT / "policies" / "__main__.py").read_text()
    assert "sys.path.insert(0, str(Path(__file__).resolve().parent.parent))" in entry


def test_resource_policy_reports_message_and_fix():
    props = {**PUBLIC_ACCOUNT, "properties": {"disableLocalAuth": False}}

    (message,) = validate_resource("openai-local-auth-disabled", ACCOUNT, props)

    fix = next(r.fix for r in RULES if r.name == "openai-local-auth-disabled")
    assert message == (
        "azure-native:cognitiveservices:Account::r accepts API keys (properties.disableLocalAuth "
        f"is not true).\nFix: {fix}"
    )


def test_context_comes_from_the_pack_config(prod_plan):
    """Without config nothing says public access is forbidden; prod's context does."""
    config = pack.policy_config(context_from_plan(prod_plan, "prod"))

    assert validate_resource("public-network-access", ACCOUNT, PUBLIC_ACCOUNT) == []
    (message,) = validate_resource(
        "public-network-access",
        ACCOUNT,
        PUBLIC_ACCOUNT,
        config["public-network-access"],
    )
    assert "environment prod allows no public network access" in message


def test_engine_numbers_and_unknowns_become_plain_values():
    """The engine sends floats (maxCount: 4.0) and unknown sentinels during preview."""
    props = unknown_checking_proxy(
        {
            "agentPoolName": UNKNOWN_STRING_VALUE,
            "vmSize": "Standard_NC24ads_A100_v4",
            "enableAutoScaling": True,
            "count": 2.0,
            "minCount": 1.0,
            "maxCount": 4.0,
            "nodeTaints": ["nvidia.com/gpu=present:NoSchedule"],
        }
    )

    assert pack.plain_props(props)["maxCount"] == 4
    assert pack.plain_props(props)["agentPoolName"] == "<computed>"
    found: list[str] = []
    args = ResourceValidationArgs(
        "azure-native:containerservice:AgentPool",
        props,
        "urn:pulumi:test::p::AgentPool::gpu",
        "gpu",
        options(ignore_changes=[]),
        None,
        None,
    )
    by_name("gpu-pool-autoscaling").validate(args, lambda m, urn=None: found.append(m))
    assert len(found) == 1 and "does not ignore changes to count" in found[0]


def _policy_resources(capture) -> list[PolicyResource]:
    def unwrap(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {SECRET}:
                return unwrap(value[SECRET])
            return {k: unwrap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [unwrap(v) for v in value]
        return value

    resources = {
        r.urn: PolicyResource(
            r.type,
            unwrap(r.inputs),
            r.urn,
            r.name,
            options(ignore_changes=list(r.ignore_changes), parent=r.parent),
            None,
            None,
            [],
            {},
        )
        for r in capture.resources
    }
    for r in capture.resources:
        resources[r.urn].parent = resources.get(r.parent or "")
    return list(resources.values())


def test_stack_policy_runs_over_the_captured_program(dev_plan, dev_capture):
    """A stack rule over the whole program, as the engine's stack analysis sees it."""
    resources = _policy_resources(dev_capture)
    ctx = context_from_plan(dev_plan, "dev")
    config = pack.policy_config(ctx)["residency-regions"]
    found: list[tuple[str, str | None]] = []

    policy = by_name("residency-regions")
    policy.validate(StackValidationArgs(resources, config), lambda m, u=None: found.append((m, u)))
    assert found == []

    cluster = next(r for r in resources if r.resource_type.endswith("ManagedCluster"))
    cluster.props = {**cluster.props, "location": "swedencentral"}
    policy.validate(StackValidationArgs(resources, config), lambda m, u=None: found.append((m, u)))
    assert [urn for _, urn in found] == [cluster.urn]
    assert "serves workload ticket-triage from swedencentral" in found[0][0]


def _servicer(config: dict[str, Any]) -> _PolicyAnalyzerServicer:
    """pulumi_policy's analyzer with the config file as the engine sends it: the level in
    ``enforcementLevel``, the rest in ``properties``."""
    servicer = _PolicyAnalyzerServicer(
        pack.PACK_NAME, "0.1.0", pack.pulumi_policies(), EnforcementLevel.ADVISORY
    )
    levels = {"mandatory": proto.MANDATORY, "advisory": proto.ADVISORY, "disabled": proto.DISABLED}
    policy_config = {}
    for name, entry in config.items():
        properties = struct_pb2.Struct()
        properties.update({k: v for k, v in entry.items() if k != "enforcementLevel"})
        policy_config[name] = proto.PolicyConfig(
            enforcementLevel=levels[entry["enforcementLevel"]], properties=properties
        )
    servicer.Configure(proto.ConfigureAnalyzerRequest(policyConfig=policy_config), None)
    return servicer


def _analyze(servicer: _PolicyAnalyzerServicer, type_: str, props: dict[str, Any]):
    properties = struct_pb2.Struct()
    properties.update(props)
    request = proto.AnalyzeRequest(
        type=type_, properties=properties, urn=f"urn:pulumi:prod::p::{type_}::a", name="a"
    )
    return servicer.Analyze(request, None).diagnostics


@pytest.mark.parametrize(
    ("override", "level"), [({}, proto.ADVISORY), ({"mandatory": True}, proto.MANDATORY)]
)
def test_the_engine_path_applies_config_levels_and_context(prod_plan, override, level):
    enforcement = {"public-network-access": "mandatory"} if override else {}
    config = pack.policy_config(context_from_plan(prod_plan, "prod", enforcement=enforcement))

    diagnostics = _analyze(_servicer(config), ACCOUNT, PUBLIC_ACCOUNT)

    assert [d.policyName for d in diagnostics] == ["public-network-access"]
    assert diagnostics[0].enforcementLevel == level
    assert "Fix: " in json_format.MessageToDict(diagnostics[0])["message"]


def test_policy_config_file_carries_every_rule(prod_plan, tmp_path: Path):
    config = pack.policy_config(context_from_plan(prod_plan, "prod"))

    assert set(config) == {r.name for r in RULES}
    assert all(set(entry) == {"enforcementLevel", "context"} for entry in config.values())
    assert config["cost-environment-cap"]["context"]["environment"] == "prod"


def test_docs_list_every_rule_with_its_default_level():
    docs = (ROOT / "docs" / "policies.md").read_text()
    for rule in RULES:
        assert f"| `{rule.name}` | {rule.kind} | {rule.level} |" in docs, rule.name
    for check in ("CKV_LLM_1", "CKV_LLM_2", "CKV_LLM_3", "CKV_LLM_4"):
        assert f"| `{check}` |" in docs
