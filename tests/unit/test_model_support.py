"""Which weights vLLM loads, which image can serve a model, and how its experts are laid out."""

from __future__ import annotations

import pytest

from sizing.catalog import default_catalog
from sizing.deploy.container_images import VLLM_IMAGE_ID, planned_image
from sizing.deploy.vllm_args import vllm_args
from sizing.performance.model_support import (
    ParallelLayout,
    image_vllm_version,
    parallel_layout,
    serving_rejection,
    weights_source,
)

CAT = default_catalog()
VLLM_IMAGE = planned_image(CAT, VLLM_IMAGE_ID).upstream_reference  # the images catalog's pin


def flag_value(args: tuple[str, ...], flag: str) -> str | None:
    """The value of ``--flag=value`` in server arguments (the last one wins, as in vLLM)."""
    found = None
    for arg in args:
        if arg.startswith(flag + "="):
            found = arg.split("=", 1)[1]
    return found


@pytest.mark.parametrize(
    ("model", "precision", "expected"),
    [
        # 16-bit weights: vLLM casts them or quantizes them to fp8 on load
        pytest.param(
            "llama-3.1-8b", "bf16", ("meta-llama/Llama-3.1-8B-Instruct", "bf16"), id="bf16"
        ),
        pytest.param(
            "llama-3-8b", "fp8", ("meta-llama/Meta-Llama-3-8B-Instruct", "bf16"), id="fp8-on-load"
        ),
        pytest.param(
            "llama-3.1-8b",
            "fp8",
            ("neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8", "fp8"),
            id="fp8-published-checkpoint",
        ),
        # a listed checkpoint wins: Qwen's own block-scaled FP8 release
        pytest.param("qwen3-8b", "fp8", ("Qwen/Qwen3-8B-FP8", "fp8"), id="fp8-checkpoint"),
        pytest.param("qwen3-8b", "int4", ("Qwen/Qwen3-8B-AWQ", "int4"), id="awq-checkpoint"),
        # DeepSeek publishes FP8 only; gpt-oss publishes MXFP4 only
        pytest.param("deepseek-v3", "fp8", ("deepseek-ai/DeepSeek-V3", "fp8"), id="published-fp8"),
        pytest.param("gpt-oss-20b", "mxfp4", ("openai/gpt-oss-20b", "mxfp4"), id="published-mxfp4"),
        # vLLM cannot widen FP8 or MXFP4 weights back to 16 bits
        pytest.param("deepseek-v3", "bf16", None, id="no-bf16-deepseek"),
        pytest.param("gpt-oss-120b", "bf16", None, id="no-bf16-gpt-oss"),
        # a precision that needs a checkpoint the catalog lacks
        pytest.param("mistral-7b", "int4", None, id="no-awq-mistral"),
    ],
)
def test_weights_source(model, precision, expected) -> None:
    assert weights_source(CAT.model(model), CAT.precision(precision)) == expected


@pytest.mark.parametrize(
    ("image", "version"),
    [
        ("docker.io/vllm/vllm-openai:v0.11.0", (0, 11, 0)),
        ("vllm/vllm-openai:0.10.1", (0, 10, 1)),
        ("vllm/vllm-openai:v0.11", (0, 11)),
        ("vllm/vllm-openai:latest", None),
    ],
    ids=lambda value: str(value),
)
def test_image_vllm_version(image, version) -> None:
    assert image_vllm_version(image) == version


def test_the_pinned_image_serves_every_model_in_the_catalog() -> None:
    version = image_vllm_version(VLLM_IMAGE)
    assert version is not None
    for model in CAT.models.values():
        if model.min_vllm_version:
            assert version >= tuple(map(int, model.min_vllm_version.split("."))), model.id


def test_a_model_newer_than_the_image_is_rejected_with_its_kind() -> None:
    model = CAT.model("qwen3-8b").model_copy(update={"min_vllm_version": "0.33.0"})
    rejection = serving_rejection(
        model=model, precision=CAT.precision("bf16"), layout=ParallelLayout(1), image=VLLM_IMAGE
    )
    assert rejection is not None and rejection.kind == "engine-version"
    assert rejection.message == (
        "qwen3-8b needs vLLM 0.33.0 or later; the pinned image "
        "docker.io/vllm/vllm-openai:v0.32.0 is 0.32.0"
    )


