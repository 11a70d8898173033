"""What a vLLM replica downloads: the repository, its size, and whether it needs a token.

A published pre-quantized checkpoint is preferred wherever the catalog names one for the
chosen precision (int4 and int8 need one; for fp8 it halves the download against the 16-bit
checkpoint vLLM would otherwise quantize on load). Gating comes from
sizing/catalog/data/model_sources.yaml.
"""

from __future__ import annotations

from inferplan.sizing.catalog import Catalog
from inferplan.sizing.catalog.entries import ModelSpec, PrecisionSpec
from inferplan.sizing.catalog.model_sources import KIND as MODEL_SOURCES
from inferplan.sizing.memory import weights_bytes
from inferplan.sizing.plan import PlanWarning

UNQUANTIZED = "bf16"  # the precision checkpoints are published in when not pre-quantized


def prequantized(model: ModelSpec, precision: PrecisionSpec) -> bool:
    """The catalog names a checkpoint quantized ahead of time for this precision."""
    return precision.id in model.checkpoints


def checkpoint_bytes(*, model: ModelSpec, precision: PrecisionSpec, catalog: Catalog) -> int:
    """Bytes a replica downloads: weights at the checkpoint's own precision, the precision
    itself for a pre-quantized checkpoint, else the 16-bit weights vLLM quantizes on load."""
    stored = precision if prequantized(model, precision) else catalog.precision(UNQUANTIZED)
    return int(weights_bytes(model=model, precision=stored))


def repository_gated(repository: str, *, catalog: Catalog) -> bool | None:
    """True where the repository's organisation gates downloads, None where unknown."""
    return catalog.document(MODEL_SOURCES).gated(repository)


HF_TOKEN_CONFIG = "inferplan:hfToken"  # the Pulumi config secret the program mounts for vLLM


def gated_model_warnings(repository: str, *, catalog: Catalog) -> tuple[PlanWarning, ...]:
    """A gated checkpoint downloads only with a token; `check` fails a stack without one."""
    if repository_gated(repository, catalog=catalog) is not True:
        return ()
    return (
        PlanWarning(
            "gated-model",
            f"{repository} is gated on Hugging Face: accept its terms with the account whose "
            f"token the stack holds (pulumi config set --secret {HF_TOKEN_CONFIG} <token>), "
            "or the pods cannot download it",
        ),
    )
