"""inferplan preflight: the plan against recorded Azure answers, check by check and end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from inferplan.cli.main import main
from inferplan.preflight.apis import (
    GatewayTierOffer,
    KubernetesVersionOffer,
    QuotaUsage,
    VmSizeOffer,
)
from inferplan.preflight.checks import (
    check_gateway_tier,
    check_kubernetes_versions,
    check_vcpu_quota,
    check_vm_sizes,
)
from inferplan.preflight.client import AzureClient
from inferplan.preflight.engine import preflight
from inferplan.preflight.findings import Answers, RegionAnswers
from inferplan.preflight.needs import plan_needs, planned_names
from inferplan.preflight.recorded import RecordedTransport
from inferplan.preflight.stack_inputs import subscription_for
from sizing.plan import AzureOpenAIFailover

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "preflight"
SUB = "00000000-0000-0000-0000-000000000000"


def run_recorded(plan, environment: str, recording: str):
    client = AzureClient(RecordedTransport.from_file(FIXTURES / recording), sleep=lambda s: None)
    return preflight(plan, environment, client=client, subscription_id=SUB)


def statuses(report) -> set[tuple[str, str, str]]:
    return {(f.check, f.status, f.problem) for f in report.findings}


# --- the plan's needs ---------------------------------------------------------------------------


def test_needs_are_what_the_program_builds(prod_plan, prod_capture):
    """Pools, clusters, deployments and names of the showcase prod stack, compared with the
    resources its Pulumi program registers under mocks."""
    needs = plan_needs(prod_plan, "prod", subscription_id=SUB)
    capture = prod_capture
    pools = {
        (
            r.inputs["resourceName"],
            r.inputs["agentPoolName"],
            r.inputs["vmSize"],
            r.inputs["maxCount"],
        )
        for r in capture.of_type("azure-native:containerservice:AgentPool")
    }
    cluster_names = {c.region: c.name for c in needs.clusters}
    assert pools == {
        (cluster_names[p.region], p.pool, p.vm_size, p.max_nodes)
        for p in needs.pools
        if p.pool != "system"
    }
    deployments = {
        (
            r.inputs["accountName"],
            r.inputs["deploymentName"],
            r.inputs["sku"]["name"],
            r.inputs["sku"]["capacity"],
        )
        for r in capture.of_type("azure-native:cognitiveservices:Deployment")
    }
    assert deployments == {
        (d.account, d.deployment_name, d.deployment_type, d.capacity) for d in needs.deployments
    }


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_planned_names_are_the_names_the_program_registers(stack, dev_plan, shipped_prod_plan):
    """Globally unique names come from the components' own naming calls; if the components
    change how they name things, this fails until preflight follows."""
    from conftest import capture_environment

    plan = dev_plan if stack == "dev" else shipped_prod_plan
    needs = plan_needs(plan, stack, subscription_id=SUB)
    names = planned_names(
        plan,
        stack,
        subscription_id=SUB,
        aks_regions=needs.aks_regions,
        openai_regions=needs.openai_regions,
    )
    capture = capture_environment(plan, stack)

    def registered(type_: str, field: str) -> set[str]:
        return {r.inputs[field] for r in capture.of_type(f"azure-native:{type_}")}

    assert registered("resources:ResourceGroup", "resourceGroupName") == {names.resource_group}
    assert registered("apimanagement:ApiManagementService", "serviceName") == {names.gateway}
    assert registered("cognitiveservices:Account", "accountName") == set(names.accounts.values())
    assert registered("containerservice:ManagedCluster", "resourceName") == set(
        names.clusters.values()
    )


# --- every kind of finding, from one recording ---------------------------------------------------


def test_prod_recording_finds_each_kind_of_problem(shipped_prod_plan):
    report = run_recorded(shipped_prod_plan, "prod", "prod-findings.json")
    blocking = {(f.check, f.problem) for f in report.findings if f.status == "blocking"}
    assert blocking == {
        ("vm-size", "zones"),  # NC80adis_H100_v5 in zones 1-2 only; the pool spans 1-3
        ("vcpu-quota", "quota"),  # 4 x 40 + 18 x 80 vCPUs of one family against 320
        ("kubernetes-version", "version-not-offered"),  # the catalog's 1.36 not offered
        ("openai-model", "type-not-offered"),  # gpt-5.4-mini not as DataZoneStandard
        ("openai-quota", "quota"),  # 1,800 ktpm of embeddings against 800 free
        ("soft-deleted-name", "soft-deleted"),  # a deleted API Management holds the name
    }
    assert report.exit_code == 1
    assert report.waited_s == 7  # the recorded 429 asked for 7 s
    assert all(f.fix for f in report.findings if f.status != "ok")


def _finding(report, check: str, status: str = "blocking"):
    return next(f for f in report.findings if f.check == check and f.status == status)


# vCPUs per node of the GPU sizes in prod-findings.json (Resource SKUs "vCPUs" capability).
PROD_RECORDED_VCPUS = {"Standard_NC40ads_H100_v5": 40, "Standard_NC80adis_H100_v5": 80}


def test_a_vcpu_shortfall_names_the_quota_to_request(shipped_prod_plan):
    """Both H100 pools are in one VM family, so one quota covers them: the fix asks for the
    family's sum and leaves which pool to shrink to the owner."""
    report = run_recorded(shipped_prod_plan, "prod", "prod-findings.json")
    finding = _finding(report, "vcpu-quota")
    pools = [
        p
        for p in plan_needs(shipped_prod_plan, "prod", subscription_id=SUB).pools
        if p.vm_size in PROD_RECORDED_VCPUS
    ]
    needed = sum(p.max_nodes * PROD_RECORDED_VCPUS[p.vm_size] for p in pools)
    assert len(pools) == 2
    assert (finding.needed, finding.available) == (needed, 320)
    assert f"to at least {needed} vCPUs" in finding.fix  # current usage 0 + what the plan adds
    assert "cap " not in finding.fix


