"""The real engine against what the deployment assumes of it: the dev stack's rendered flags
start it, the routes the API key covers, streaming in the gateway's request shapes, and every
metric the alerts, the KEDA trigger and the dashboard query.

One module, one engine (the fixtures below), several scenarios: under ``--dist loadfile`` one
worker starts it once. No conftest.py in this folder: a second module named ``conftest`` would
shadow tests/conftest.py, which other tiers import by that name. Other tiers reuse the helper in
``engine_server.py``.
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from components.alert_rules import prometheus_rules
from components.dashboard import vllm_tile_queries
from components.kubernetes_manifests import REGION_LABEL, queue_depth_query
from inferplan.verify.loadgen import DEFAULT_LOADGEN
from inferplan.verify.measurement import read_measurements
from sizing.catalog import default_catalog
from sizing.performance.estimator import measured_scheduler_limits, measured_step_cost
from sizing.performance.scheduler_model import predict_load
from sizing.performance.traffic import LengthMix
from tests.engine.engine_load import Client, closed_loop, summarise
from tests.engine.engine_server import (
    DEVICE_ONLY_FLAGS,
    cpu_server_args,
    engine_unavailable,
    flag_name,
    make_tiny_model,
    running_engine,
)

TIMEOUT_S = 120
# Labels the scrape adds to every series (the PodMonitor's target labels and its relabeling),
# not the engine: a query may select on them whatever the engine exports.
SCRAPE_LABELS = {"namespace", "pod", "container", "job", "instance", REGION_LABEL}
METRIC = re.compile(r"\bvllm:[a-z_:]+")


API_KEY = "engine-tier-test-key"  # a fixed test value, never a credential


@pytest.fixture(scope="session")
def engine_model(tmp_path_factory: pytest.TempPathFactory):
    reason = engine_unavailable()
    if reason:
        pytest.skip(reason)
    return make_tiny_model(tmp_path_factory.mktemp("engine-model") / "tiny-llama")


@pytest.fixture(scope="session")
def dev_workload(dev_plan):
    """The dev stack's self-hosted workload: its rendered command line is the one started."""
    return next(w for w in dev_plan.workloads if w.aks is not None)


@pytest.fixture(scope="session")
def engine(engine_model, dev_workload, tmp_path_factory: pytest.TempPathFactory):
    """The real engine serving the dev workload's flags (device-only ones dropped), with an
    API key, on 127.0.0.1; stopped at the end of the session."""
    args, _dropped = cpu_server_args(dev_workload.aks.vllm_args)
    log = tmp_path_factory.mktemp("engine-log") / "engine.log"
    with running_engine(
        engine_model,
        log=log,
        served_model_name=dev_workload.name,
        args=args,
        api_key=API_KEY,
    ) as server:
        yield server


def chat_body(server, **extra) -> dict:
    """A chat request as the gateway forwards it: the model pinned, the completion length
    capped in ``max_completion_tokens`` and the Plan's sampling defaults filled in
    (components/apim_xml/api-policy.xml.j2)."""
    body = {
        "model": server.served_model_name,
        "messages": [{"role": "user", "content": "Hello, how are you today?"}],
        "max_completion_tokens": 12,
        "temperature": 0.7,
        "top_p": 0.95,
        "frequency_penalty": 0.0,
        "presence_penalty": 0.0,
        "stop": ["###"],
    }
    return body | extra


def sse_events(response: requests.Response) -> list[str]:
    """The ``data:`` payloads of a server-sent event stream, checking its framing: every event
    is one ``data: `` line followed by a blank line."""
    text = response.content.decode("utf-8")
    assert text.endswith("\n\n"), "the stream must end with a complete event"
    events = []
    for block in text.split("\n\n")[:-1]:
        assert block.startswith("data: "), f"not an SSE data event: {block[:80]!r}"
        assert "\n" not in block, f"an event spans several lines: {block[:80]!r}"
        events.append(block.removeprefix("data: "))
    return events


def post_chat(server, body: dict, *, stream: bool) -> requests.Response:
    response = requests.post(
        f"{server.base_url}/v1/chat/completions",
        json=body | {"stream": stream},
        headers=server.headers(),
        timeout=TIMEOUT_S,
    )
    assert response.status_code == 200, response.text
    return response


# --- the rendered command line ------------------------------------------------------------------


