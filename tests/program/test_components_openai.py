"""OpenAIService under offline capture: the account's secure shape and the Plan's deployments.

Expected values come from the Plan itself (the example stacks) or from small hand-built plans
for cases the examples do not reach (a failover deployment in a second region).
"""

from __future__ import annotations

import dataclasses
import itertools

import pulumi
import pytest

from components.naming import stable_hash
from components.openai_service import OpenAIService, account_shards
from inferplan.offline.capture import SUBSCRIPTION_ID, capture
from sizing.deploy.openai_accounts import openai_accounts
from sizing.plan import (
    AzureOpenAIFailover,
    AzureOpenAIPlan,
    AzureOpenAISpillover,
    EnvironmentPlan,
    Gateway,
    OpenAIAccount,
    WorkloadPlan,
)

OTHER_SUBSCRIPTION = "22222222-3333-4444-5555-666666666666"

ACCOUNT = "azure-native:cognitiveservices:Account"
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"


def environment(**changes) -> EnvironmentPlan:
    base = EnvironmentPlan(
        name="test",
        location="swedencentral",
        monthly_usd=0.0,
        max_monthly_usd=None,
        workloads=(),
        public_network_access=False,
        protect=True,
        tags={"environment": "test", "managed-by": "inferplan"},
    )
    return dataclasses.replace(base, **changes)


def managed_workload(
    name: str,
    regions: tuple[str, ...],
    *,
    deployment_type: str = "DataZoneStandard",
    capacity: int = 100,
    failover: tuple[AzureOpenAIFailover, ...] = (),
    task: str = "chat",
    model: str = "gpt-4o",
    model_version: str = "2024-11-20",
    model_format: str = "OpenAI",
) -> WorkloadPlan:
    return WorkloadPlan(
        name=name,
        feasible=True,
        target="azure-openai",
        model=model,
        regions=regions,
        predicted=None,
        cost=None,
        reasons=(),
        alternatives=(),
        gateway=Gateway(max_tokens=500, tokens_per_minute=100_000, timeout_s=60, streaming=True),
        alerts=(),
        availability=None,
        azure_openai=AzureOpenAIPlan(
            model=model,
            model_version=model_version,
            deployment_type=deployment_type,
            capacity=capacity,
            capacity_unit="ktpm",
            failover=failover,
            residency_scope="datazone",
            latency_metrics=deployment_type.endswith("ProvisionedManaged"),
            model_format=model_format,
        ),
        task=task,
        tags={"workload": name},
    )


def account_name(environment: str, region: str, subscription: str = SUBSCRIPTION_ID) -> str:
    """``oai-<env>-<region code>-<hash of subscription, resource group, readable name>``."""
    from components.naming import resource_name

    base = resource_name("oai", environment, region)
    return f"{base}-{stable_hash(subscription, 'rg-test', base)}"


def build(
    env: EnvironmentPlan,
    region: str,
    workloads: tuple[WorkloadPlan, ...],
    *,
    subscription: str | None = None,
):
    """The account sizing plans for ``region`` from ``workloads``, as a component."""
    planned = {a.region: a for a in openai_accounts(workloads)}
    account = planned.get(region, OpenAIAccount(region, ()))

    def program() -> None:
        service = OpenAIService(
            f"oai-{region}",
            environment=env,
            account=account,
            resource_group_name="rg-test",
            subscription_id=subscription or SUBSCRIPTION_ID,
            resource_group="rg-test",
        )
        pulumi.export("endpoint", service.endpoint)
        pulumi.export("deployments", sorted(service.deployments))
        pulumi.export("purge", service.purge_command)

    return capture(program, stack=env.name)


def managed(plan, env_name: str) -> tuple[WorkloadPlan, ...]:
    return tuple(w for w in plan.workloads_of(env_name) if w.feasible and w.azure_openai)


# --- the account -------------------------------------------------------------------------------


