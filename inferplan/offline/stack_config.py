"""What a stack's ``Pulumi.<stack>.yaml`` says, as far as an offline run may know it.

Secrets there are encrypted (``secure:``) and stay unread: only whether a key is set matters
offline. The offline run stands placeholders in for credentials, so a preview never needs
them, while ``check`` reports the keys a real ``pulumi up`` would miss (``configured``).
``azure-native:subscriptionId`` (else ``ARM_SUBSCRIPTION_ID``) feeds the names hashed from the
deploying subscription; without either the preview uses the mocks' placeholder subscription.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

SUBSCRIPTION_KEY = "azure-native:subscriptionId"
SUBSCRIPTION_ENV = "ARM_SUBSCRIPTION_ID"
HF_TOKEN = "inferplan:hfToken"
DOCKER_HUB_USERNAME = "inferplan:dockerHubUsername"
DOCKER_HUB_TOKEN = "inferplan:dockerHubToken"
# Stand-ins for credentials in an offline run: visible as such, never a real secret.
OFFLINE_PLACEHOLDER = "offline-placeholder"


@dataclass(frozen=True)
class StackConfig:
    """Plain values of the stack's config and the names of every key set (secure ones too)."""

    plain: Mapping[str, str] = field(default_factory=dict)
    configured: frozenset[str] = frozenset()

    def subscription_id(self) -> str | None:
        return self.plain.get(SUBSCRIPTION_KEY) or os.environ.get(SUBSCRIPTION_ENV) or None


def read_stack_config(stack: str, *, root: Path = Path()) -> StackConfig:
    """``Pulumi.<stack>.yaml`` under ``root``; an absent file is an empty config. Syntax errors
    are reported line-aware (``SpecReadError`` / ``SpecValidationError``, exit 2)."""
    from inferplan.inputs.yaml_source import read_documents

    path = root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        return StackConfig()
    documents = read_documents(path)
    data = documents[0].data if documents and isinstance(documents[0].data, Mapping) else {}
    config = data.get("config") or {}
    if not isinstance(config, Mapping):
        return StackConfig()
    plain = {str(k): str(v) for k, v in config.items() if isinstance(v, str | int | float | bool)}
    return StackConfig(plain=plain, configured=frozenset(str(k) for k in config))


def offline_config(config: StackConfig) -> tuple[dict[str, str], list[str]]:
    """Pulumi config for an offline run of the program, and which of its keys are secret.

    Docker Hub credentials are always stood in for (the registry's credential set needs them
    to register at all); the Hugging Face token only where the stack sets one, so the preview
    shows the token's Secret exactly when ``pulumi up`` would create it.
    """
    values = {k: v for k, v in config.plain.items() if k.startswith("azure-native:")}
    subscription = config.subscription_id()
    if subscription:
        values[SUBSCRIPTION_KEY] = subscription
    values[DOCKER_HUB_USERNAME] = config.plain.get(DOCKER_HUB_USERNAME, OFFLINE_PLACEHOLDER)
    values[DOCKER_HUB_TOKEN] = OFFLINE_PLACEHOLDER
    secret = [DOCKER_HUB_TOKEN]
    if HF_TOKEN in config.configured:
        values[HF_TOKEN] = OFFLINE_PLACEHOLDER
        secret.append(HF_TOKEN)
    return values, secret
