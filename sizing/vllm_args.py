"""The vLLM server flags that follow from a chosen configuration.

Decided here, in sizing, so the Kubernetes manifests only copy them. Order is fixed so rendered
manifests are byte-stable.
"""

from __future__ import annotations

from inferplan.sizing.catalog.entries import ModelSpec, PrecisionSpec

GPU_MEMORY_UTILIZATION = 0.90
# vLLM's own default --port (vllm/entrypoints/openai/cli_args.py, v0.11.0); stated in the flags
# so the manifests, the network policy and the probes read one Plan field, AksPlan.port.
VLLM_PORT = 8000


def hf_repository(model: ModelSpec, precision: PrecisionSpec | None = None) -> str:
    """The Hugging Face repository vLLM loads.

    A pre-quantized checkpoint when the precision needs one (int4 AWQ, int8 W8A8); otherwise an
    ``org/name`` alias, instruction-tuned first (a chat service serves the instruct model; the
    base model only where the catalog knows no instruct repository).
    """
    if precision is not None and precision.id in model.checkpoints:
        return model.checkpoints[precision.id]
    repos = [alias for alias in model.aliases if "/" in alias]
    for repo in repos:
        if "instruct" in repo.lower() or "-chat" in repo.lower():
            return repo
    return repos[0] if repos else model.id


def vllm_args(
    *,
    model: ModelSpec,
    precision: PrecisionSpec,
    tp: int,
    max_model_len: int,
    max_num_seqs: int,
    served_model_name: str,
    prefix_caching: bool = True,
) -> tuple[str, ...]:
    args = [
        f"--model={hf_repository(model, precision)}",
        f"--served-model-name={served_model_name}",
        f"--tensor-parallel-size={tp}",
        f"--max-model-len={max_model_len}",
        f"--max-num-seqs={max_num_seqs}",
        f"--gpu-memory-utilization={GPU_MEMORY_UTILIZATION}",
        f"--dtype={precision.vllm_dtype}",
    ]
    # A checkpoint quantized ahead of time carries its method in config.json and vLLM reads it
    # from there; naming another method (fp8 for a compressed-tensors FP8 checkpoint) makes
    # vLLM refuse the model, so the flag is only passed where vLLM quantizes on load or the
    # precision's method is the checkpoint's (int4 AWQ, int8 compressed-tensors).
    on_load = precision.id not in model.checkpoints
    if precision.vllm_quantization and (on_load or precision.needs_quantized_checkpoint):
        args.append(f"--quantization={precision.vllm_quantization}")
    if precision.kv_cache_dtype != "auto":
        args.append(f"--kv-cache-dtype={precision.kv_cache_dtype}")
    if prefix_caching:
        args.append("--enable-prefix-caching")
    args += ["--host=0.0.0.0", f"--port={VLLM_PORT}"]
    return tuple(args)
