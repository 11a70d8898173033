"""Environment specs: a stack's location, workload globs, gateway and limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from inputs import (
    Environment,
    InMemoryCatalogView,
    ModelFacts,
    SpecError,
    SpecKindError,
    SpecValidationError,
    load_environment,
    load_environment_workloads,
    resolve_workload_globs,
)

CATALOG = InMemoryCatalogView(
    models=(ModelFacts("gpt-4o", hosting="managed", task="chat", max_context_tokens=128000),),
    regions={"swedencentral": "eu", "westeurope": "eu", "eastus": "us"},
)

# Line numbers in the cases below refer to this text.
ENVIRONMENT = """\
apiVersion: inferplan/v1
kind: Environment
metadata:
  name: prod-eu
spec:
  location: swedencentral
  workloads: ["workloads/*.yaml"]
  gateway:
    tier: StandardV2
    publisher_email: platform@example.com
    publisher_name: Example Platform
  observability:
    retention_days: 90
  limits:
    allowed_regions: [swedencentral, westeurope]
"""


def workload_text(name: str) -> str:
    return (
        "apiVersion: inferplan/v1\nkind: Workload\n"
        f"metadata: {{name: {name}}}\n"
        "spec:\n  model: gpt-4o\n"
        "  context: {max_input_tokens: 1000, max_output_tokens: 100}\n"
        "  traffic: {peak_concurrency: 4}\n"
    )


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    """A folder with prod-eu.yaml and two workloads under workloads/ (one nested deeper)."""
    (tmp_path / "workloads" / "team").mkdir(parents=True)
    (tmp_path / "workloads" / "chat.yaml").write_text(workload_text("chat"), encoding="utf-8")
    (tmp_path / "workloads" / "team" / "rag.yaml").write_text(
        workload_text("rag"), encoding="utf-8"
    )
    (tmp_path / "prod-eu.yaml").write_text(ENVIRONMENT, encoding="utf-8")
    return tmp_path


def problems_of(folder: Path, text: str) -> list[str]:
    (folder / "env.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as raised:
        load_environment(folder / "env.yaml", CATALOG)
    prefix = str(folder) + "/"
    return [problem.format().removeprefix(prefix) for problem in raised.value.problems]


def test_valid_environment_is_defaulted_and_resolves_its_workloads(stack: Path) -> None:
    environment = load_environment(stack / "prod-eu.yaml", CATALOG)

    assert isinstance(environment, Environment)
    assert environment.name == "prod-eu"
    assert environment.spec.gateway.tier == "StandardV2"
    assert environment.spec.observability.alert_email is None
    assert environment.spec.limits.max_monthly_usd is None
    assert environment.spec.require_templates is False
    assert environment.workload_files == (stack / "workloads" / "chat.yaml",)


def test_double_star_globs_reach_nested_folders_in_sorted_order(stack: Path) -> None:
    assert resolve_workload_globs(stack, "workloads/**/*.yaml") == [
        stack / "workloads" / "chat.yaml",
        stack / "workloads" / "team" / "rag.yaml",
    ]


def test_globs_may_climb_out_with_dotdot_inside_the_project(stack: Path) -> None:
    assert resolve_workload_globs(stack / "workloads" / "team", "../chat.yaml", root=stack) == [
        stack / "workloads" / "chat.yaml"
    ]


def test_environment_workloads_load_in_file_order(stack: Path) -> None:
    text = ENVIRONMENT.replace('["workloads/*.yaml"]', '["workloads/**/*.yaml"]')
    (stack / "prod-eu.yaml").write_text(text, encoding="utf-8")
    environment = load_environment(stack / "prod-eu.yaml", CATALOG)
    workloads = load_environment_workloads(environment, CATALOG)
    assert [workload.name for workload in workloads] == ["chat", "rag"]


def test_workload_names_must_be_unique_in_an_environment(stack: Path) -> None:
    (stack / "workloads" / "team" / "rag.yaml").write_text(workload_text("chat"), encoding="utf-8")
    text = ENVIRONMENT.replace('["workloads/*.yaml"]', '["workloads/**/*.yaml"]')
    (stack / "prod-eu.yaml").write_text(text, encoding="utf-8")
    environment = load_environment(stack / "prod-eu.yaml", CATALOG)
    with pytest.raises(SpecValidationError) as raised:
        load_environment_workloads(environment, CATALOG)
    (problem,) = raised.value.problems
    assert problem.file == str(stack / "workloads" / "team" / "rag.yaml")
    assert (problem.line, problem.field) == (3, "metadata.name")
    assert problem.message.startswith("workload name 'chat' is already used by ")


def test_an_environment_cannot_list_another_environment(stack: Path) -> None:
    text = ENVIRONMENT.replace('["workloads/*.yaml"]', '["*.yaml"]')
    (stack / "prod-eu.yaml").write_text(text, encoding="utf-8")
    environment = load_environment(stack / "prod-eu.yaml", CATALOG)
    with pytest.raises(SpecKindError) as raised:
        load_environment_workloads(environment, CATALOG)
    assert raised.value.problems[0].message == "expected a Workload here"


ENVIRONMENT_CASES = [
    pytest.param(
        ("location: swedencentral", "location: swedencentrl"),
        "env.yaml:6:13: spec.location: unknown Azure region 'swedencentrl'; "
        "did you mean 'swedencentral'?",
        id="unknown-location",
    ),
    pytest.param(
        ("location: swedencentral", "location: eastus"),
        "env.yaml:6:13: spec.location: location 'eastus' is not in limits.allowed_regions "
        "(swedencentral, westeurope)",
        id="location-not-allowed",
    ),
    pytest.param(
        ("[swedencentral, westeurope]", "[swedencentral, west-europe]"),
        "env.yaml:15:38: spec.limits.allowed_regions[1]: unknown Azure region 'west-europe'; "
        "did you mean 'westeurope'?",
        id="unknown-allowed-region",
    ),
    pytest.param(
        ('["workloads/*.yaml"]', '["workloads/*.yml"]'),
        "env.yaml:7:15: spec.workloads[0]: 'workloads/*.yml' matches no file (relative to the "
        "environment file)",
        id="glob-matches-nothing",
    ),
    pytest.param(
        ('["workloads/*.yaml"]', '["/srv/workloads/*.yaml"]'),
        "env.yaml:7:15: spec.workloads[0]: must be relative to the environment file, not an "
        "absolute path",
        id="absolute-glob",
    ),
    pytest.param(
        ("tier: StandardV2", "tier: Standard_V2"),
        "env.yaml:9:11: spec.gateway.tier: must be one of 'Developer', 'Basic', 'BasicV2', "
        "'Standard', 'StandardV2', 'Premium', 'PremiumV2' or 'Consumption', got string "
        "'Standard_V2'; did you mean 'StandardV2'?",
        id="gateway-tier-typo",
    ),
    pytest.param(
        ("platform@example.com", "platform.example.com"),
        "env.yaml:10:22: spec.gateway.publisher_email: must be an e-mail address such as "
        "'platform@example.com', got string 'platform.example.com'",
        id="publisher-email",
    ),
    pytest.param(
        ("retention_days: 90", "retention_days: 7"),
        "env.yaml:13:21: spec.observability.retention_days: must be at least 30, got 7",
        id="retention-too-short",
    ),
    pytest.param(
        ('["workloads/*.yaml"]', "[]"),
        "env.yaml:7:3: spec.workloads: must list at least 1 item(s)",
        id="no-workloads",
    ),
]


@pytest.mark.parametrize(("replacement", "expected"), ENVIRONMENT_CASES)
def test_environment_rule(stack: Path, replacement: tuple[str, str], expected: str) -> None:
    old, new = replacement
    assert old in ENVIRONMENT
    assert problems_of(stack, ENVIRONMENT.replace(old, new)) == [expected]


def test_environment_file_holds_one_document(stack: Path) -> None:
    (stack / "two.yaml").write_text(ENVIRONMENT + "---\n" + ENVIRONMENT, encoding="utf-8")
    with pytest.raises(SpecKindError) as raised:
        load_environment(stack / "two.yaml", CATALOG)
    assert raised.value.problems[0].message == "an environment file holds exactly one document"


# The deploy-time settings: each one Azure, AKS or KEDA would refuse (or ignore) only after the
# first resources exist, so the spec refuses it up front. Line numbers refer to this text.
DEPLOY_SETTINGS = """\
apiVersion: inferplan/v1
kind: Environment
metadata:
  name: prod-eu
