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


REGISTRY_CREDENTIALS = "registry-credentials"


@stack_rule(
    REGISTRY_CREDENTIALS,
    description=(
        "The registry caches every image whose upstream artifact cache supports: Docker Hub "
        "images only with the stack's Docker Hub credentials (artifact cache pulls from Docker "
        "Hub authenticated only); without them nodes pull anonymously, within Docker Hub's "
        "limits."
    ),
    level="advisory",
    fix=(
        "pulumi config set inferplan:dockerHubUsername <user> and pulumi config set --secret "
        "inferplan:dockerHubToken <access token> (a Docker Hub personal access token, read-only "
        "public repositories is enough); the next pulumi up adds the credential set and the "
        "cache rule."
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
                "pulls from Docker Hub authenticated only): nodes pull them from the upstream "
                f"directly. {limit}: a scale-out or restarts past that fail with "
                "toomanyrequests until the hour passes.",
            )


def _docker_hub_credentials_set(ctx: PolicyContext) -> bool:
    keys = CREDENTIAL_CONFIG["docker-io"]
    return ctx.configured is not None and all(k in ctx.configured for k in keys)


@resource_rule(
    "no-anonymous-docker-hub",
    description=(
        "Where the stack sets Docker Hub credentials, no container pulls from Docker Hub "
        "directly: every Docker Hub image comes through the registry's cache (without "
        "credentials, `registry-credentials` reports the anonymous pulls)."
    ),
    level="mandatory",
    fix=(
        "Reference the image from the environment's registry (the Plan's ContainerImage with "
        "cached: true, as the program pulls it once the credential set exists)."
    ),
)
def check_anonymous_docker_hub(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    """Nodes behind one egress address share Docker Hub's unauthenticated pull limit. A stack
    with Docker Hub credentials caches every Docker Hub image, so none may pull it directly;
    without them anonymous pulls are the only way, and ``registry-credentials`` says so."""
    if not _docker_hub_credentials_set(ctx):
        return
    pod = pod_spec(view)
    for c in containers_of(pod or {}):
        image = str(c.get("image", ""))
        if not image or image == COMPUTED:
            continue
        first = image.split("/", 1)[0]
        on_hub = (
            first in ("docker.io", "index.docker.io")
            or ("/" in image and "." not in first and ":" not in first and first != "localhost")
            or "/" not in image
        )
        if on_hub:
            yield (
                f"{view.key}: container {c.get('name')} pulls {image} from Docker Hub "
                "anonymously; pull it through the environment's registry cache."
            )
