"""The vLLM server flags that follow from a chosen configuration.

Decided here, in sizing, so the Kubernetes manifests only copy them. Order is fixed so rendered
manifests are byte-stable.
"""

from __future__ import annotations

from sizing.catalog.engines import pinned_engine
from sizing.catalog.entries import ModelSpec, PrecisionSpec
from sizing.performance.engine_limits import VLLM_GPU_MEMORY_UTILIZATION
from sizing.performance.memory import MLA_KV_FP8
from sizing.performance.model_support import base_repository, weights_source

GPU_MEMORY_UTILIZATION = VLLM_GPU_MEMORY_UTILIZATION  # what the memory fit assumed
# The pinned release's own default --port (engines catalog); stated in the flags so the
# manifests, the network policy and the probes read one Plan field, AksPlan.port.
VLLM_PORT = pinned_engine().port


def hf_repository(model: ModelSpec, precision: PrecisionSpec | None = None) -> str:
    """The Hugging Face repository vLLM loads.

    The checkpoint for the precision when the catalog lists one (int4 AWQ, int8 W8A8, a
    block-scaled FP8 release), else the published weights (`model_support.base_repository`).
    """
    if precision is not None:
        source = weights_source(model, precision)
        if source is not None:
            return source[0]
    return base_repository(model)


def vllm_args(
    *,
    model: ModelSpec,
    precision: PrecisionSpec,
    tp: int,
    max_model_len: int,
    max_num_seqs: int,
    served_model_name: str,
    max_num_batched_tokens: int | None = None,
    prefix_caching: bool = True,
    expert_parallel: bool = False,
    revision: str | None = None,
    local_dir: str | None = None,
) -> tuple[str, ...]:
    """The server flags, stating the scheduler settings the sizing model assumed rather than
    leaving them to defaults that differ by vLLM version and GPU: the sequence limit, the
    per-step token budget (``--max-num-batched-tokens``), chunked prefill (on by default,
    ``SchedulerConfig.enable_chunked_prefill``; stated anyway) and the memory share
    (``--gpu-memory-utilization``). The engine tier parses every rendered line with the pinned
    engine's own parser (tests/engine/test_serve_args.py)."""
    # Staged weights (``local_dir``, sizing/deploy/model_weights.py): the pod's copy of the
    # pinned commit, so vLLM loads from disk and never calls the hub; the directory is the
    # revision, so --revision is not passed.
    source = (
        [f"--model={local_dir}"]
        if local_dir
        else [
            f"--model={hf_repository(model, precision)}",
            # The commit to load (--revision; the tokenizer follows it when --tokenizer-revision is
            # unset, vllm/config/model.py ModelConfig.__post_init__): weights that cannot change
            # under a running plan.
            *([f"--revision={revision}"] if revision else []),
        ]
    )
    args = [
        *source,
        f"--served-model-name={served_model_name}",
        f"--tensor-parallel-size={tp}",
        f"--max-model-len={max_model_len}",
        f"--max-num-seqs={max_num_seqs}",
    ]
    if max_num_batched_tokens is not None:
        args.append(f"--max-num-batched-tokens={max_num_batched_tokens}")
    args += [
        "--enable-chunked-prefill",
        f"--gpu-memory-utilization={GPU_MEMORY_UTILIZATION}",
        f"--dtype={precision.vllm_dtype}",
    ]
    # A checkpoint quantized ahead of time carries its method in config.json and vLLM reads it
    # from there; naming another method (fp8 for a compressed-tensors FP8 checkpoint) makes
    # vLLM refuse the model, so the flag is only passed where vLLM quantizes on load or the
    # precision's method is the checkpoint's (int4 AWQ, int8 compressed-tensors).
    source = weights_source(model, precision)
    on_load = source is None or source[1] != precision.id
    if precision.vllm_quantization and (on_load or precision.needs_quantized_checkpoint):
        args.append(f"--quantization={precision.vllm_quantization}")
    # Latent attention takes the 8-bit cache only where the release's MLA kernels do
    # (memory.MLA_KV_FP8, engines catalog).
    if precision.kv_cache_dtype != "auto" and (MLA_KV_FP8 or not model.latent_attention):
        args.append(f"--kv-cache-dtype={precision.kv_cache_dtype}")
    if expert_parallel:
        # vLLM engine argument (vllm/engine/arg_utils.py ParallelConfig.enable_expert_parallel):
        # the experts are spread across the tensor-parallel GPUs instead of sliced.
        args.append("--enable-expert-parallel")
    if prefix_caching:
        args.append("--enable-prefix-caching")
    args += list(model.serve_args)
    args += ["--host=0.0.0.0", f"--port={VLLM_PORT}"]
    return tuple(args)
