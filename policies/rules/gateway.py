"""The API Management gateway: a tier that holds SSE streams, no buffering or body logging on
streaming APIs, backend timeouts under Azure's idle limit, circuit breakers with somewhere to
fail over, subscription keys out of query strings, portals off where asked."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from policies.rules.registry import Violation, resource_rule, stack_rule
from policies.view import COMPUTED, SECRET, PolicyContext, ResourceView

# Azure's load balancers (and API Management's outbound path through them) drop a TCP flow idle
# for longer than the default 4 minutes; a backend timeout past that can never be reached.
LB_IDLE_TIMEOUT_S = 240

# API Management tiers that cannot hold server-sent-event streams (apim-sse.md [sse]).
TIERS_WITHOUT_STREAMING = frozenset({"Consumption"})

POLICY_TYPES = frozenset(
    {
        "azure-native:apimanagement:ApiPolicy",
        "azure-native:apimanagement:ApiOperationPolicy",
        "azure-native:apimanagement:Policy",
    }
)

DIAGNOSTIC_TYPES = frozenset(
    {"azure-native:apimanagement:ApiDiagnostic", "azure-native:apimanagement:Diagnostic"}
)

BACKEND_TYPE = "azure-native:apimanagement:Backend"


def _unwrap(value: Any) -> Any:
    if isinstance(value, Mapping) and set(value) == {SECRET}:
        return value[SECRET]
    return value


def _streaming_names(ctx: PolicyContext) -> set[str] | None:
    """Streaming workloads by name; None when the context is unknown (treat all as streaming)."""
    if not ctx.known:
        return None
    return {w.name for w in ctx.workloads if w.streaming}


def _applies_to_streaming(view: ResourceView, ctx: PolicyContext) -> bool:
    streaming = _streaming_names(ctx)
    if streaming is None:
        return True
    api = view.inputs.get("apiId")
    return api in streaming if isinstance(api, str) else bool(streaming)


def _forward_requests(view: ResourceView) -> list[ET.Element] | None:
    """The ``forward-request`` elements of an API Management policy; None if not parseable."""
    xml = _unwrap(view.inputs.get("value"))
    if not isinstance(xml, str) or xml == COMPUTED:
        return None
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return None
    return list(root.iter("forward-request"))


@resource_rule(
    "gateway-streaming-tier",
    description="No API Management tier without streaming support carries a streaming workload.",
    level="mandatory",
    fix=(
        "Choose a classic or v2 tier (Developer, Basic/BasicV2, Standard/StandardV2, Premium) "
        "in the environment's spec.gateway.tier."
    ),
)
def check_streaming_tier(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if view.type != "azure-native:apimanagement:ApiManagementService":
        return
    tier = view.get("sku.name")
    streaming = _streaming_names(ctx)
    if tier in TIERS_WITHOUT_STREAMING and (streaming is None or streaming):
        who = ", ".join(sorted(streaming)) if streaming else "streaming workloads"
        yield f"{view.key} is the {tier} tier, which cannot hold SSE streams for {who}."


@resource_rule(
    "gateway-no-buffering",
    description="Streaming workloads' gateway policies never buffer the response.",
    level="mandatory",
    fix=(
        'Use <forward-request buffer-response="false"> and do not read context.Response.Body '
        "in any policy of a streaming API."
    ),
)
def check_no_buffering(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if view.type not in POLICY_TYPES or not _applies_to_streaming(view, ctx):
        return
    forwards = _forward_requests(view)
    if forwards is None:
        return
    for fwd in forwards:
        if fwd.get("buffer-response") != "false":
            yield f'{view.key}: forward-request without buffer-response="false" buffers SSE.'
    xml = str(_unwrap(view.inputs.get("value")))
    if "Response.Body" in xml:
        yield f"{view.key}: a policy reads the response body, which buffers the stream."


@resource_rule(
    "gateway-no-body-logging",
    description="Gateway diagnostics log no request or response bodies on streaming operations.",
    level="mandatory",
    fix=(
        "Set body.bytes to 0 for frontend and backend request and response in the API's "
        "diagnostic; logging bodies buffers server-sent events."
    ),
)
def check_no_body_logging(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if view.type not in DIAGNOSTIC_TYPES or not _applies_to_streaming(view, ctx):
        return
    for side in ("frontend", "backend"):
        for message in ("request", "response"):
            body_bytes = view.get(f"{side}.{message}.body.bytes", 0)
            if body_bytes not in (0, None):
                yield f"{view.key} logs {body_bytes} bytes of {side} {message} bodies."


@resource_rule(
    "gateway-backend-timeout",
    description=(
        f"Gateway backend timeouts stay within the {LB_IDLE_TIMEOUT_S} s Azure's load "
        "balancers keep an idle connection open."
    ),
    level="mandatory",
    fix=(
        f'Set <forward-request timeout="N"> with N <= {LB_IDLE_TIMEOUT_S}; long generations '
        "must stream so bytes keep flowing."
    ),
)
def check_backend_timeout(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if view.type not in POLICY_TYPES:
        return
    for fwd in _forward_requests(view) or ():
        timeout = fwd.get("timeout")
        if timeout is None:
            yield (
                f"{view.key}: forward-request has no timeout (API Management's default is 300 s, "
                f"past Azure's {LB_IDLE_TIMEOUT_S} s idle limit)."
            )
        elif not timeout.isdigit() or int(timeout) > LB_IDLE_TIMEOUT_S:
            yield (
                f"{view.key}: backend timeout {timeout} s exceeds the {LB_IDLE_TIMEOUT_S} s "
                "Azure's load balancers keep an idle connection open."
            )


def _backend_ids_in_pools(views: Sequence[ResourceView]) -> list[str]:
    ids = []
    for v in views:
        if v.type == BACKEND_TYPE and v.inputs.get("type") == "Pool":
            pool = v.inputs.get("pool") or {}
            ids += [str(s.get("id", "")) for s in pool.get("services") or ()]
    return ids


CIRCUIT_BREAKERS = "gateway-circuit-breakers"


@stack_rule(
    CIRCUIT_BREAKERS,
    description="Backend circuit breakers only on pool members, tripping on a run of failures.",
    level="mandatory",
    fix=(
        "Leave single backends without a breaker (the policy retries them) and keep the Plan's "
        "failure count (gateway_backends.circuit_breaker)."
    ),
)
def check_circuit_breakers(
    views: Sequence[ResourceView], ctx: PolicyContext
) -> Iterator[Violation]:
    """Breakers only where a pool has another member to fail over to, and never tripping on a
    single failure."""
    members = _backend_ids_in_pools(views)
    for view in views:
        if view.type != BACKEND_TYPE or view.inputs.get("type") == "Pool":
            continue
        rules = (view.inputs.get("circuitBreaker") or {}).get("rules") or ()
        if not rules:
            continue
        backend = str(view.inputs.get("backendId", ""))
        if not any(m.endswith(backend) for m in members if backend):
            yield Violation(
                CIRCUIT_BREAKERS,
                view.key,
                f"{view.key} has a circuit breaker but is in no pool: one tripped breaker takes "
                "the whole workload down for the trip duration.",
                view.urn,
            )
        for rule in rules:
            count = (rule.get("failureCondition") or {}).get("count")
            if isinstance(count, int | float) and count < 2:
                yield Violation(
                    CIRCUIT_BREAKERS,
                    view.key,
                    f"{view.key} trips after {count:g} failure: one 429 takes a region out.",
                    view.urn,
                )


SUBSCRIPTION_KEY_HEADER = "gateway-subscription-key-header"


@stack_rule(
    SUBSCRIPTION_KEY_HEADER,
    description="Subscription keys are accepted in the header only: APIs refuse them in the query.",
    level="mandatory",
    fix="Keep the policy's query-string refusal (components/apim_xml/api-policy.xml.j2).",
)
def check_subscription_key_header(
    views: Sequence[ResourceView], ctx: PolicyContext
) -> Iterator[Violation]:
    """An API that names a query parameter for subscription keys refuses it in its policy."""
    policies = {
        str(v.inputs.get("apiId")): str(_unwrap(v.inputs.get("value")) or "")
        for v in views
        if v.type == "azure-native:apimanagement:ApiPolicy"
    }
    for view in views:
        if view.type != "azure-native:apimanagement:Api":
            continue
        query = (view.inputs.get("subscriptionKeyParameterNames") or {}).get("query")
        if not query or query == COMPUTED:
            continue
        refusal = f"Url.Query.ContainsKey(&quot;{query}&quot;)"
        text = policies.get(str(view.inputs.get("apiId")), "")
        if refusal not in text and refusal.replace("&quot;", '"') not in text:
            yield Violation(
                SUBSCRIPTION_KEY_HEADER,
                view.key,
                f"{view.key} accepts subscription keys in the query string ({query}=...), which "
                "proxies and access logs keep.",
                view.urn,
            )


@resource_rule(
    "gateway-portals-off",
    description=(
        "API Management's developer and legacy portals are off unless the environment asks."
    ),
    level="mandatory",
    fix=(
        'Set developerPortalStatus and legacyPortalStatus "Disabled", or '
        "gateway.developer_portal: true in the environment."
    ),
)
def check_gateway_portals(view: ResourceView, ctx: PolicyContext) -> Iterator[str]:
    if view.type != "azure-native:apimanagement:ApiManagementService" or ctx.developer_portal:
        return
    if ctx.developer_portal is None and not ctx.known:
        return
    for key in ("developerPortalStatus", "legacyPortalStatus"):
        if view.inputs.get(key) != "Disabled":
            yield (
                f"{view.key} has {key} {view.inputs.get(key) or 'unset (Enabled)'}; environment "
                f"{ctx.environment} asks for no portal (gateway.developer_portal)."
            )