def test_a_one_pool_family_shortfall_also_names_a_smaller_pool(dev_plan):
    needs = plan_needs(dev_plan, "dev", subscription_id=SUB)
    region = needs.aks_regions[0]
    pool = next(p for p in needs.pools if p.pool != "system")
    offers = {
        (p.vm_size, region): VmSizeOffer(p.vm_size, region, f"fam-{p.pool}", 4, ("1", "2", "3"))
        for p in needs.pools
    }
    usages = {f"fam-{p.pool}": QuotaUsage(f"fam-{p.pool}", p.pool, 0, 1000) for p in needs.pools}
    usages[f"fam-{pool.pool}"] = QuotaUsage(f"fam-{pool.pool}", pool.pool, 0, 8)
    usages["cores"] = QuotaUsage("cores", "Total Regional vCPUs", 0, 1000)

    findings = check_vcpu_quota(
        needs, _answers(region, vm_sizes=offers, compute_usages=usages, agent_pools=())
    )

    finding = next(f for f in findings if f.check == "vcpu-quota" and pool.pool in f.resource)
    assert (finding.status, finding.needed, finding.available) == (
        "blocking",
        pool.max_nodes * 4,
        8,
    )
    assert f"cap {pool.pool} at {8 // 4} nodes instead of {pool.max_nodes}" in finding.fix


def test_an_openai_shortfall_names_the_usage_and_the_target(shipped_prod_plan):
    report = run_recorded(shipped_prod_plan, "prod", "prod-findings.json")
    finding = _finding(report, "openai-quota")
    assert finding.resource == "OpenAI.Standard.text-embedding-3-large"
    assert (finding.needed, finding.available) == (1800, 1000 - 200)
    assert "of at least 2000" in finding.fix  # 200 in use + 1,800 planned


def test_the_soft_deleted_name_says_how_to_purge_it(shipped_prod_plan):
    report = run_recorded(shipped_prod_plan, "prod", "prod-findings.json")
    finding = _finding(report, "soft-deleted-name")
    gateway = plan_needs(shipped_prod_plan, "prod", subscription_id=SUB).gateway
    assert finding.resource == f"API Management {gateway.name}"
    assert f"az apim deletedservice purge --service-name {gateway.name}" in finding.fix
    assert "2026-12-10" in finding.azure


