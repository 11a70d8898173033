"""The Kubernetes provider signs in as Pulumi's own Azure identity: the kubelogin mode is decided
from the azure-native config and the ARM_* environment before the kubeconfig is built, the
kubeconfig carries that mode and no secret, for each mode, under mocks."""

from __future__ import annotations

import pytest
import yaml

import inferplan.offline.capture as offline_capture
from components.kube_credentials import (
    AZURE_CLI_LOGIN,
    KubeloginLogin,
    KubeloginMode,
    convert_kubeconfig,
    kubelogin_login,
    provider_settings,
)
from components.program import run_stack
from inferplan.offline.capture import SECRET, capture

PROVIDER = "pulumi:providers:kubernetes"
SERVER_ID = "6dae42f8-4368-4678-94ff-3960e28e3630"
CLIENT_ID = "22222222-2222-2222-2222-222222222222"
TENANT_ID = "33333333-3333-3333-3333-333333333333"
CLIENT_SECRET = "do-not-leak-this-secret"  # a test value, never a real credential
# What AKS hands out for an Entra ID cluster (format=exec): a devicecode kubelogin user.
AKS_KUBECONFIG = yaml.safe_dump(
    {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "aks", "cluster": {"server": "https://aks.invalid:443"}}],
        "contexts": [{"name": "aks", "context": {"cluster": "aks", "user": "clusterUser"}}],
        "current-context": "aks",
        "users": [
            {
                "name": "clusterUser",
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "kubelogin",
                        "args": [
                            "get-token",
                            "--environment",
                            "AzurePublicCloud",
                            "--server-id",
                            SERVER_ID,
                            "--client-id",
                            "80faf920-1908-4b52-b5ef-a8e7bedfc67a",
                            "--tenant-id",
                            TENANT_ID,
                            "--login",
                            "devicecode",
                        ],
                    }
                },
            }
        ],
    }
)
GITHUB = {"ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t", "ACTIONS_ID_TOKEN_REQUEST_URL": "https://x"}
ARM_IDS = {"ARM_CLIENT_ID": CLIENT_ID, "ARM_TENANT_ID": TENANT_ID}


def decide(config: dict[str, str], environ: dict[str, str]) -> KubeloginLogin:
    return kubelogin_login(provider_settings(config, environ), environ)


@pytest.mark.parametrize(
    ("config", "environ", "mode", "extra"),
    [
        ({}, {}, KubeloginMode.AZURE_CLI, []),
        (
            {},
            {"ARM_USE_OIDC": "true", **ARM_IDS, **GITHUB},
            KubeloginMode.WORKLOAD_IDENTITY,
            ["--client-id", CLIENT_ID, "--tenant-id", TENANT_ID],
        ),
        (
            {"useOidc": "true", "clientId": CLIENT_ID, "tenantId": TENANT_ID},
            {"ARM_OIDC_TOKEN_FILE_PATH": "/var/run/oidc/token"},
            KubeloginMode.WORKLOAD_IDENTITY,
            [
                "--client-id",
                CLIENT_ID,
                "--tenant-id",
                TENANT_ID,
                "--federated-token-file",
                "/var/run/oidc/token",
            ],
        ),
        (
            {},
            {"ARM_CLIENT_SECRET": CLIENT_SECRET, **ARM_IDS},
            KubeloginMode.SERVICE_PRINCIPAL,
            ["--client-id", CLIENT_ID, "--tenant-id", TENANT_ID, "--use-azurerm-env-vars"],
        ),
        (
            {},
            {"ARM_CLIENT_CERTIFICATE_PATH": "/certs/sp.pfx", **ARM_IDS},
            KubeloginMode.SERVICE_PRINCIPAL,
            ["--client-id", CLIENT_ID, "--tenant-id", TENANT_ID, "--use-azurerm-env-vars"],
        ),
        ({"useMsi": "true"}, {}, KubeloginMode.MANAGED_IDENTITY, []),
        (
            {},
            {"ARM_USE_MSI": "true", "ARM_CLIENT_ID": CLIENT_ID},
            KubeloginMode.MANAGED_IDENTITY,
            ["--client-id", CLIENT_ID],
        ),
    ],
    ids=["az-login", "oidc-github", "oidc-file", "spn-secret", "spn-cert", "msi", "msi-user"],
)
def test_each_credential_gets_its_kubelogin_mode(config, environ, mode, extra):
    login = decide(config, environ)
    assert login.mode is mode
    assert login.gap is None
    converted = yaml.safe_load(convert_kubeconfig(AKS_KUBECONFIG, login))
    exec_ = converted["users"][0]["user"]["exec"]
    assert exec_["args"] == ["get-token", "--login", str(mode), "--server-id", SERVER_ID, *extra]
    assert exec_["command"] == "kubelogin"
    assert "env" not in exec_


