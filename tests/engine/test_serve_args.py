"""Every vLLM command line the shipped stacks and examples render, parsed by the engine's own
argument parser (``vllm serve``'s, with its checks), in one run of the engine's Python."""

from __future__ import annotations

import json
import subprocess

import pytest

from inputs.template_library import TemplateFolders
from sizing.catalog import default_catalog
from sizing.planner import plan_paths
from tests.conftest import ROOT, SHOWCASE, _stack_plan
from tests.engine.engine_server import (
    DEVICE_ONLY_FLAGS,
    ENGINE_PYTHON,
    engine_environment,
    engine_unavailable,
    flag_name,
)

PARSER = ROOT / "tests" / "engine" / "parse_serve_args.py"


def parse_with_engine(command_lines: list[list[str]]) -> list[dict]:
    reason = engine_unavailable()
    if reason:
        pytest.skip(reason)
    done = subprocess.run(
        [str(ENGINE_PYTHON), str(PARSER)],
        input=json.dumps(command_lines),
        capture_output=True,
        text=True,
        env=engine_environment(),
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def rendered_command_lines() -> dict[str, list[str]]:
    """``source/workload`` -> the flags the Deployment passes to the image's server."""
    templates = TemplateFolders.default((ROOT / "templates",))
    _, examples = plan_paths([ROOT / "examples"], catalog=default_catalog(), templates=templates)
    plans = {
        "examples": examples,
        "stacks/dev": _stack_plan("dev"),
        "stacks/prod": _stack_plan("prod"),
        "showcase/prod": _stack_plan("prod", SHOWCASE),
    }
    return {
        f"{source}/{w.name}": list(w.aks.vllm_args)
        for source, plan in plans.items()
        for w in plan.workloads
        if w.aks is not None
    }


@pytest.fixture(scope="module")
def command_lines() -> dict[str, list[str]]:
    return rendered_command_lines()


def test_the_engine_parser_accepts_every_rendered_command_line(command_lines) -> None:
    assert len(command_lines) >= 10
    probes = [
        ["--no-such-flag=1"],  # the parser must refuse what it does not know
        ["--max-num-seqs=many"],
        *command_lines.values(),
    ]
    results = parse_with_engine(probes)
    unknown, bad_value, *rendered = results
    assert not unknown["ok"] and not bad_value["ok"]
    refused = {
        name: result["error"]
        for name, result in zip(command_lines, rendered, strict=True)
        if not result["ok"]
    }
    assert not refused, refused
    # The values the engine reads are the ones the plan rendered.
    for (name, argv), result in zip(command_lines.items(), rendered, strict=True):
        values = result["args"]
        for arg in argv:
            if arg.startswith("--max-num-seqs="):
                assert values["max_num_seqs"] == arg.split("=", 1)[1], name
            if arg.startswith("--max-num-batched-tokens="):
                assert values["max_num_batched_tokens"] == arg.split("=", 1)[1], name
        assert values["enable_chunked_prefill"] == "True", name


def test_the_device_only_flags_are_real_flags_of_the_engine(command_lines) -> None:
    """The flags the CPU run drops are flags the engine knows (a renamed flag would leave the
    drop list silently stale), and the shipped plans do render some of them."""
    probes = [
        [f"{flag}=1" if flag != "--enable-expert-parallel" else flag] for flag in DEVICE_ONLY_FLAGS
    ]
    results = parse_with_engine(probes)
    unknown = [
        flag
        for flag, result in zip(DEVICE_ONLY_FLAGS, results, strict=True)
        if not result["ok"] and "unrecognized" in " ".join(result["error"])
    ]
    assert not unknown, unknown
    rendered = {flag_name(a) for argv in command_lines.values() for a in argv}
    assert rendered & set(DEVICE_ONLY_FLAGS)