def test_mxfp4_needs_vllm_0_10_1() -> None:
    rejection = serving_rejection(
        model=CAT.model("gpt-oss-20b").model_copy(update={"min_vllm_version": None}),
        precision=CAT.precision("mxfp4"),
        layout=ParallelLayout(1),
        image="vllm/vllm-openai:v0.10.0",
    )
    assert rejection is not None and rejection.kind == "engine-version"
    assert rejection.message.startswith("mxfp4 needs vLLM 0.10.1 or later")


@pytest.mark.parametrize(
    ("model", "precision", "tp", "expert_parallel"),
    [
        # Qwen3-235B-A22B-FP8: moe_intermediate_size 1536 / TP 4 = 384, three 128-wide blocks
        pytest.param("qwen3-235b-a22b", "fp8", 4, False, id="235b-fp8-tp4-slices"),
        # / TP 8 = 192: not whole blocks, so the experts go whole to the GPUs (vllm#17327)
        pytest.param("qwen3-235b-a22b", "fp8", 8, True, id="235b-fp8-tp8-expert-parallel"),
        # bf16 weights have no blocks: any slice works
        pytest.param("qwen3-235b-a22b", "bf16", 8, False, id="235b-bf16-tp8-slices"),
        # Qwen3-30B-A3B-FP8: 768 / 4 = 192
        pytest.param("qwen3-30b-a3b", "fp8", 4, True, id="30b-fp8-tp4-expert-parallel"),
        # DeepSeek-V3: 2048 / 8 = 256, two blocks
        pytest.param("deepseek-v3", "fp8", 8, False, id="deepseek-tp8-slices"),
        # dense models never need it
        pytest.param("qwen3-32b", "fp8", 8, False, id="dense"),
    ],
)
def test_parallel_layout(model, precision, tp, expert_parallel) -> None:
    layout = parallel_layout(model=CAT.model(model), precision=CAT.precision(precision), tp=tp)
    assert layout == ParallelLayout(tp=tp, expert_parallel=expert_parallel)


def test_experts_that_cannot_be_sliced_without_expert_parallelism_are_rejected() -> None:
    model = CAT.model("qwen3-235b-a22b").model_copy(update={"expert_parallel": False})
    rejection = serving_rejection(
        model=model, precision=CAT.precision("fp8"), layout=ParallelLayout(8), image=VLLM_IMAGE
    )
    assert rejection is not None and rejection.kind == "expert-layout"
    assert rejection.message == (
        "tensor parallel 8 would cut each expert of qwen3-235b-a22b into 192-wide slices, not a "
        "multiple of the FP8 checkpoint's 128-wide weight blocks, and vLLM has no expert "
        "parallelism for it"
    )


def test_deepseek_in_bf16_is_rejected_as_unpublished() -> None:
    rejection = serving_rejection(
        model=CAT.model("deepseek-v3"),
        precision=CAT.precision("bf16"),
        layout=ParallelLayout(8),
        image=VLLM_IMAGE,
    )
    assert rejection is not None and rejection.kind == "checkpoint"
    assert "published at fp8" in rejection.message


def test_vllm_args_for_the_new_architectures() -> None:
    deepseek = vllm_args(
        model=CAT.model("deepseek-v3"),
        precision=CAT.precision("fp8"),
        tp=8,
        max_model_len=8192,
        max_num_seqs=64,
        served_model_name="ds",
    )
    assert flag_value(deepseek, "--model") == "deepseek-ai/DeepSeek-V3"
    # the checkpoint is published in block-scaled FP8: its config.json names the method
    assert flag_value(deepseek, "--quantization") is None
    assert flag_value(deepseek, "--kv-cache-dtype") == "fp8"  # 8-bit latent in vLLM 0.32.0
    qwen = vllm_args(
        model=CAT.model("qwen3-235b-a22b"),
        precision=CAT.precision("fp8"),
        tp=8,
        max_model_len=8192,
        max_num_seqs=64,
        served_model_name="q",
        expert_parallel=True,
    )
    assert flag_value(qwen, "--model") == "Qwen/Qwen3-235B-A22B-FP8"
    assert "--enable-expert-parallel" in qwen
    assert flag_value(qwen, "--kv-cache-dtype") == "fp8"
    mistral = vllm_args(
        model=CAT.model("mistral-small-3.2"),
        precision=CAT.precision("bf16"),
        tp=1,
        max_model_len=8192,
        max_num_seqs=64,
        served_model_name="m",
    )
    assert flag_value(mistral, "--tokenizer-mode") == "mistral"  # the model card's flags
    assert mistral[-2:] == ("--host=0.0.0.0", "--port=8000")
