"""Memory arithmetic, checked against values computed by hand from the published configs."""

from __future__ import annotations

import pytest

from sizing.catalog import default_catalog
from sizing.performance.gpu_share import gpu_slice, vm_gpu
from sizing.performance.memory import (
    expert_params,
    kv_cache_bytes_per_sequence,
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


# --- architectures beyond a dense grouped-query decoder -------------------------------------------


@pytest.mark.parametrize(
    ("model", "tp", "kv_bytes", "expected"),
    [
        # Qwen3-8B config: 36 layers x 2 x 8 KV heads x head_dim 128 x 2 bytes = 147,456
        pytest.param("qwen3-8b", 1, 2.0, 147_456, id="qwen3-8b-gqa"),
        # DeepSeek-V3 config: 61 layers x (kv_lora_rank 512 + qk_rope_head_dim 64) x 2 bytes;
        # not 2 x 128 heads x 192 x 61 x 2 = 5,996,544 as plain multi-head attention would hold
        pytest.param("deepseek-v3", 1, 2.0, 70_272, id="deepseek-v3-latent"),
        # The latent is shared by all heads, so tensor parallelism cannot split it
        pytest.param("deepseek-v3", 8, 2.0, 70_272, id="latent-not-split-by-tp"),
        # vLLM 0.32.0's MLA backends take an 8-bit latent when fp8 asks for it (0.11 kept 16-bit)
        pytest.param("deepseek-v3", 8, 1.0, 35_136, id="latent-8-bit-in-0.32"),
        # Without a context every gpt-oss-120b layer counts in full: 36 x 2 x 8 x 64 x 2
        pytest.param("gpt-oss-120b", 1, 2.0, 73_728, id="gpt-oss-all-layers"),
    ],
)
def test_kv_bytes_per_token_for_new_architectures(model, tp, kv_bytes, expected) -> None:
    m = CAT.model(model)
    assert kv_cache_bytes_per_token(model=m, kv_bytes_per_element=kv_bytes, tp=tp) == expected


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        # Within the window every layer reads every token: 36 layers x 2,048 bytes
        pytest.param(100, 36 * 2048, id="inside-the-window"),
        # gpt-oss-120b at 4,096 tokens: 18 full layers read 4,096 tokens, the 18 sliding
        # layers (sliding_window 128) read 128: 2,048 x (18 x 4,096 + 18 x 128) / 4,096
        pytest.param(4096, 2048 * (18 * 4096 + 18 * 128) / 4096, id="beyond-the-window"),
    ],
)
def test_sliding_window_layers_read_at_most_their_window(context, expected) -> None:
    m = CAT.model("gpt-oss-120b")  # 2,048 bytes per token and layer: 2 x 8 KV heads x 64 x 2
    per_token = kv_cache_bytes_per_token(model=m, kv_bytes_per_element=2.0, context_tokens=context)
    assert per_token == pytest.approx(expected)


def test_sliding_window_layers_hold_their_window_plus_the_block_being_written() -> None:
    m = CAT.model("gpt-oss-120b")
    held = kv_cache_bytes_per_sequence(model=m, kv_bytes_per_element=2.0, tp=1, tokens=4096)
    # 18 full layers hold 4,096 tokens; 18 sliding layers hold 128 + one 16-token block
    assert held == 2048 * (18 * 4096 + 18 * (128 + 16))
    full = kv_cache_bytes_per_sequence(
        model=CAT.model("llama-3-8b"), kv_bytes_per_element=2.0, tp=1, tokens=4096
    )
    assert full == 131_072 * 4096  # a dense model holds every token in every layer


def test_chunked_layers_read_one_chunk_and_vllm_032_holds_one_chunk() -> None:
    scout = CAT.model("llama-4-scout")  # 48 layers, 36 chunked at 8,192; 8 KV heads x 128
    per_layer = 2 * 8 * 128 * 2.0
    read = kv_cache_bytes_per_token(model=scout, kv_bytes_per_element=2.0, context_tokens=32768)
    assert read == pytest.approx(per_layer * (12 * 32768 + 36 * 8192) / 32768)
    held = kv_cache_bytes_per_sequence(model=scout, kv_bytes_per_element=2.0, tp=1, tokens=32768)
    # 0.32.0's hybrid KV manager frees chunked-attention blocks (0.11 held all 32,768 tokens):
    # a chunked layer holds its 8,192-token chunk plus the block being written
    assert held == per_layer * (12 * 32768 + 36 * (8192 + 16))


