"""What keeps a cold offline run cheap without changing what it captures: the collector paused
while the program runs, the SDK's aliases left out, no collection when the CLI's process ends.
(`benchmarks/bench_preview.py` measures the result; the capture goldens hold it unchanged.)"""

from __future__ import annotations

import atexit
import gc
from typing import Any

import pulumi
import pytest
from click.testing import CliRunner
from pulumi_azure_native import resources

from inferplan.cli import main as cli_main
from inferplan.offline import capture as capture_module
from inferplan.offline.capture import capture, collector_paused, without_aliases


@pytest.fixture
def collector_on():
    """Each test starts with the collector on and leaves it as it found it."""
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_the_collector_is_off_inside_and_back_on_after(collector_on) -> None:
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_comes_back_after_a_failure(collector_on) -> None:
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("the program failed")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off(collector_on) -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_the_program_runs_with_the_collector_off(collector_on) -> None:
    seen: list[bool] = []

    def program() -> None:
        seen.append(gc.isenabled())
        resources.ResourceGroup("rg", resource_group_name="rg-test", location="westus3")

    result = capture(program)
    assert seen == [False]
    assert gc.isenabled()
    assert [r.name for r in result.resources] == ["rg"]


def test_the_sdk_aliases_never_reach_the_monitor(monkeypatch) -> None:
    sent: dict[str, list[Any]] = {}
    record = capture_module.RecordingMonitor.RegisterResource

    def spy(self: capture_module.RecordingMonitor, request: Any) -> Any:
        sent[request.name] = list(request.aliases)
        return record(self, request)

    monkeypatch.setattr(capture_module.RecordingMonitor, "RegisterResource", spy)
    built: list[resources.ResourceGroup] = []

    def program() -> None:
        built.append(resources.ResourceGroup("rg", resource_group_name="rg-test"))

    result = capture(program)
    assert sent["rg"] == []
    assert built[0]._aliases == []  # no alias URNs computed either
    (group,) = result.resources
    assert group.inputs["resourceGroupName"] == "rg-test"


def test_without_aliases_copies_the_options_and_keeps_the_props() -> None:
    opts = pulumi.ResourceOptions(
        aliases=[pulumi.Alias(type_="azure-native:resources/v20240301:ResourceGroup")],
        protect=True,
    )
    props = {"resourceGroupName": "rg-test"}
    args = pulumi.ResourceTransformationArgs(
        resource=None,  # type: ignore[arg-type]
        type_="azure-native:resources:ResourceGroup",
        name="rg",
        props=props,
        opts=opts,
    )
    result = without_aliases(args)
    assert result is not None
    assert result.opts.aliases is None
    assert result.opts.protect is True
    assert result.props is props
    assert opts.aliases is not None  # the caller's options are left alone


def test_options_without_aliases_are_not_transformed() -> None:
    args = pulumi.ResourceTransformationArgs(
        resource=None,  # type: ignore[arg-type]
        type_="kubernetes:core/v1:Namespace",
        name="ns",
        props={},
        opts=pulumi.ResourceOptions(),
    )
    assert without_aliases(args) is None


def test_the_cli_freezes_what_is_left_at_exit_once_per_process(monkeypatch) -> None:
    registered: list[object] = []
    monkeypatch.setattr(atexit, "register", registered.append)
    cli_main.skip_collection_at_exit.cache_clear()
    try:
        for _ in range(2):
            result = CliRunner().invoke(cli_main.main, ["--version"])
            assert result.exit_code == 0
    finally:
        cli_main.skip_collection_at_exit.cache_clear()
    assert registered == [gc.freeze]
