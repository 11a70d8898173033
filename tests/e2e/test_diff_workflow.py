"""The GitHub Actions workflow: valid YAML, set up the README's way, and only real commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from inferplan.cli.main import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
# Commands the workflow may call before the change that registers them lands (none now).
PENDING_COMMANDS: set[str] = set()


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads a bare `on` as true
    return data


def steps(workflow: dict) -> list[tuple[str, dict]]:
    return [(job, step) for job, spec in workflow["jobs"].items() for step in spec["steps"]]


@pytest.fixture(params=WORKFLOWS, ids=lambda p: p.name)
def workflow(request) -> dict:
    return load(request.param)


def test_there_is_a_workflow() -> None:
    assert WORKFLOWS


def test_every_inferplan_command_it_runs_is_registered(workflow: dict) -> None:
    registered = {c.name for c in COMMANDS}
    called = {
        match
        for _, step in steps(workflow)
        for match in re.findall(r"\binferplan\s+([a-z][a-z-]*)", step.get("run", ""))
    }
    assert called, "the workflow runs no inferplan command"
    missing = called - registered
    assert missing <= PENDING_COMMANDS, f"not registered: {sorted(missing)}"
    assert {"validate", "diff"} <= called


def test_commands_run_through_dev_and_nothing_is_installed_by_hand(workflow: dict) -> None:
    for job, step in steps(workflow):
        run = step.get("run", "")
        for line in run.splitlines():
            if line.strip().startswith("echo"):
                continue
            if re.search(r"\binferplan\s", line) and "inferplan diff" not in line.split("#")[0]:
                assert "./dev inferplan" in line, (job, line)
            if "inferplan diff" in line:
                assert "./dev inferplan diff" in line, (job, line)
        assert "pip install" not in run, (job, run)


def test_actions_are_pinned_to_at_least_a_major_version(workflow: dict) -> None:
    for job, step in steps(workflow):
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@(v\d+(\.\d+)*|[0-9a-f]{40})", step["uses"]), (
                job,
                step["uses"],
            )


def test_permissions_are_minimal(workflow: dict) -> None:
    assert workflow["permissions"] == {"contents": "read"}
    for name, job in workflow["jobs"].items():
        granted = {k for k, v in (job.get("permissions") or {}).items() if v == "write"}
        # only the catalog refresh pushes a branch (its pull request is what a person merges)
        allowed = {"pull-requests", "id-token"} | (
            {"contents"} if name == "catalog-refresh" else set()
        )
        assert granted <= allowed, name


def test_the_catalog_refresh_runs_on_a_schedule_and_opens_a_pull_request(workflow: dict) -> None:
    """The scheduled job refreshes prices (no credentials) and, with the Azure secrets, the
    models API; it validates and plans on the result and opens a pull request, never pushes to
    main; the other jobs do not run on the schedule."""
    assert workflow["on"]["schedule"] and "workflow_dispatch" in workflow["on"]
    job = workflow["jobs"]["catalog-refresh"]
    assert (
        job["if"] == "github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'"
    )
    runs = [s.get("run", "") for s in job["steps"]]
    prices = next(r for r in runs if "catalog refresh prices" in r)
    assert "./dev inferplan catalog refresh prices" in prices
    models = next(s for s in job["steps"] if "catalog refresh models" in s.get("run", ""))
    assert models["if"] == "steps.azure.outputs.configured == 'true'"
    assert any("inferplan validate" in r for r in runs)
    opened = next(s for s in job["steps"] if s.get("uses", "").startswith("peter-evans/"))
    assert opened["with"]["branch"] != "main" and opened["with"]["body-path"]
    for name, other in workflow["jobs"].items():
        if name != "catalog-refresh":
            assert "schedule" not in str(other.get("if", "")), name
            assert "github.event_name ==" in str(other.get("if", "")) or name == "credentials"


def test_the_pull_request_job_diffs_against_the_target_branch(workflow: dict) -> None:
    offline = workflow["jobs"]["offline"]
    checkout = next(s for s in offline["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    runs = "\n".join(s.get("run", "") for s in offline["steps"])
    assert '--base "origin/$BASE_REF"' in runs
    script = next(s for s in offline["steps"] if "github-script" in s.get("uses", ""))
    assert "<!-- inferplan-diff -->" in script["with"]["script"]
    assert "updateComment" in script["with"]["script"]


def test_cloud_jobs_use_oidc_and_only_run_with_credentials(workflow: dict) -> None:
    for name in ("preview", "deploy-dev"):
        job = workflow["jobs"][name]
        assert job["permissions"]["id-token"] == "write"
        assert "needs.credentials.outputs.azure == 'true'" in job["if"]
        login = next(s for s in job["steps"] if s.get("uses", "").startswith("azure/login@"))
        assert set(login["with"]) == {"client-id", "tenant-id", "subscription-id"}
    assert "refs/heads/main" in workflow["jobs"]["deploy-dev"]["if"]


def test_preflight_runs_with_azure_secrets_and_joins_the_diff_comment(workflow: dict) -> None:
    offline = workflow["jobs"]["offline"]
    by_name = {s.get("name", s.get("uses")): s for s in offline["steps"]}
    configured = "steps.azure.outputs.configured == 'true'"
    login = next(s for s in offline["steps"] if s.get("uses", "").startswith("azure/login@"))
    assert login["if"] == configured
    assert set(login["with"]) == {"client-id", "tenant-id", "subscription-id"}
    assert offline["permissions"]["id-token"] == "write"
    run = next(s for s in offline["steps"] if "inferplan preflight" in s.get("run", ""))
    assert run["if"] == configured and run["id"] == "preflight"
    assert "--format markdown" in run["run"] and "inferplan-preflight.md" in run["run"]
    names = list(by_name)
    assert names.index(run["name"]) < names.index("Post or update the pull-request comment")
    script = by_name["Post or update the pull-request comment"]["with"]["script"]
    assert "inferplan-preflight.md" in script  # the same comment as the diff
    fail = by_name["Fail on blocking preflight findings"]
    assert "steps.preflight.outputs.status == '1'" in fail["if"] and "exit 1" in fail["run"]