def test_windows_let_more_sequences_fit() -> None:
    """The sliding window of half of gpt-oss's layers nearly doubles the sequences that fit."""
    kwargs = dict(
        gpu=CAT.gpu("h100-sxm"),
        precision=CAT.precision("mxfp4"),
        tp=1,
        input_tokens=32000,
        output_tokens=768,
        gpu_memory_utilization=0.9,
        base_overhead_bytes=1.5 * GIB,
        max_num_batched_tokens=8192,
        max_num_seqs=256,
    )
    m = CAT.model("gpt-oss-120b")
    fit = memory_fit(model=m, **kwargs)
    no_window = memory_fit(
        model=m.model_copy(update={"sliding_window": 0, "local_attention_layers": 0}), **kwargs
    )
    # 32,768 tokens: 18 x 32,768 + 18 x 144 token-layers against 36 x 32,768
    assert fit.max_concurrency == int(
        fit.kv_cache_bytes_per_gpu // (2048 * (18 * 32768 + 18 * 144))
    )
    assert no_window.max_concurrency == int(fit.kv_cache_bytes_per_gpu // (2048 * 36 * 32768))
    assert fit.max_concurrency > 1.9 * no_window.max_concurrency


def test_latent_attention_sequences_round_to_64_token_blocks() -> None:
    fit = memory_fit(
        model=CAT.model("deepseek-v3"),
        gpu=CAT.gpu("h200-sxm"),
        precision=CAT.precision("fp8"),
        tp=8,
        input_tokens=1000,
        output_tokens=1,
        gpu_memory_utilization=0.9,
        base_overhead_bytes=1.5 * GIB,
        max_num_batched_tokens=8192,
        max_num_seqs=256,
    )
    assert fit.tokens_per_sequence == 1024  # 1,001 tokens -> 16 FlashMLA blocks of 64
    assert fit.kv_bytes_per_token_per_gpu == 35_136  # an 8-bit latent (fp8) in vLLM 0.32.0


def test_deepseek_routed_experts_exclude_dense_layers_and_the_shared_expert() -> None:
    m = CAT.model("deepseek-v3")
    # 58 expert layers (61 - first_k_dense_replace 3) x 256 routed experts x 3 x 7,168 x 2,048
    assert expert_params(m) == 58 * 256 * 3 * 7168 * 2048 == 653_908_770_816
    maverick = CAT.model("llama-4-maverick")  # experts in 24 of 48 layers, 8,192 wide
    assert expert_params(maverick) == 24 * 128 * 3 * 5120 * 8192


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        # gpt-oss-20b: 24 layers x 32 experts x 3 x 2,880 x 2,880 = 19,110,297,600 expert
        # parameters at 0.53125 bytes (4-bit values + an 8-bit scale per 32); the other
        # 1,804,459,584 parameters (attention, router, embeddings, expert biases) at 2 bytes
        pytest.param(
            "gpt-oss-20b", 19_110_297_600 * 0.53125 + 1_804_459_584 * 2.0, id="gpt-oss-20b"
        ),
        pytest.param(
            "gpt-oss-120b",
            114_661_785_600 * 0.53125 + (116_829_156_672 - 114_661_785_600) * 2.0,
            id="gpt-oss-120b",
        ),
    ],
)
def test_mxfp4_stores_experts_at_4_25_bits_and_the_rest_16_bit(model, expected) -> None:
    got = weights_bytes(model=CAT.model(model), precision=CAT.precision("mxfp4"))
    assert got == pytest.approx(expected)


def test_gpt_oss_120b_weights_fit_one_80gb_gpu_at_mxfp4() -> None:
    gib = weights_bytes(model=CAT.model("gpt-oss-120b"), precision=CAT.precision("mxfp4")) / GIB
    assert 60 < gib < 62  # the model card's "fits into a single 80 GB GPU"


@pytest.mark.parametrize(
    ("model", "gpu", "precision", "tp", "fits"),
    [
        pytest.param("qwen3-8b", "a10", "bf16", 1, True, id="qwen3-8b-on-a10"),
        pytest.param("qwen3-32b", "a10", "bf16", 1, False, id="qwen3-32b-not-on-a10"),
        pytest.param("qwen3-235b-a22b", "h100-sxm", "fp8", 4, True, id="235b-fp8-tp4"),
        pytest.param("qwen3-235b-a22b", "h100-sxm", "bf16", 4, False, id="235b-bf16-tp4"),
        pytest.param("deepseek-v3", "h200-sxm", "fp8", 8, True, id="deepseek-8x-h200"),
        pytest.param("deepseek-v3", "h100-sxm", "fp8", 8, False, id="deepseek-not-8x-h100"),
        pytest.param("gpt-oss-20b", "l4", "mxfp4", 1, True, id="gpt-oss-20b-on-l4"),
        pytest.param("llama-4-maverick", "h100-sxm", "fp8", 8, True, id="maverick-fp8-8x-h100"),
        pytest.param("glm-4.6", "h100-sxm", "fp8", 8, True, id="glm-4.6-fp8-8x-h100"),
    ],
)
def test_which_new_models_fit(model, gpu, precision, tp, fits) -> None:
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