def test_an_already_deployed_stack_counts_its_own_usage_once(dev_plan):
    """dev's pools and deployments exist and are in the usages: only the difference to the
    plan's maximum has to be free."""
    report = run_recorded(dev_plan, "dev", "dev-clear.json")
    assert report.exit_code == 0 and statuses(report) == {
        (f.check, "ok", "none") for f in report.findings
    }
    gpu = next(f for f in report.findings if f.check == "vcpu-quota" and "NCASv3" in f.resource)
    (triage,) = [w for w in dev_plan.workloads if w.aks is not None]
    ceiling = triage.aks.max_nodes_per_region * triage.aks.vm_vcpus
    assert gpu.needed == ceiling - 2 * 4  # the pool's ceiling less the 2 nodes running (4 vCPUs)
    embeddings = next(f for f in report.findings if f.resource.endswith("text-embedding-3-large"))
    assert embeddings.needed == 0  # deployed at the planned capacity already


def test_an_empty_region_and_a_forbidden_api(dev_plan):
    report = run_recorded(dev_plan, "dev", "dev-empty-region-forbidden.json")
    not_offered = [f for f in report.findings if f.problem == "not-offered"]
    assert {f.resource.split()[1] for f in not_offered} == {"system", "nc4as0e34a10"}
    assert all("lists no VM size at all in westeurope" in f.azure for f in not_offered)
    forbidden = _finding(report, "vcpu-quota", "unchecked")
    assert forbidden.problem == "api-error" and "HTTP 403 AuthorizationFailed" in forbidden.azure
    assert "Reader" in forbidden.fix and "Microsoft.Compute/locations/usages/read" in forbidden.fix
    assert report.exit_code == 1  # what could not be checked is not all clear


# --- single checks with typed answers ----------------------------------------------------------


def _answers(region: str, **fields) -> Answers:
    return Answers(regions={region: RegionAnswers(**fields)})


@pytest.mark.parametrize(
    ("offer", "problem"),
    [
        (VmSizeOffer("S", "r", "f", 4, ("1", "2", "3")), "none"),
        (
            VmSizeOffer(
                "S",
                "r",
                "f",
                4,
                ("1", "2", "3"),
                restricted_zones=("3",),
                reason_codes=("NotAvailableForSubscription",),
            ),
            "zones",
        ),
        (
            VmSizeOffer(
                "S", "r", "f", 4, (), restricted=True, reason_codes=("NotAvailableForSubscription",)
            ),
            "restricted",
        ),
        (None, "not-offered"),
    ],
    ids=["offered", "zone-restricted", "region-restricted", "absent"],
)
def test_vm_size_check(dev_plan, offer, problem):
    needs = plan_needs(dev_plan, "dev", subscription_id=SUB)
    pool = next(p for p in needs.pools if p.pool != "system")
    offers = {} if offer is None else {(pool.vm_size, pool.region): _rename(offer, pool)}
    other = VmSizeOffer("Standard_Other", pool.region, "f", 2, ())
    offers[(other.name, other.location)] = other  # the region itself is not empty
    findings = check_vm_sizes(needs, _answers(pool.region, vm_sizes=offers))
    finding = next(f for f in findings if pool.pool in f.resource)
    assert finding.problem == problem
    assert finding.status == ("ok" if problem == "none" else "blocking")


def _rename(offer: VmSizeOffer, pool) -> VmSizeOffer:
    from dataclasses import replace

    return replace(offer, name=pool.vm_size, location=pool.region)


def test_regional_total_can_block_when_every_family_fits(dev_plan):
    needs = plan_needs(dev_plan, "dev", subscription_id=SUB)
    region = needs.aks_regions[0]
    offers = {
        (p.vm_size, region): VmSizeOffer(p.vm_size, region, f"fam-{p.pool}", 4, ("1", "2", "3"))
        for p in needs.pools
    }
    usages = {f"fam-{p.pool}": QuotaUsage(f"fam-{p.pool}", p.pool, 0, 1000) for p in needs.pools}
    usages["cores"] = QuotaUsage("cores", "Total Regional vCPUs", 90, 100)
    findings = check_vcpu_quota(
        needs, _answers(region, vm_sizes=offers, compute_usages=usages, agent_pools=())
    )
    total = next(f for f in findings if f.check == "regional-vcpu-quota")
    planned = sum(p.max_nodes * 4 for p in needs.pools)
    assert (total.status, total.needed, total.available) == ("blocking", planned, 10)
    assert f"of at least {90 + planned}" in total.fix
    assert all(f.status == "ok" for f in findings if f.check == "vcpu-quota")


