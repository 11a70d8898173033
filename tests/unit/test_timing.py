"""Per-token work of the architectures the roofline times: attention FLOPs, bytes read, experts.

Expected values are worked out from each model's config.json values, named beside each case.
"""

from __future__ import annotations

import pytest

from sizing.catalog import default_catalog
from sizing.performance.efficiency import default_efficiency
from sizing.performance.memory import weights_bytes
from sizing.performance.timing import (
    attention_flops_per_token,
    decode_step_time_s,
    experts_touched_fraction,
    weights_read_bytes,
)

CAT = default_catalog()
EFF = default_efficiency()


@pytest.mark.parametrize(
    ("model", "context", "phase", "expected"),
    [
        # Llama 3 8B: 4 x 32 layers x 32 heads x head_dim 128 x 1,000 tokens
        pytest.param("llama-3-8b", 1000, "decode", 4 * 32 * 32 * 128 * 1000, id="gqa"),
        # DeepSeek-V3 decode, absorbed form: per head 2 x (2 x kv_lora_rank 512 +
        # qk_rope_head_dim 64) = 2,176 FLOPs per attended token; x 128 heads x 61 layers
        pytest.param(
            "deepseek-v3", 1000, "decode", 2 * (2 * 512 + 64) * 128 * 61 * 1000, id="mla-absorbed"
        ),
        # DeepSeek-V3 prefill, expanded form: per head 2 x (qk_nope 128 + qk_rope 64 + v 128)
        pytest.param(
            "deepseek-v3", 1000, "prefill", 2 * (128 + 64 + 128) * 128 * 61 * 1000, id="mla-prefill"
        ),
        # gpt-oss-120b: 18 full layers see 4,096 tokens, 18 sliding layers 128;
        # 4 x 64 heads x head_dim 64 per attended token and layer
        pytest.param(
            "gpt-oss-120b", 4096, "decode", 4 * 64 * 64 * (18 * 4096 + 18 * 128), id="sliding"
        ),
        # Llama 4 Scout: 12 NoPE layers see 20,000 tokens, 36 chunked layers at most 8,192
        pytest.param(
            "llama-4-scout", 20000, "decode", 4 * 40 * 128 * (12 * 20000 + 36 * 8192), id="chunked"
        ),
    ],
)
def test_attention_flops_per_token(model, context, phase, expected) -> None:
    got = attention_flops_per_token(model=CAT.model(model), context_tokens=context, phase=phase)
    assert got == pytest.approx(expected)


def test_absorbed_latent_attention_trades_flops_for_bytes() -> None:
    """Decode does 3.4x the FLOPs of the expanded form, to read a 576-wide latent per token."""
    m = CAT.model("deepseek-v3")
    decode = attention_flops_per_token(model=m, context_tokens=1000, phase="decode")
    prefill = attention_flops_per_token(model=m, context_tokens=1000, phase="prefill")
    assert decode / prefill == pytest.approx(2176 / 640)


def test_experts_touched_follow_routed_experts_per_token() -> None:
    # DeepSeek-V3: 8 of 256 routed experts per token; one token touches 8/256
    m = CAT.model("deepseek-v3")
    assert experts_touched_fraction(model=m, tokens=1) == pytest.approx(8 / 256)
    # 64 tokens: 1 - (1 - 8/256)^64
    assert experts_touched_fraction(model=m, tokens=64) == pytest.approx(1 - (248 / 256) ** 64)


def test_a_lone_token_reads_the_shared_expert_and_dense_layers_but_few_routed_experts() -> None:
    m = CAT.model("deepseek-v3")
    fp8 = CAT.precision("fp8")
    routed = 58 * 256 * 3 * 7168 * 2048  # bytes at fp8: one byte per parameter
    untouched = routed * (1 - 8 / 256)
    expected = weights_bytes(model=m, precision=fp8) - untouched
    assert weights_read_bytes(model=m, precision=fp8, tokens=1) == pytest.approx(expected)


def test_mxfp4_reads_the_touched_experts_at_4_25_bits() -> None:
    """Batch-1 decode of gpt-oss-120b reads 4 of its 128 experts, at 0.53125 bytes a weight."""
    m = CAT.model("gpt-oss-120b")
    experts = 36 * 128 * 3 * 2880 * 2880  # layers x experts x 3 x hidden x intermediate
    untouched = experts * (1 - 4 / 128)
    for precision, width in (("mxfp4", 0.53125), ("bf16", 2.0)):
        p = CAT.precision(precision)
        expected = weights_bytes(model=m, precision=p) - untouched * width
        assert weights_read_bytes(model=m, precision=p, tokens=1) == pytest.approx(expected)


def test_windowed_layers_make_long_context_decode_cheaper() -> None:
    m = CAT.model("gpt-oss-120b")
    gpu, precision = CAT.gpu("h100-sxm"), CAT.precision("mxfp4")
    windowed = decode_step_time_s(
        model=m, gpu=gpu, precision=precision, tp=1, batch=64, context_tokens=64000, eff=EFF
    )
    unwindowed = decode_step_time_s(
        model=m.model_copy(update={"sliding_window": 0, "local_attention_layers": 0}),
        gpu=gpu,
        precision=precision,
        tp=1,
        batch=64,
        context_tokens=64000,
        eff=EFF,
    )
    assert windowed < unwindowed


def test_h100_nvl_all_reduce_beyond_its_bridged_pair_runs_over_pcie() -> None:
    """The NVLink bridge joins two H100 NVL; at TP 4 the ring crosses PCIe Gen5 (64 GB/s one
    way against the bridge's 300), so its all-reduce costs PCIe's latency and bandwidth. At TP 2
    it stays on the bridge; an H100 SXM (NVSwitch) never leaves NVLink."""
    from sizing.performance.timing import allreduce_link, allreduce_time_s

    nvl, sxm = CAT.gpu("h100-nvl"), CAT.gpu("h100-sxm")
    model = CAT.model("llama-3.1-70b")
    assert allreduce_link(gpu=nvl, tp=2, eff=EFF) == (300.0e9, EFF.allreduce_latency_nvlink_s)
    assert allreduce_link(gpu=nvl, tp=4, eff=EFF) == (64.0e9, EFF.allreduce_latency_pcie_s)
    assert allreduce_link(gpu=sxm, tp=8, eff=EFF)[0] == sxm.interconnect_bytes_per_s
    message = 4096 * model.hidden_size * 2
    over_pcie = 2 * model.layers * (EFF.allreduce_latency_pcie_s + 1.5 * message / 64.0e9)
    assert allreduce_time_s(model=model, gpu=nvl, tp=4, tokens=4096, eff=EFF) == pytest.approx(
        over_pcie
    )