def test_the_dev_stacks_rendered_flags_start_the_engine(engine, dev_workload) -> None:
    """The server runs with the dev workload's flags less the named device-only ones, and
    serves the workload's name (the model the gateway pins)."""
    kept, dropped = cpu_server_args(dev_workload.aks.vllm_args)
    assert {flag_name(a) for a in dropped} <= set(DEVICE_ONLY_FLAGS)
    assert any(flag_name(a) == "--max-num-batched-tokens" for a in kept)
    models = requests.get(f"{engine.base_url}/v1/models", headers=engine.headers(), timeout=30)
    assert models.status_code == 200
    assert [m["id"] for m in models.json()["data"]] == [dev_workload.name]
    # The engine logs the arguments that differ from its defaults: the scheduler limits the
    # plan sized the replica for are among them, with the plan's values.
    line = next(x for x in engine.log.read_text().splitlines() if "non-default args:" in x)
    taken = ast.literal_eval(line.split("non-default args:", 1)[1].strip())
    for arg in kept:
        name, _, value = arg.removeprefix("--").partition("=")
        if name in ("max-num-seqs", "max-num-batched-tokens", "max-model-len"):
            assert taken[name.replace("-", "_")] == int(value), arg
    assert taken["served_model_name"] == [dev_workload.name]


# --- the API key --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/models", "/v1/chat/completions", "/v1/completions"])
def test_the_api_key_guards_the_openai_routes(engine, path: str) -> None:
    method = requests.get if path == "/v1/models" else requests.post
    body = None if path == "/v1/models" else {"model": engine.served_model_name}
    url = f"{engine.base_url}{path}"
    assert method(url, json=body, timeout=30).status_code == 401
    wrong = {"Authorization": "Bearer not-the-key"}
    assert method(url, json=body, headers=wrong, timeout=30).status_code == 401
    basic = {"Authorization": f"Basic {API_KEY}"}
    assert method(url, json=body, headers=basic, timeout=30).status_code == 401


@pytest.mark.parametrize(
    "host",
    ["localhost", "127.0.0.1:1", "evil.example/v1", "localhost/health", "", "a" * 300],
)
def test_no_host_header_bypasses_the_key(engine, host: str) -> None:
    """GHSA-94f4-hr76-p5j6 (CVE-2026-48746): a crafted Host header skipped the key check
    before 0.22. The pinned engine refuses every variant without the key."""
    response = requests.get(f"{engine.base_url}/v1/models", headers={"Host": host}, timeout=30)
    assert response.status_code in (400, 401), (host, response.status_code)


@pytest.mark.parametrize("path", ["//v1/models", "/health/../v1/models", "/v1/./models"])
def test_no_path_spelling_bypasses_the_key(engine, path: str) -> None:
    response = requests.get(f"{engine.base_url}{path}", timeout=30)
    assert response.status_code != 200, path


@pytest.mark.parametrize("path", ["/health", "/metrics"])
def test_probe_and_scrape_routes_stay_open(engine, path: str) -> None:
    """The probes (/health) and managed Prometheus (/metrics) call without the key; the
    NetworkPolicy, not the key, keeps everyone else out of them."""
    assert requests.get(f"{engine.base_url}{path}", timeout=30).status_code == 200


# --- streaming as the gateway forwards it -------------------------------------------------------


def test_streamed_chat_ends_with_usage_then_done(engine) -> None:
    body = chat_body(engine, stream_options={"include_usage": True})
    response = post_chat(engine, body, stream=True)
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert all(c["model"] == engine.served_model_name for c in chunks)
    *content, last = chunks
    assert last["choices"] == [] and last["usage"]["completion_tokens"] >= 1
    assert last["usage"]["completion_tokens"] <= body["max_completion_tokens"]
    assert last["usage"]["total_tokens"] == (
        last["usage"]["prompt_tokens"] + last["usage"]["completion_tokens"]
    )
    assert all(c.get("usage") is None for c in content)
    assert content[-1]["choices"][0]["finish_reason"] in ("length", "stop")


def test_streamed_chat_without_usage_has_no_usage_chunk(engine) -> None:
    events = sse_events(post_chat(engine, chat_body(engine), stream=True))
    chunks = [json.loads(e) for e in events[:-1]]
    assert events[-1] == "[DONE]"
    assert all(c.get("usage") is None and c["choices"] for c in chunks)


def test_max_completion_tokens_caps_the_answer(engine) -> None:
    """The gateway caps length in ``max_completion_tokens`` (chat); the engine honours it."""
    body = chat_body(engine, max_completion_tokens=5, ignore_eos=True)
    usage = post_chat(engine, body, stream=False).json()["usage"]
    assert usage["completion_tokens"] == 5


