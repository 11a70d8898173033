"""How the Kubernetes provider signs in to AKS: the kubelogin login mode that matches the
credentials Pulumi's azure-native provider runs with, decided once, before any kubeconfig is
built, from the stack's ``azure-native:*`` config and the ``ARM_*`` environment.

With Entra ID and local accounts off, AKS hands out a kubeconfig whose user runs
``kubelogin get-token --login devicecode ...``, which would stop ``pulumi up`` at a prompt. The
program rewrites that user the way ``kubelogin convert-kubeconfig -l <mode>`` does, for the mode
that signs in as the same identity Pulumi uses for Azure:

====================  ==============================================  ========================
azure-native setting  kubelogin mode and what it reads                 from
====================  ==============================================  ========================
useOidc               ``workloadidentity``: ``--client-id``,          ARM_USE_OIDC
                      ``--tenant-id``, the token from GitHub Actions
                      (ACTIONS_ID_TOKEN_REQUEST_TOKEN/URL) or a file
                      (``--federated-token-file`` /
                      AZURE_FEDERATED_TOKEN_FILE)
clientSecret,         ``spn`` with ``--use-azurerm-env-vars``: the    ARM_CLIENT_SECRET,
clientCertificatePath secret or certificate from ARM_CLIENT_SECRET /  ARM_CLIENT_CERTIFICATE_PATH
                      ARM_CLIENT_CERTIFICATE_PATH (+ _PASSWORD),
                      ARM_CLIENT_ID, ARM_TENANT_ID
useMsi                ``msi`` (``--client-id`` for a user-assigned    ARM_USE_MSI
                      identity)
(none)                ``azurecli``: whoever ran ``az login``
====================  ==============================================  ========================

The order (OIDC, then a service principal, then managed identity, else the Azure CLI) is the
order in which the azure-native provider documents and tries its methods (Pulumi registry,
"Azure Native Installation & Configuration"); each setting is the stack config's value, else its
``ARM_*`` variable, as the provider reads them. kubelogin's arguments and variables are those
of its converter and token options (Azure/kubelogin ``pkg/internal/converter/convert.go``,
``pkg/internal/token/options.go``, ``provider.go``; read 2026-12-08).

The kubeconfig never holds a secret: it names the mode, ids and at most a token file's path;
kubelogin reads secrets and tokens from the environment of the process that runs it (the
Pulumi CLI's, inherited by the Kubernetes provider).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import yaml


class KubeloginMode(StrEnum):
    """kubelogin's ``--login`` values the program uses (token/options.go)."""

    AZURE_CLI = "azurecli"
    WORKLOAD_IDENTITY = "workloadidentity"
    SERVICE_PRINCIPAL = "spn"
    MANAGED_IDENTITY = "msi"


# azure-native config key -> the environment variable the provider falls back to.
PROVIDER_SETTINGS: dict[str, str] = {
    "useOidc": "ARM_USE_OIDC",
    "clientId": "ARM_CLIENT_ID",
    "tenantId": "ARM_TENANT_ID",
    "clientSecret": "ARM_CLIENT_SECRET",
    "clientCertificatePath": "ARM_CLIENT_CERTIFICATE_PATH",
    "oidcToken": "ARM_OIDC_TOKEN",
    "oidcTokenFilePath": "ARM_OIDC_TOKEN_FILE_PATH",
    "oidcRequestToken": "ARM_OIDC_REQUEST_TOKEN",
    "oidcRequestUrl": "ARM_OIDC_REQUEST_URL",
    "useMsi": "ARM_USE_MSI",
}
# Settings whose value is a secret: the decision keeps only whether they are set.
SECRET_SETTINGS = frozenset({"clientSecret", "oidcToken", "oidcRequestToken"})
SET = "<set>"  # what a secret setting's value becomes
# What kubelogin's workload identity mode reads besides its flags (token/provider.go, options.go).
GITHUB_ACTIONS_TOKEN = ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL")
FEDERATED_TOKEN_FILE = "AZURE_FEDERATED_TOKEN_FILE"


@dataclass(frozen=True)
class KubeloginLogin:
    """The decided sign-in: the mode, the non-secret ids it passes as flags, which setting
    chose it, and ``gap`` when kubelogin will lack something Pulumi has (said as a warning)."""

    mode: KubeloginMode
    chosen_by: str
    client_id: str | None = None
    tenant_id: str | None = None
    federated_token_file: str | None = None  # a path, never a token
    gap: str | None = None

    def exec_args(self, server_id: str | None) -> list[str]:
        """``kubelogin`` arguments, in the order ``convert-kubeconfig`` writes them."""
        args = ["get-token", "--login", str(self.mode)]
        if server_id:
            args += ["--server-id", server_id]
        if self.mode is KubeloginMode.SERVICE_PRINCIPAL:
            args += _flag("--client-id", self.client_id) + _flag("--tenant-id", self.tenant_id)
            args.append("--use-azurerm-env-vars")  # ARM_CLIENT_SECRET / _CERTIFICATE_PATH
        elif self.mode is KubeloginMode.WORKLOAD_IDENTITY:
            args += _flag("--client-id", self.client_id) + _flag("--tenant-id", self.tenant_id)
            args += _flag("--federated-token-file", self.federated_token_file)
        elif self.mode is KubeloginMode.MANAGED_IDENTITY:
            args += _flag("--client-id", self.client_id)
        return args


