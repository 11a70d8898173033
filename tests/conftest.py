"""Shared fixtures: plans of the example stacks and offline captures of the Pulumi program."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent

# Property tests explore new examples on every local run; in CI (CI set, as CI services do)
# they draw the same examples every time, so a landing is decided by the code, not by the
# draw. A failing example found locally goes into the test as an @example.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


SHOWCASE = ROOT / "tests" / "fixtures" / "showcase"  # stacks/prod.yaml with every example

# Test tiers are folders: tests/unit (pure calculation and parsing, the everyday loop),
# tests/program (the Pulumi program under mocks), tests/e2e (whole commands with subprocesses, git
# or checkov), tests/engine (the real vLLM engine). The folder gives each test its marker, so
# `./dev test tests/unit` and `./dev test -m unit` are the same tests.
TIERS = ("unit", "program", "e2e", "engine")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        tier = Path(str(item.fspath)).parent.name
        if tier in TIERS:
            item.add_marker(tier)


@pytest.fixture(scope="session", autouse=True)
def result_cache_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory):
    """The offline result cache of the whole session in one temporary folder (shared by the
    commands the tests run, like a user's ``.inferplan/cache``), never in the checkout."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INFERPLAN_CACHE_DIR", str(tmp_path_factory.mktemp("inferplan-cache")))
        yield


@cache
def _stack_plan(stack: str, root: Path = ROOT):
    from inputs.plan_inputs import stack_file
    from inputs.template_library import TemplateFolders
    from sizing.catalog import default_catalog
    from sizing.planner import plan_paths

    templates = TemplateFolders.default((ROOT / "templates",))
    _, plan = plan_paths(
        [stack_file(stack, root=root)], catalog=default_catalog(), templates=templates
    )
    return plan


@pytest.fixture(scope="session")
def dev_plan():
    """The Plan of stacks/dev.yaml (Azure OpenAI and one small self-hosted workload)."""
    return _stack_plan("dev")


@pytest.fixture(scope="session")
def prod_plan():
    """A production-shaped Plan with every example workload (several regions, both targets,
    405B, two-region HA): tests/fixtures/showcase/stacks/prod.yaml."""
    return _stack_plan("prod", SHOWCASE)


@pytest.fixture(scope="session")
def shipped_prod_plan():
    """The Plan of the shipped stacks/prod.yaml (approved templates only)."""
    return _stack_plan("prod")


# What a stack's Pulumi config would give the program; fixed strings, never real credentials.
TEST_CREDENTIALS = {"docker-io": ("test-docker-user", "test-docker-token")}
# What a production stack's inferplan:apiServerAuthorizedIpRanges names: a runner's public egress.
TEST_AUTHORIZED_RANGES = ("20.50.0.0/24",)


def capture_environment(
    plan,
    environment: str,
    *,
    preview: bool = True,
    hf_token=None,
    config=None,
    authorized_ranges: tuple[str, ...] | None = None,
):
    """Run the real program for one environment of ``plan`` under mocks; returns a Capture.
    The stack's inputs carry stand-in registry credentials (and ``hf_token`` when given);
    ``config`` is the stack's Pulumi config (e.g. ``azure-native:subscriptionId``)."""
    import pulumi

    from components.environment import StackInputs, build_environment
    from inferplan.offline.capture import capture

    def program() -> None:
        credentials = {
            name: (user, pulumi.Output.secret(token))
            for name, (user, token) in TEST_CREDENTIALS.items()
        }
        inputs = StackInputs(
            hf_token=None if hf_token is None else pulumi.Output.secret(hf_token),
            upstream_credentials=credentials,
            api_server_authorized_ip_ranges=authorized_ranges,
        )
        build_environment(plan, environment, inputs=inputs)

    return capture(program, stack=environment, preview=preview, config=config)


@pytest.fixture(scope="session")
def dev_capture(dev_plan):
    """The dev stack's program under mocks, once per session (tests only read it)."""
    return capture_environment(dev_plan, "dev")


@pytest.fixture(scope="session")
def prod_capture(prod_plan):
    """The showcase prod program under mocks (preview mode), once per session: its ~1,400
    resources take tens of seconds to register."""
    return capture_environment(prod_plan, "prod")


def pytest_terminal_summary(terminalreporter) -> None:
    """Say whether the engine tier ran the real engine or skipped, and why (CI's log shows it)."""
    ran = [
        report
        for reports in terminalreporter.stats.values()
        for report in reports
        # stats["deselected"] holds collected items, which have no phase
        if "tests/engine/" in getattr(report, "nodeid", "")
        and getattr(report, "when", "") == "call"
    ]
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if "tests/engine/" in getattr(report, "nodeid", "")
    ]
    if not ran and not skipped:
        return
    from tests.engine.engine_server import engine_unavailable

    reason = engine_unavailable()
    if reason:
        terminalreporter.write_line(reason)
    else:
        terminalreporter.write_line(
            f"engine tier ran the vLLM CPU build in .venv-engine ({len(ran)} checks)"
        )
