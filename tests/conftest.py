"""Shared fixtures: plans of the example stacks and offline captures of the Pulumi program."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@cache
def _stack_plan(stack: str):
    from inferplan.program import stack_plan

    return stack_plan(stack, root=ROOT)


@pytest.fixture(scope="session")
def dev_plan():
    """The Plan of stacks/dev.yaml (Azure OpenAI and one small self-hosted workload)."""
    return _stack_plan("dev")


@pytest.fixture(scope="session")
def prod_plan():
    """The Plan of stacks/prod.yaml (every example workload, several regions)."""
    return _stack_plan("prod")


def capture_environment(plan, environment: str, *, preview: bool = True):
    """Run the real program for one environment of ``plan`` under mocks; returns a Capture."""
    from components.environment import build_environment
    from inferplan.capture import capture

    return capture(lambda: build_environment(plan, environment), stack=environment, preview=preview)