def _flag(name: str, value: str | None) -> list[str]:
    return [name, value] if value else []


def _true(value: str | None) -> bool:
    return str(value or "").strip().lower() in ("true", "1", "yes")


def provider_settings(
    config: Mapping[str, str | None], environ: Mapping[str, str]
) -> dict[str, str]:
    """Each azure-native setting as the provider sees it: the stack config's value (keys
    without the ``azure-native:`` prefix), else its ``ARM_*`` variable; unset ones left out."""
    settings = {}
    for key, variable in PROVIDER_SETTINGS.items():
        value = config.get(key) or environ.get(variable)
        if value:
            settings[key] = SET if key in SECRET_SETTINGS else value
    return settings


def kubelogin_login(settings: Mapping[str, str], environ: Mapping[str, str]) -> KubeloginLogin:
    """The kubelogin mode for the azure-native ``settings`` (``provider_settings``);
    ``environ`` is consulted only for what kubelogin itself reads (GitHub Actions' token
    request, AZURE_FEDERATED_TOKEN_FILE)."""
    client_id, tenant_id = settings.get("clientId"), settings.get("tenantId")
    if _true(settings.get("useOidc")):
        token_file = settings.get("oidcTokenFilePath")
        gap = None
        if not (client_id and tenant_id):
            gap = "OIDC needs ARM_CLIENT_ID and ARM_TENANT_ID (or azure-native:clientId/tenantId)"
        elif not (
            token_file
            or all(environ.get(v) for v in GITHUB_ACTIONS_TOKEN)
            or environ.get(FEDERATED_TOKEN_FILE)
        ):
            gap = (
                "kubelogin's workloadidentity mode reads the OIDC token from GitHub Actions "
                "(ACTIONS_ID_TOKEN_REQUEST_TOKEN/URL) or from a file; write the token to a "
                "file and set ARM_OIDC_TOKEN_FILE_PATH (ARM_OIDC_TOKEN and "
                "ARM_OIDC_REQUEST_TOKEN alone do not reach it)"
            )
        return KubeloginLogin(
            KubeloginMode.WORKLOAD_IDENTITY,
            "useOidc",
            client_id,
            tenant_id,
            federated_token_file=token_file,
            gap=gap,
        )
    for key in ("clientCertificatePath", "clientSecret"):
        if settings.get(key):
            gap = None
            if not environ.get(PROVIDER_SETTINGS[key]):
                gap = (
                    f"the service principal's {key} is in the stack config only; kubelogin "
                    f"reads it from {PROVIDER_SETTINGS[key]}, so export it where pulumi runs"
                )
            return KubeloginLogin(
                KubeloginMode.SERVICE_PRINCIPAL, key, client_id, tenant_id, gap=gap
            )
    if _true(settings.get("useMsi")):
        return KubeloginLogin(KubeloginMode.MANAGED_IDENTITY, "useMsi", client_id)
    return KubeloginLogin(KubeloginMode.AZURE_CLI, "default")


AZURE_CLI_LOGIN = KubeloginLogin(KubeloginMode.AZURE_CLI, "default")


def convert_kubeconfig(kubeconfig: str, login: KubeloginLogin = AZURE_CLI_LOGIN) -> str:
    """Every kubelogin user of ``kubeconfig`` rewritten to ``login``'s mode, keeping its
    ``--server-id`` (what ``kubelogin convert-kubeconfig -l <mode>`` does); a kubeconfig
    without kubelogin users comes back unchanged."""
    data = yaml.safe_load(kubeconfig)
    changed = False
    for user in (data or {}).get("users") or []:
        exec_ = (user.get("user") or {}).get("exec") or {}
        if "kubelogin" not in str(exec_.get("command", "")):
            continue
        args = [str(a) for a in exec_.get("args") or []]
        server_id = next((args[i + 1] for i, a in enumerate(args[:-1]) if a == "--server-id"), None)
        exec_["args"] = login.exec_args(server_id)
        exec_.pop("env", None)  # nothing from AKS's devicecode user, and never a secret
        changed = True
    return yaml.safe_dump(data, sort_keys=False) if changed else kubeconfig
