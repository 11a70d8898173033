"""``inferplan verify``: GuideLLM's recorded reports read, steps judged, measurements kept, and
the command's failure paths.

The reports under tests/fixtures/loadgen/ are real runs of GuideLLM 0.8.1 driven the way verify
drives it, against GuideLLM's mock OpenAI server (80 ms TTFT, 12 ms ITL; the second server fails
every request after the fourth with HTTP 500); scripts/record_loadgen_fixtures.py re-records
them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from inferplan.cli.main import main
from inferplan.verify.compare import rows, slo_holds, step_meets_slo
from inferplan.verify.guidellm_results import ResultsError, parse_results, read_results
from inferplan.verify.measurement import (
    MeasurementError,
    read_measurement,
    read_measurements,
    write_measurement,
)
from inferplan.verify.run import measure, step_rates
from inferplan.verify.targets import STEP_FACTOR, verify_target
from sizing.catalog import default_catalog

ROOT = Path(__file__).resolve().parents[2]
LOADGEN = ROOT / "tests" / "fixtures" / "loadgen"
STEADY_1 = LOADGEN / "steady-rate-1.json"
STEADY_3 = LOADGEN / "steady-rate-3.json"
ERRORS = LOADGEN / "errors-rate-2.json"


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env)


@pytest.fixture(autouse=True)
def at_repo_root(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)


# --- GuideLLM's report --------------------------------------------------------------------------


@pytest.mark.parametrize("path", [STEADY_1, STEADY_3], ids=["rate-1", "rate-3"])
def test_a_recorded_report_reads_into_one_load_step(path: Path) -> None:
    run = read_results(path)
    assert run.version == "0.8.1"
    (step,) = run.steps
    raw = json.loads(path.read_text())["benchmarks"][0]
    assert step.rate_per_s == raw["config"]["strategy"]["rate"]
    assert step.arrival == "constant"  # verify's profile (inferplan/verify/loadgen.py says why)
    assert step.requests_ok == raw["metrics"]["request_totals"]["successful"] > 0
    ttft = raw["metrics"]["time_to_first_token_ms"]["successful"]["percentiles"]
    assert (step.ttft_ms.p50, step.ttft_ms.p95, step.ttft_ms.p99) == (
        ttft["p50"],
        ttft["p95"],
        ttft["p99"],
    )
    # The mock server streams a token every 12 ms (std 3) after an 80 ms first token: the
    # measured figures must be near what it was told, whatever the machine's load adds.
    assert 8 <= step.itl_ms.p50 <= 60
    assert step.ttft_ms.p50 >= 40
    # Tokens/s per request is output tokens over each request's own duration, median: 60
    # tokens at 80 ms + 59 x 12 ms is at most 76 tokens/s; the machine's load only slows it.
    assert step.tps_per_request_p50 is not None
    assert 5 < step.tps_per_request_p50 <= 80
    assert step.goodput is not None and 0 <= step.goodput <= 1  # GuideLLM's SLO attainment
    assert step.throttled == 0


def test_errored_requests_are_counted_from_the_report() -> None:
    (step,) = read_results(ERRORS).steps
    assert step.requests_errored > 0
    assert step.requests_ok >= 1
    assert not step_meets_slo(step, ttft_p95_ms=1e6, tps_per_request=0)


def test_a_429_in_an_errored_request_counts_as_throttled() -> None:
    data = json.loads(ERRORS.read_text())
    errored = data["benchmarks"][0]["requests"]["errored"]
    assert errored, "the recorded error run has errored requests"
    errored[0]["info"]["error"] = (
        "Client error '429 Too Many Requests' for url 'http://gateway/v1/chat/completions'"
    )
    (step,) = parse_results(data).steps
    assert step.throttled == 1


def test_the_recorded_reports_keep_no_key() -> None:
    for path in LOADGEN.glob("*.json"):
        text = path.read_text()
        assert "recorded-fixture-key" not in text
        assert '"api_key": "**********"' in text


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["metadata"].update(version=99), "metadata.version: report version 99"),
        (lambda d: d.update(benchmarks=[]), "benchmarks: no benchmark"),
        (
            lambda d: d["benchmarks"][0]["metrics"].pop("time_to_first_token_ms"),
            "benchmarks.0: time_to_first_token_ms.successful: missing",
        ),
    ],
    ids=["version", "no-benchmarks", "no-ttft"],
)
def test_a_report_verify_cannot_read_is_named_with_the_field(mutate, message) -> None:
    data = json.loads(STEADY_1.read_text())
    mutate(data)
    with pytest.raises(ResultsError, match=message):
        parse_results(data, "r.json")


def test_a_file_that_is_not_json_says_where(tmp_path: Path) -> None:
    bad = tmp_path / "r.json"
    bad.write_text("{not json")
    with pytest.raises(ResultsError, match=r"r\.json:1:2: not JSON"):
        read_results(bad)


# --- steps, verdicts, the measurement -----------------------------------------------------------


@pytest.fixture(scope="module")
def triage_target(dev_plan):
    from inputs.plan_inputs import stack_file
    from inputs.template_library import TemplateFolders
    from sizing.planner import plan_paths, requests_of

    inputs, _ = plan_paths(
        [stack_file("dev", root=ROOT)],
        catalog=default_catalog(),
        templates=TemplateFolders.default((ROOT / "templates",)),
    )
    request = next(
        r for r in requests_of(inputs, catalog=default_catalog()) if r.name == "ticket-triage"
    )
    plan = next(w for w in dev_plan.workloads if w.name == "ticket-triage")
    return verify_target(plan, request, replicas=1, tokenizer="tokenizer")


def test_the_target_is_the_plans_peak_at_the_measured_replicas(triage_target) -> None:
    t = triage_target
    assert t.plan_replicas == t.plan.aks.replicas_per_region == 2
    # 30 requests/min stated, over 2 replicas; one replica measured: a quarter request/s.
    assert t.planned_rate_per_s == pytest.approx(30 / 60 / 2)
    assert (t.input_tokens, t.output_tokens) == (800, 60)
    assert t.served_model == "ticket-triage"


def _recorded_loader(files_by_rate: dict[float, Path]):
    """A load runner that answers each rate with a recorded step, in order of the rates asked."""
    asked: list[float] = []
    recorded = [read_results(p).steps[0] for p in files_by_rate.values()]

    def load(rate: float):
        asked.append(rate)
        return "0.8.1", recorded[min(len(asked), len(recorded)) - 1]

    return load, asked


def test_steps_go_up_while_the_slo_holds_and_stop_at_the_first_miss(triage_target) -> None:
    # The mock server's steady steps meet the plan's SLO (1500 ms TTFT, 20 tok/s); the error
    # run misses it: up once, then stop.
    load, asked = _recorded_loader({1: STEADY_1, 3: STEADY_3, 2: ERRORS})
    _, steps = step_rates(triage_target, load, max_steps=6)
    assert [s.slo_met for s in steps] == [True, True, False]
    base = triage_target.planned_rate_per_s
    assert asked == pytest.approx([base, base * STEP_FACTOR, base * STEP_FACTOR**2])


def test_steps_go_down_when_the_planned_load_misses(triage_target) -> None:
    load, asked = _recorded_loader({2: ERRORS, 1: STEADY_1})
    _, steps = step_rates(triage_target, load, max_steps=6)
    assert [s.slo_met for s in steps] == [False, True]
    assert asked[1] == pytest.approx(asked[0] / STEP_FACTOR)


def test_a_measurement_holds_the_plan_and_the_capacity_and_reads_back(
    triage_target, tmp_path: Path
) -> None:
    load, _ = _recorded_loader({1: STEADY_1, 3: STEADY_3, 2: ERRORS})
    m = measure(triage_target, load, stack="dev", step_duration_s=6, max_steps=3)
    s = m.subject
    aks = triage_target.plan.aks
    assert (s.model, s.vm_sku, s.precision, s.tensor_parallel, s.engine_version) == (
        triage_target.plan.model,
        aks.vm_sku,
        aks.precision,
        aks.tensor_parallel,
        aks.container_image.tag,
    )
    assert m.plan_digest.startswith("sha256:")
    steady_3 = read_results(STEADY_3).steps[0]
    assert m.capacity_rate_per_s == max(
        read_results(STEADY_1).steps[0].achieved_rate_per_s, steady_3.achieved_rate_per_s
    )
    assert slo_holds(m)
    verdicts = {r.term: r.verdict for r in rows(m) if r.verdict}
    assert verdicts == {"TTFT p95": "meets", "tokens/s per request p50": "meets", "errors": "meets"}
    path = tmp_path / "m.json"
    write_measurement(m, path)
    assert read_measurement(path) == m
    assert read_measurements(tmp_path) == [(path, m)]


def test_a_bad_measurement_file_is_named_with_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"api_version": "inferplan/v1", "kind": "Measurement"}))
    with pytest.raises(MeasurementError, match=r"bad\.json: subject: Field required"):
        read_measurement(path)


# --- the command's failure paths ----------------------------------------------------------------


def _one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_a_dead_endpoint_exits_2_with_one_line() -> None:
    result = invoke(
        "verify",
        "dev",
        "--workload",
        "ticket-triage",
        "--endpoint",
        "http://127.0.0.1:9/v1",
        env={"INFERPLAN_LOADGEN": str(Path(__file__))},  # any file: it is never run
    )
    line = _one_line_error(result)
    assert line.startswith("error: http://127.0.0.1:9: endpoint cannot be reached")


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (
            ("--workload", "nope", "--endpoint", "http://127.0.0.1:9/v1"),
            {},
            "error: --workload nope: stack dev has no such workload",
        ),
        (
            ("--workload", "ticket-triage", "--endpoint", "ftp://x"),
            {},
            "error: --endpoint 'ftp://x': not an http:// or https:// URL",
        ),
        (
            ("--workload", "ticket-triage", "--endpoint", "http://x", "--key-env", "NO_SUCH"),
            {"NO_SUCH": ""},
            "error: --key-env NO_SUCH: the environment variable is not set",
        ),
        (
            ("--workload", "search-embeddings", "--endpoint", "http://x"),
            {},
            "error: search-embeddings: an embedding workload; verify measures chat",
        ),
        (
            ("--workload", "ticket-triage"),
            {"PATH": "/nonexistent"},
            "error: no --endpoint and no Pulumi CLI",
        ),
    ],
    ids=["unknown-workload", "not-http", "empty-key", "embeddings", "no-pulumi"],
)
def test_bad_input_exits_2_with_one_line(args, env, expected) -> None:
    env = {"INFERPLAN_LOADGEN": str(Path(__file__)), **env}
    line = _one_line_error(invoke("verify", "dev", *args, env=env))
    assert line.startswith(expected)


def test_no_load_generator_exits_2_and_says_how_to_get_one() -> None:
    result = invoke(
        "verify",
        "dev",
        "--workload",
        "ticket-triage",
        "--endpoint",
        "http://127.0.0.1:9/v1",
        env={"INFERPLAN_LOADGEN": "/nonexistent/guidellm"},
    )
    assert "./dev inferplan verify" in _one_line_error(result)


def test_the_key_is_never_printed(tmp_path: Path) -> None:
    secret = "sk-very-secret-value"
    result = invoke(
        "verify",
        "dev",
        "--workload",
        "ticket-triage",
        "--endpoint",
        "http://127.0.0.1:9/v1",
        "--key-env",
        "VERIFY_KEY",
        env={"VERIFY_KEY": secret, "INFERPLAN_LOADGEN": str(Path(__file__))},
    )
    assert result.exit_code == 2
    assert secret not in result.output


# --- recorded reports, the Job, the report's measured points ------------------------------------


def test_from_results_writes_the_measurement_and_exits_by_the_verdict(tmp_path: Path) -> None:
    args = ["verify", "dev", "--workload", "ticket-triage", "--replicas", "1"]
    held = invoke(
        *args,
        "--from-results",
        str(STEADY_1),
        "--from-results",
        str(STEADY_3),
        "--out",
        str(tmp_path / "ok"),
    )
    assert held.exit_code == 0, held.output
    assert "SLO holds at the planned load" in held.output
    ((path, m),) = read_measurements(tmp_path / "ok")
    assert path.parent.name == "dev" and path.name.startswith("ticket-triage-")
    assert (m.harness.input_tokens, m.harness.output_tokens) == (128, 60)  # as GuideLLM was asked
    assert [s.slo_met for s in m.steps] == [True, True]
    missed = invoke(*args, "--from-results", str(ERRORS), "--out", str(tmp_path / "miss"))
    assert missed.exit_code == 1, missed.output
    assert "SLO MISSED at the planned load" in missed.output


def test_from_results_of_a_file_that_is_not_a_report_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "r.json"
    bad.write_text("[]")
    line = _one_line_error(
        invoke("verify", "dev", "--workload", "ticket-triage", "--from-results", str(bad))
    )
    assert "not GuideLLM's JSON report" in line


def test_the_job_runs_the_same_scenario_from_the_registry_without_the_key(tmp_path: Path) -> None:
    import yaml

    result = invoke(
        "verify",
        "dev",
        "--workload",
        "ticket-triage",
        "--job",
        str(tmp_path),
        "--endpoint",
        "http://gateway.internal/ticket-triage/v1",
        "--key-env",
        "K",
        "--registry",
        "acrdev.azurecr.io",
        "--steps",
        "3",
        env={"K": "sk-should-not-appear"},
    )
    assert result.exit_code == 0, result.output
    text = (tmp_path / "verify-ticket-triage.yaml").read_text()
    assert "sk-should-not-appear" not in text
    config_map, job = yaml.safe_load_all(text)
    scenario = json.loads(config_map["data"]["scenario.json"])["spec"]
    assert scenario["backend"]["target"] == "http://gateway.internal/ticket-triage"
    assert scenario["profile"] == {"kind": "constant", "rate": [0.5, 0.75, 1.125]}
    assert scenario["data"][0]["prompt_tokens"] == 800
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    catalog_image = next(
        i for i in default_catalog().document("images").images if i.id == "guidellm"
    )
    assert container["image"] == f"acrdev.azurecr.io/{catalog_image.repository}:{catalog_image.tag}"
    key = next(e for e in container["env"] if e["name"] == "GUIDELLM__SPEC__BACKEND__API_KEY")
    assert key["valueFrom"]["secretKeyRef"]["key"] == "api-key"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert job["spec"]["backoffLimit"] == 0


def test_the_report_draws_only_measurements_of_the_planned_configuration(
    triage_target, tmp_path: Path
) -> None:
    from inferplan.review.report_data import measured_points

    load, _ = _recorded_loader({1: STEADY_1, 3: STEADY_3})
    m = measure(triage_target, load, stack="dev", step_duration_s=6, max_steps=2)
    points = measured_points(triage_target.plan, [("m.json", m)], stack="dev")
    assert sorted((p.concurrency, p.ttft_p95_ms) for p in points) == sorted(
        (s.concurrency_mean / m.subject.replicas, s.ttft_ms.p95) for s in m.steps
    )
    assert all(p.source == "m.json" for p in points)
    other = m.model_copy(update={"subject": m.subject.model_copy(update={"engine_version": "v0"})})
    assert measured_points(triage_target.plan, [("m.json", other)], stack="dev") == ()
    assert measured_points(triage_target.plan, [("m.json", m)], stack="prod") == ()


def test_diff_notes_a_changed_workload_whose_newest_measurement_disagreed(triage_target) -> None:
    from inferplan.review.measured_notes import KIND, add_measurement_notes

    def measured(files: dict[float, Path], started: str):
        load, _ = _recorded_loader(files)
        m = measure(triage_target, load, stack="dev", step_duration_s=6, max_steps=1)
        return m.model_copy(update={"started_at": started})

    missed = measured({2: ERRORS}, "2026-12-01T00:00:00Z")
    held = measured({1: STEADY_1}, "2026-12-02T00:00:00Z")
    assert not slo_holds(missed)

    def report(*workloads: str) -> dict:
        return {
            "warnings": 0,
            "stacks": [
                {"stack": "dev", "workloads": [{"name": w} for w in workloads], "warnings": []}
            ],
        }

    touched = report("ticket-triage")
    assert add_measurement_notes(touched, [("measurements/dev/a.json", missed)]) == 1
    (warning,) = touched["stacks"][0]["warnings"]
    assert warning["kind"] == KIND and warning["source"] == "measurements/dev/a.json"
    assert "SLO missed at the planned load" in warning["message"]
    assert touched["warnings"] == 1
    # Not touched by the change, or settled by a newer measurement that agrees: no note.
    assert add_measurement_notes(report("hr-policy-chat"), [("a.json", missed)]) == 0
    newer = [("a.json", missed), ("b.json", held)]
    assert add_measurement_notes(report("ticket-triage"), newer) == 0


def test_the_default_endpoint_is_the_stacks_endpoints_output(tmp_path: Path) -> None:
    """What `pulumi stack output endpoints --json` prints (components/environment.py exports
    it), read through a stand-in for the Pulumi CLI."""
    from inferplan.verify.endpoint import EndpointError, stack_endpoint

    pulumi = tmp_path / "pulumi"
    pulumi.write_text(
        "#!/bin/sh\n"
        '[ "$*" = "stack output endpoints --json --stack dev" ] || '
        '{ echo "no stack" >&2; exit 1; }\n'
        'echo \'{"ticket-triage": "https://gw.example/ticket-triage/v1"}\'\n'
    )
    pulumi.chmod(0o755)
    assert (
        stack_endpoint("dev", "ticket-triage", pulumi=str(pulumi))
        == "https://gw.example/ticket-triage/v1"
    )
    with pytest.raises(EndpointError, match="has no 'other'"):
        stack_endpoint("dev", "other", pulumi=str(pulumi))
    with pytest.raises(EndpointError, match="--stack prod: no stack"):
        stack_endpoint("prod", "ticket-triage", pulumi=str(pulumi))