@pytest.mark.parametrize(
    ("offered", "status", "problem"),
    [
        (lambda v: ((v, (f"{v}.4",), ("KubernetesOfficial",), False, True),), "ok", "none"),
        (
            lambda v: ((v, (f"{v}.4",), ("AKSLongTermSupport",), False, False),),
            "blocking",
            "lts-only",
        ),
        (
            lambda v: ((v, (f"{v}.4",), ("KubernetesOfficial",), True, False),),
            "warning",
            "preview",
        ),
        (
            lambda v: (("1.99", ("1.99.1",), ("KubernetesOfficial",), False, True),),
            "blocking",
            "version-not-offered",
        ),
    ],
    ids=["offered", "lts-only", "preview", "absent"],
)
def test_kubernetes_version_check(dev_plan, offered, status, problem):
    """What AKS offers for the plan's version (the aks_versions catalog's choice)."""
    needs = plan_needs(dev_plan, "dev", subscription_id=SUB)
    cluster = needs.clusters[0]
    offers = tuple(KubernetesVersionOffer(*o) for o in offered(cluster.kubernetes_version))
    (finding,) = check_kubernetes_versions(
        needs, _answers(cluster.region, kubernetes_versions=offers)
    )
    assert (finding.status, finding.problem) == (status, problem)


def test_a_pinned_patch_must_be_offered(dev_plan):
    from dataclasses import replace

    needs = plan_needs(dev_plan, "dev", subscription_id=SUB)
    cluster = replace(needs.clusters[0], kubernetes_version="1.31.2")
    needs = replace(needs, clusters=(cluster,))
    offered = (
        KubernetesVersionOffer("1.31", ("1.31.4", "1.31.7"), ("KubernetesOfficial",), False, True),
    )
    (finding,) = check_kubernetes_versions(
        needs, _answers(cluster.region, kubernetes_versions=offered)
    )
    assert finding.problem == "version-not-offered"
    assert finding.azure == "1.31 is offered with patches 1.31.4, 1.31.7"


@pytest.mark.parametrize(
    ("tiers", "status", "problem"),
    [
        ({"Developer": GatewayTierOffer("Developer", ("swedencentral",), ())}, "ok", "none"),
        (
            {"Developer": GatewayTierOffer("Developer", ("westeurope",), ())},
            "blocking",
            "not-offered",
        ),
        (
            {"Developer": GatewayTierOffer("Developer", ("swedencentral",), ("swedencentral",))},
            "blocking",
            "restricted",
        ),
        ({"Premium": GatewayTierOffer("Premium", ("swedencentral",), ())}, "warning", "not-listed"),
    ],
    ids=["offered", "other-region", "restricted", "tier-not-listed"],
)
def test_gateway_tier_check(dev_plan, tiers, status, problem):
    needs = plan_needs(dev_plan, "dev", subscription_id=SUB)
    (finding,) = check_gateway_tier(needs, Answers(gateway_tiers=tiers))
    assert (finding.status, finding.problem) == (status, problem)


# --- the command -------------------------------------------------------------------------------


def invoke(*args: str, env: dict[str, str] | None = None):
    environment = {"AZURE_SUBSCRIPTION_ID": "", "ARM_SUBSCRIPTION_ID": "", **(env or {})}
    return CliRunner().invoke(main, ["preflight", *args], env=environment)


def test_command_exit_1_and_json(tmp_path):
    result = invoke(
        "prod",
        "--subscription",
        SUB,
        "--recorded",
        str(FIXTURES / "prod-findings.json"),
        "--format",
        "json",
    )
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["kind"] == "PreflightReport" and data["ready"] is False
    assert data["counts"]["blocking"] == 6
    again = invoke(
        "prod",
        "--subscription",
        SUB,
        "--recorded",
        str(FIXTURES / "prod-findings.json"),
        "--format",
        "json",
    )
    assert again.stdout == result.stdout  # same answers, same bytes