def test_completions_take_max_tokens(engine) -> None:
    """The completions operation gets ``max_tokens`` from the gateway."""
    response = requests.post(
        f"{engine.base_url}/v1/completions",
        json={
            "model": engine.served_model_name,
            "prompt": "The quick brown fox",
            "max_tokens": 4,
            "ignore_eos": True,
            "stream": True,
            "stream_options": {"include_usage": True},
        },
        headers=engine.headers(),
        timeout=TIMEOUT_S,
    )
    assert response.status_code == 200, response.text
    events = sse_events(response)
    assert events[-1] == "[DONE]"
    assert json.loads(events[-2])["usage"]["completion_tokens"] == 4


# --- metrics ------------------------------------------------------------------------------------


def exposition(engine) -> dict[str, set[str]]:
    """Series name -> label names, from the engine's ``/metrics`` (Prometheus text format)."""
    text = requests.get(f"{engine.base_url}/metrics", timeout=30).text
    series: dict[str, set[str]] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s", line)
        assert match, line
        name, labels = match.groups()
        names = set(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="', labels or ""))
        series.setdefault(name, set()).update(names)
    return series


def deployment_queries(workload) -> list[str]:
    """Every PromQL the deployment runs on vLLM's metrics: alert rules, the KEDA trigger and
    the dashboard tiles."""
    queries = [rule["expression"] for rule in prometheus_rules(workload)]
    queries.append(queue_depth_query(workload, region=workload.regions[0]))
    queries += [tile["query"] for tile in vllm_tile_queries((workload,))]
    return queries


def used_labels(query: str) -> set[str]:
    selected = re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!=|!~|=)\s*"', query)
    grouped = [
        label.strip()
        for group in re.findall(r"\bby\s*\(([^)]*)\)", query)
        for label in group.split(",")
    ]
    return set(selected) | set(grouped)


def missing_series(queries: list[str], series: dict[str, set[str]]) -> list[str]:
    """What the queries read that the exposition lacks: a series, or a label on one (beyond
    the labels the scrape adds)."""
    problems = []
    for query in queries:
        names = METRIC.findall(query)
        if not names:
            problems.append(f"no vllm: metric in {query}")
        for name in names:
            if name not in series:
                problems.append(f"{name} (in {query}) is not on the engine's /metrics")
                continue
            missing = used_labels(query) - SCRAPE_LABELS - series[name]
            if missing:
                problems.append(f"{name} has no label {sorted(missing)} (in {query})")
    return problems


def test_every_metric_the_deployment_queries_exists(engine, dev_workload) -> None:
    """After a few requests, each ``vllm:`` series an alert, the KEDA trigger or a dashboard
    tile reads is on ``/metrics``, with every label the query selects or groups on (beyond
    those the scrape adds)."""
    for _ in range(3):
        post_chat(engine, chat_body(engine, ignore_eos=True), stream=True)
    series = exposition(engine)
    queries = deployment_queries(dev_workload)
    assert len(queries) >= 8
    assert missing_series(queries, series) == []
    checked = {name for query in queries for name in METRIC.findall(query)}
    assert {"vllm:num_requests_waiting", "vllm:kv_cache_usage_perc"} <= checked


def test_the_metric_check_catches_a_missing_series_or_label(engine) -> None:
    """The check above fails for the name the 0.11 line's alerts also read
    (``vllm:gpu_cache_usage_perc``, gone from the pinned release) and for a label the engine
    does not put on a series."""
    series = exposition(engine)
    problems = missing_series(
        [
            'max(vllm:gpu_cache_usage_perc{namespace="chat"})',
            'sum by (gpu) (vllm:num_requests_waiting{namespace="chat"})',
        ],
        series,
    )
    assert len(problems) == 2
    assert "vllm:gpu_cache_usage_perc" in problems[0]
    assert "no label ['gpu']" in problems[1]


# --- inferplan verify against this engine (GuideLLM from .venv-loadgen) ---
# ``inferplan verify`` against the real engine: GuideLLM really loads the CPU vLLM serving the
# dev stack's flags, its report is really parsed, and the measurement file is really written.
#
# Skips where the engine environment (.venv-engine) or the load generator's (.venv-loadgen) is
# missing; ``./dev test tests/engine`` builds both.

VERIFY_ROOT = Path(__file__).resolve().parents[2]
# Seconds per load step. At the planned quarter request per second an 8 s step sent two
# requests and the first ones (the CPU engine warming up on 800-token prompts) were still
# running when GuideLLM cancelled them at the step's end: 30 s leaves room for some to finish.
STEP_S = 30


