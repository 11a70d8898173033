"""Memory arithmetic, checked against values computed by hand from the published configs."""

from __future__ import annotations

import pytest
from inferplan.sizing.catalog import default_catalog
from inferplan.sizing.memory import (
    expert_params,
    kv_cache_bytes_per_token,
    memory_fit,
    weights_bytes,
)

CAT = default_catalog()
GIB = 1024**3


@pytest.mark.parametrize(
    ("model", "tp", "kv_bytes", "expected"),
    [
        # 2 (K,V) x 80 layers x 8 KV heads x 128 head_dim x 2 bytes = 327,680 (KAITO: 320 KiB)
        pytest.param("llama-3.1-70b", 1, 2.0, 327_680, id="llama-3.1-70b-gqa-bf16"),
        # 2 x 32 x 32 x 128 x 2: Llama 2 7B has no grouped-query attention
        pytest.param("llama-2-7b", 1, 2.0, 524_288, id="llama-2-7b-mha"),
        # FP8 KV cache halves it
        pytest.param("llama-3.1-70b", 1, 1.0, 163_840, id="fp8-kv"),
        # TP 8 splits 8 KV heads one per GPU: 2 x 80 x 1 x 128 x 2
        pytest.param("llama-3.1-70b", 8, 2.0, 40_960, id="tp8-one-head-per-gpu"),
        # 8 KV heads on 16 GPUs cannot split further: each GPU keeps a whole head
        pytest.param("llama-3.1-70b", 16, 2.0, 40_960, id="tp-beyond-kv-heads-replicates"),
    ],
)
def test_kv_cache_bytes_per_token(model: str, tp: int, kv_bytes: float, expected: int) -> None:
    m = CAT.model(model)
    assert kv_cache_bytes_per_token(model=m, kv_bytes_per_element=kv_bytes, tp=tp) == expected


def test_bf16_weights_are_two_bytes_per_parameter() -> None:
    m = CAT.model("llama-3-8b")
    assert weights_bytes(model=m, precision=CAT.precision("bf16")) == m.params_total * 2


def test_quantized_weights_keep_embeddings_and_head_in_16_bit() -> None:
    m = CAT.model("llama-3-8b")
    embed = 2 * m.vocab_size * m.hidden_size  # input embedding + untied output head
    expected = (m.params_total - embed) * 1.0 + embed * 2.0
    assert weights_bytes(model=m, precision=CAT.precision("fp8")) == expected


def test_mixtral_expert_parameters_are_most_of_the_model() -> None:
    m = CAT.model("mixtral-8x7b")
    # 32 layers x 8 experts x 3 matrices x 4096 x 14336
    assert expert_params(m) == 32 * 8 * 3 * 4096 * 14336
    assert expert_params(m) < m.params_total
    assert expert_params(CAT.model("llama-3-8b")) == 0


def test_memory_fit_splits_usable_memory_into_weights_overhead_and_kv() -> None:
    fit = memory_fit(
        model=CAT.model("llama-3.1-70b"),
        gpu=CAT.gpu("h100-sxm"),
        precision=CAT.precision("bf16"),
        tp=4,
        input_tokens=1000,
        output_tokens=24,
        gpu_memory_utilization=0.9,
        base_overhead_bytes=1.5 * GIB,
        max_num_batched_tokens=8192,
        max_num_seqs=256,
    )
    gpu = CAT.gpu("h100-sxm")
    assert fit.usable_bytes_per_gpu == pytest.approx(gpu.memory_bytes * 0.9)
    assert fit.kv_cache_bytes_per_gpu == pytest.approx(
        fit.usable_bytes_per_gpu - fit.weights_bytes_per_gpu - fit.overhead_bytes_per_gpu
    )
    # 1024 tokens is a whole number of 16-token blocks; 2 KV heads per GPU at TP 4
    assert fit.tokens_per_sequence == 1024
    assert fit.kv_bytes_per_token_per_gpu == 327_680 / 4
    expected = int(fit.kv_cache_bytes_per_gpu // (327_680 / 4 * 1024))
    assert fit.max_concurrency == expected
    assert fit.fits


def test_sequence_length_rounds_up_to_kv_blocks() -> None:
    fit = memory_fit(
        model=CAT.model("llama-3-8b"),
        gpu=CAT.gpu("a100-80gb-sxm"),
        precision=CAT.precision("bf16"),
        tp=1,
        input_tokens=1000,
        output_tokens=1,
        gpu_memory_utilization=0.9,
        base_overhead_bytes=1.5 * GIB,
        max_num_batched_tokens=2048,
        max_num_seqs=256,
    )
    assert fit.tokens_per_sequence == 1008  # 1001 tokens -> 63 blocks of 16


@pytest.mark.parametrize(
    ("model", "gpu", "precision", "tp", "fits"),
    [
        pytest.param("llama-3.1-70b", "h100-sxm", "bf16", 1, False, id="70b-bf16-on-one-80gb"),
        pytest.param("llama-3.1-70b", "h100-sxm", "bf16", 2, True, id="70b-bf16-tp2"),
        pytest.param("llama-3.1-70b", "h200-sxm", "fp8", 1, True, id="70b-fp8-one-h200"),
        pytest.param("llama-3.1-405b", "h100-sxm", "bf16", 8, False, id="405b-bf16-one-node"),
        pytest.param("llama-3.1-405b", "h100-sxm", "fp8", 8, True, id="405b-fp8-one-node"),
        pytest.param("llama-3-8b", "a10", "bf16", 1, True, id="8b-on-a10"),
    ],
)
def test_which_models_fit(model: str, gpu: str, precision: str, tp: int, fits: bool) -> None:
    fit = memory_fit(
        model=CAT.model(model),
        gpu=CAT.gpu(gpu),
        precision=CAT.precision(precision),
        tp=tp,
        input_tokens=2048,
        output_tokens=512,
        gpu_memory_utilization=0.9,
        base_overhead_bytes=1.5 * GIB,
        max_num_batched_tokens=2048,
        max_num_seqs=256,
    )
    assert fit.fits is fits
