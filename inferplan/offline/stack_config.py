"""What a stack's ``Pulumi.<stack>.yaml`` says, as far as an offline run may know it.

Values are handed to the program as the Pulumi engine hands them (every value a string,
structured values as JSON). Encrypted values (``{secure: v1:...}``) stay unread: offline only
whether a key is set matters, so each stands in as `SECURE_PLACEHOLDER` and is marked secret;
``check`` reports the keys a real ``pulumi up`` would miss from ``configured``. Nothing is stood
in for a key the stack does not set, so the preview shows exactly what ``pulumi up`` would
create (a Hugging Face token Secret, a registry credential set) and a stack with no secrets at
all previews and checks as shipped.

``azure-native:subscriptionId`` (else ``ARM_SUBSCRIPTION_ID``) feeds the names hashed from the
deploying subscription; without either the preview uses the mocks' placeholder subscription.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SUBSCRIPTION_KEY = "azure-native:subscriptionId"
SUBSCRIPTION_ENV = "ARM_SUBSCRIPTION_ID"
HF_TOKEN = "inferplan:hfToken"
DOCKER_HUB_USERNAME = "inferplan:dockerHubUsername"
DOCKER_HUB_TOKEN = "inferplan:dockerHubToken"
# What an encrypted value stands in as: visible as such, never a real secret.
SECURE_PLACEHOLDER = "[secure value]"
# Keys whose value is a credential. Set in plain text (``pulumi config set`` without
# ``--secret``) it still stands in as `SECURE_PLACEHOLDER`, so the token never reaches the
# offline capture, the result cache or a rendered file.
CREDENTIAL_KEYS = frozenset({HF_TOKEN, DOCKER_HUB_TOKEN})


@dataclass(frozen=True)
class StackConfig:
    """Plain values of the stack's config (as text) and the names of its encrypted keys."""

    plain: Mapping[str, str] = field(default_factory=dict)
    secure: frozenset[str] = frozenset()

    @property
    def configured(self) -> frozenset[str]:
        """Every key the stack sets, plain or encrypted."""
        return frozenset(self.plain) | self.secure

    def subscription_id(self) -> str | None:
        return self.plain.get(SUBSCRIPTION_KEY) or os.environ.get(SUBSCRIPTION_ENV) or None


def _config_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and set(value) == {"value"}:
        return _config_text(value["value"])  # the long form Pulumi also accepts
    return json.dumps(value, sort_keys=True)  # true/false, numbers, lists and maps


def read_stack_config(stack: str, *, root: Path = Path()) -> StackConfig:
    """``Pulumi.<stack>.yaml`` under ``root``; an absent file is an empty config. Syntax errors
    are reported line-aware (``SpecReadError`` / ``SpecValidationError``, exit 2)."""
    from inputs.yaml_source import read_documents

    path = root / f"Pulumi.{Path(stack).stem}.yaml"
    if not path.is_file():
        return StackConfig()
    documents = read_documents(path)
    data = documents[0].data if documents else {}
    raw = data.get("config") if isinstance(data, Mapping) else None
    plain: dict[str, str] = {}
    secure: set[str] = set()
    for key, value in (raw if isinstance(raw, Mapping) else {}).items():
        if isinstance(value, Mapping) and set(value) == {"secure"}:
            secure.add(str(key))
        else:
            plain[str(key)] = _config_text(value)
    return StackConfig(plain=plain, secure=frozenset(secure))


def stack_config(stack: str, *, root: Path = Path()) -> dict[str, str]:
    """The config the offline program sees: plain values as text, encrypted ones as
    `SECURE_PLACEHOLDER`."""
    return offline_config(read_stack_config(stack, root=root))[0]


def offline_config(config: StackConfig) -> tuple[dict[str, str], list[str]]:
    """Pulumi config for an offline run of the program, and which of its keys are secret:
    the stack's own keys only (encrypted ones, and credentials set in plain text
    (`CREDENTIAL_KEYS`), as `SECURE_PLACEHOLDER`), plus the subscription
    from ``ARM_SUBSCRIPTION_ID`` when the stack names none."""
    secret = config.secure | (CREDENTIAL_KEYS & set(config.plain))
    values = dict(config.plain)
    values.update({key: SECURE_PLACEHOLDER for key in secret})
    subscription = config.subscription_id()
    if subscription:
        values[SUBSCRIPTION_KEY] = subscription
    return dict(sorted(values.items())), sorted(secret)