@pytest.mark.parametrize("env_name", ["dev", "prod"])
def test_the_account_is_entra_only_with_a_stable_custom_subdomain(
    env_name, dev_plan, prod_plan
) -> None:
    plan = {"dev": dev_plan, "prod": prod_plan}[env_name]
    env = plan.environment(env_name)
    workloads = managed(plan, env_name)
    region = workloads[0].regions[0]
    account = build(env, region, workloads).of_type(ACCOUNT)[0]

    expected_name = account_name(env_name, region)
    # kind OpenAI, or a Foundry account when the region holds another publisher's model (the
    # showcase's open-70b-managed example puts Llama-3.3-70B-Instruct there)
    (planned,) = [a for a in openai_accounts(workloads) if a.region == region]
    foundry = any(d.model_format != "OpenAI" for d in planned.deployments)
    assert account.inputs["kind"] == ("AIServices" if foundry else "OpenAI")
    assert foundry == (env_name == "prod")
    assert account.inputs["sku"] == {"name": "S0"}
    assert account.inputs["location"] == region
    assert account.inputs["accountName"] == expected_name
    # a custom subdomain is what Entra ID auth needs, and it can never change [subdomain]
    assert account.inputs["properties"]["customSubDomainName"] == expected_name
    assert account.inputs["properties"]["disableLocalAuth"] is True
    assert account.inputs["identity"] == {"type": "SystemAssigned"}
    assert account.inputs["tags"] == env.tags
    assert account.protect is env.protect


@pytest.mark.parametrize(
    ("public", "access", "acls"),
    [(True, "Enabled", None), (False, "Disabled", {"defaultAction": "Deny"})],
    ids=["public", "private"],
)
def test_public_network_access_follows_the_environment(public, access, acls) -> None:
    env = environment(public_network_access=public)
    account = build(env, "swedencentral", (managed_workload("chat", ("swedencentral",)),))
    props = account.of_type(ACCOUNT)[0].inputs["properties"]
    assert props["publicNetworkAccess"] == access
    assert props.get("networkAcls") == acls


def test_the_endpoint_is_the_accounts_openai_host() -> None:
    env = environment()
    result = build(env, "swedencentral", (managed_workload("chat", ("swedencentral",)),))
    name = account_name(env.name, "swedencentral")
    assert result.exports["endpoint"] == f"https://{name}.openai.azure.com/"


def test_the_name_differs_per_subscription_and_is_stable_within_one() -> None:
    """The second subscription to deploy an environment must not meet the first one's name."""
    w = (managed_workload("chat", ("swedencentral",)),)

    def name(subscription: str) -> str:
        result = build(environment(), "swedencentral", w, subscription=subscription)
        return result.of_type(ACCOUNT)[0].inputs["accountName"]

    assert name(SUBSCRIPTION_ID) == name(SUBSCRIPTION_ID) == account_name("test", "swedencentral")
    assert name(OTHER_SUBSCRIPTION) == account_name("test", "swedencentral", OTHER_SUBSCRIPTION)
    assert name(OTHER_SUBSCRIPTION) != name(SUBSCRIPTION_ID)


@pytest.mark.parametrize(("handling", "restore"), [("purge", None), ("restore", True)])
def test_soft_deleted_accounts_are_restored_only_when_the_environment_says(handling, restore):
    result = build(
        environment(soft_deleted=handling),
        "swedencentral",
        (managed_workload("chat", ("swedencentral",)),),
    )
    assert result.of_type(ACCOUNT)[0].inputs["properties"].get("restore") == restore
    name = account_name("test", "swedencentral")
    assert result.exports["purge"] == (
        f"az cognitiveservices account purge --name {name} --location swedencentral "
        "--resource-group rg-test"
    )


# --- deployments -------------------------------------------------------------------------------


def test_deployments_carry_the_plans_type_capacity_and_pinned_model(dev_plan) -> None:
    env = dev_plan.environment("dev")
    workloads = managed(dev_plan, "dev")
    region = workloads[0].regions[0]
    result = build(env, region, workloads)
    deployments = {d.inputs["deploymentName"]: d for d in result.of_type(DEPLOYMENT)}

    expected = {w.name: w for w in workloads if w.regions[0] == region}
    assert set(deployments) == set(expected)
    expected_account = account_name("dev", region)
    for name, w in expected.items():
        d = deployments[name].inputs
        assert d["accountName"] == expected_account
        assert d["sku"] == {
            "name": w.azure_openai.deployment_type,
            "capacity": w.azure_openai.capacity,
        }
        assert d["properties"]["model"] == {
            "format": "OpenAI",
            "name": w.azure_openai.model,
            "version": w.azure_openai.model_version,
        }
        # token-billed: upgraded at retirement instead of failing (the plan's decision)
        assert w.azure_openai.version_upgrade == "OnceCurrentVersionExpired"
        assert d["properties"]["versionUpgradeOption"] == "OnceCurrentVersionExpired"
        assert d["properties"]["raiPolicyName"] == "Microsoft.DefaultV2"
    assert result.exports["deployments"] == sorted(expected)


