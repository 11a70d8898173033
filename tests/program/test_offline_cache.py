"""The offline result cache: one program run per plan, shared by the commands that need it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from conftest import ROOT

from inferplan.offline import stack_run
from inferplan.offline.cache import ResultCache, code_version, digest, folder_digest
from inferplan.offline.registrations import capture_from_data, capture_to_data


@pytest.fixture
def cache(tmp_path: Path) -> ResultCache:
    return ResultCache(tmp_path / "cache")


@pytest.fixture
def counted_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Environments the real program ran for (a cache hit runs nothing)."""
    from inferplan.offline import capture as capture_module

    runs: list[str] = []
    real = capture_module.capture

    def counting(program, **kwargs):
        runs.append(kwargs["stack"])
        return real(program, **kwargs)

    monkeypatch.setattr(capture_module, "capture", counting)
    return runs


def test_a_capture_reads_back_equal_to_what_was_stored(dev_plan, cache, counted_runs) -> None:
    first, first_cached = stack_run.capture_plan(dev_plan, "dev", cache=cache)
    second, second_cached = stack_run.capture_plan(dev_plan, "dev", cache=cache)
    assert (first_cached, second_cached) == (False, True)
    assert counted_runs == ["dev"]  # the program ran once
    assert second == first  # every registration, invoke and export, URNs included
    assert capture_from_data(json.loads(json.dumps(capture_to_data(first)))) == first


def test_a_changed_plan_is_a_new_key(dev_plan, cache, counted_runs) -> None:
    stack_run.capture_plan(dev_plan, "dev", cache=cache)
    env = dev_plan.environments[0]
    cheaper = dataclasses.replace(
        dev_plan,
        environments=(dataclasses.replace(env, tags={**env.tags, "cost-center": "other"}),),
    )
    assert stack_run.capture_key(cheaper, "dev") != stack_run.capture_key(dev_plan, "dev")
    result, cached = stack_run.capture_plan(cheaper, "dev", cache=cache)
    assert not cached and counted_runs == ["dev", "dev"]
    group = result.get("azure-native:resources:ResourceGroup", "rg")
    assert group.inputs["tags"]["cost-center"] == "other"


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda p: p.write_text("{not json", encoding="utf-8"), id="not-json"),
        pytest.param(lambda p: p.write_text('{"format": "other"}', encoding="utf-8"), id="format"),
        pytest.param(
            lambda p: p.write_text(
                json.dumps({"format": "inferplan-cache/1", "key": "x", "value": {}}),
                encoding="utf-8",
            ),
            id="key-mismatch",
        ),
    ],
)
def test_a_damaged_entry_is_a_miss_and_is_replaced(dev_plan, cache, counted_runs, damage) -> None:
    stack_run.capture_plan(dev_plan, "dev", cache=cache)
    (entry,) = (cache.folder / "capture").glob("*.json")
    damage(entry)
    _, cached = stack_run.capture_plan(dev_plan, "dev", cache=cache)
    assert not cached and len(counted_runs) == 2
    assert cache.get("capture", entry.stem) is not None  # rewritten whole


def test_cache_off_and_an_unwritable_folder_only_cost_time(dev_plan, tmp_path: Path) -> None:
    assert ResultCache.from_environment({"INFERPLAN_CACHE_DIR": "off"}).folder is None
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    unwritable = ResultCache(blocked / "cache")
    unwritable.put("capture", "k", {"a": 1})  # no error
    assert unwritable.get("capture", "k") is None


def test_the_cache_ignores_itself_in_git_and_keeps_a_bounded_number_of_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inferplan.offline import cache as cache_module

    monkeypatch.setattr(cache_module, "MAX_ENTRIES_PER_KIND", 3)
    store = ResultCache(tmp_path / "cache")
    for n in range(5):
        store.put("kind", f"k{n}", n)
    assert (tmp_path / "cache" / ".gitignore").read_text() == "*\n"
    assert len(list((tmp_path / "cache" / "kind").glob("*.json"))) == 3
    assert store.get("kind", "k4") == 4


def test_the_default_cache_folder_is_ignored_by_the_repository() -> None:
    assert ".inferplan/" in (ROOT / ".gitignore").read_text().splitlines()
    assert ResultCache.from_environment({}).folder == Path(".inferplan") / "cache"


def test_keys_cover_content_not_order_of_keys(tmp_path: Path) -> None:
    assert digest({"a": 1, "b": 2}) == digest({"b": 2, "a": 1})
    (tmp_path / "x.yaml").write_text("a: 1\n", encoding="utf-8")
    before = folder_digest([tmp_path])
    (tmp_path / "x.yaml").write_text("a: 2\n", encoding="utf-8")
    assert folder_digest([tmp_path]) != before
    assert len(code_version()) == 64