def test_command_exit_0_markdown_to_a_file(tmp_path):
    out = tmp_path / "preflight.md"
    result = invoke(
        "dev",
        "--recorded",
        str(FIXTURES / "dev-clear.json"),
        "--format",
        "markdown",
        "--output",
        str(out),
        env={"AZURE_SUBSCRIPTION_ID": SUB},
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert text.startswith("<!-- inferplan-preflight:dev -->")
    assert "ready to deploy" in result.stderr


def test_no_subscription_is_bad_input():
    result = invoke("dev", "--recorded", str(FIXTURES / "dev-clear.json"))
    assert result.exit_code == 2
    assert "pass --subscription" in result.stderr and "Traceback" not in result.output


def test_a_subscription_that_is_not_a_guid_is_bad_input():
    result = invoke(
        "dev", "--subscription", "my-sub", "--recorded", str(FIXTURES / "dev-clear.json")
    )
    assert result.exit_code == 2
    assert "--subscription: subscription id 'my-sub' is not a GUID" in result.stderr


def test_an_unrecorded_answer_is_bad_input():
    result = invoke(
        "dev", "--subscription", SUB, "--recorded", str(FIXTURES / "prod-findings.json")
    )
    assert result.exit_code == 2
    assert "no recorded answer for GET" in result.stderr


def test_no_credentials_is_exit_2_with_how_to_log_in(monkeypatch):
    import azure.identity
    from azure.core.exceptions import ClientAuthenticationError

    class NoIdentity:
        def get_token(self, *scopes):
            raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token")

    monkeypatch.setattr(azure.identity, "DefaultAzureCredential", NoIdentity)
    result = invoke("dev", "--subscription", SUB)
    assert result.exit_code == 2
    assert "no Azure credentials: run `az login`" in result.stderr
    assert "Traceback" not in result.output


def test_recording_a_run_replays_to_the_same_report(tmp_path):
    record = tmp_path / "answers.json"
    first = invoke(
        "prod",
        "--subscription",
        SUB,
        "--recorded",
        str(FIXTURES / "prod-findings.json"),
        "--record",
        str(record),
        "--format",
        "json",
    )
    replay = invoke("prod", "--subscription", SUB, "--recorded", str(record), "--format", "json")
    assert first.exit_code == replay.exit_code == 1
    assert replay.stdout == first.stdout


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            "config:\n  azure-native:subscriptionId: 11111111-2222-3333-4444-555555555555\n",
            "11111111-2222-3333-4444-555555555555",
        ),
        (
            "config:\n  azure-native:subscriptionId:\n"
            "    value: AAAAAAAA-2222-3333-4444-555555555555\n",
            "aaaaaaaa-2222-3333-4444-555555555555",
        ),
        ("config:\n  azure-native:location: swedencentral\n", None),
    ],
    ids=["short-form", "long-form", "absent"],
)
def test_subscription_from_pulumi_stack_config(tmp_path, config, expected):
    (tmp_path / "Pulumi.dev.yaml").write_text(config)
    assert subscription_for("dev", given=None, environ={}, root=tmp_path) == expected


def test_a_bad_subscription_in_pulumi_config_points_at_its_line(tmp_path):
    from inputs.errors import SpecValidationError

    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  azure-native:subscriptionId: nope\n")
    with pytest.raises(SpecValidationError) as error:
        subscription_for("dev", given=None, environ={}, root=tmp_path)
    assert error.value.problems[0].format() == (
        f"{tmp_path}/Pulumi.dev.yaml:2:32: config.azure-native:subscriptionId: "
        "subscription id 'nope' is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"
    )


def test_a_plan_that_cannot_be_deployed_is_exit_1_before_asking_azure():
    stack = ROOT / "tests" / "fixtures" / "plan" / "capped-stack" / "env.yaml"
    empty = ROOT / "tests" / "fixtures" / "preflight" / "dev-clear.json"
    result = invoke(str(stack), "--subscription", SUB, "--recorded", str(empty))
    assert result.exit_code == 1
    assert "cannot be deployed" in result.stderr and "exceeds the environment cap" in result.stderr


def test_an_unwritable_output_is_bad_input():
    result = invoke(
        "dev",
        "--subscription",
        SUB,
        "--recorded",
        str(FIXTURES / "dev-clear.json"),
        "-o",
        "/dev/null/x",
    )
    assert result.exit_code == 2 and "error: /dev/null" in result.output


