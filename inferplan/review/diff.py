"""Compare two revisions of the same stacks: sizing, cost, resources, and what a merge would break.

Pure: each side of a stack is plain data (`StackSide`: the ``plan_to_data`` of its plan, the
offline capture's ``Capture.to_data()``, what each workload's spec asks for, and the head's
policy findings), and `diff_report` turns pairs of sides into a report (plain, JSON-ready data).
This module computes the report and writes no Markdown: ``inferplan.review.diff_markdown``
renders it as one pull-request comment, and ``--format json`` prints the report itself, so both
carry the same content. Nothing here reads files, runs Pulumi or looks at a clock: the same two
sides always give the same bytes.

Resources are matched by ``type::name`` (never by URN: URNs embed the mock stack's type chain).
Whether a change replaces a resource comes from `inferplan.review.immutable_fields`, because the
offline preview cannot ask the providers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from inferplan.review.immutable_fields import create_only_changes, value_at

REPORT_API_VERSION = "inferplan/v1"

# Types whose deletion takes endpoints, clusters or data with it: always a warning.
CRITICAL_TYPES = {
    "azure-native:containerservice:ManagedCluster": "the AKS cluster and every workload on it",
    "azure-native:apimanagement:ApiManagementService": "the gateway endpoint every client calls",
    "azure-native:cognitiveservices:Account": "the Azure OpenAI endpoint and its deployments",
    "azure-native:resources:ResourceGroup": "everything in the resource group",
    "azure-native:operationalinsights:Workspace": "the logs kept so far",
}
AGENT_POOL = "azure-native:containerservice:AgentPool"
WORKLOAD_LABEL_PREFIX = "workload.inferplan.io/"

# What a workload's spec asks for, as the diff shows it (key → label).
INTENT_LABELS: Mapping[str, str] = {
    "template": "template",
    "model": "model",
    "deployment": "deployment",
    "precision": "allowed precisions",
    "max_input_tokens": "max input tokens",
    "max_output_tokens": "max output tokens",
    "peak_concurrency": "peak concurrency",
    "peak_requests_per_minute": "peak requests/min",
    "slo_ttft_p95_ms": "SLO TTFT p95 (ms)",
    "slo_output_tokens_per_second_p50": "SLO tok/s p50",
    "slo_availability": "SLO availability (%)",
    "allowed_regions": "allowed regions",
    "max_monthly_usd": "cost cap ($/month)",
}

# The sized result per workload (key → label), in table order.
SUMMARY_LABELS: Mapping[str, str] = {
    "feasible": "feasible",
    "target": "target",
    "vm_sku": "VM SKU",
    "gpus_per_replica": "GPUs per replica",
    "tensor_parallel": "tensor parallel",
    "precision": "precision",
    "replicas": "replicas",
    "nodes": "nodes",
    "regions": "regions",
    "deployment_type": "deployment type",
    "capacity": "capacity",
    "model": "model",
    "ttft_p95_ms": "TTFT p95 (ms)",
    "tps_per_request": "tok/s per request",
    "monthly_usd": "$/month",
}
# Workload plan fields the summary covers or that only explain (not compared path by path).
# Environment fields shown elsewhere: totals, warnings, and the pools and accounts that restate
# the workloads' own plans (their changes show in the workload table and the resources).
_ENV_FIELDS_SKIPPED = {
    "monthly_usd",
    "workloads_monthly_usd",
    "fixed_costs",
    "workloads",
    "violations",
    "node_pools",
    "openai_accounts",
    # shared GPU pools: their changes show in the totals and the agent pools (resources)
    "packing",
    "packing_declined",
}
_PLAN_FIELDS_SKIPPED = {"reasons", "alternatives", "source", "predicted", "cost", "environment"}


@dataclass(frozen=True)
class StackSide:
    """One stack as one revision plans and previews it (plain data, see the module docstring)."""

    stack: str
    plan: Mapping[str, Any]  # plan_to_data() of this stack's plan
    resources: Sequence[Mapping[str, Any]] | None  # Capture.to_data(); None: program refused
    blocked: tuple[str, ...] = ()
    intent: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # workload → spec
    findings: tuple[Mapping[str, Any], ...] = ()  # mandatory policy findings (head side only)
    side_name: str = "head"  # "base" or "head", for messages


def _key_path(prefix: str, key: str) -> str:
    plain = key.replace("_", "").replace("-", "").isalnum()
    if not plain:
        return f'{prefix}["{key}"]'
    return f"{prefix}.{key}" if prefix else key


def changed_paths(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Dotted paths where two JSON-like values differ (keys sorted; lists of objects by index).

    A key present on one side only is reported at the key; a list of scalars counts as one
    value; keys with dots or slashes (labels such as ``nvidia.com/gpu``) are quoted in brackets.
    """
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        found: list[str] = []
        for key in sorted(set(old) | set(new), key=str):
            path = _key_path(prefix, str(key))
            if key not in old or key not in new:
                found.append(path)
            else:
                found += changed_paths(old[key], new[key], path)
        return found
    if (
        isinstance(old, list)
        and isinstance(new, list)
        and len(old) == len(new)
        and any(isinstance(v, Mapping | list) for v in [*old, *new])
    ):
        found = []
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            found += changed_paths(a, b, f"{prefix}[{index}]")
        return found
    return [] if old == new else [prefix or "(value)"]


