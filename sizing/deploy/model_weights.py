"""What a vLLM replica downloads: the repository, its size, and whether it needs a token.

A published pre-quantized checkpoint is preferred wherever the catalog names one for the
chosen precision (int4 and int8 need one; for fp8 it halves the download against the 16-bit
checkpoint vLLM would otherwise quantize on load); `model_support.weights_source` decides which.
Gating: the model's own ``gated`` fact for its published repository (models.yaml), the
organisation's in sizing/catalog/data/model_sources.yaml for any other checkpoint.
"""

from __future__ import annotations

import hashlib

from sizing.catalog import Catalog
from sizing.catalog.entries import ModelSpec, PrecisionSpec
from sizing.catalog.model_sources import KIND as MODEL_SOURCES
from sizing.performance.memory import weights_bytes
from sizing.performance.model_support import base_repository, weights_source
from sizing.plan import PlanWarning, WeightsStaging

WEIGHTS_CONTAINER = "models"  # the blob container of the environment's weights store
LOCAL_WEIGHTS_ROOT = "/models"  # the pod's volume the init container copies the weights into
STAGING_JOB_PREFIX = "stage-"


def checkpoint_bytes(*, model: ModelSpec, precision: PrecisionSpec, catalog: Catalog) -> int:
    """Bytes a replica downloads: the pre-quantized or published checkpoint at its own
    precision, or the 16-bit weights that vLLM quantizes on load (fp8) or serves as they are."""
    source = weights_source(model, precision)
    stored = catalog.precision(source[1]) if source else precision
    return int(weights_bytes(model=model, precision=stored))


def repository_gated(repository: str, *, catalog: Catalog, model: ModelSpec) -> bool | None:
    """True where the repository gates downloads, None where unknown: the model's ``gated``
    for its published repository, else the organisation's entry in model_sources."""
    if repository == base_repository(model) and model.gated:
        return True
    return catalog.document(MODEL_SOURCES).gated(repository)


def pinned_revision(repository: str, *, catalog: Catalog) -> str | None:
    """The commit replicas load (``vllm --revision``); None where the catalog pins none, which
    `check` reports (``model-revision-pinned``, mandatory in production)."""
    return catalog.document(MODEL_SOURCES).revision(repository)


HF_TOKEN_CONFIG = "inferplan:hfToken"  # the Pulumi config secret the program mounts for vLLM


def gated_model_warnings(
    repository: str, *, catalog: Catalog, model: ModelSpec
) -> tuple[PlanWarning, ...]:
    """A gated checkpoint downloads only with a token; `check` fails a stack without one."""
    if repository_gated(repository, catalog=catalog, model=model) is not True:
        return ()
    return (
        PlanWarning(
            "gated-model",
            f"{repository} is gated on Hugging Face: accept its terms with the account whose "
            f"token the stack holds (pulumi config set --secret {HF_TOKEN_CONFIG} <token>), "
            "or the pods cannot download it",
        ),
    )


def weights_staging(repository: str, revision: str | None) -> WeightsStaging | None:
    """Where a pinned checkpoint is staged and read: ``models/<repository>/<revision>/``,
    copied into ``/models/<repository>/<revision>`` in the pod, by the Job named after a hash
    of repository and revision (a new revision is a new Job; an unchanged one keeps its Job,
    which Kubernetes does not run again). None without a revision: a moving branch cannot be
    staged once, so the replicas keep downloading from Hugging Face."""
    if not revision:
        return None
    digest = hashlib.sha256(f"{repository}@{revision}".encode()).hexdigest()[:12]
    prefix = f"{repository}/{revision}"
    return WeightsStaging(
        repository=repository,
        revision=revision,
        blob_prefix=f"{prefix}/",
        local_dir=f"{LOCAL_WEIGHTS_ROOT}/{prefix}",
        job_name=f"{STAGING_JOB_PREFIX}{digest}",
    )