@pytest.mark.parametrize(
    ("model", "gpu", "precision", "tp"),
    [
        pytest.param("llama-3.1-70b", "h100-nvl", "fp8", 2, id="dense"),
        pytest.param("deepseek-v3", "h200-sxm", "fp8", 8, id="latent-attention"),
        pytest.param("gpt-oss-20b", "h100-sxm", "mxfp4", 1, id="sliding-window"),
        pytest.param("llama-4-scout", "h100-sxm", "bf16", 4, id="chunked-attention"),
    ],
)
@pytest.mark.parametrize("lengths", [(1, 1), (1500, 300), (32000, 1000)], ids=str)
def test_refitting_the_lengths_gives_the_memory_fit_of_those_lengths(
    model, gpu, precision, tp, lengths
):
    """The estimator splits memory once per replica and refits the lengths per case; the
    refit must be the full fit at those lengths, windows and latent blocks included."""
    from sizing.performance.memory import memory_fit, refit_lengths

    args = dict(
        model=CAT.model(model), gpu=CAT.gpu(gpu), precision=CAT.precision(precision), tp=tp,
        gpu_memory_utilization=0.9, base_overhead_bytes=2 * 1024**3,
        max_num_batched_tokens=8192, max_num_seqs=256,
    )  # fmt: skip
    n_in, n_out = lengths
    base = memory_fit(**args, input_tokens=1, output_tokens=1)
    refit = refit_lengths(
        base,
        model=args["model"],
        precision=args["precision"],
        tp=tp,
        input_tokens=n_in,
        output_tokens=n_out,
    )
    assert refit == pytest.approx(memory_fit(**args, input_tokens=n_in, output_tokens=n_out))


# --- fractional GPUs ----------------------------------------------------------------------------


def _fit_on(gpu, precision: str = "bf16"):
    return memory_fit(
        model=CAT.model("llama-3-8b"),
        gpu=gpu,
        precision=CAT.precision(precision),
        tp=1,
        input_tokens=2048,
        output_tokens=512,
        gpu_memory_utilization=0.9,
        base_overhead_bytes=1.5 * GIB,
        max_num_batched_tokens=2048,
        max_num_seqs=256,
    )


@pytest.mark.parametrize(
    ("vm_sku", "gpu_memory_gb"),
    [
        ("Standard_NV6ads_A10_v5", 4),  # size page: 1/6 GPU, 4 GB
        ("Standard_NV18ads_A10_v5", 12),  # 1/2 GPU, 12 GB
        ("Standard_NC36ds_xl_RTXPRO6000BSE_v6", 24),  # 1/4 of 96 GB
    ],
)
def test_a_fractional_vm_holds_its_share_of_the_gpu(vm_sku: str, gpu_memory_gb: int) -> None:
    sku = CAT.vm_sku(vm_sku)
    whole, part = CAT.gpu(sku.gpu), vm_gpu(CAT, vm_sku)
    assert part.memory_bytes == pytest.approx(gpu_memory_gb * 1e9, rel=0.001)
    share = sku.gpu_fraction
    assert part.hbm_bandwidth_bytes_per_s == pytest.approx(whole.hbm_bandwidth_bytes_per_s * share)
    for dtype, flops in whole.dense_flops_per_s.items():
        assert part.dense_flops_per_s[dtype] == pytest.approx(flops * share)
    assert part.id == whole.id  # kernels and precisions keyed on the GPU type still apply


def test_8b_bf16_fits_a_whole_a10_but_not_its_half_or_sixth() -> None:
    a10 = CAT.gpu("a10")
    assert _fit_on(a10).fits
    assert not _fit_on(gpu_slice(a10, 0.5)).fits  # 16 GB of weights > 12 GB x 0.9
    assert not _fit_on(gpu_slice(a10, 0.1667)).fits
    # At 4-bit the weights (about 5.7 GB) fit half an A10, with less KV cache than the whole one.
    half = _fit_on(gpu_slice(a10, 0.5), "int4")
    assert half.fits
    assert half.max_concurrency < _fit_on(a10, "int4").max_concurrency


@pytest.mark.parametrize("fraction", [0.0, -0.5, 1.5])
def test_a_gpu_share_outside_zero_to_one_is_refused(fraction: float) -> None:
    with pytest.raises(ValueError, match=r"a GPU share is in \(0, 1\]"):
        gpu_slice(CAT.gpu("a10"), fraction)


def test_a_whole_gpu_is_the_catalog_entry_itself() -> None:
    assert vm_gpu(CAT, "Standard_NV36ads_A10_v5") is CAT.gpu("a10")