def test_a_foundry_model_sold_by_azure_deploys_with_its_format_on_a_foundry_account() -> None:
    """Llama-3.3-70B-Instruct (format Meta) needs a Foundry (kind AIServices) account; the OpenAI
    model beside it on that account keeps its OpenAI format, and a region with OpenAI models only
    keeps its kind-OpenAI account."""
    llama = managed_workload(
        "open-chat",
        ("swedencentral",),
        deployment_type="GlobalStandard",
        model="Llama-3.3-70B-Instruct",
        model_version="1",
        model_format="Meta",
    )
    gpt = managed_workload("assist", ("swedencentral",))
    result = build(environment(), "swedencentral", (llama, gpt))
    (account,) = result.of_type(ACCOUNT)
    assert account.inputs["kind"] == "AIServices"
    models = {
        d.inputs["deploymentName"]: d.inputs["properties"]["model"]
        for d in result.of_type(DEPLOYMENT)
    }
    assert models == {
        "open-chat": {"format": "Meta", "name": "Llama-3.3-70B-Instruct", "version": "1"},
        "assist": {"format": "OpenAI", "name": "gpt-4o", "version": "2024-11-20"},
    }
    only_openai = build(environment(), "swedencentral", (gpt,)).of_type(ACCOUNT)
    assert [a.inputs["kind"] for a in only_openai] == ["OpenAI"]


@pytest.mark.parametrize("reverse", [False, True], ids=["given-order", "reversed"])
def test_deployments_are_created_one_after_another_in_name_order(reverse) -> None:
    """Azure rejects concurrent deployment writes on one account: each waits for the last."""
    workloads = tuple(
        managed_workload(name, ("swedencentral",)) for name in ("chat", "assist", "zeta", "beta")
    )
    if reverse:
        workloads = workloads[::-1]
    result = build(environment(), "swedencentral", workloads)
    chain = sorted(result.of_type(DEPLOYMENT), key=lambda r: r.inputs["deploymentName"])
    assert [d.inputs["deploymentName"] for d in chain] == ["assist", "beta", "chat", "zeta"]
    assert chain[0].depends_on == ()
    for before, after in itertools.pairwise(chain):
        assert after.depends_on == (before.urn,)
    assert all(d.protect for d in chain)


def test_a_failover_region_gets_the_failover_entrys_type_and_capacity() -> None:
    failover = (AzureOpenAIFailover("francecentral", "DataZoneStandard", 30, "ktpm", "datazone"),)
    w = managed_workload(
        "claims",
        ("swedencentral", "francecentral"),
        deployment_type="DataZoneProvisionedManaged",
        capacity=15,
        failover=failover,
    )
    primary = build(environment(), "swedencentral", (w,)).of_type(DEPLOYMENT)
    secondary = build(environment(), "francecentral", (w,)).of_type(DEPLOYMENT)

    assert [d.inputs["sku"] for d in primary] == [
        {"name": "DataZoneProvisionedManaged", "capacity": 15}
    ]
    assert [d.inputs["sku"] for d in secondary] == [{"name": "DataZoneStandard", "capacity": 30}]
    # same deployment name in both regions: the gateway routes to /deployments/<workload> alike
    assert primary[0].inputs["deploymentName"] == secondary[0].inputs["deploymentName"] == "claims"
    assert secondary[0].inputs["tags"]["role"] == "failover"


def test_workloads_of_other_regions_and_self_hosted_ones_get_no_deployment(dev_plan) -> None:
    others = tuple(w for w in dev_plan.workloads_of("dev") if w.azure_openai is None)
    far = managed_workload("far", ("eastus2",))
    accounts = openai_accounts((*others, far))
    assert [(a.region, [d.workload for d in a.deployments]) for a in accounts] == [
        ("eastus2", ["far"])
    ]