@pytest.fixture(scope="module")
def loadgen() -> Path:
    if not DEFAULT_LOADGEN.is_file():
        pytest.skip("no .venv-loadgen (./dev test tests/engine builds it)")
    return DEFAULT_LOADGEN


def test_verify_loads_the_engine_and_writes_a_measurement(
    engine, engine_model, dev_workload, loadgen, tmp_path: Path
) -> None:
    out = tmp_path / "measurements"
    env = {
        **os.environ,
        "PYTHONPATH": str(VERIFY_ROOT),
        "VERIFY_KEY": API_KEY,
        "INFERPLAN_LOADGEN": str(loadgen),
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "inferplan.cli",
            "verify",
            "dev",
            "--workload",
            dev_workload.name,
            "--endpoint",
            f"{engine.base_url}/v1",
            "--key-env",
            "VERIFY_KEY",
            "--replicas",
            "1",
            "--duration",
            str(STEP_S),
            "--steps",
            "1",
            "--tokenizer",
            str(engine_model),
            "--out",
            str(out),
            "--format",
            "json",
        ],
        cwd=VERIFY_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode in (0, 1), done.stderr[-3000:]
    assert API_KEY not in done.stdout + done.stderr
    ((path, m),) = read_measurements(out)
    assert path.parent.name == "dev"
    assert m.subject.workload == dev_workload.name
    assert m.subject.vm_sku == dev_workload.aks.vm_sku
    assert m.subject.engine_version == dev_workload.aks.container_image.tag
    assert m.harness.name == "guidellm" and m.harness.version == "0.8.1"
    first = m.steps[0]
    assert first.requests_ok >= 1, first
    assert first.requests_errored == 0  # the key was accepted: no 401s
    assert first.ttft_ms.p50 > 0 and first.itl_ms.p50 > 0
    assert first.output_tokens_p50 > 0
    # The exit code is the verdict at the planned load.
    assert done.returncode == (0 if first.slo_met else 1)
    assert f'"workload": "{dev_workload.name}"' in done.stdout


# --- the load model against the engine ----------------------------------------------------------


def test_the_load_model_agrees_with_the_engine_loosely(engine, dev_workload) -> None:
    """Four closed-loop clients of 32 + 32-token completions on the dev workload's engine: the
    median TTFT and ITL the client sees are within x3 of what the scheduler model predicts for
    the measured CPU device of the built-in catalog at that engine's limits. Loose on purpose:
    on a shared 2-core host the engine's steps took up to twice the measured time
    (docs/sizing-model.md, "Against the real scheduler"); a unit or a term lost is caught all
    the same. ``benchmarks/engine_agreement.py`` gives the close comparison."""
    device = next(iter(default_catalog().section("measured_step_costs").values()))
    args = dict(a.removeprefix("--").partition("=")[::2] for a in dev_workload.aks.vllm_args)
    tokens = re.search(r"KV cache size: ([\d,]+) tokens", engine.log.read_text())
    limits = measured_scheduler_limits(
        device,
        max_num_seqs=int(args["max-num-seqs"]),
        max_num_batched_tokens=int(args["max-num-batched-tokens"]),
        kv_cache_blocks=int(tokens.group(1).replace(",", "")) // device.kv_block_tokens,
    )
    predicted = predict_load(
        cost=measured_step_cost(device),
        limits=limits,
        lengths=LengthMix(32, 32),
        arrival="closed-loop",
        concurrency=4,
        quantiles=(0.5,),
    )
    client = Client(engine.base_url, engine.served_model_name, headers=engine.headers())
    timings = asyncio.run(
        closed_loop(client, clients=4, requests=40, warmup=8, prompt=32, output=32)
    )
    seen = summarise(timings)
    assert seen.errors == 0
    _, ttft_s, itl_s = predicted.tails[0]
    assert 1 / 3 <= ttft_s * 1e3 / seen.ttft_p50_ms <= 3.0, (ttft_s, seen)
    # Each request's mean gap (its decode time over its tokens), the median over requests: on a
    # busy host the client reads several streamed tokens at once, so single gaps of a fraction
    # of a millisecond say more about the client than about the engine's steps.
    itl_ms = statistics.median(sum(t.gaps) / len(t.gaps) * 1e3 for t in timings if t.gaps)
    assert 1 / 3 <= itl_s * 1e3 / itl_ms <= 3.0, (itl_s, itl_ms, seen)