def test_a_failover_deployment_keeps_its_own_type_and_unit(dev_plan):
    """A provisioned primary with a token-billed failover: one deployment per region, each in
    its own capacity unit."""
    from dataclasses import replace

    from sizing.deploy.openai_accounts import openai_accounts

    workload = next(w for w in dev_plan.workloads if w.azure_openai is not None)
    primary = replace(
        workload.azure_openai,
        deployment_type="DataZoneProvisionedManaged",
        capacity=15,
        capacity_unit="ptu",
        failover=(
            AzureOpenAIFailover(
                region="westeurope",
                deployment_type="DataZoneStandard",
                capacity=300,
                capacity_unit="ktpm",
                residency_scope="datazone",
            ),
        ),
    )
    changed = replace(workload, azure_openai=primary, regions=(workload.regions[0], "westeurope"))
    plan = replace(
        dev_plan, workloads=tuple(changed if w is workload else w for w in dev_plan.workloads)
    )
    # Sizing places the deployments; preflight reads the accounts the Plan holds.
    accounts = openai_accounts(plan.workloads_of("dev"))
    plan = replace(
        plan,
        environments=tuple(
            replace(e, openai_accounts=accounts) if e.name == "dev" else e
            for e in plan.environments
        ),
    )
    mine = [
        d
        for d in plan_needs(plan, "dev", subscription_id=SUB).deployments
        if d.workload == workload.name
    ]
    assert [(d.region, d.role, d.deployment_type, d.capacity, d.capacity_unit) for d in mine] == [
        (workload.regions[0], "primary", "DataZoneProvisionedManaged", 15, "ptu"),
        ("westeurope", "failover", "DataZoneStandard", 300, "ktpm"),
    ]


@pytest.mark.parametrize(
    ("lifecycle", "status", "problem"),
    [
        ("GenerallyAvailable", "ok", "none"),
        ("Legacy", "ok", "none"),
        ("Deprecating", "ok", "none"),
        ("Deprecated", "blocking", "deprecated"),
    ],
)
def test_an_undeployable_model_version_is_blocking(dev_plan, lifecycle, status, problem):
    """The models API's lifecycleStatus: a Deprecated version takes no new deployments (a
    subscription that never deployed it cannot create one), so the deployment would fail."""
    from inferplan.preflight.apis import ModelOffer
    from inferplan.preflight.checks import check_openai_models

    needs = plan_needs(dev_plan, "dev", subscription_id=SUB)
    (chat,) = [d for d in needs.deployments if d.model == "gpt-5.4-mini"]
    offer = ModelOffer(
        chat.region,
        chat.model,
        chat.version,
        chat.deployment_type,
        f"OpenAI.{chat.deployment_type}.{chat.model}",
        100_000,
        lifecycle,
        "2027-04-14" if lifecycle == "Deprecated" else None,
    )
    others = tuple(
        ModelOffer(d.region, d.model, d.version, d.deployment_type, "u", None, "", None)
        for d in needs.deployments
        if d is not chat
    )
    answers = Answers(
        regions={chat.region: RegionAnswers(models=(offer, *others))},
    )
    (found,) = [f for f in check_openai_models(needs, answers) if chat.model in f.needs]
    assert (found.status, found.problem) == (status, problem)
    if status == "blocking":
        assert found.azure == (
            "gpt-5.4-mini 2026-03-17 is Deprecated (inference ends 2027-04-14): a subscription "
            "that has never deployed it cannot create a deployment"
        )
        assert "inferplan catalog refresh models" in found.fix


def test_a_stale_catalog_is_a_warning_that_names_the_refresh_command(dev_plan):
    """preflight compares the catalog's checked dates with today: lifecycle or prices older than
    90 days is a warning (exit code unchanged), naming the command that refreshes them."""
    import datetime as dt

    from inferplan.preflight.engine import freshness_findings
    from sizing.catalog import default_catalog

    assert freshness_findings(default_catalog(), dt.date(2026, 12, 8)) == ()
    stale = freshness_findings(default_catalog(), dt.date(2027, 6, 1))
    assert [(f.check, f.status, f.problem, f.resource) for f in stale] == [
        ("catalog-freshness", "warning", "stale", "catalog azure_openai.lifecycle"),
        ("catalog-freshness", "warning", "stale", "catalog azure_openai.prices"),
    ]
    assert "`inferplan catalog refresh models`" in stale[0].fix
    client = AzureClient(
        RecordedTransport.from_file(FIXTURES / "dev-clear.json"), sleep=lambda s: None
    )
    report = preflight(dev_plan, "dev", client=client, subscription_id=SUB, freshness=stale)
    assert report.findings[-2:] == stale
    assert report.exit_code == 0 and report.counts()["warning"] == 2