def test_an_account_holds_its_deployments_in_workload_order_whatever_the_input_order() -> None:
    failover = (AzureOpenAIFailover("francecentral", "Standard", 30, "ktpm", "region"),)
    b = managed_workload("b", ("swedencentral", "francecentral"), failover=failover)
    a = managed_workload("a", ("francecentral",), capacity=7)
    for order in ((a, b), (b, a)):
        accounts = openai_accounts(order)
        assert [a.region for a in accounts] == ["francecentral", "swedencentral"]
        france, sweden = accounts
        assert [
            (d.workload, d.role, d.deployment_type, d.capacity) for d in france.deployments
        ] == [
            ("a", "primary", "DataZoneStandard", 7),
            ("b", "failover", "Standard", 30),
        ]
        assert [(d.workload, d.role) for d in sweden.deployments] == [("b", "primary")]


def test_two_deployments_of_one_workload_in_one_region_are_refused() -> None:
    w = managed_workload(
        "chat",
        ("swedencentral",),
        failover=(AzureOpenAIFailover("swedencentral", "Standard", 1, "ktpm", "region"),),
    )
    with pytest.raises(ValueError, match="more than one Azure OpenAI deployment"):
        openai_accounts((w,))


ACCOUNT = "azure-native:cognitiveservices:Account"


def test_past_the_per_account_limit_deployments_spread_over_accounts_chained_per_account():
    """Issue 23 item 15: at most 32 standard deployments per account (Learn quotas and limits);
    70 workloads in one region take three accounts, each with its own chain of at most 32, so
    no chain grows with the environment (1,000 workloads used to make one chain of 1,000)."""
    names = [f"w{i:03d}" for i in range(70)]
    result = build(
        environment(),
        "swedencentral",
        tuple(managed_workload(n, ("swedencentral",)) for n in names),
    )
    accounts = result.of_type(ACCOUNT)
    assert len(accounts) == 3
    by_account: dict[str, list] = {}
    for d in result.of_type(DEPLOYMENT):
        by_account.setdefault(str(d.inputs["accountName"]), []).append(d)
    sizes = sorted(len(v) for v in by_account.values())
    assert sizes == [6, 32, 32]
    for chain in by_account.values():
        chain.sort(key=lambda r: r.inputs["deploymentName"])
        assert chain[0].depends_on == ()  # each account's chain starts afresh
        for before, after in itertools.pairwise(chain):
            assert after.depends_on == (before.urn,)
    # The first account keeps a one-account region's name.
    assert account_name("test", "swedencentral") in {a.inputs["accountName"] for a in accounts}


def test_a_planned_open_70b_on_azures_offer_reaches_the_program_as_format_meta() -> None:
    """From the sizing of llama-3.3-70b (deployment auto, light load) to the deployment the
    program registers: the plan's model, version, type, capacity and format, on a Foundry
    account."""
    from sizing.catalog import default_catalog
    from sizing.search.optimizer import plan_workload
    from tests.plan_builders import open_70b_request

    req = open_70b_request()
    planned = plan_workload(req, catalog=default_catalog())
    assert planned.azure_openai is not None
    result = build(environment(), "swedencentral", (planned,))
    (account,) = result.of_type(ACCOUNT)
    (deployment,) = result.of_type(DEPLOYMENT)
    assert account.inputs["kind"] == "AIServices"
    assert deployment.inputs["sku"] == {
        "name": planned.azure_openai.deployment_type,
        "capacity": planned.azure_openai.capacity,
    }
    assert deployment.inputs["properties"]["model"] == {
        "format": "Meta",
        "name": "Llama-3.3-70B-Instruct",
        "version": "1",
    }


def test_the_showcase_wires_the_foundry_role_for_its_llama_deployment(prod_capture) -> None:
    """The environment (components/environment.py) hands the gateway its Foundry accounts: the
    showcase's open-70b-managed workload puts Llama-3.3-70B-Instruct in swedencentral."""
    from components.roles import COGNITIVE_SERVICES_USER

    foundry = [a for a in prod_capture.of_type(ACCOUNT) if a.inputs["kind"] == "AIServices"]
    assert [a.inputs["location"] for a in foundry] == ["swedencentral"]
    users = [
        r.inputs["scope"]
        for r in prod_capture.of_type("azure-native:authorization:RoleAssignment")
        if r.inputs["roleDefinitionId"].endswith(COGNITIVE_SERVICES_USER)
    ]
    assert len(users) == 1 and users[0].endswith(f"/{foundry[0].name}")
    llama = [
        d.inputs["properties"]["model"]
        for d in prod_capture.of_type(DEPLOYMENT)
        if d.inputs["properties"]["model"]["format"] != "OpenAI"
    ]
    assert llama == [{"format": "Meta", "name": "Llama-3.3-70B-Instruct", "version": "1"}]