def test_oidc_wins_over_a_secret_and_a_secret_over_msi():
    both = {"ARM_USE_OIDC": "true", "ARM_CLIENT_SECRET": "x", "ARM_USE_MSI": "true"}
    assert decide({}, {**both, **ARM_IDS, **GITHUB}).mode is KubeloginMode.WORKLOAD_IDENTITY
    del both["ARM_USE_OIDC"]
    assert decide({}, {**both, **ARM_IDS}).mode is KubeloginMode.SERVICE_PRINCIPAL


def test_the_stack_config_wins_over_the_environment_and_secrets_are_not_kept():
    settings = provider_settings(
        {"clientId": "from-config", "clientSecret": CLIENT_SECRET}, {"ARM_CLIENT_ID": "from-env"}
    )
    assert settings == {"clientId": "from-config", "clientSecret": "<set>"}
    assert CLIENT_SECRET not in repr(kubelogin_login(settings, {}))


@pytest.mark.parametrize(
    ("config", "environ", "gap"),
    [
        (
            {},
            {"ARM_USE_OIDC": "true", "ARM_OIDC_TOKEN": "jwt", **ARM_IDS},
            "ARM_OIDC_TOKEN_FILE_PATH",
        ),
        ({}, {"ARM_USE_OIDC": "true", **GITHUB}, "needs ARM_CLIENT_ID and ARM_TENANT_ID"),
        ({"clientSecret": "s"}, ARM_IDS, "export it where pulumi runs"),
    ],
    ids=["oidc-token-in-a-variable", "oidc-without-ids", "secret-in-config-only"],
)
def test_what_kubelogin_cannot_reach_is_said(config, environ, gap):
    login = decide(config, environ)
    assert login.gap is not None and gap in login.gap


def test_a_kubeconfig_without_kubelogin_users_is_left_alone():
    login = decide({}, {"ARM_CLIENT_SECRET": "s", **ARM_IDS})
    assert convert_kubeconfig(offline_capture.MOCK_KUBECONFIG, login) == (
        offline_capture.MOCK_KUBECONFIG
    )
    assert AZURE_CLI_LOGIN.exec_args(None) == ["get-token", "--login", "azurecli"]


@pytest.mark.parametrize(
    ("config", "environ", "mode"),
    [
        ({}, {}, "azurecli"),
        ({"azure-native:useOidc": "true"}, {**ARM_IDS, **GITHUB}, "workloadidentity"),
        ({}, {"ARM_CLIENT_SECRET": CLIENT_SECRET, **ARM_IDS}, "spn"),
        ({"azure-native:useMsi": "true"}, {}, "msi"),
    ],
    ids=["az-login", "oidc", "spn", "msi"],
)
def test_the_program_builds_each_clusters_kubeconfig_in_that_mode(
    monkeypatch, config, environ, mode
):
    """The dev stack under mocks, AKS answering with an Entra ID (devicecode) kubeconfig: every
    cluster's provider gets the mode of the credentials in the stack config and environment,
    as a secret, with no secret value in its text."""
    for variable in ("ARM_USE_OIDC", "ARM_CLIENT_SECRET", "ARM_USE_MSI", "ARM_CLIENT_ID"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in environ.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.setattr(offline_capture, "MOCK_KUBECONFIG", AKS_KUBECONFIG)

    result = capture(lambda: run_stack("dev"), stack="dev", config=config)

    providers = result.of_type(PROVIDER)
    assert providers
    for provider in providers:
        text = provider.inputs["kubeconfig"][SECRET]
        args = yaml.safe_load(text)["users"][0]["user"]["exec"]["args"]
        assert args[:5] == ["get-token", "--login", mode, "--server-id", SERVER_ID]
        assert CLIENT_SECRET not in text
