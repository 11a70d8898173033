"""Whether vLLM can serve a model at a precision and a parallel layout, before any sizing.

Three facts decide it, each from the catalog:

* **Weights**: vLLM serves the published weights (``published_precision``: bf16 for most
  models, fp8 for DeepSeek's block-scaled release, mxfp4 for gpt-oss), a pre-quantized
  checkpoint listed under ``checkpoints``, or a precision it produces at load time from 16-bit
  weights (an fp16 cast, dynamic fp8). Nothing else: vLLM cannot widen FP8 or MXFP4 weights.
* **Engine version**: the pinned image's vLLM release is at least the model family's and the
  precision's ``min_vllm_version``. One image serves every model of a platform, so a model that
  needs a newer release is rejected with that reason rather than given its own image: the
  server flags and metric names the plan and the alerts rely on are checked against one
  release, and bumping it is a deliberate change for every workload at once.
* **Expert layout**: tensor parallelism slices every expert's intermediate dimension across the
  GPUs. A block-quantized FP8 checkpoint can only be sliced at whole weight blocks, so
  ``expert_intermediate / tp`` must be a multiple of the block (128): vLLM stops at load with
  "... is not divisible by weight quantization block_n = 128" otherwise. Where the model
  supports it, expert parallelism (``--enable-expert-parallel``) places whole experts on GPUs
  instead and lifts that limit; elsewhere the layout is rejected. Expert parallelism is chosen
  only where slicing fails: at the same tensor-parallel degree each GPU holds and reads the same
  bytes on average either way, so the roofline has nothing to prefer it for (its load imbalance
  across GPUs is not modelled).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from sizing.catalog.entries import ModelSpec, PrecisionSpec, version_tuple

SIXTEEN_BIT = ("bf16", "fp16")
RejectionKind = Literal["checkpoint", "engine-version", "expert-layout"]


@dataclass(frozen=True)
class ParallelLayout:
    """How one replica spreads a model over its GPUs."""

    tp: int  # tensor-parallel degree: GPUs per replica
    expert_parallel: bool = False  # experts placed whole on GPUs instead of sliced


@dataclass(frozen=True)
class ServingRejection:
    """Why vLLM cannot serve a (model, precision, layout): a kind for code, words for people."""

    kind: RejectionKind
    message: str


def base_repository(model: ModelSpec) -> str:
    """The repository of the published weights: ``hf_repository``, else an ``org/name`` alias,
    instruction-tuned first (a chat service serves the instruct model)."""
    if model.hf_repository:
        return model.hf_repository
    repos = [alias for alias in model.aliases if "/" in alias]
    for repo in repos:
        if "instruct" in repo.lower() or "-chat" in repo.lower():
            return repo
    return repos[0] if repos else model.id


def weights_source(model: ModelSpec, precision: PrecisionSpec) -> tuple[str, str] | None:
    """``(repository, precision id of its weights)`` vLLM loads for ``precision``, or None.

    A listed checkpoint wins; then the published weights at their own precision; then the
    16-bit published weights, which vLLM casts (fp16) or quantizes on load (dynamic fp8).
    """
    if precision.id in model.checkpoints:
        return model.checkpoints[precision.id], precision.id
    published = model.published_precision
    if precision.id == published:
        return base_repository(model), published
    if published in SIXTEEN_BIT and not precision.needs_quantized_checkpoint:
        return base_repository(model), published
    return None


def image_vllm_version(image: str) -> tuple[int, ...] | None:
    """The vLLM release of an image tag such as ``vllm/vllm-openai:v0.11.0``; None if the tag
    names no release (a digest or ``latest``)."""
    match = re.search(r":v?(\d+(?:\.\d+){1,2})(?:$|[^\d.])", image)
    return version_tuple(match.group(1)) if match else None


def experts_sliceable(*, model: ModelSpec, precision: PrecisionSpec, tp: int) -> str | None:
    """None if tensor parallelism can slice every expert; else why not, in one sentence."""
    block = model.fp8_block_size
    source = weights_source(model, precision)
    if model.experts_total <= 1 or tp <= 1 or not block or source is None:
        return None
    if source[1] != "fp8":
        return None  # weights vLLM quantizes itself are scaled per tensor: any slice works
    width = model.expert_intermediate_size
    if width % tp or (width // tp) % block:
        return (
            f"tensor parallel {tp} would cut each expert of {model.id} into {width / tp:g}-wide "
            f"slices, not a multiple of the FP8 checkpoint's {block}-wide weight blocks"
        )
    return None


def parallel_layout(*, model: ModelSpec, precision: PrecisionSpec, tp: int) -> ParallelLayout:
    """Tensor parallelism, with expert parallelism where slicing the experts fails and the model
    supports placing them whole."""
    blocked = experts_sliceable(model=model, precision=precision, tp=tp) is not None
    use_ep = blocked and model.expert_parallel and model.experts_total >= tp
    return ParallelLayout(tp=tp, expert_parallel=use_ep)


def serving_rejection(
    *, model: ModelSpec, precision: PrecisionSpec, layout: ParallelLayout, image: str
) -> ServingRejection | None:
    """None if the pinned ``image`` can serve ``model`` at ``precision`` in ``layout``."""
    if weights_source(model, precision) is None:
        if precision.needs_quantized_checkpoint:
            message = (
                f"no {precision.id} checkpoint of {model.id} in the catalog (vLLM needs one "
                "quantized ahead of time; add it under checkpoints)"
            )
        else:
            message = (
                f"{model.id} is published at {model.published_precision} and vLLM cannot "
                f"widen it to {precision.id}; list a {precision.id} checkpoint to serve it"
            )
        return ServingRejection("checkpoint", message)
    version = image_vllm_version(image)
    minimums = ((model.id, model.min_vllm_version), (precision.id, precision.min_vllm_version))
    for what, needed in minimums:
        if needed and version is not None and version < version_tuple(needed):
            return ServingRejection(
                "engine-version",
                f"{what} needs vLLM {needed} or later; the pinned image {image} is "
                f"{'.'.join(map(str, version))}",
            )
    if not layout.expert_parallel:
        reason = experts_sliceable(model=model, precision=precision, tp=layout.tp)
        if reason is not None:
            hint = (
                "and vLLM has no expert parallelism for it"
                if not model.expert_parallel
                else f"and {model.experts_total} experts cannot fill {layout.tp} GPUs"
            )
            return ServingRejection("expert-layout", f"{reason}, {hint}")
    return None
