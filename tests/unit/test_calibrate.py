"""``inferplan calibrate``: measurements into a scoped, bounded catalog overlay, and what ``plan
--catalog`` does with it: the measured scope changes, nothing else does, and a correction that
would flip an unmeasured layout is reported instead of applied."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from inferplan.cli.main import main
from inferplan.verify.guidellm_results import read_results
from inferplan.verify.measurement import write_measurement
from inferplan.verify.run import measure
from inferplan.verify.targets import verify_target
from sizing.catalog import default_catalog
from sizing.catalog.measured_corrections import STEP_TIME_RATIO_BOUNDS, MeasuredCorrection
from sizing.search.self_hosted import ReplicaCapacity, _corrected

ROOT = Path(__file__).resolve().parents[2]
LOADGEN = ROOT / "tests" / "fixtures" / "loadgen"
WORKLOAD = "ticket-triage"  # examples/small-open-model.yaml, self-hosted in the dev stack


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture(autouse=True)
def at_repo_root(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="module")
def measurements(tmp_path_factory, dev_plan) -> Path:
    """One measurement of ticket-triage from the recorded GuideLLM steps."""
    from inputs.plan_inputs import stack_file
    from inputs.template_library import TemplateFolders
    from sizing.planner import plan_paths, requests_of

    inputs, _ = plan_paths(
        [stack_file("dev", root=ROOT)],
        catalog=default_catalog(),
        templates=TemplateFolders.default((ROOT / "templates",)),
    )
    request = next(r for r in requests_of(inputs, catalog=default_catalog()) if r.name == WORKLOAD)
    plan = next(w for w in dev_plan.workloads if w.name == WORKLOAD)
    target = verify_target(plan, request, replicas=1, tokenizer="tokenizer")
    recorded = [
        read_results(LOADGEN / name).steps[0]
        for name in ("steady-rate-1.json", "steady-rate-3.json", "errors-rate-2.json")
    ]
    answers = iter(recorded)
    m = measure(
        target, lambda rate: ("0.8.1", next(answers)), stack="dev", step_duration_s=6, max_steps=3
    )
    folder = tmp_path_factory.mktemp("measurements")
    write_measurement(m, folder / "dev" / f"{WORKLOAD}.json")
    return folder


@pytest.fixture(scope="module")
def overlay(measurements: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("overlay")
    result = CliRunner().invoke(
        main, ["calibrate", "--measurements", str(measurements), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out


def _plan(*catalog: Path) -> dict:
    args = [a for c in catalog for a in ("--catalog", str(c))]
    result = invoke(*args, "plan", "examples", "--format", "json")
    assert result.exit_code == 0, result.output
    return {w["name"]: w for w in json.loads(result.output)["workloads"]}


def test_the_overlay_holds_one_bounded_correction_with_provenance(overlay: Path) -> None:
    doc = yaml.safe_load((overlay / "measured_corrections.yaml").read_text())
    assert doc["kind"] == "measured_corrections"
    (entry,) = doc["corrections"]
    plan = next(w for w in _plan().values() if w["name"] == WORKLOAD)
    aks = plan["aks"]
    assert entry["scope"] == {
        "model": plan["model"],
        "vm_sku": aks["vm_sku"],
        "precision": aks["precision"],
        "engine": "vllm",
        "engine_version": aks["container_image"]["tag"],
        "tensor_parallel": aks["tensor_parallel"],
    }
    low, high = STEP_TIME_RATIO_BOUNDS
    assert low <= entry["step_time_ratio"] <= high
    assert entry["residual_after"] <= entry["residual_before"]
    assert entry["measurements"] and entry["source"]
    assert doc["sources"][entry["source"][0]].startswith("inferplan verify measurement")
    # It loads as a catalog entry of its kind.
    MeasuredCorrection.model_validate({k: v for k, v in entry.items()})


def test_the_correction_changes_its_scope_only(overlay: Path) -> None:
    before, after = _plan(), _plan(overlay)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {WORKLOAD}
    use = after[WORKLOAD]["predicted"]["correction"]
    assert use["status"] == "applied"
    per_replica = "concurrency_per_replica"
    assert use["concurrency_uncorrected"] == before[WORKLOAD]["predicted"][per_replica]
    assert use["concurrency_corrected"] == after[WORKLOAD]["predicted"][per_replica]
    assert before[WORKLOAD]["predicted"]["correction"] is None


def test_explain_names_the_correction_and_its_measurement(overlay: Path) -> None:
    result = invoke("--catalog", str(overlay), "plan", "examples", "--explain")
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert "Measured correction" in flat
    assert f"dev/{WORKLOAD}.json" in flat or f"{WORKLOAD}.json" in flat


@pytest.mark.parametrize(
    ("field", "value"),
    [("engine_version", "v0.10.0"), ("vm_sku", "Standard_NC8as_T4_v3"), ("precision", "bf16")],
)
def test_a_correction_outside_the_plans_scope_does_not_apply(
    overlay: Path, tmp_path: Path, field: str, value: str
) -> None:
    doc = yaml.safe_load((overlay / "measured_corrections.yaml").read_text())
    doc["corrections"][0]["scope"][field] = value
    doc["corrections"][0]["step_time_ratio"] = STEP_TIME_RATIO_BOUNDS[1]
    (tmp_path / "measured_corrections.yaml").write_text(yaml.safe_dump(doc))
    after = _plan(tmp_path)[WORKLOAD]
    assert after["predicted"]["correction"] is None


def _cap(concurrency: int, tp: int = 2) -> ReplicaCapacity:
    return ReplicaCapacity("t4", "int8", tp, True, concurrency, None, None)


def _correction(tp: int, ratio: float = 2.0) -> MeasuredCorrection:
    return MeasuredCorrection.model_validate(
        {
            "id": f"m@sku/int8/tp{tp}/vllm-v0.11.0",
            "scope": {
                "model": "m",
                "vm_sku": "sku",
                "precision": "int8",
                "engine_version": "v0.11.0",
                "tensor_parallel": tp,
            },
            "step_time_ratio": ratio,
            "residual_before": 0.5,
            "residual_after": 0.1,
            "residual_metric": "test",
            "measurements": ["measurements/x.json"],
            "source": ["m1"],
            "date": "2026-12-08",
        }
    )


@pytest.mark.parametrize(
    ("measured_tp", "corrected", "status", "kept"),
    [
        (2, 0, "applied", 0),  # measured at this layout: applied even where it flips
        (1, 3, "applied-untested-layout", 3),  # another TP, still meets the SLO: applied
        (1, 0, "withheld-flips-feasibility", 5),  # another TP and it would flip: withheld
    ],
    ids=["measured-layout", "untested-same-verdict", "untested-flips"],
)
def test_a_correction_measured_at_another_tp_never_flips_feasibility(
    measured_tp: int, corrected: int, status: str, kept: int
) -> None:
    use, cap = _corrected(
        [_correction(measured_tp)],
        tp=2,
        uncorrected=_cap(5),
        capacity=lambda gpu, precision, tp, ratio=1.0: _cap(corrected),
    )
    assert use.status == status
    assert cap.concurrency == kept
    assert (use.concurrency_uncorrected, use.concurrency_corrected) == (5, corrected)


def test_a_withheld_correction_is_a_plan_warning() -> None:
    from sizing.search.optimizer import correction_withheld_warnings
    from sizing.search.self_hosted import AksCandidate

    use, cap = _corrected(
        [_correction(1)],
        tp=2,
        uncorrected=_cap(5),
        capacity=lambda gpu, precision, tp, ratio=1.0: _cap(0),
    )
    candidate = AksCandidate(
        vm_sku="sku", gpu="t4", precision="int8", tp=2, capacity=cap, correction=use
    )
    (warning,) = correction_withheld_warnings([candidate])
    assert warning.kind == "correction-withheld"
    assert "not applied" in warning.message


def test_calibrate_refuses_a_bad_measurement_with_one_line_per_problem(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"kind": "Measurement"}')
    result = invoke("calibrate", "--measurements", str(tmp_path), "--out", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert "bad.json: subject: Field required" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_calibrate_of_an_empty_folder_exits_2(tmp_path: Path) -> None:
    result = invoke("calibrate", "--measurements", str(tmp_path), "--out", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert "no measurement files" in result.output
