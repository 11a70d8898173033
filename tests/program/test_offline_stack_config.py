"""The offline run reads the stack's Pulumi config for what names and checks depend on, and never
needs a credential: secrets stay unread, stand-ins take their place.

Globally unique names (API Management, Azure OpenAI, the registry, the Key Vault) hash the
deploying subscription, so the second subscription to deploy an environment never meets the
first one's names; offline, the subscription comes from ``azure-native:subscriptionId``, else
``ARM_SUBSCRIPTION_ID``, else the mocks' placeholder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from inferplan.offline.capture import SUBSCRIPTION_ID
from inferplan.offline.stack_config import (
    DOCKER_HUB_TOKEN,
    DOCKER_HUB_USERNAME,
    HF_TOKEN,
    SECURE_PLACEHOLDER,
    SUBSCRIPTION_ENV,
    SUBSCRIPTION_KEY,
    StackConfig,
    offline_config,
    read_stack_config,
)
from tests.conftest import capture_environment

APIM = "azure-native:apimanagement:ApiManagementService"
ACCOUNT = "azure-native:cognitiveservices:Account"
REGISTRY = "azure-native:containerregistry:Registry"
VAULT = "azure-native:keyvault:Vault"

STACK = """\
config:
  azure-native:location: swedencentral
  azure-native:subscriptionId: 11111111-1111-1111-1111-111111111111
  inferplan:dockerHubUsername: platform-bot
  inferplan:dockerHubToken:
    secure: v1:AAAABBBBCCCC
"""


def test_plain_values_are_read_and_secure_ones_only_counted(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.dev.yaml").write_text(STACK, encoding="utf-8")
    config = read_stack_config("dev", root=tmp_path)

    assert config.plain[SUBSCRIPTION_KEY] == "11111111-1111-1111-1111-111111111111"
    assert DOCKER_HUB_TOKEN not in config.plain  # encrypted: set, never read
    assert {DOCKER_HUB_TOKEN, DOCKER_HUB_USERNAME} <= config.configured
    assert HF_TOKEN not in config.configured


def test_a_stack_without_a_config_file_has_an_empty_config(tmp_path: Path) -> None:
    assert read_stack_config("dev", root=tmp_path) == StackConfig()


@pytest.mark.parametrize(
    ("plain", "environment", "expected"),
    [
        pytest.param({SUBSCRIPTION_KEY: "from-config"}, "from-env", "from-config", id="config"),
        pytest.param({}, "from-env", "from-env", id="environment-variable"),
        pytest.param({}, None, None, id="neither"),
    ],
)
def test_the_subscription_comes_from_config_then_the_environment(
    plain, environment, expected, monkeypatch
) -> None:
    if environment is None:
        monkeypatch.delenv(SUBSCRIPTION_ENV, raising=False)
    else:
        monkeypatch.setenv(SUBSCRIPTION_ENV, environment)
    assert StackConfig(plain=plain).subscription_id() == expected


@pytest.mark.parametrize(
    ("config", "expected_values", "expected_secret"),
    [
        pytest.param(StackConfig(), {}, [], id="no-secrets"),
        pytest.param(
            StackConfig(plain={DOCKER_HUB_USERNAME: "platform-bot"}, secure={DOCKER_HUB_TOKEN}),
            {DOCKER_HUB_TOKEN: SECURE_PLACEHOLDER, DOCKER_HUB_USERNAME: "platform-bot"},
            [DOCKER_HUB_TOKEN],
            id="docker-hub-credentials",
        ),
        pytest.param(
            StackConfig(secure={HF_TOKEN}),
            {HF_TOKEN: SECURE_PLACEHOLDER},
            [HF_TOKEN],
            id="hugging-face-token",
        ),
    ],
)
def test_offline_config_stands_in_only_for_what_the_stack_sets(
    config, expected_values, expected_secret, monkeypatch
) -> None:
    """Nothing is invented: the preview shows a credential set or a token Secret exactly when
    `pulumi up` would create one, and a stack with no secrets runs as it is."""
    monkeypatch.delenv(SUBSCRIPTION_ENV, raising=False)
    values, secret = offline_config(config)
    assert values == expected_values
    assert secret == expected_secret


def _unique_names(capture) -> dict[str, str]:
    names = {}
    for type_, key in [
        (APIM, "serviceName"),
        (ACCOUNT, "accountName"),
        (REGISTRY, "registryName"),
        (VAULT, "vaultName"),
    ]:
        for resource in capture.of_type(type_):
            names[f"{type_}::{resource.name}"] = resource.inputs[key]
    return names


@pytest.fixture(scope="module")
def names_by_subscription(dev_plan) -> dict[str | None, dict[str, str]]:
    subscriptions = [
        None,
        "11111111-1111-1111-1111-111111111111",
        "22222222-2222-2222-2222-222222222222",
    ]
    return {
        s: _unique_names(
            capture_environment(dev_plan, "dev", config={SUBSCRIPTION_KEY: s} if s else None)
        )
        for s in subscriptions
    }


def test_two_subscriptions_never_share_a_globally_unique_name(names_by_subscription) -> None:
    first = names_by_subscription["11111111-1111-1111-1111-111111111111"]
    second = names_by_subscription["22222222-2222-2222-2222-222222222222"]
    assert set(first) == set(second) and len(first) >= 4
    assert all(first[k] != second[k] for k in first), (first, second)


def test_names_are_stable_within_a_subscription(dev_plan, names_by_subscription) -> None:
    again = _unique_names(
        capture_environment(
            dev_plan, "dev", config={SUBSCRIPTION_KEY: "11111111-1111-1111-1111-111111111111"}
        )
    )
    assert again == names_by_subscription["11111111-1111-1111-1111-111111111111"]


def test_without_a_subscription_the_preview_uses_the_placeholder(
    dev_plan, names_by_subscription
) -> None:
    placeholder = _unique_names(
        capture_environment(dev_plan, "dev", config={SUBSCRIPTION_KEY: SUBSCRIPTION_ID})
    )
    assert names_by_subscription[None] == placeholder