def test_preview_render_and_check_share_one_program_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counted_runs
) -> None:
    from click.testing import CliRunner

    from inferplan.cli.main import main

    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("INFERPLAN_CACHE_DIR", str(tmp_path / "cache"))
    runner = CliRunner()
    assert runner.invoke(main, ["preview", "dev", "--format", "json"]).exit_code == 0
    assert runner.invoke(main, ["render", "dev", "--out", str(tmp_path / "out")]).exit_code == 0
    assert runner.invoke(main, ["check", "dev", "--no-checkov"]).exit_code == 0
    assert counted_runs == ["dev"]


def test_checkov_results_are_reused_for_the_same_manifests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inferplan.review import checks

    monkeypatch.setenv("INFERPLAN_CACHE_DIR", str(tmp_path / "cache"))
    executable = tmp_path / "checkov"
    executable.write_text("#!/bin/sh\n", encoding="utf-8")
    scanned: list[set[str]] = []

    def fake_run(directory: Path, *, checkov: Path, checks=()):
        scanned.append({p.name for p in directory.rglob("*.yaml")})
        return {
            "passed_checks": [{"check_id": "CKV_K8S_1"}],
            "failed_checks": [],
            "skipped_checks": [],
        }

    monkeypatch.setattr(checks, "run_checkov_on_dir", fake_run)
    files = {"kubernetes/chat.yaml": "kind: Namespace\n"}
    first = checks.scan_with_checkov(files, checkov=executable)
    second = checks.scan_with_checkov(files, checkov=executable)
    assert first == second and len(scanned) == 1
    checks.scan_with_checkov({"kubernetes/chat.yaml": "kind: Service\n"}, checkov=executable)
    assert len(scanned) == 2  # other manifests: scanned again


# --- what invalidates an entry: a change to the spec, the catalog or the code ------------------


def _copy_project(tmp_path: Path) -> Path:
    import shutil

    project = tmp_path / "project"
    for folder in ("stacks", "examples", "templates"):
        shutil.copytree(ROOT / folder, project / folder)
    return project


def _more_concurrency(project: Path, catalog: Path) -> None:
    spec = project / "examples" / "small-open-model.yaml"
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace("peak_concurrency: 4", "peak_concurrency: 40"), encoding="utf-8")


def _dearer_gpu_vms(project: Path, catalog: Path) -> None:
    """Every VM price in a user catalog (``--catalog``) ten times the built-in one."""
    import re

    text = (ROOT / "sizing" / "catalog" / "data" / "vm_skus.yaml").read_text(encoding="utf-8")
    dearer = re.sub(
        r"(usd_per_hour: )([0-9]+(?:\.[0-9]+)?)",
        lambda m: f"{m.group(1)}{float(m.group(2)) * 10:.4f}",
        text,
    )
    assert dearer != text
    catalog.mkdir(exist_ok=True)
    (catalog / "vm_skus.yaml").write_text(dearer, encoding="utf-8")


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_more_concurrency, id="spec"),
        pytest.param(_dearer_gpu_vms, id="catalog"),
    ],
)
def test_a_changed_spec_or_catalog_runs_the_program_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counted_runs, change
) -> None:
    from click.testing import CliRunner

    from inferplan.cli.main import main

    project, catalog = _copy_project(tmp_path), tmp_path / "catalog"
    catalog.mkdir()
    monkeypatch.chdir(project)
    monkeypatch.setenv("INFERPLAN_CACHE_DIR", str(tmp_path / "cache"))
    args = ["--catalog", str(catalog), "preview", "dev", "--format", "json"]

    def preview() -> str:
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        return result.output

    first = preview()
    assert preview() == first and counted_runs == ["dev"]  # unchanged: from the cache
    change(project, catalog)
    changed = preview()
    assert counted_runs == ["dev", "dev"]  # changed: the program ran again
    assert changed != first


def test_a_changed_code_file_is_a_new_code_version_and_a_new_key(
    dev_plan, cache, counted_runs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The code version hashes every file of the packages; editing one (here a stand-in
    for ``components/``) changes every key, so no result of the old code is read back."""
    from inferplan.offline import cache as cache_module

    components = tmp_path / "components"
    components.mkdir()
    (components / "vllm_service.py").write_text("REPLICAS = 1\n", encoding="utf-8")
    real = cache_module._package_folder
    monkeypatch.setattr(
        cache_module,
        "_package_folder",
        lambda name: components if name == "components" else real(name),
    )
    cache_module.code_version.cache_clear()
    try:
        stack_run.capture_plan(dev_plan, "dev", cache=cache)
        before = cache_module.code_version()
        (components / "vllm_service.py").write_text("REPLICAS = 2\n", encoding="utf-8")
        cache_module.code_version.cache_clear()
        assert cache_module.code_version() != before
        _, cached = stack_run.capture_plan(dev_plan, "dev", cache=cache)
        assert not cached and counted_runs == ["dev", "dev"]
    finally:
        cache_module.code_version.cache_clear()
