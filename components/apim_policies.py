"""API Management policies for inferplan's LLM gateway, rendered from Jinja2 templates.

Pure text: no Pulumi here, so the policies can be rendered for review (``inferplan render``),
scanned, and compared against golden files in tests. Same Plan, same bytes.

What a workload's API policy does, and why (sources are the keys of apim-sse.md and
azure-openai.md in the team's reference notes):

* inbound: refuse a subscription key in the query string (keys travel in the ``api-key`` header
  only, never in URLs that proxies and logs keep); route to the workload's backend or backend
  pool (``set-backend-service``); for Azure OpenAI, authenticate with the gateway's managed
  identity, because the accounts have keys off [auth][apim-auth]; for vLLM, send its API key
  from the Key Vault-backed named value ``vllm-api-key`` [apim-sse.md section 2.4]; cap
  ``max_tokens``/``max_completion_tokens`` at the Plan's ``gateway.max_tokens`` and fill the
  sampling defaults the Plan sets (chat only; Azure OpenAI meters quota on prompt +
  ``max_tokens`` [quota], so an uncapped request costs capacity); limit
  tokens per minute per subscription (``llm-token-limit`` [llm-tl]) and emit token metrics
  (``llm-emit-token-metric`` [aoai-em]); for Azure OpenAI, rewrite ``/<operation>`` to the
  workload's deployment and pin the data-plane api-version; for priority processing, set
  ``service_tier: "priority"`` on every generation request (overriding what a client sent) with
  the api-version that takes it [priority-how].
* backend: ``forward-request`` with the Plan's ``timeout_s`` and ``buffer-response="false"``,
  without which API Management buffers server-sent events [sse][fwd], inside the Plan's retry
  (``WorkloadPlan.gateway_backends``): with a pool, the next region after the failing member's
  circuit breaker trips [backends][aigw]; with one backend, the same backend again after the
  Retry-After it sent, when that is short [retry-policy: interval accepts a policy
  expression]. Retries happen before the first byte streams.
* scale-to-zero vLLM workloads (``AksPlan.autoscaling.off_hours``): outside the working hours
  the inbound answers 503 with ``Retry-After`` = the seconds until they start (local time from
  the zone's own rule, ``sizing.deploy.zone_clock``) instead of waiting out the backend timeout
  for a load balancer without endpoints; inside them, a backend that does not answer
  (``forward-request`` error) gets 503 with the start-up budget as ``Retry-After``.
* outbound and on-error: ``<base />`` otherwise. Nothing reads the response body, which would
  buffer the stream [sse].
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from xml.sax.saxutils import escape

import jinja2
from markupsafe import Markup

from components.naming import is_backend_id
from sizing.deploy.zone_clock import window_starts, zone_rule
from sizing.plan import WorkloadPlan

TEMPLATES_PACKAGE = "components"
TEMPLATES_DIR = "apim_xml"  # Jinja2 templates of API Management policy XML
API_POLICY_TEMPLATE = "api-policy.xml.j2"

BACKEND_KINDS = ("vllm", "azure-openai")

# The latest GA Azure OpenAI data-plane inference API when this was written (Learn "Azure OpenAI
# REST API reference": latest GA 2024-10-21). It takes ``max_completion_tokens`` (added in
# 2024-09-01-preview for the o-series, which reject ``max_tokens``). A gateway-protocol constant,
# not a sizing decision: clients call the OpenAI-style path and never see it.
AZURE_OPENAI_API_VERSION = "2024-10-21"

# Custom-metric namespace of the token metrics in Application Insights; alert rules and
# dashboards that chart gateway token use query this namespace.
TOKEN_METRIC_NAMESPACE = "inferplan"


@dataclass(frozen=True)
class Operation:
    """One operation of a workload's OpenAI-compatible API (relative to ``/<workload>/v1``)."""

    operation_id: str
    method: str
    url_template: str
    display_name: str


CHAT_COMPLETIONS = Operation("chat-completions", "POST", "/chat/completions", "Chat completions")
COMPLETIONS = Operation("completions", "POST", "/completions", "Completions")
LIST_MODELS = Operation("list-models", "GET", "/models", "List models")
EMBEDDINGS = Operation("embeddings", "POST", "/embeddings", "Embeddings")

# The legacy completions operation only where the backend serves it: vLLM does for any model;
# Azure OpenAI's chat models take chat completions only (Learn, Azure OpenAI models: the
# gpt-4o and gpt-4.1 families list "Chat Completions" and "Responses", not "Completions").
OPERATIONS_BY_TASK: dict[tuple[str, str], tuple[Operation, ...]] = {
    ("chat", "aks-vllm"): (CHAT_COMPLETIONS, COMPLETIONS, LIST_MODELS),
    ("chat", "azure-openai"): (CHAT_COMPLETIONS, LIST_MODELS),
    ("embedding", "azure-openai"): (EMBEDDINGS,),
    ("embedding", "aks-vllm"): (EMBEDDINGS,),
}

