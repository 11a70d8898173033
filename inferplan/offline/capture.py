"""Run the real Pulumi program in-process under mocks and record every resource it asks for.

No Pulumi CLI, no provider plugins, no cloud: ``capture`` installs fresh mocks and a recording
monitor, runs the program on its own event loop, and returns each registration with its inputs
and options (parent, provider, protect, dependsOn, ignoreChanges, deleteBeforeReplace), plus the
stack's exports. This is what ``inferplan preview``, ``render`` and ``check`` stand on.

What it cannot show: the engine's create/update/replace decision (that needs each provider's
diff) and provider-side defaults such as auto-names; components therefore set explicit names.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.settings import SETTINGS
from pulumi.runtime.stack import (
    get_root_resource,
    register_stack_transformation,
    run_pulumi_func,
    set_root_resource,
)
from pulumi.runtime.sync_await import _sync_await

from inferplan.offline.registrations import (
    COMPUTED,
    SECRET,
    Capture,
    Registration,
    capture_from_data,
    capture_json,
    capture_to_data,
    mask_secrets,
)

__all__ = [
    "COMPUTED",
    "SECRET",
    "Capture",
    "EchoMocks",
    "RecordingMonitor",
    "Registration",
    "capture",
    "capture_from_data",
    "capture_json",
    "capture_to_data",
    "mask_secrets",
]

# A kubeconfig that points nowhere: enough for the Kubernetes provider's inputs under mocks.
MOCK_KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: mock, cluster: {server: "https://mock-cluster.invalid:443"}}]
contexts: [{name: mock, context: {cluster: mock, user: mock}}]
current-context: mock
users: [{name: mock, user: {token: mock}}]
"""

SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000"
TENANT_ID = "11111111-1111-1111-1111-111111111111"