def test_the_models_api_is_read_once_per_model_for_the_account_kind_it_needs():
    """Azure OpenAI models count as listed for kind OpenAI; another publisher's Foundry Model
    (Llama-3.3-70B-Instruct, format Meta) as listed for kind AIServices, the Foundry account
    OpenAIService creates for it. The other kind's copies are not counted twice."""
    from inferplan.preflight.apis import model_offers

    def item(kind: str, fmt: str, name: str, version: str) -> dict:
        sku = {"name": "GlobalStandard", "usageName": f"{kind}.GlobalStandard.{name}"}
        return {
            "kind": kind,
            "model": {"format": fmt, "name": name, "version": version, "skus": [sku]},
        }

    items = [
        item("OpenAI", "OpenAI", "gpt-4o", "2024-11-20"),
        item("AIServices", "OpenAI", "gpt-4o", "2024-11-20"),
        item("AIServices", "Meta", "Llama-3.3-70B-Instruct", "1"),
        item("OpenAI", "Meta", "Llama-3.3-70B-Instruct", "1"),  # not a kind that deploys it
        item("AIServices", "", "unnamed", "1"),
    ]
    offers = model_offers(items, location="swedencentral")
    assert [(o.model, o.usage_name) for o in offers] == [
        ("Llama-3.3-70B-Instruct", "AIServices.GlobalStandard.Llama-3.3-70B-Instruct"),
        ("gpt-4o", "OpenAI.GlobalStandard.gpt-4o"),
    ]


def test_a_spot_pool_counts_against_the_regional_spot_quota_not_its_family(dev_plan):
    """Spot VMs draw on Total Regional Spot vCPUs (lowPriorityCores) instead of their family's
    quota and Total Regional vCPUs."""
    import dataclasses

    needs = plan_needs(dev_plan, "dev", subscription_id=SUB)
    region = needs.aks_regions[0]
    gpu = next(p for p in needs.pools if p.pool != "system")
    spot = dataclasses.replace(gpu, spot=True)
    needs = dataclasses.replace(needs, pools=tuple(spot if p is gpu else p for p in needs.pools))
    offers = {
        (p.vm_size, region): VmSizeOffer(p.vm_size, region, f"fam-{p.pool}", 4, ("1", "2", "3"))
        for p in needs.pools
    }
    usages = {f"fam-{p.pool}": QuotaUsage(f"fam-{p.pool}", p.pool, 0, 0) for p in needs.pools}
    usages[f"fam-{gpu.pool}"] = QuotaUsage(f"fam-{gpu.pool}", gpu.pool, 0, 0)  # no family quota
    others = [p for p in needs.pools if p is not spot]
    for p in others:
        usages[f"fam-{p.pool}"] = QuotaUsage(f"fam-{p.pool}", p.pool, 0, 1000)
    usages["cores"] = QuotaUsage("cores", "Total Regional vCPUs", 0, 1000)
    usages["lowPriorityCores"] = QuotaUsage("lowPriorityCores", "Total Regional Spot vCPUs", 0, 2)
    findings = check_vcpu_quota(
        needs, _answers(region, vm_sizes=offers, compute_usages=usages, agent_pools=())
    )
    spot_finding = next(f for f in findings if f.resource.startswith("lowPriorityCores"))
    assert (spot_finding.status, spot_finding.needed, spot_finding.available) == (
        "blocking",
        spot.max_nodes * 4,
        2,
    )
    assert "Total Regional Spot vCPUs" in spot_finding.fix
    assert not any(f.resource.startswith(f"fam-{gpu.pool}") for f in findings)
    total = next(f for f in findings if f.check == "regional-vcpu-quota")
    assert total.needed == sum(p.max_nodes * 4 for p in others)
