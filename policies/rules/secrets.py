"""Secrets: credentials reach Pulumi as secrets and containers as Secret references, never as
plain values."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from policies.rules.registry import resource_rule
from policies.rules.resources import (
    containers_of,
    pod_spec,
)
from policies.view import COMPUTED, SECRET, PolicyContext, ResourceView

# Input keys whose value is a credential: they must reach Pulumi as secrets.
SENSITIVE_KEY = re.compile(
    r"^(hf_?token|token|api_?key|access_?key|primary_?key|secondary_?key|password|"
    r"admin_?password|client_?secret|secret|connection_?string|kubeconfig|sas_?token)$",
    re.IGNORECASE,
)

# Container environment variables that hold a credential (a *_PATH/_FILE/_DIR points at one).
SENSITIVE_ENV = re.compile(r"(TOKEN|SECRET|PASSWORD|API_?KEY|ACCESS_?KEY|CONNECTION_?STRING)")

NOT_A_VALUE_ENV = re.compile(r"_(PATH|FILE|DIR)$")


def _plain_secrets(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, Mapping):
        if set(value) == {SECRET}:
            return  # kept secret by Pulumi
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if (
                SENSITIVE_KEY.match(str(key))
                and isinstance(item, str)
                and item not in ("", COMPUTED)
            ):
                yield where
            else:
                yield from _plain_secrets(item, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _plain_secrets(item, f"{path}[{i}]")


@resource_rule(
    "no-plain-secrets",
    description=(
        "No secret (Hugging Face token, keys, passwords, connection strings) is a plain input."
    ),
    level="mandatory",
    fix=(
        "Pass it as a Pulumi secret (pulumi config set --secret, pulumi.Output.secret) and into "
        "pods as a mounted Secret file, never as a literal environment value."
    ),
)
def check_no_plain_secrets(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    pod = pod_spec(view)
    for container in containers_of(pod or {}):
        for env in container.get("env") or ():
            name = str(env.get("name", ""))
            if (
                "value" in env
                and SENSITIVE_ENV.search(name)
                and not NOT_A_VALUE_ENV.search(name)
                and env["value"] not in ("", None)
            ):
                yield (
                    f"{view.key}: container {container.get('name')} sets {name} as a literal "
                    "environment value."
                )
    if not view.secrets_marked:
        return  # the CLI's analyzer unwraps secrets: only the structural checks above apply
    if view.type == "kubernetes:core/v1:Secret":
        for part in ("data", "stringData"):
            values = view.inputs.get(part) or {}
            if isinstance(values, Mapping) and set(values) == {SECRET}:
                continue  # the whole map is one Pulumi secret (Output.secret in a dict)
            for key, item in values.items():
                if not (isinstance(item, Mapping) and set(item) == {SECRET}):
                    yield f"{view.key}: Secret {part}.{key} is a plain input, not a Pulumi secret."
        return
    for where in _plain_secrets(view.inputs, ""):
        yield f"{view.key}: {where} is a plain input, not a Pulumi secret."