# --- PTU + spillover -----------------------------------------------------------------------------


def spillover_workload(name: str = "support") -> WorkloadPlan:
    """A Global provisioned deployment spilling to a GlobalStandard one (sized by the plan)."""
    w = managed_workload(name, ("eastus2",), deployment_type="GlobalProvisionedManaged")
    spill = AzureOpenAISpillover(
        deployment_type="GlobalStandard",
        capacity=2005,
        capacity_unit="ktpm",
        steady_share=0.4,
        steady_share_stated=True,
        provisioned_share=0.4,
        spill_token_share=0.42,
    )
    plan = dataclasses.replace(
        w.azure_openai,
        capacity=530,
        capacity_unit="ptu",
        residency_scope="global",
        version_upgrade="NoAutoUpgrade",
        spillover=spill,
    )
    return dataclasses.replace(w, azure_openai=plan)


def test_a_spillover_plan_deploys_the_standard_deployment_first_and_names_it_on_the_ptus():
    """[spillover]: spilloverDeploymentName on the provisioned deployment names a Standard
    deployment in the same account; that one is created first, the PTUs wait for it."""
    result = build(environment(), "eastus2", (spillover_workload(),))
    chain = result.of_type(DEPLOYMENT)
    by_name = {d.inputs["deploymentName"]: d for d in chain}
    assert set(by_name) == {"support", "support-spill"}
    ptu, spill = by_name["support"], by_name["support-spill"]
    assert ptu.inputs["sku"] == {"name": "GlobalProvisionedManaged", "capacity": 530}
    assert ptu.inputs["properties"]["spilloverDeploymentName"] == "support-spill"
    assert ptu.inputs["properties"]["versionUpgradeOption"] == "NoAutoUpgrade"
    assert spill.inputs["sku"] == {"name": "GlobalStandard", "capacity": 2005}
    assert "spilloverDeploymentName" not in spill.inputs["properties"]
    # the spillover upgrades like any token-billed deployment instead of failing at retirement
    assert spill.inputs["properties"]["versionUpgradeOption"] == "OnceCurrentVersionExpired"
    assert spill.inputs["tags"]["role"] == "spillover"
    assert spill.depends_on == () and ptu.depends_on == (spill.urn,)
    assert result.exports["deployments"] == ["support", "support-spill"]


def test_a_workload_without_spillover_names_none():
    result = build(environment(), "swedencentral", (managed_workload("chat", ("swedencentral",)),))
    (d,) = result.of_type(DEPLOYMENT)
    assert "spilloverDeploymentName" not in d.inputs["properties"]


def test_a_ptu_and_its_spillover_never_straddle_two_accounts():
    """Spillover needs both deployments in one resource: a pair that would cross the 32 limit
    opens the next account together."""
    names = [f"w{i:03d}" for i in range(31)]
    workloads = (*(managed_workload(n, ("eastus2",)) for n in names), spillover_workload("zz"))
    (account,) = openai_accounts(workloads)
    shards = account_shards(account.deployments)
    assert [len(s) for s in shards] == [31, 2]
    assert [d.deployment_name for d in shards[1]] == ["zz-spill", "zz"]


def test_quota_counts_the_spillover_deployment_under_its_own_type():
    """Quota is per region x model x deployment type: the spillover's kTPM count against the
    Standard type's quota, the PTUs against the provisioned one's."""
    from sizing.catalog import default_catalog
    from sizing.deploy.quota import environment_quota

    accounts = openai_accounts((spillover_workload(),))
    needed = {
        (q.key.deployment_type, q.key.unit): q.needed
        for q in environment_quota((), accounts, catalog=default_catalog())
    }
    assert needed == {("GlobalProvisionedManaged", "ptu"): 530, ("GlobalStandard", "ktpm"): 2005}


def test_the_preview_tree_shows_where_the_ptus_spill():
    from inferplan.offline.preview_tree import describe

    result = build(environment(), "eastus2", (spillover_workload(),))
    lines = {d.inputs["deploymentName"]: describe(d) for d in result.of_type(DEPLOYMENT)}
    assert "spillover=support-spill" in lines["support"]
    assert "spillover=" not in lines["support-spill"]