def _plain(value: Any) -> Any:
    """Protobuf-shaped values to plain, stable JSON data: unknowns and secrets marked."""
    if value is rpc.UNKNOWN or isinstance(value, pulumi.output.Unknown):
        return COMPUTED
    if isinstance(value, dict):
        if rpc.is_rpc_secret(value):
            return {SECRET: _plain(rpc.unwrap_rpc_secret(value))}
        return {k: _plain(value[k]) for k in sorted(value)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # protobuf Struct turns every number into a float
    return value


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The stock mock monitor, plus a record of every registration with its options."""

    def __init__(self, mocks: pulumi_mocks.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self.invoke_log: list[tuple[str, dict[str, Any]]] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        if any(r.urn == response.urn for r in self.registrations):
            raise ValueError(f"duplicate resource {response.urn}: the engine would reject it")
        implicit = {u for deps in request.propertyDependencies.values() for u in deps.urns}
        self.registrations.append(
            Registration(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent or None,
                custom=bool(request.custom),
                provider=request.provider or None,
                inputs=_plain(rpc.deserialize_properties(request.object, keep_unknowns=True)),
                protect=bool(request.protect),
                depends_on=tuple(sorted(set(request.dependencies) - implicit)),
                ignore_changes=tuple(request.ignoreChanges),
                delete_before_replace=bool(request.deleteBeforeReplace),
                replace_on_changes=tuple(request.replaceOnChanges),
                retain_on_delete=bool(request.retainOnDelete),
            )
        )
        return response

    def Invoke(self, request: Any) -> Any:
        self.invoke_log.append((request.tok, _plain(rpc.deserialize_properties(request.args))))
        return super().Invoke(request)


def _merge(inputs: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Inputs win; output-only fields (``issuerURL``, ``principalId``) fill in beside them."""
    merged = dict(inputs)
    for key, value in extra.items():
        if isinstance(merged.get(key), dict) and isinstance(value, dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged.setdefault(key, value)
    return merged


def _mock_id(type_: str, name: str, subscription_id: str = SUBSCRIPTION_ID) -> str:
    kind = type_.split(":")[-1]
    return f"/subscriptions/{subscription_id}/mock/{kind}/{name}"


class EchoMocks(pulumi_mocks.Mocks):
    """Outputs echo inputs, plus the ids, names and endpoints components read back.

    Invokes answer from a fixed table; an invoke nobody expected fails loudly instead of
    returning an empty result that would silently drop inputs downstream. ``subscription_id``
    is what ``getClientConfig`` answers: the stack's, or a placeholder.
    """

    def __init__(self, subscription_id: str = SUBSCRIPTION_ID) -> None:
        super().__init__()
        self.subscription_id = subscription_id

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        outputs = dict(args.inputs)
        name = next(
            (
                outputs[k]
                for k in (
                    "agentPoolName",
                    "registryName",
                    "vaultName",
                    "scopeName",
                    "virtualNetworkName",
                    "subnetName",
                    "resourceName",
                    "serviceName",
                    "accountName",
                    "workspaceName",
                    "resourceGroupName",
                    "name",
                )
                if isinstance(outputs.get(k), str)
            ),
            args.name,
        )
        outputs.setdefault("name", name)
        resource_id = _mock_id(args.typ, args.name, self.subscription_id)
        outputs["id"] = outputs.get("id", resource_id)
        short = args.typ.split(":")[-1]
        extra = {
            "ManagedCluster": {
                "fqdn": f"{name}.hcp.mock.azmk8s.io",
                "identity": {"principalId": f"{name}-principal", "tenantId": TENANT_ID},
                "oidcIssuerProfile": {"enabled": True, "issuerURL": f"https://oidc.mock/{name}/"},
                "identityProfile": {"kubeletidentity": {"objectId": "kubelet-object-id"}},
            },
            "ApiManagementService": {
                "gatewayUrl": f"https://{name}.azure-api.net",
                "identity": {"type": "SystemAssigned", "principalId": f"{name}-principal"},
            },
            "Account": {"properties": {"endpoint": f"https://{name}.openai.azure.com/"}},
            "Workspace": {"customerId": f"{name}-customer-id"},
            "Component": {
                "connectionString": f"InstrumentationKey={name}-key",
                "instrumentationKey": f"{name}-key",
            },
            "AzureMonitorWorkspace": {
                "defaultIngestionSettings": {
                    "dataCollectionRuleResourceId": f"{resource_id}/dcr",
                    "dataCollectionEndpointResourceId": f"{resource_id}/dce",
                },
                "metrics": {
                    "prometheusQueryEndpoint": f"https://{name}.mock.prometheus.monitor.azure.com"
                },
            },
            "Registry": {"loginServer": f"{name}.azurecr.io"},
            "Vault": {"properties": {"vaultUri": f"https://{name}.vault.azure.net/"}},
            "UserAssignedIdentity": {
                "clientId": f"{name}-client-id",
                "principalId": f"{name}-principal",
                "tenantId": TENANT_ID,
            },
            "CredentialSet": {"identity": {"principalId": f"{name}-principal"}},
        }.get(short, {})
        if short == "Secret" and args.typ.startswith("azure-native:keyvault"):
            vault = outputs.get("vaultName", "vault")
            extra = {"properties": {"secretUri": f"https://{vault}.vault.azure.net/secrets/{name}"}}
        if args.typ == "random:index/randomPassword:RandomPassword":
            extra = {"result": "offline-placeholder-vllm-api-key"}
        if args.typ == "kubernetes:core/v1:Service":
            octet = int(_mock_id(args.typ, args.name).encode().hex()[-4:], 16) % 250 + 4
            extra = {"status": {"loadBalancer": {"ingress": [{"ip": f"10.240.0.{octet}"}]}}}
        return resource_id, _merge(outputs, extra)

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict[str, Any]:
        token = args.token
        if token.endswith(":listManagedClusterUserCredentials") or token.endswith(
            ":listManagedClusterAdminCredentials"
        ):
            encoded = base64.b64encode(MOCK_KUBECONFIG.encode()).decode()
            return {"kubeconfigs": [{"name": "clusterUser", "value": encoded}]}
        if token == "azure-native:authorization:getClientConfig":
            return {
                "clientId": "mock-client",
                "objectId": "mock-object",
                "subscriptionId": self.subscription_id,
                "tenantId": TENANT_ID,
            }
        raise KeyError(f"no mock answer for invoke {token}; add one to EchoMocks.call")


def without_aliases(
    args: pulumi.ResourceTransformationArgs,
) -> pulumi.ResourceTransformationResult | None:
    """The resource's options less its aliases, which a capture does not record.

    pulumi-azure-native gives each resource an alias per earlier API version of its type (16
    on average here); the runtime turns each into a URN of Outputs and then an alias spec, a
    fifth of the program's run, for the engine's rename tracking, which has no place offline.
    """
    if not args.opts.aliases:
        return None
    opts = copy.copy(args.opts)
    opts.aliases = None
    return pulumi.ResourceTransformationResult(args.props, opts)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with Python's cyclic garbage collector off, as it was after.

    A cold run builds thousands of SDK classes and hundreds of thousands of short-lived
    Outputs, futures and tasks; each allocation burst sets off a collection that walks every
    object alive, so the collector cost a third of a cold ``preview``. One program run leaves
    a few megabytes of cycles behind; the collector, back on, frees them later.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # What the block left alive goes straight to the oldest generation (freeze, then
        # unfreeze: no walk over it), so the first collection after the block does not have to
        # look at all of it; cycles in it are still freed by the next full collection.
        gc.freeze()
        gc.unfreeze()
        if enabled:
            gc.enable()


def _resolve(value: Any) -> Any:
    if isinstance(value, pulumi.Output):
        known = _sync_await(value.is_known())
        if not known:
            return COMPUTED
        inner = _resolve(_sync_await(value.future()))
        return {SECRET: inner} if _sync_await(value.is_secret()) else inner
    if isinstance(value, dict):
        return {k: _resolve(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_resolve(v) for v in value]
    return _plain(value)


def capture(
    program: Callable[[], None],
    *,
    project: str = "inferplan",
    stack: str = "dev",
    preview: bool = True,
    config: dict[str, str] | None = None,
    secret_keys: list[str] | None = None,
) -> Capture:
    """Run ``program`` under fresh mocks on its own event loop and return what it registered.

    ``preview=True`` behaves like ``pulumi preview`` (outputs that only the cloud knows stay
    unknown); ``False`` like ``pulumi up`` against the echo mocks. ``config`` is the stack's
    Pulumi config (``namespace:key`` -> value), ``secret_keys`` the keys that are secrets; its
    ``azure-native:subscriptionId`` is the subscription ``getClientConfig`` answers.
    """
    with collector_paused():
        return _capture(program, project, stack, preview, config, secret_keys)


def _capture(
    program: Callable[[], None],
    project: str,
    stack: str,
    preview: bool,
    config: dict[str, str] | None,
    secret_keys: list[str] | None,
) -> Capture:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        settings = dict(config or {})
        mocks = EchoMocks(settings.get("azure-native:subscriptionId") or SUBSCRIPTION_ID)
        monitor = RecordingMonitor(mocks)
        set_root_resource(None)  # a fresh stack: exports must not pile up across captures
        pulumi.runtime.set_all_config(settings, list(secret_keys or []))
        pulumi_mocks.set_mocks(
            mocks, project=project, stack=stack, preview=preview, monitor=monitor
        )
        SETTINGS.rpc_manager.clear()
        SETTINGS.outputs.clear()
        register_stack_transformation(without_aliases)
        _sync_await(run_pulumi_func(program))
        root = get_root_resource()
        exports = _resolve(dict(root.outputs)) if root is not None and root.outputs else {}
        return Capture(
            resources=sorted(monitor.registrations, key=lambda r: r.urn),
            invokes=monitor.invoke_log,
            exports=exports,
        )
    finally:
        asyncio.set_event_loop(None)
        loop.close()