spec:
  location: swedencentral
  workloads: ["workloads/*.yaml"]
  gateway:
    tier: StandardV2
    publisher_email: platform@example.com
    publisher_name: Example Platform
  tags: {cost-center: "1234"}
  kubernetes:
    system_vm_size: Standard_D4ds_v5
    gpu_scale_to_zero: true
    working_hours: {timezone: Europe/Stockholm}
  network:
    public_network_access: false
    api_server_authorized_ip_ranges: [20.50.0.0/24]
  soft_deleted: purge
"""

DEPLOY_SETTING_CASES = [
    pytest.param(
        ("{cost-center:", "{cost/center:"),
        "env.yaml:12:3: spec.tags: tag name 'cost/center' contains /; Azure tag names cannot "
        "contain < > % & \\ ? /",
        id="tag-name-with-slash",
    ),
    pytest.param(
        ("{cost-center:", '{"":'),
        "env.yaml:12:3: spec.tags: a tag name must not be empty",
        id="empty-tag-name",
    ),
    pytest.param(
        ("{cost-center:", "{" + "a" * 513 + ":"),
        "env.yaml:12:3: spec.tags: tag name 'aaaaaaaaaaaaaaaaaaaa'... is longer than 512 "
        "characters",
        id="tag-name-too-long",
    ),
    # Of the view's two sizes, D4ds_v5 is 0.90 like the typo and D8ds_v5 0.83 (difflib ratio,
    # case and underscores ignored): within did_you_mean's 0.1 margin, so both, best first.
    pytest.param(
        ("Standard_D4ds_v5", "Standard_D4ds_v6x"),
        "env.yaml:14:21: spec.kubernetes.system_vm_size: 'Standard_D4ds_v6x' is not a VM size a "
        "system node pool may use (at least 4 vCPUs, not B-series; catalog kind "
        "system_vm_sizes); did you mean 'Standard_D4ds_v5' or 'Standard_D8ds_v5'?",
        id="unknown-system-vm-size",
    ),
    pytest.param(
        ("Europe/Stockholm", "Europe/Stokholm"),
        "env.yaml:16:31: spec.kubernetes.working_hours.timezone: unknown IANA time zone "
        "'Europe/Stokholm'; did you mean 'Europe/Stockholm'?",
        id="unknown-time-zone",
    ),
    # `localtime` is in the system's zone list (the machine's own zone) but not IANA's: the
    # gateway's off-hours rule could not be rendered from it.
    pytest.param(
        ("Europe/Stockholm", "localtime"),
        "env.yaml:16:31: spec.kubernetes.working_hours.timezone: unknown IANA time zone "
        "'localtime'",
        id="system-alias-time-zone",
    ),
    pytest.param(
        ("[20.50.0.0/24]", "[203.0.113.0/33]"),
        "env.yaml:19:39: spec.network.api_server_authorized_ip_ranges[0]: '203.0.113.0/33' is "
        "not a CIDR range such as 20.50.0.0/24: '203.0.113.0/33' does not appear to be an "
        "IPv4 or IPv6 network",
        id="bad-cidr",
    ),
    pytest.param(
        ("[20.50.0.0/24]", "[203.0.113.0/24]"),
        "env.yaml:19:39: spec.network.api_server_authorized_ip_ranges[0]: '203.0.113.0/24' is a "
        "documentation range (RFC 5737) no runner can be in: put the egress ranges of your CI "
        "runners and operators here",
        id="documentation-range",
    ),
    pytest.param(
        ("[20.50.0.0/24]", "[10.20.0.0/16]"),
        "env.yaml:19:39: spec.network.api_server_authorized_ip_ranges[0]: '10.20.0.0/16' is a "
        "private or reserved range: AKS matches authorized ranges against public source "
        "addresses",
        id="private-range",
    ),
    pytest.param(
        ("[20.50.0.0/24]", "[0.0.0.0/0]"),
        "env.yaml:19:39: spec.network.api_server_authorized_ip_ranges[0]: '0.0.0.0/0' admits "
        "every address: list the egress ranges of your runners",
        id="every-address",
    ),
    pytest.param(
        ("soft_deleted: purge", "soft_deleted: recover"),
        "env.yaml:20:17: spec.soft_deleted: must be one of 'purge' or 'restore', got string "
        "'recover'",
        id="soft-deleted-option",
    ),
]


@pytest.mark.parametrize(("replacement", "expected"), DEPLOY_SETTING_CASES)
def test_deploy_setting_rule(stack: Path, replacement: tuple[str, str], expected: str) -> None:
    old, new = replacement
    assert old in DEPLOY_SETTINGS
    assert problems_of(stack, DEPLOY_SETTINGS.replace(old, new)) == [expected]


def test_deploy_settings_load_and_the_version_defaults_to_the_catalogs_newest(stack: Path) -> None:
    (stack / "env.yaml").write_text(DEPLOY_SETTINGS, encoding="utf-8")
    spec = load_environment(stack / "env.yaml", CATALOG).spec
    assert spec.kubernetes.version is None  # the plan picks the newest GA minor (catalog)
    assert spec.network.api_server_authorized_ip_ranges == ("20.50.0.0/24",)
    assert spec.soft_deleted == "purge"
    assert spec.tags == {"cost-center": "1234"}


def test_pricing_defaults_to_on_demand_and_takes_a_commitment(stack: Path) -> None:
    assert load_environment(stack / "prod-eu.yaml", CATALOG).spec.pricing == "on-demand"
    text = ENVIRONMENT + "  pricing: reserved-1y\n"
    (stack / "reserved.yaml").write_text(text, encoding="utf-8")
    assert load_environment(stack / "reserved.yaml", CATALOG).spec.pricing == "reserved-1y"


def test_an_unknown_pricing_is_reported_at_its_line(stack: Path) -> None:
    problems = problems_of(stack, ENVIRONMENT + "  pricing: reserved-5y\n")
    assert len(problems) == 1
    assert problems[0].startswith("env.yaml:16:12: spec.pricing: must be one of 'on-demand', ")
    assert "got string 'reserved-5y'" in problems[0]


def test_spot_is_off_by_default_and_takes_a_floor(stack: Path) -> None:
    spot = load_environment(stack / "prod-eu.yaml", CATALOG).spec.spot
    assert (spot.allowed, spot.min_availability) == (False, None)
    text = ENVIRONMENT + "  spot: {allowed: true, min_availability: 95}\n"
    (stack / "spot.yaml").write_text(text, encoding="utf-8")
    spot = load_environment(stack / "spot.yaml", CATALOG).spec.spot
    assert (spot.allowed, spot.min_availability) == (True, 95.0)


@pytest.mark.parametrize(
    ("spot", "expected"),
    [
        (
            "{min_availability: 95}",
            "env.yaml:16:28: spec.spot.min_availability: min_availability applies to spot "
            "pools; set spot.allowed: true or remove it",
        ),
        ("{allowed: true, min_availability: 80}", "env.yaml:16:43: spec.spot.min_availability: "),
        ("{allowed: yes-please}", "env.yaml:16:19: spec.spot.allowed: "),
        ("{allow: true}", "env.yaml:16:10: spec.spot.allow: "),
    ],
)
def test_a_bad_spot_setting_is_reported_at_its_line(stack: Path, spot: str, expected: str) -> None:
    problems = problems_of(stack, ENVIRONMENT + f"  spot: {spot}\n")
    assert len(problems) == 1 and problems[0].startswith(expected), problems
