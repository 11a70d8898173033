"""Images and model weights: pinned images, pulls through the registry cache with its
credentials, a Hugging Face token for gated models."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from policies.rules.registry import Violation, resource_rule, stack_rule
from policies.rules.resources import (
    containers_of,
    pod_spec,
)
from policies.view import COMPUTED, PolicyContext, ResourceView

HF_TOKEN_CONFIG = "inferplan:hfToken"

CREDENTIAL_CONFIG = {  # credential set -> the stack's Pulumi config keys that fill it
    "docker-io": ("inferplan:dockerHubUsername", "inferplan:dockerHubToken"),
}

# What a node meets pulling an upstream anonymously, when the registry cannot cache it without
# the credential set. Docker Hub: "Unauthenticated users: 10 [pulls per hour] per IPv4 address
# or IPv6 /64 subnet"; Personal (authenticated) 100 per hour (Docker Docs, "Docker Hub usage
# and limits", docs.docker.com/docker-hub/usage/, table as of 2025-04).
ANONYMOUS_PULL_LIMITS = {
    "docker-io": "Docker Hub allows unauthenticated pulls 10 per hour per IPv4 address (or IPv6 "
    "/64 subnet), and a cluster's nodes share its outbound IP addresses",
}


def image_is_pinned(image: str) -> bool:
    """A digest, or a tag that is not ``latest`` (an image without a tag means ``latest``)."""
    if "@sha256:" in image:
        return True
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return False
    return last.rsplit(":", 1)[1] not in ("", "latest")


@resource_rule(
    "image-pinned",
    description="Container images are pinned to a version tag or digest, never latest.",
    level="mandatory",
    fix="Use an explicit version tag (vllm/vllm-openai:v0.11.0) or a digest (@sha256:...).",
)
def check_images_pinned(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    pod = pod_spec(view)
    for c in containers_of(pod or {}):
        image = str(c.get("image", ""))
        if image and image != COMPUTED and not image_is_pinned(image):
            yield f"{view.key}: container {c.get('name')} runs unpinned image {image}."


GATED_MODEL_TOKEN = "gated-model-token"


@stack_rule(
    GATED_MODEL_TOKEN,
    description="A workload whose checkpoint is gated on Hugging Face has a token configured.",
    level="mandatory",
    fix=(
        "pulumi config set --secret inferplan:hfToken <token> (an account that accepted the "
        "model's terms), or pick a precision whose published checkpoint is not gated."
    ),
)
def check_gated_model_token(
    views: Sequence[ResourceView], ctx: PolicyContext
) -> Iterator[Violation]:
    if ctx.configured is None or HF_TOKEN_CONFIG in ctx.configured:
        return
    for w in ctx.workloads:
        if w.hf_gated:
            yield Violation(
                GATED_MODEL_TOKEN,
                f"workload:{w.name}",
                f"workload {w.name} downloads a gated Hugging Face model and stack "
                f"{ctx.environment} sets no {HF_TOKEN_CONFIG}: its pods would fail to start.",
            )


MODEL_REVISION = "model-revision-pinned"


@stack_rule(
    MODEL_REVISION,
    description=(
        "Every self-hosted workload loads a pinned commit of its Hugging Face repository "
        "(vllm --revision): the weights cannot change under a running plan between two "
        "replicas' starts. Advisory by default, mandatory in production stacks."
    ),
    level="advisory",
    fix=(
        "Read the commit sha from the repository's history on Hugging Face (or "
        "`huggingface-cli`) and record it under revisions in "
        "sizing/catalog/data/model_sources.yaml (or a --catalog overlay); never guess one."
    ),
)
def check_model_revision(views: Sequence[ResourceView], ctx: PolicyContext) -> Iterator[Violation]:
    for w in ctx.workloads:
        if w.hf_model is not None and w.hf_revision is None:
            yield Violation(
                MODEL_REVISION,
                f"workload:{w.name}",
                f"workload {w.name} loads {w.hf_model} at whatever its main branch holds when "
                "a replica starts: the catalog pins no revision of it.",
            )


REGISTRY_CREDENTIALS = "registry-credentials"


@stack_rule(
    REGISTRY_CREDENTIALS,
    description=(
        "The registry caches every image whose upstream artifact cache supports: Docker Hub "
        "images only with the stack's Docker Hub credentials (artifact cache pulls from Docker "
        "Hub authenticated only); without them each image version is imported once with "
        "`az acr import`, a step the first `pulumi up` and every image upgrade need."
    ),
    level="advisory",
    fix=(
        "pulumi config set inferplan:dockerHubUsername <user> and pulumi config set --secret "
        "inferplan:dockerHubToken <access token> (a Docker Hub personal access token, read-only "
        "public repositories is enough); the next pulumi up adds the credential set and the "
        "cache rule. Or run the stack output imageImportCommands after each pulumi up that "
        "changes an image."
    ),
)
def check_registry_credentials(
    views: Sequence[ResourceView], ctx: PolicyContext
) -> Iterator[Violation]:
    if ctx.configured is None:
        return
    for credential in ctx.required_credentials:
        keys = CREDENTIAL_CONFIG.get(credential, (f"inferplan:{credential}",))
        missing = [k for k in keys if k not in ctx.configured]
        if missing:
            limit = ANONYMOUS_PULL_LIMITS.get(credential, "the upstream's anonymous limits apply")
            yield Violation(
                REGISTRY_CREDENTIALS,
                f"environment:{ctx.environment}",
                f"stack {ctx.environment} sets no {', '.join(missing)}, so the registry cannot "
                f"cache images from the upstream of credential set {credential} (artifact cache "
                "pulls from Docker Hub authenticated only): each version is imported once with "
                "`az acr import` (stack output imageImportCommands), which must run after the "
                "first pulumi up creates the registry and before the pods can start. Nodes "
                f"never pull the upstream ({limit}).",
            )


# Where the environment's registry answers: Azure Container Registry login servers,
# <name>.azurecr.io in Azure's public cloud (Learn, "About registries", login server).
REGISTRY_SUFFIX = ".azurecr.io"

IMAGE_FROM_REGISTRY = "image-from-registry"


@resource_rule(
    IMAGE_FROM_REGISTRY,
    description=(
        "Every container pulls from the environment's own registry (<registry>.azurecr.io), "
        "never from Docker Hub, nvcr.io or another public registry: nodes behind one egress "
        "address share the upstreams' anonymous limits, and an upstream outage stops scale-out."
    ),
    level="mandatory",
    fix=(
        "Reference the image from the environment's registry (the Plan's ContainerImage "
        "reference_in); the registry mirrors it through a cache rule or an `az acr import` "
        "(the stack output imageImportCommands)."
    ),
)
def check_image_from_registry(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    pod = pod_spec(view)
    for c in containers_of(pod or {}):
        image = str(c.get("image", ""))
        if not image or image == COMPUTED:
            continue
        if not image.split("/", 1)[0].endswith(REGISTRY_SUFFIX):
            yield (
                f"{view.key}: container {c.get('name')} pulls {image} from outside the "
                "environment's registry."
            )


IMAGE_DIGEST = "image-digest"


@resource_rule(
    IMAGE_DIGEST,
    description=(
        "Every container image is pinned by digest (@sha256:...), so each node runs the bytes "
        "that were imported and reviewed; a tag can be moved upstream. Advisory by default, "
        "mandatory in production stacks (Pulumi.prod.yaml)."
    ),
    level="advisory",
    fix=(
        "Read the digest from the registry (`docker buildx imagetools inspect <image>` or "
        "`az acr manifest show-metadata`) and record it as the image's digest in "
        "sizing/catalog/data/images.yaml (or a --catalog overlay); never guess one."
    ),
)
def check_image_digest(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    pod = pod_spec(view)
    for c in containers_of(pod or {}):
        image = str(c.get("image", ""))
        if image and image != COMPUTED and "@sha256:" not in image:
            yield (
                f"{view.key}: container {c.get('name')} runs {image} without a digest: the "
                "images catalog records none for it."
            )