# The Key Vault-backed named value the gateway sends to vLLM as its bearer token.
VLLM_API_KEY_NAMED_VALUE = "vllm-api-key"


def api_operations(workload: WorkloadPlan) -> tuple[Operation, ...]:
    """The operations a workload's API exposes, by the Plan's ``task`` and ``target``."""
    try:
        return OPERATIONS_BY_TASK[(workload.task, workload.target or "")]
    except KeyError:
        raise ValueError(
            f"workload {workload.name}: task {workload.task!r} on {workload.target!r} has no "
            f"gateway API (known: {', '.join('/'.join(k) for k in OPERATIONS_BY_TASK)})"
        ) from None


def _csharp_string(value: str) -> Markup:
    """A C# string literal (JSON escapes are valid C# escapes) escaped for XML element text."""
    return Markup(escape(json.dumps(value)))


def _csharp_value(value: float | tuple[str, ...]) -> Markup:
    """A JSON value as a C# expression assignable to a ``JObject`` property."""
    if isinstance(value, tuple):
        return Markup(f"new JArray({', '.join(_csharp_string(s) for s in value)})")
    return Markup(repr(float(value)))


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(TEMPLATES_PACKAGE, TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["csharp_string"] = _csharp_string
    return env


def _sampling_defaults(workload: WorkloadPlan) -> list[tuple[str, Markup]]:
    """Request fields the gateway fills when a request leaves them out, in a fixed order."""
    gateway = workload.gateway
    defaults: list[tuple[str, Markup]] = [
        (name, _csharp_value(value))
        for name, value in (
            ("temperature", gateway.temperature),
            ("top_p", gateway.top_p),
            ("frequency_penalty", gateway.frequency_penalty),
            ("presence_penalty", gateway.presence_penalty),
        )
        if value is not None
    ]
    if gateway.stop:
        defaults.append(("stop", _csharp_value(tuple(gateway.stop))))
    return defaults


def render_api_policy(
    workload: WorkloadPlan, *, backend_id: str, kind: str, subscription_key: str = "api-key"
) -> str:
    """The API-scope policy XML of ``workload``, routing to ``backend_id`` (a backend or pool).

    ``kind`` is the backend kind, ``"vllm"`` or ``"azure-openai"``; ``subscription_key`` the
    name of the subscription key header (and of the query parameter the policy refuses). The
    retry is the Plan's ``gateway_backends.retry``.
    """
    if kind not in BACKEND_KINDS:
        raise ValueError(f"backend kind {kind!r} is not one of {', '.join(BACKEND_KINDS)}")
    if not is_backend_id(backend_id):
        raise ValueError(f"backend id {backend_id!r}: letters, digits and hyphens, at most 80")
    if workload.gateway_backends is None:
        raise ValueError(f"workload {workload.name}: the Plan has no gateway backend settings")
    retry = workload.gateway_backends.retry
    operations = api_operations(workload)
    ids = {op.operation_id for op in operations}
    generation = [op for op in operations if op in (CHAT_COMPLETIONS, COMPLETIONS)]
    off_hours = workload.aks.autoscaling.off_hours if workload.aks and kind == "vllm" else None
    clock = zone_rule(off_hours.timezone) if off_hours else None
    aoai = workload.azure_openai if kind == "azure-openai" else None
    # Priority processing is asked per request (service_tier; the deployment-level serviceTier
    # is not in the ARM API version the Pulumi SDK types), with the api-version that takes it.
    service_tier = aoai.service_tier if aoai is not None and aoai.service_tier != "default" else ""
    api_version = (aoai.request_api_version if aoai else None) or AZURE_OPENAI_API_VERSION
    models = {
        "object": "list",
        "data": [{"id": workload.name, "object": "model", "owned_by": kind}],
    }
    return (
        _environment()
        .get_template(API_POLICY_TEMPLATE)
        .render(
            workload=workload.name,
            kind=kind,
            backend_id=backend_id,
            operations={
                "list_models": LIST_MODELS.operation_id if LIST_MODELS.operation_id in ids else "",
                "completions": COMPLETIONS.operation_id,
            },
            models_json=Markup(escape(json.dumps(models, separators=(",", ":")))),
            generation_operations=[{"id": op.operation_id} for op in generation],
            max_tokens=workload.gateway.max_tokens,
            defaults=_sampling_defaults(workload),
            tokens_per_minute=workload.gateway.tokens_per_minute,
            metric_namespace=TOKEN_METRIC_NAMESPACE,
            api_version=api_version,
            service_tier=service_tier,
            timeout_s=workload.gateway.timeout_s,
            retry=retry,
            retry_statuses=Markup(
                " || ".join(f"context.Response.StatusCode == {code}" for code in retry.status_codes)
            ),
            subscription_key=subscription_key,
            api_key_named_value=Markup("{{" + VLLM_API_KEY_NAMED_VALUE + "}}"),
            off_hours=off_hours,
            clock=clock,
            window_starts=", ".join(
                str(m) for m in window_starts(off_hours.weekdays, off_hours.start_minute)
            )
            if off_hours
            else "",
        )
    )