def workload_summary(w: Mapping[str, Any]) -> dict[str, Any]:
    """What a reviewer compares first: where and on what a workload runs, how fast, for how much."""
    aks = w.get("aks") or {}
    openai = w.get("azure_openai") or {}
    predicted = w.get("predicted") or {}
    cost = w.get("cost") or {}
    return {
        "feasible": w.get("feasible"),
        "target": w.get("target"),
        "vm_sku": aks.get("vm_sku"),
        "gpus_per_replica": aks.get("gpus_per_replica"),
        "tensor_parallel": aks.get("tensor_parallel"),
        "precision": aks.get("precision"),
        "replicas": aks.get("replicas"),
        "nodes": aks.get("nodes"),
        "regions": list(w.get("regions") or []),
        "deployment_type": openai.get("deployment_type"),
        "capacity": (f"{openai.get('capacity')} {openai.get('capacity_unit')}" if openai else None),
        "model": w.get("model"),
        "ttft_p95_ms": predicted.get("ttft_p95_ms"),
        "tps_per_request": predicted.get("tps_per_request"),
        "monthly_usd": cost.get("monthly_usd"),
    }


def _field_changes(
    base: Mapping[str, Any], head: Mapping[str, Any], labels: Mapping[str, str]
) -> list[dict[str, Any]]:
    return [
        {"field": key, "label": label, "base": base.get(key), "head": head.get(key)}
        for key, label in labels.items()
        if base.get(key) != head.get(key)
    ]


