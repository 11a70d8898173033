"""inferplan's custom checkov checks (policies/checkov/), run by checkov itself from its own
environment (.venv-checkov, set up by ./dev) over one folder of fixture manifests: each check
passes on the good manifest and fails on the one broken its way."""

from __future__ import annotations

import pytest

from inferplan.review.checks import checkov_findings, find_checkov, run_checkov_on_dir
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "policies" / "checkov"
CUSTOM = ("CKV_LLM_1", "CKV_LLM_2", "CKV_LLM_3", "CKV_LLM_4")
FAILS = {
    "vllm-tp2-disk-shm": "CKV_LLM_1",
    "vllm-gpus-below-tp": "CKV_LLM_2",
    "vllm-no-max-model-len": "CKV_LLM_3",
    "vllm-latest": "CKV_LLM_4",
}


@pytest.fixture(scope="module")
def results():
    checkov = find_checkov(root=ROOT)
    if checkov is None:
        pytest.fail("checkov not found: run ./dev (it creates .venv-checkov)")
    return run_checkov_on_dir(FIXTURES, checkov=checkov, checks=CUSTOM)


def _outcomes(results, key: str) -> set[tuple[str, str]]:
    return {(r["check_id"], r["resource"].split(".")[-1]) for r in results[key]}


def test_the_good_manifest_passes_every_custom_check(results):
    assert {(c, "vllm-tp2-good") for c in CUSTOM} <= _outcomes(results, "passed_checks")


@pytest.mark.parametrize(("manifest", "check"), FAILS.items(), ids=list(FAILS))
def test_each_broken_manifest_fails_its_check(results, manifest, check):
    failed = {c for c, name in _outcomes(results, "failed_checks") if name == manifest}
    assert failed == {check}


def test_checks_do_not_apply_to_other_images(results):
    seen = _outcomes(results, "passed_checks") | _outcomes(results, "failed_checks")
    assert not any(name == "not-vllm" for _, name in seen)


def test_failures_become_mandatory_findings_with_a_fix(results):
    findings = checkov_findings(results)

    assert {f.rule for f in findings} == set(FAILS.values())
    assert {f.severity for f in findings} == {"mandatory"}
    shm = next(f for f in findings if f.rule == "CKV_LLM_1")
    assert shm.resource == "vllm-tp2-disk-shm.yaml: Deployment.llm.vllm-tp2-disk-shm"
    assert shm.fix.startswith("Mount an emptyDir with medium: Memory at /dev/shm")


def test_a_skip_without_a_reason_is_a_finding():
    skipped = {
        "check_id": "CKV_K8S_22",
        "file_path": "/kubernetes/x.yaml",
        "resource": "Deployment.llm.x",
        "check_result": {"result": "SKIPPED", "suppress_comment": ""},
    }
    (finding,) = checkov_findings({"skipped_checks": [skipped]})
    assert finding.rule == "CKV_K8S_22" and finding.severity == "mandatory"
    assert finding.message == "checkov check skipped without a written reason"
