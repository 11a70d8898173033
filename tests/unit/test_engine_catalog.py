"""The engines catalog: one entry per serving engine release, the pinned one read by sizing
(scheduler defaults, memory share, port) and by the alerts, KEDA trigger and dashboard (metric
names); the pinned release is the one the image catalog pulls."""

from __future__ import annotations

import dataclasses
import textwrap

import pytest

from sizing.catalog import CatalogError, default_catalog, load_catalog
from sizing.catalog.engines import engine_release_for, pinned_engine
from sizing.deploy.container_images import VLLM_IMAGE_ID, planned_image
from sizing.deploy.vllm_args import GPU_MEMORY_UTILIZATION, VLLM_PORT
from sizing.performance.calibration import engine_version
from sizing.performance.engine_limits import default_engine_limits


def test_the_image_the_plans_pull_is_the_pinned_release() -> None:
    release = pinned_engine()
    image = planned_image(default_catalog(), release.image)
    assert release.image == VLLM_IMAGE_ID
    assert image.tag == f"v{release.version}"
    assert tuple(int(p) for p in release.version.split(".")) >= (0, 22)  # GHSA-94f4 fixed


@pytest.mark.parametrize(
    ("gpu", "limits"),
    [
        ("h100-sxm", (1024, 8192)),  # >= 70 GiB, not an A100
        ("h200-sxm", (1024, 8192)),  # 140 GiB: below the 160 GiB row
        ("mi300x", (1024, 16384)),  # >= 160 GiB: the row v0.32.0 added
        ("a100-80gb-sxm", (256, 2048)),  # A100s keep the small budget
        ("l40s", (256, 2048)),
    ],
)
def test_scheduler_defaults_follow_the_pinned_release(gpu: str, limits) -> None:
    resolved = default_engine_limits(gpu=default_catalog().gpu(gpu))
    assert (resolved.max_num_seqs, resolved.max_num_batched_tokens) == limits
    assert resolved.gpu_memory_utilization == pinned_engine().gpu_memory_utilization == 0.92


def test_the_flags_state_the_pinned_releases_port_and_memory_share() -> None:
    release = pinned_engine()
    assert (release.port, release.gpu_memory_utilization) == (VLLM_PORT, GPU_MEMORY_UTILIZATION)


def test_every_alert_metric_is_a_name_of_the_pinned_release(dev_plan) -> None:
    names = set(pinned_engine().metrics.model_dump().values())
    workload = next(w for w in dev_plan.workloads if w.aks is not None)
    vllm_metrics = [a.metric for a in workload.alerts if "vllm:" in a.metric]
    assert vllm_metrics
    for metric in vllm_metrics:
        assert any(name in metric for name in names), metric


ENGINES = """\
    kind: engines
    schema_version: 1
    sources: {src: "a release's source"}
    pinned: PINNED
    engines:
      - id: vllm-9.9.9
        engine: vllm
        version: "9.9.9"
        image: vllm-openai
        batch_defaults:
          - {min_device_memory_gib: 0, max_num_seqs: 64, max_num_batched_tokens: 512}
        gpu_memory_utilization: 0.8
        port: 8001
        chunked_prefill_default: true
        async_scheduling_default: false
        api_key_guarded_prefixes: [/v1]
        latent_kv_cache_fp8: false
        chunked_local_kv_freed: false
        metrics:
          time_to_first_token: "vllm:ttft"
          inter_token_latency: "vllm:itl"
          requests_waiting: "vllm:waiting"
          requests_running: "vllm:running"
          kv_cache_usage: "vllm:kv"
          generation_tokens: "vllm:gen"
        source: src
        date: "2027-01-01"
"""


def test_a_team_catalog_can_pin_another_release(tmp_path) -> None:
    (tmp_path / "engines.yaml").write_text(textwrap.dedent(ENGINES.replace("PINNED", "vllm-9.9.9")))
    release = pinned_engine(load_catalog(extra_dirs=[tmp_path]))
    assert (release.version, release.port) == ("9.9.9", 8001)
    row = release.batch_default(gpu_id="h100-sxm", memory_bytes=80 * 1024**3)
    assert (row.max_num_seqs, row.max_num_batched_tokens) == (64, 512)


def test_pinning_an_unlisted_release_is_a_file_error(tmp_path) -> None:
    path = tmp_path / "engines.yaml"
    path.write_text(textwrap.dedent(ENGINES.replace("PINNED", "vllm-1.0.0")))
    with pytest.raises(CatalogError) as caught:
        load_catalog(extra_dirs=[tmp_path])
    message = str(caught.value)
    assert message.startswith(f"{path}:")
    assert "pinned engine 'vllm-1.0.0' is not listed (engines: vllm-9.9.9)" in message


def test_a_device_no_row_covers_is_refused(tmp_path) -> None:
    text = textwrap.dedent(ENGINES.replace("PINNED", "vllm-9.9.9"))
    (tmp_path / "engines.yaml").write_text(text.replace("gib: 0,", "gib: 100,"))
    release = pinned_engine(load_catalog(extra_dirs=[tmp_path]))
    with pytest.raises(ValueError, match="no batch default row applies to l4"):
        release.batch_default(gpu_id="l4", memory_bytes=24 * 1024**3)


@pytest.mark.parametrize(
    ("engine", "release"),
    [
        ("vLLM 0.6.3.post2.dev308", "vllm-0.11.0"),  # older than every entry: the oldest
        ("vLLM 0.11.0", "vllm-0.11.0"),
        ("vLLM 0.17.1", "vllm-0.11.0"),  # between entries: the newest not newer
        ("vLLM 0.32.0", "vllm-0.32.0"),
        ("vLLM 0.40", "vllm-0.32.0"),
        ("vLLM serve", "vllm-0.11.0"),  # no version stated
    ],
)
def test_calibration_rows_use_the_defaults_of_the_release_they_ran(engine, release) -> None:
    """Rows measured on the 0.6-0.11 line keep 0.9 of memory and the old batch rows; only the
    release a row ran (or a newer one) brings 0.92 and the >= 160 GiB row."""
    assert engine_release_for(engine_version(engine)).id == release


def test_a_calibration_row_on_an_old_release_keeps_its_memory_share() -> None:
    from sizing.performance.calibration import Measurement, _limits

    row = Measurement(
        source="s", engine="vLLM 0.10.1", gpu="mi300x", tp=1, model="llama-3.1-8b",
        precision="bf16", input_tokens=100, output_tokens=100, concurrency=1,
        metric="ttft_ms", value=1.0, notes="",
    )  # fmt: skip
    limits = _limits(row, default_catalog())
    assert (limits.gpu_memory_utilization, limits.max_num_batched_tokens) == (0.9, 8192)
    newer = _limits(dataclasses.replace(row, engine="vLLM 0.32.0"), default_catalog())
    assert (newer.gpu_memory_utilization, newer.max_num_batched_tokens) == (0.92, 16384)
