"""``inferplan check``: every example stack checks clean with the policy rules, strict schemas
and checkov together; a broken stack exits 1 with its findings; bad input exits 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from inferplan.cli.main import main
from inferplan.review.checks import run_check, stack_enforcement, validate_manifests
from inputs.errors import SpecValidationError
from tests.conftest import ROOT

# The keys a stack's Pulumi.<stack>.yaml sets once its owner has run `pulumi config set`: the
# token is a `secure:` value, which the offline check counts as set and never decrypts.
REGISTRY_CREDENTIALS = (
    '  inferplan:apiServerAuthorizedIpRanges: ["20.50.0.0/24"]\n'
    "  inferplan:dockerHubUsername: platform-bot\n"
    "  inferplan:dockerHubToken:\n"
    "    secure: v1:c3RhbmQtaW4tbm90LWEtcmVhbC10b2tlbg==\n"
)


def granted_quota(stack: str) -> str:
    """``inferplan:quotaGranted`` as its owner records it once every increase the stack needs
    beyond the documented defaults is granted."""
    from sizing.catalog import default_catalog
    from sizing.planner import plan_paths

    _, plan = plan_paths([ROOT / "stacks" / f"{stack}.yaml"], catalog=default_catalog())
    granted = {
        f"{q.region}/{q.name}": q.needed for q in plan.environment(stack).quota if q.exceeds_default
    }
    return f"  inferplan:quotaGranted: {json.dumps(granted)}\n"


def digests_recorded(tmp_path: Path) -> tuple[Path, ...]:
    """A ``--catalog`` overlay with every image's digest and every served checkpoint's commit
    recorded, as the stack's owner records them once read from the registry and the Hub
    (placeholders of the right shape: none has been read yet for these tags and repositories,
    and check's image-digest and model-revision-pinned fail prod without them)."""
    data = ROOT / "sizing/catalog/data"
    images = yaml.safe_load((data / "images.yaml").read_text())
    for image in images["images"]:
        image["digest"] = "sha256:" + "0" * 64
    sources = yaml.safe_load((data / "model_sources.yaml").read_text())
    for repository in (
        "neuralmagic/Meta-Llama-3.1-8B-Instruct-quantized.w8a8",
        "neuralmagic/Meta-Llama-3.1-70B-Instruct-FP8",
    ):
        sources["revisions"][repository] = {
            "revision": "0" * 40,
            "source": "team-estimate",
            "date": "2026-12-08",
        }
    folder = tmp_path / "catalog-recorded"
    folder.mkdir()
    (folder / "images.yaml").write_text(yaml.safe_dump(images))
    (folder / "model_sources.yaml").write_text(yaml.safe_dump(sources))
    return (folder,)


def configured_root(tmp_path: Path, stack: str, *, quota: bool = True) -> Path:
    """The repository's stacks, examples and templates, with ``Pulumi.<stack>.yaml`` as the
    shipped one plus what its owner sets before the first ``pulumi up``: the runners' ranges,
    the registry credentials and (``quota``) the quota increases once granted."""
    for name in ("stacks", "examples", "templates", ".venv-checkov"):
        if (ROOT / name).exists():
            (tmp_path / name).symlink_to(ROOT / name)
    shipped = (ROOT / f"Pulumi.{stack}.yaml").read_text()
    extra = REGISTRY_CREDENTIALS + (granted_quota(stack) if quota else "")
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(shipped + extra)
    return tmp_path


@pytest.fixture(scope="module")
def prod_report(tmp_path_factory):
    """run_check of the prod stack, once (checkov takes a few seconds a run), on a day the
    shipped catalog is fresh (its age is tested on its own)."""
    import datetime as dt

    root = configured_root(tmp_path_factory.mktemp("prod"), "prod")
    catalog = digests_recorded(tmp_path_factory.mktemp("catalog"))
    return run_check("prod", root=root, catalog_dirs=catalog, today=dt.date(2026, 12, 8))


def _guardrail_findings(findings) -> list:
    """Everything but the plan's own warnings, which `check` repeats as advisory findings."""
    return [f for f in findings if not f.rule.startswith("plan-warning:")]


def test_prod_checks_clean(prod_report):
    report = prod_report

    # Ranges, credentials, granted quota and image digests recorded: nothing beside the plan's
    # own warnings.
    guardrails = _guardrail_findings(report.findings)
    assert guardrails == [], [f"{f.rule} {f.resource}: {f.message}" for f in guardrails]
    warned = {(f.rule, f.resource) for f in report.findings} - {
        (f.rule, f.resource) for f in guardrails
    }
    assert ("plan-warning:traffic", "workload:support-chat") in warned
    assert {f.severity for f in report.findings} == {"advisory"}
    assert report.exit_code == 0
    assert report.sources == ("policy", "kubernetes-validate", "checkov")
    assert report.manifests > 0 and report.resources > 0
    notes = "\n".join(report.notes)
    assert "ScaledObject (keda.sh/v1alpha1)" in notes  # CRDs: noted, not failed
    assert " 0 failed" in notes
    assert "(no reason)" not in notes


def test_prod_quota_gates_the_stack_until_recorded_as_granted(tmp_path):
    """Issue 23 item 3: in production, quota beyond the documented defaults is mandatory until
    the stack records it as granted (inferplan:quotaGranted), at least as much as needed."""
    report = run_check("prod", root=configured_root(tmp_path, "prod", quota=False), checkov=False)
    quota = [f for f in report.findings if f.rule == "quota-requests"]
    assert quota and {f.severity for f in quota} == {"mandatory"}
    assert any("NCads_H100_v5 family vCPUs" in f.message for f in quota)
    assert all("inferplan:quotaGranted" in f.message for f in quota)
    assert report.exit_code == 1


def test_a_malformed_quota_record_is_bad_input(tmp_path):
    root = configured_root(tmp_path, "prod", quota=False)
    path = root / "Pulumi.prod.yaml"
    path.write_text(path.read_text() + "  inferplan:quotaGranted: [1600]\n")
    with pytest.raises(SpecValidationError, match="quotaGranted"):
        run_check("prod", root=root, checkov=False)


def test_shipped_prod_fails_until_its_stack_names_the_api_server_ranges():
    """Issue 23 item 1: prod admits the API server only from ranges its stack config names; as
    shipped it names none, so check fails the stack and says which key to set."""
    report = run_check("prod", root=ROOT, checkov=False)

    mandatory = [f for f in report.findings if f.severity == "mandatory"]
    assert {f.rule for f in mandatory} == {
        "network-private-layers",
        "quota-requests",
        "image-digest",
        "model-revision-pinned",
    }
    ranges = [f for f in mandatory if f.rule == "network-private-layers"]
    assert all("no authorized IP ranges" in f.message for f in ranges)
    assert "inferplan:apiServerAuthorizedIpRanges" in ranges[0].fix
    assert report.exit_code == 1


def test_shipped_prod_fails_until_its_images_and_weights_are_pinned(tmp_path):
    """Issue 23 items 4 and 5 / issue 21: production pulls images by digest and weights at a
    commit only. The catalog records no digest of the vLLM or device plugin tags and no commit
    of the checkpoints prod serves (none read yet), so prod fails on each, and passes once they
    are recorded."""
    root = configured_root(tmp_path, "prod")
    report = run_check("prod", root=root, checkov=False)
    mandatory = [f for f in report.findings if f.severity == "mandatory"]
    assert {f.rule for f in mandatory} == {"image-digest", "model-revision-pinned"}
    weights = {f.resource for f in mandatory if f.rule == "model-revision-pinned"}
    assert weights == {"workload:support-chat", "workload:code-assistant"}
    images = " ".join(f.message for f in mandatory if f.rule == "image-digest")
    assert "vllm/vllm-openai:v0.32.0 without a digest" in images
    assert "nvidia/k8s-device-plugin:v0.18.0 without a digest" in images
    assert report.exit_code == 1

    recorded = run_check("prod", root=root, catalog_dirs=digests_recorded(tmp_path), checkov=False)
    assert [f for f in recorded.findings if f.severity == "mandatory"] == []
    assert recorded.exit_code == 0


@pytest.mark.parametrize("stack", ["dev"])
def test_the_shipped_stacks_check_clean_without_any_secret(stack):
    """Pulumi.<stack>.yaml as committed sets no Docker Hub credentials: the program runs (vLLM
    is imported into the registry, never pulled from Docker Hub by the nodes), so check passes,
    with an advisory that says the import step and which keys to set."""
    report = run_check(stack, root=ROOT, checkov=False)

    assert [f for f in report.findings if f.severity == "mandatory"] == []
    assert report.exit_code == 0
    [registry] = [f for f in report.findings if f.rule == "registry-credentials"]
    assert registry.severity == "advisory"
    assert f"stack {stack} sets no inferplan:dockerHubUsername, inferplan:dockerHubToken" in (
        registry.message
    )
    assert "imported once with `az acr import`" in registry.message
    assert "imageImportCommands" in registry.message
    assert "pulumi config set --secret inferplan:dockerHubToken" in registry.fix


def test_dev_checks_clean_and_writes_the_pack_config(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(configured_root(tmp_path, "dev"))
    config = tmp_path / "dev-policy.json"

    result = CliRunner().invoke(
        main, ["check", "dev", "--format", "json", "--policy-config", str(config)]
    )

    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["passed"] is True, data["findings"]
    # dev is weak on purpose: what it is weak in is advisory there, nothing mandatory
    assert [f for f in data["findings"] if f["severity"] != "advisory"] == []
    assert data["summary"]["sources"] == ["policy", "kubernetes-validate", "checkov"]
    assert any(" 0 failed" in note for note in data["notes"])
    pack_config = json.loads(config.read_text())
    assert pack_config["templates-required"]["enforcementLevel"] == "mandatory"
    assert pack_config["residency-regions"]["context"]["environment"] == "dev"


def _over_cap_stack(tmp_path: Path) -> Path:
    """dev with a $1 cap: the plan breaks it, so the program would refuse to run."""
    env = yaml.safe_load((ROOT / "stacks" / "dev.yaml").read_text())
    env["metadata"]["name"] = "tiny"
    env["spec"]["limits"]["max_monthly_usd"] = 1
    env["spec"]["workloads"] = ["../examples/small-open-model.yaml"]
    (tmp_path / "examples").mkdir()
    shutil.copy(ROOT / "examples" / "small-open-model.yaml", tmp_path / "examples")
    path = tmp_path / "stacks" / "tiny.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(env))
    (tmp_path / "Pulumi.tiny.yaml").write_text("config:\n" + REGISTRY_CREDENTIALS)
    return path


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_a_mandatory_finding_exits_1(tmp_path: Path, monkeypatch, fmt):
    path = _over_cap_stack(tmp_path)
    monkeypatch.chdir(tmp_path)

    result = CliRunner().invoke(main, ["check", str(path), "--format", fmt])

    assert result.exit_code == 1, result.output
    assert "cost-environment-cap" in result.output
    assert "plan-deployable" in result.output
    assert "FAILED: 2 mandatory" in result.output


def test_enforcement_is_overridden_per_stack(tmp_path: Path, monkeypatch):
    path = _over_cap_stack(tmp_path)
    (tmp_path / "Pulumi.tiny.yaml").write_text(
        "config:\n  inferplan:policyEnforcement:\n    cost-environment-cap: advisory\n"
        + REGISTRY_CREDENTIALS
    )
    monkeypatch.chdir(tmp_path)

    report = run_check(str(path), root=tmp_path)

    severities = {f.rule: f.severity for f in _guardrail_findings(report.findings)}
    assert severities["cost-environment-cap"] == "advisory"
    assert {r for r, level in severities.items() if level == "mandatory"} == {"plan-deployable"}


def test_bad_input_exits_2(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["check", "no-such-stack"]).exit_code == 2

    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  inferplan:policyEnforcement:\n    templates-required: sometimes\n"
        "    no-such-rule: advisory\n"
    )
    with pytest.raises(SpecValidationError) as error:
        stack_enforcement("dev", root=tmp_path)
    messages = [p.message for p in error.value.problems]
    assert any(
        "level 'sometimes' is not one of mandatory, advisory, disabled" in m for m in messages
    )
    assert any("no policy rule named 'no-such-rule'" in m for m in messages)


def test_schema_errors_are_findings_and_custom_resources_notes():
    bad = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {"replica": 1, "selector": {}, "template": {}},
    }
    crd = {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": "x"}}
    files = {"kubernetes/x.yaml": yaml.safe_dump_all([bad, crd])}

    findings, notes = validate_manifests(files, "1.31")

    assert [(f.rule, f.source, f.resource) for f in findings] == [
        ("kubernetes-schema", "kubernetes-validate", "kubernetes/x.yaml: Deployment/x")
    ]
    assert "replica" in findings[0].message and "strict" in findings[0].message
    assert notes == [
        "kubernetes-validate: custom resources have no schema and were not validated: "
        "ScaledObject (keda.sh/v1alpha1)"
    ]


def _prod_on_a_deprecated_template(tmp_path: Path) -> str:
    """prod with its EU chat workload back on chat-eu@2, whose fixed gpt-4o-mini is deprecated
    (no new deployments): the stack a team that never moved would check."""
    for name in ("templates", ".venv-checkov"):
        if (ROOT / name).exists():
            (tmp_path / name).symlink_to(ROOT / name)
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    chat = tmp_path / "examples" / "eu-chat-managed.yaml"
    chat.write_text(chat.read_text().replace("template: chat-eu@3", "template: chat-eu@2"))
    (tmp_path / "stacks").mkdir()
    shutil.copy(ROOT / "stacks" / "prod.yaml", tmp_path / "stacks")
    (tmp_path / "Pulumi.prod.yaml").write_text(
        (ROOT / "Pulumi.prod.yaml").read_text() + REGISTRY_CREDENTIALS
    )
    return "prod"


def test_an_undeployable_model_version_fails_check_in_every_stack(tmp_path: Path):
    """A deprecated version makes the workload infeasible, so `check` reports it as mandatory
    (plan-deployable) even in prod, with the deployable model to move to."""
    stack = _prod_on_a_deprecated_template(tmp_path)

    report = run_check(stack, root=tmp_path, checkov=False)

    assert report.exit_code == 1
    (blocked,) = [f for f in report.findings if f.rule == "plan-deployable"]
    assert blocked.severity == "mandatory"
    assert "gpt-4o-mini 2024-07-18 is deprecated" in blocked.message
    assert "use gpt-5.4-mini" in blocked.message


def test_a_catalog_older_than_90_days_is_an_advisory_naming_the_refresh_command(tmp_path):
    """check compares the catalog's checked dates with today (plan never does): lifecycle and
    prices checked more than 90 days ago are advisory findings with the command to run."""
    import datetime as dt

    from inferplan.review.checks import freshness_findings

    assert freshness_findings((), dt.date(2026, 12, 8)) == []
    later = freshness_findings((), dt.date(2027, 3, 8))  # lifecycle 91 days old, prices 100
    assert [(f.rule, f.resource, f.severity) for f in later] == [
        ("catalog-freshness", "catalog:azure_openai.lifecycle", "advisory"),
        ("catalog-freshness", "catalog:azure_openai.prices", "advisory"),
    ]
    assert later[0].message == (
        "the catalog's azure_openai.lifecycle facts were checked on 2026-12-07, 91 days ago "
        "(more than 90): retirement dates and prices move"
    )
    assert "`inferplan catalog refresh models`" in later[0].fix
    assert "`inferplan catalog refresh prices`" in later[1].fix
    edge = freshness_findings((), dt.date(2027, 3, 7))  # lifecycle exactly 90 days: fresh
    assert [f.resource for f in edge] == ["catalog:azure_openai.prices"]

    root = configured_root(tmp_path, "prod")  # the owner's ranges and granted quota recorded
    report = run_check(
        "prod",
        root=root,
        catalog_dirs=digests_recorded(tmp_path),
        checkov=False,
        today=dt.date(2027, 3, 8),
    )
    assert {f.resource for f in report.findings if f.rule == "catalog-freshness"} == {
        "catalog:azure_openai.lifecycle",
        "catalog:azure_openai.prices",
    }
    assert report.exit_code == 0  # advisory only