def _round_money(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _delta(base: float | None, head: float | None) -> float | None:
    if base is None and head is None:
        return None
    return round((head or 0.0) - (base or 0.0), 2)


def _workloads_by_name(side: StackSide | None) -> dict[str, Mapping[str, Any]]:
    if side is None:
        return {}
    return {w["name"]: w for w in side.plan.get("workloads", [])}


def _environment(side: StackSide | None) -> Mapping[str, Any]:
    if side is None:
        return {}
    environments = side.plan.get("environments") or []
    return environments[0] if environments else {}


def _workload_diffs(base: StackSide | None, head: StackSide | None) -> list[dict[str, Any]]:
    before, after = _workloads_by_name(base), _workloads_by_name(head)
    base_intent = base.intent if base else {}
    head_intent = head.intent if head else {}
    diffs: list[dict[str, Any]] = []
    for name in sorted(set(before) | set(after)):
        b, h = before.get(name), after.get(name)
        b_sum = workload_summary(b) if b else None
        h_sum = workload_summary(h) if h else None
        entry: dict[str, Any] = {
            "name": name,
            "status": "added" if b is None else "removed" if h is None else "changed",
            "base": b_sum,
            "head": h_sum,
            "slo": _slo(head_intent.get(name) or base_intent.get(name) or {}),
            "delta_monthly_usd": _delta(
                b_sum["monthly_usd"] if b_sum else None, h_sum["monthly_usd"] if h_sum else None
            ),
            "changes": [],
            "intent_changes": [],
            "plan_paths": [],
        }
        if b is not None and h is not None:
            entry["changes"] = _field_changes(b_sum or {}, h_sum or {}, SUMMARY_LABELS)
            entry["intent_changes"] = _field_changes(
                base_intent.get(name) or {}, head_intent.get(name) or {}, INTENT_LABELS
            )
            trimmed_b = {k: v for k, v in b.items() if k not in _PLAN_FIELDS_SKIPPED}
            trimmed_h = {k: v for k, v in h.items() if k not in _PLAN_FIELDS_SKIPPED}
            entry["plan_paths"] = changed_paths(trimmed_b, trimmed_h)
            if not (entry["changes"] or entry["intent_changes"] or entry["plan_paths"]):
                continue
        diffs.append(entry)
    return diffs


def _slo(intent: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "ttft_p95_ms": intent.get("slo_ttft_p95_ms"),
        "output_tokens_per_second_p50": intent.get("slo_output_tokens_per_second_p50"),
    }


def _resource_index(side: StackSide | None) -> dict[str, Mapping[str, Any]]:
    if side is None or side.resources is None:
        return {}
    return {f"{r['type']}::{r['name']}": r for r in side.resources}


def _comparable(resource: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "inputs": resource.get("inputs") or {},
        "options": resource.get("options") or {},
        "parent": resource.get("parent"),
        "provider": resource.get("provider"),
    }


def _resource_paths(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Changed input paths as written (``vmSize``), then ``options.*``, ``parent``, ``provider``."""
    a, b = _comparable(old), _comparable(new)
    paths = changed_paths(a["inputs"], b["inputs"])
    paths += [f"options.{p}" for p in changed_paths(a["options"], b["options"])]
    paths += [k for k in ("parent", "provider") if a[k] != b[k]]
    return paths


def _resource_diff(
    base: StackSide | None, head: StackSide | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Added, removed and changed resources, and the warnings their changes raise."""
    before, after = _resource_index(base), _resource_index(head)
    unpreviewed = [s.side_name for s in (base, head) if s is not None and s.resources is None]
    if unpreviewed:
        # One side's program refuses to run: comparing with nothing would list every
        # resource as added or removed, which is not what a merge would do.
        before, after = {}, {}
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    for key in sorted(set(before) & set(after)):
        old, new = before[key], after[key]
        paths = _resource_paths(old, new)
        if not paths:
            continue
        hits = create_only_changes(
            new["type"],
            paths,
            {**(old.get("inputs") or {}), "parent": old.get("parent")},
            {**(new.get("inputs") or {}), "parent": new.get("parent")},
        )
        changed.append(
            {
                "key": key,
                "paths": paths,
                "replace": any(h.field.effect == "replace" for h in hits),
            }
        )
        warnings += [_create_only_warning(key, new, hit) for hit in hits]
    for key in removed:
        old = before[key]
        if old["type"] in CRITICAL_TYPES:
            warnings.append(
                {
                    "kind": "delete",
                    "subject": key,
                    "message": f"{_short(key)} is deleted, and with it "
                    f"{CRITICAL_TYPES[old['type']]}",
                    "source": None,
                }
            )
    counts = {
        "base": len(base.resources) if base and base.resources is not None else None,
        "head": len(head.resources) if head and head.resources is not None else None,
        "added": len(added),
        "removed": len(removed),
        "changed": len(changed),
    }
    resources = {"counts": counts, "added": added, "removed": removed, "changed": changed}
    resources["not_compared"] = unpreviewed
    return resources, warnings


def money(value: float | None) -> str:
    """Dollars as the report's sentences and the comment write them: ``$1,839``, or ``-``."""
    return "-" if value is None else f"${value:,.0f}"


def _short(key: str) -> str:
    """``AgentPool aks-weu-nc4as0e34a10`` for ``azure-native:containerservice:AgentPool::…``."""
    type_, _, name = key.partition("::")
    return f"{type_.rsplit(':', 1)[-1].rsplit('/', 1)[-1]} {name}"


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{…}"
    return "(none)" if value is None else str(value)


def _create_only_warning(key: str, resource: Mapping[str, Any], hit: Any) -> dict[str, Any]:
    row = hit.field
    options = resource.get("options") or {}
    where = f"`{hit.path}` {_show(hit.old)} → {_show(hit.new)}"
    if row.effect == "replace":
        message = f"{_short(key)} is replaced: {where}; {row.why}"
        if resource["type"] == "azure-native:containerservice:ManagedCluster":
            message += ". Stop the line: every pool and workload on the cluster goes with it"
        if options.get("deleteBeforeReplace"):
            message += ". deleteBeforeReplace is set: the old one goes first (an outage)"
        if options.get("protect"):
            message += ". It is protected: `pulumi up` refuses until protect is lifted"
    else:
        message = f"{_short(key)} is disrupted: {where}; {row.why}"
    return {"kind": row.effect, "subject": key, "message": message, "source": row.source}


def _pool_warnings(
    base: StackSide | None, head: StackSide | None, resources: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """A GPU pool deleted while a workload that ran on it still exists in the head plan."""
    before, after = _resource_index(base), _resource_index(head)
    head_workloads = _workloads_by_name(head)
    warnings = []
    for key in resources["removed"]:
        pool = before[key]
        if pool["type"] != AGENT_POOL:
            continue
        inputs = pool.get("inputs") or {}
        labels = inputs.get("nodeLabels") or {}
        users = sorted(
            label.removeprefix(WORKLOAD_LABEL_PREFIX)
            for label in labels
            if label.startswith(WORKLOAD_LABEL_PREFIX)
        )
        for name in users:
            w = head_workloads.get(name)
            if w is None or not w.get("feasible"):
                continue
            successors = [
                k
                for k in resources["added"]
                if k.startswith(AGENT_POOL + "::")
                and f"{WORKLOAD_LABEL_PREFIX}{name}"
                in ((after[k].get("inputs") or {}).get("nodeLabels") or {})
            ]
            aks = w.get("aks") or {}
            target = (
                f"{aks.get('vm_sku')} in {', '.join(w.get('regions') or [])}"
                if aks
                else f"{w.get('target')}"
            )
            kind = "pool-replaced" if successors else "pool-removed"
            if successors:
                moves = ", ".join(f"{_short(k)}" for k in successors)
                message = (
                    f"{_short(key)} ({inputs.get('vmSize')}) is deleted while `{name}` still "
                    f"runs on it; it moves to {moves} ({target}). Pulumi creates the new pool "
                    "before deleting this one (create before delete): GPU quota for both is "
                    "needed during the update, and the model server's pods restart"
                )
            else:
                message = (
                    f"{_short(key)} ({inputs.get('vmSize')}) is deleted while `{name}` still "
                    f"runs on it and no new pool takes it over ({target})"
                )
            warnings.append({"kind": kind, "subject": key, "message": message, "source": None})
    return warnings


def _plan_warnings(
    base: StackSide | None, head: StackSide | None, workloads: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    warnings: list[dict[str, Any]] = []
    if head is None:
        return warnings
    for violation in _environment(head).get("violations") or []:
        if violation["kind"] == "cost-cap":  # from its figures, in the comment's money format
            planned, cap = money(violation["planned"]), money(violation["limit"])
            kind, message = "cost-cap", f"{planned}/month exceeds the environment cap of {cap}"
        else:
            kind, message = "violation", violation["message"]
        warnings.append({"kind": kind, "subject": head.stack, "message": message, "source": None})
    base_warnings = {
        (w["name"], x["kind"], x["message"])
        for w in (base.plan.get("workloads", []) if base else [])
        for x in w.get("warnings") or []
    }
    for w in head.plan.get("workloads", []):
        if not w.get("feasible"):
            warnings.append(
                {
                    "kind": "infeasible",
                    "subject": w["name"],
                    "message": f"`{w['name']}` is infeasible: {w.get('infeasible_reason')}",
                    "source": None,
                }
            )
        for x in w.get("warnings") or []:  # the plan's own warnings that the head adds
            if (w["name"], x["kind"], x["message"]) in base_warnings:
                continue
            warnings.append(
                {
                    "kind": "plan",
                    "subject": w["name"],
                    "message": f"`{w['name']}` ({x['kind']}): {x['message']}",
                    "source": None,
                }
            )
    if head.resources is None:
        for reason in head.blocked:
            warnings.append(
                {"kind": "blocked", "subject": head.stack, "message": reason, "source": None}
            )
    for entry in workloads:
        b, h = entry["base"], entry["head"]
        if b and h and b["regions"] != h["regions"] and b["regions"] and h["regions"]:
            warnings.append(
                {
                    "kind": "region",
                    "subject": entry["name"],
                    "message": (
                        f"`{entry['name']}` moves from {', '.join(b['regions'])} to "
                        f"{', '.join(h['regions'])}: new capacity there, the old region's "
                        "resources are deleted"
                    ),
                    "source": None,
                }
            )
    for finding in head.findings:
        where = f" on `{finding.get('resource')}`" if finding.get("resource") else ""
        fix = f" Fix: {finding['fix']}" if finding.get("fix") else ""
        text = str(finding.get("message") or "").rstrip(".")
        warnings.append(
            {
                "kind": "policy",
                "subject": finding.get("resource") or head.stack,
                "message": f"policy `{finding.get('rule')}`{where}: {text}.{fix}",
                "source": finding.get("source"),
            }
        )
    return warnings


_WARNING_ORDER = {
    "replace": 0,
    "delete": 1,
    "pool-removed": 2,
    "pool-replaced": 2,
    "interrupt": 3,
    "region": 4,
    "cost-cap": 5,
    "violation": 6,
    "infeasible": 7,
    "blocked": 8,
    "policy": 9,
    "plan": 9,
    "environment-removed": 10,
}


def diff_stack(stack: str, base: StackSide | None, head: StackSide | None) -> dict[str, Any]:
    """One environment's part of the report."""
    workloads = _workload_diffs(base, head)
    resources, resource_warnings = _resource_diff(base, head)
    warnings = resource_warnings + _pool_warnings(base, head, resources)
    warnings += _plan_warnings(base, head, workloads)
    if base is not None and head is None:
        warnings.append(
            {
                "kind": "environment-removed",
                "subject": stack,
                "message": (
                    f"stacks/{stack}.yaml is gone, but merging destroys nothing: its Pulumi "
                    "stack and resources stay until someone runs `pulumi destroy` for it"
                ),
                "source": None,
            }
        )
    warnings.sort(key=lambda w: (_WARNING_ORDER.get(w["kind"], 99), w["subject"], w["message"]))
    b_env, h_env = _environment(base), _environment(head)
    settings = (
        [
            {"path": p, "base": value_at(b_env, p), "head": value_at(h_env, p)}
            for p in changed_paths(
                {k: v for k, v in b_env.items() if k not in _ENV_FIELDS_SKIPPED},
                {k: v for k, v in h_env.items() if k not in _ENV_FIELDS_SKIPPED},
            )
        ]
        if base and head
        else []
    )
    base_total = _round_money(b_env.get("monthly_usd")) if base else None
    head_total = _round_money(h_env.get("monthly_usd")) if head else None
    counts = resources["counts"]
    changed = bool(
        workloads
        or settings
        or counts["added"]
        or counts["removed"]
        or counts["changed"]
        or base_total != head_total
        or (base and head and base.blocked != head.blocked)
    )
    status = (
        "added"
        if base is None
        else "removed"
        if head is None
        else "changed"
        if changed
        else "unchanged"
    )
    return {
        "stack": stack,
        "environment": h_env.get("name") or b_env.get("name") or stack,
        "status": status,
        # The head plan cannot be deployed (an infeasible workload, a broken cap): its total
        # leaves those workloads out, so the cost delta is no saving.
        "blocked": bool(head is not None and head.blocked),
        "totals": {
            "base_monthly_usd": base_total,
            "head_monthly_usd": head_total,
            "delta_monthly_usd": _delta(base_total, head_total),
            "base_max_monthly_usd": b_env.get("max_monthly_usd"),
            "head_max_monthly_usd": h_env.get("max_monthly_usd"),
            "base_workloads": len(_workloads_by_name(base)) if base else None,
            "head_workloads": len(_workloads_by_name(head)) if head else None,
        },
        "settings": settings,
        "workloads": workloads,
        "resources": resources,
        "warnings": warnings,
    }


def diff_report(
    pairs: Iterable[tuple[str, StackSide | None, StackSide | None]],
    *,
    base_label: str,
    head_label: str = "working tree",
) -> dict[str, Any]:
    """The whole report: one entry per stack (sorted), and whether anything changed."""
    stacks = [diff_stack(stack, base, head) for stack, base, head in sorted(pairs, key=_first)]
    return {
        "apiVersion": REPORT_API_VERSION,
        "kind": "PlanDiff",
        "base": base_label,
        "head": head_label,
        "changed": any(s["status"] != "unchanged" for s in stacks),
        "warnings": sum(len(s["warnings"]) for s in stacks),
        "stacks": stacks,
    }


def _first(pair: tuple[str, Any, Any]) -> str:
    return pair[0]
