"""Compare two revisions of the same stacks: sizing, cost, resources, and what a merge would break.

Pure: each side of a stack is plain data (`StackSide`: the ``plan_to_data`` of its plan, the
offline capture's ``Capture.to_data()``, what each workload's spec asks for, and the head's
policy findings), and `diff_report` turns pairs of sides into a report (plain, JSON-ready data).
`render_markdown` prints that report as one pull-request comment; ``--format json`` prints the
report itself, so both carry the same content. Nothing here reads files, runs Pulumi or looks at
a clock: the same two sides always give the same bytes.

Resources are matched by ``type::name`` (never by URN: URNs embed the mock stack's type chain).
Whether a change replaces a resource comes from `inferplan.immutable_fields`, because the
offline preview cannot ask the providers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from inferplan.review.immutable_fields import create_only_changes, value_at

REPORT_API_VERSION = "inferplan/v1"
COMMENT_MARKER = "<!-- inferplan-diff -->"
LIST_CAP = 20  # resources (and workload field paths) listed before "… and N more"
PATHS_PER_RESOURCE = 8
COMMENT_MAX_CHARS = 60_000  # GitHub rejects comments over 65,536 characters

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
_ENV_FIELDS_SKIPPED = {"monthly_usd", "workloads", "violations"}  # shown as totals and warnings
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


# --- comparing data ------------------------------------------------------------------------------


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
    env = _environment(head)
    cap = env.get("max_monthly_usd")
    monthly = env.get("monthly_usd")
    if cap is not None and monthly is not None and monthly > cap:
        warnings.append(
            {
                "kind": "cost-cap",
                "subject": head.stack,
                "message": f"{_money(monthly)}/month exceeds the environment cap of {_money(cap)}",
                "source": None,
            }
        )
    for violation in env.get("violations") or []:
        if "cap" in violation and cap is not None and monthly is not None and monthly > cap:
            continue  # said above
        warnings.append(
            {"kind": "violation", "subject": head.stack, "message": violation, "source": None}
        )
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


# --- Markdown ------------------------------------------------------------------------------------


def _money(value: float | None) -> str:
    return "-" if value is None else f"${value:,.0f}"


def _signed_money(value: float | None) -> str:
    if value is None:
        return "-"
    sign = "+" if value >= 0 else "-"
    return f"{sign}${abs(value):,.0f}"


def _number(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.1f}" if not value.is_integer() else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "-"
    return str(value)


def _cell(base: Mapping[str, Any] | None, head: Mapping[str, Any] | None, *keys: str) -> str:
    """``a`` when unchanged, ``a → **b**`` when changed; keys are joined with ' / '."""

    def show(side: Mapping[str, Any] | None) -> str:
        if side is None:
            return "-"
        return " / ".join(_number(side.get(k)) for k in keys)

    if base is None:
        return show(head)
    if head is None:
        return show(base)
    a, b = show(base), show(head)
    return a if a == b else f"{a} → **{b}**"


def _gpus(side: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if side is None:
        return None
    if side.get("gpus_per_replica") is None:
        return {"gpus": None}
    return {"gpus": f"{side['gpus_per_replica']} (TP{side['tensor_parallel']})"}


def _openai(side: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if side is None:
        return None
    if side.get("deployment_type") is None:
        return {"openai": None}
    return {"openai": f"{side['deployment_type']} {side['capacity']}"}


def _against_slo(entry: Mapping[str, Any], key: str, slo: Any, unit: str, bound: str) -> str:
    def show(side: Mapping[str, Any] | None) -> str:
        value = side.get(key) if side else None
        if not value:  # None, or 0 tokens/s for embeddings: nothing to compare
            return "-"
        return f"{value:,.0f}{unit}" if unit else f"{value:,.1f}"

    base, head = entry["base"], entry["head"]
    if base is None or head is None:
        text = show(head or base)
    else:
        a, b = show(base), show(head)
        text = a if a == b else f"{a} → **{b}**"
    if slo is None or text == "-":
        return text
    target = f"{slo:,.0f}{unit}" if unit else f"{slo:,.0f}"
    return f"{text} ({bound} {target})"


def _cost_cell(entry: Mapping[str, Any]) -> str:
    base, head = entry["base"], entry["head"]
    before = base["monthly_usd"] if base else None
    after = head["monthly_usd"] if head else None
    if base is None:
        return f"{_money(after)} ({_signed_money(entry['delta_monthly_usd'])})" if after else "-"
    if head is None:
        return f"~~{_money(before)}~~ ({_signed_money(entry['delta_monthly_usd'])})"
    if _money(before) == _money(after):
        return _money(after)
    return f"{_money(before)} → {_money(after)} ({_signed_money(entry['delta_monthly_usd'])})"


def _code_list(items: Sequence[str], cap: int) -> str:
    shown = ", ".join(f"`{item}`" for item in items[:cap])
    return shown + (f", … and {len(items) - cap} more" if len(items) > cap else "")


def _change_text(change: Mapping[str, Any]) -> str:
    return f"{change['label']} {_number(change['base'])} → {_number(change['head'])}"


def _stack_markdown(entry: Mapping[str, Any], cap: int) -> list[str]:
    stack = entry["stack"]
    totals = entry["totals"]
    lines = [f"<!-- inferplan-diff:{stack} -->"]
    status = entry["status"]
    if status == "unchanged":
        count = totals["head_workloads"]
        lines.append(
            f"**`{stack}`: no change** ({count} workload{'s' if count != 1 else ''}, "
            f"{entry['resources']['counts']['head'] or 0} resources, "
            f"{_money(totals['head_monthly_usd'])}/month)."
        )
        lines += _warning_lines(entry["warnings"])
        return lines
    if entry.get("blocked"):
        was = (
            "new environment"
            if status == "added"
            else f"base {_money(totals['base_monthly_usd'])}/month"
        )
        heading = f"### `{stack}`: blocked, the head plan cannot be deployed ({was}; see below)"
    elif status == "added":
        heading = f"### `{stack}`: new environment, {_money(totals['head_monthly_usd'])}/month"
    elif status == "removed":
        heading = (
            f"### `{stack}`: environment removed ({_money(totals['base_monthly_usd'])}/month "
            "no longer planned)"
        )
    elif _money(totals["base_monthly_usd"]) == _money(totals["head_monthly_usd"]):
        heading = f"### `{stack}`: {_money(totals['head_monthly_usd'])}/month (cost unchanged)"
    else:
        heading = (
            f"### `{stack}`: {_money(totals['base_monthly_usd'])} → "
            f"{_money(totals['head_monthly_usd'])}/month "
            f"({_signed_money(totals['delta_monthly_usd'])})"
        )
    cap_value = totals["head_max_monthly_usd"]
    if cap_value is not None and status != "removed":
        heading += f", cap {_money(cap_value)}"
    lines.append(heading)
    lines += _warning_lines(entry["warnings"])
    lines += _workload_table(entry)
    quota = [c for c in entry["settings"] if c["path"].startswith("quota[")]
    settings = [c for c in entry["settings"] if c not in quota]
    if settings:
        changes = [f"`{c['path']}` {_number(c['base'])} → {_number(c['head'])}" for c in settings]
        more = f"; … and {len(changes) - cap} more" if len(changes) > cap else ""
        lines += ["", "Environment settings: " + "; ".join(changes[:cap]) + more]
    if quota:  # a table: each change's request is a sentence, a paragraph of them is unreadable
        lines += ["", "Quota changes:", "", "| quota | base | head |", "|---|---|---|"]
        lines += [
            f"| `{c['path']}` | {_number(c['base'])} | {_number(c['head'])} |" for c in quota[:cap]
        ]
        if len(quota) > cap:
            lines.append(f"| … and {len(quota) - cap} more | | |")
    lines += _resource_lines(entry["resources"], cap)
    return lines


def _warning_lines(warnings: Sequence[Mapping[str, Any]]) -> list[str]:
    if not warnings:
        return []
    lines = ["", "> [!WARNING]"]
    for w in warnings:
        source = f" [{w['source']}]" if w.get("source") else ""
        lines.append(f"> - **{w['kind']}**: {w['message']}{source}")
    return lines


# Plan paths the table or the intent line already shows.
_SHOWN_PATHS = {
    "aks.vm_sku",
    "aks.gpus_per_replica",
    "aks.tensor_parallel",
    "aks.replicas",
    "aks.nodes",
    "aks.precision",
    "azure_openai.deployment_type",
    "azure_openai.capacity",
    "regions",
    "target",
    "model",
    "feasible",
    "max_monthly_usd",
    "template",
}


def _shown_elsewhere(path: str) -> bool:
    return path in _SHOWN_PATHS or path.startswith("residency")


def _workload_table(entry: Mapping[str, Any]) -> list[str]:
    rows = entry["workloads"]
    totals = entry["totals"]
    unchanged = (totals["head_workloads"] or 0) - sum(1 for r in rows if r["status"] != "removed")
    if not rows:
        return ["", f"Workloads: no change ({unchanged} unchanged)."] if unchanged else []
    lines = [
        "",
        "| workload | change | target | VM SKU | GPUs/replica | replicas / nodes | regions "
        "| Azure OpenAI | TTFT p95 | tok/s/req | $/month |",
        "|---|---|---|---|---|---|---|---|---:|---:|---:|",
    ]
    notes: list[str] = []
    for row in rows:
        b, h = row["base"], row["head"]
        slo = row["slo"]
        name = f"~~{row['name']}~~" if row["status"] == "removed" else f"`{row['name']}`"
        lines.append(
            "| "
            + " | ".join(
                [
                    name,
                    row["status"],
                    _cell(b, h, "target"),
                    _cell(b, h, "vm_sku"),
                    _cell(_gpus(b), _gpus(h), "gpus"),
                    _cell(b, h, "replicas", "nodes"),
                    _cell(b, h, "regions"),
                    _cell(_openai(b), _openai(h), "openai"),
                    _against_slo(row, "ttft_p95_ms", slo["ttft_p95_ms"], " ms", "≤"),
                    _against_slo(
                        row, "tps_per_request", slo["output_tokens_per_second_p50"], "", "≥"
                    ),
                    _cost_cell(row),
                ]
            )
            + " |"
        )
        details = [_change_text(c) for c in row["intent_changes"]]
        other = [p for p in row["plan_paths"] if not _shown_elsewhere(p)]
        said = {c["label"] for c in row["intent_changes"]}  # a model change once, not twice
        precision = [
            c
            for c in row["changes"]
            if c["field"] in ("precision", "model") and c["label"] not in said
        ]
        details += [_change_text(c) for c in precision]
        if other:
            details.append("plan also changes " + _code_list(other, 6))
        if details:
            notes.append(f"- `{row['name']}`: " + "; ".join(details))
    if unchanged:
        notes.append(f"- {unchanged} workload{'s' if unchanged != 1 else ''} unchanged.")
    return [*lines, "", *notes] if notes else lines


def _resource_lines(resources: Mapping[str, Any], cap: int) -> list[str]:
    counts = resources["counts"]
    if resources.get("not_compared"):
        sides = " and ".join(resources["not_compared"])
        return ["", f"**Resources:** not compared: the {sides} plan cannot be deployed."]
    total = f"{_number(counts['base'])} → {_number(counts['head'])}"
    if not (counts["added"] or counts["removed"] or counts["changed"]):
        return ["", f"**Resources** (offline preview): no change ({total})."]
    replaced = sum(1 for c in resources["changed"] if c["replace"])
    summary = (
        f"**Resources** (offline preview, {total}): {counts['added']} added, "
        f"{counts['removed']} removed, {counts['changed']} changed"
        + (f" ({replaced} replaced)" if replaced else "")
        + "."
    )
    lines = ["", summary]
    if cap <= 0:
        return lines
    lines += ["", "<details><summary>Resource changes</summary>", ""]
    for label, keys in (("Added", resources["added"]), ("Removed", resources["removed"])):
        if keys:
            lines.append(f"{label}:")
            lines += [f"- `{k}`" for k in keys[:cap]]
            if len(keys) > cap:
                lines.append(f"- … and {len(keys) - cap} more")
            lines.append("")
    if resources["changed"]:
        lines.append("Changed (input paths):")
        shown = resources["changed"][:cap]
        for change in shown:
            paths = _code_list(change["paths"], PATHS_PER_RESOURCE)
            mark = " **replace**" if change["replace"] else ""
            lines.append(f"- `{change['key']}`{mark}: {paths}")
        if len(resources["changed"]) > cap:
            lines.append(f"- … and {len(resources['changed']) - cap} more")
        lines.append("")
    lines.append("</details>")
    return lines


def _chart_label(text: str) -> str:
    """A Mermaid axis label: in double quotes, which the label itself cannot contain."""
    return '"' + text.replace('"', "'") + '"'


def cost_chart(stacks: Sequence[Mapping[str, Any]]) -> list[str]:
    """A Mermaid bar chart (GitHub renders ``mermaid`` code blocks) of each environment's
    monthly cost, base bar beside head bar; an environment missing on one side is $0 there.

    One series with two bars per environment (``dev base``, ``dev head``), because Mermaid's
    xychart draws several bar series on top of each other rather than side by side. A head
    that cannot be deployed is labelled ``dev head (blocked)``; when a workload of it is
    infeasible its bar is $0, since its total leaves that workload out and a shorter bar
    would read as a saving (a head over its cap keeps its full, true total).
    """
    if not stacks:
        return []
    labels: list[str] = []
    values: list[int] = []
    for entry in stacks:
        totals = entry["totals"]
        for side in ("base", "head"):
            blocked = side == "head" and bool(entry.get("blocked"))
            label = f"{entry['stack']} {side}" + (" (blocked)" if blocked else "")
            labels.append(_chart_label(label))
            partial = blocked and any(w["kind"] == "infeasible" for w in entry["warnings"])
            values.append(0 if partial else round(totals[f"{side}_monthly_usd"] or 0))
    top = max(values)
    return [
        "",
        "```mermaid",
        "xychart-beta",
        '    title "Monthly cost per environment, base and head (USD)"',
        f"    x-axis [{', '.join(labels)}]",
        f'    y-axis "USD per month" 0 --> {max(top, 1)}',
        f"    bar [{', '.join(str(v) for v in values)}]",
        "```",
    ]


def render_markdown(report: Mapping[str, Any], *, max_chars: int = COMMENT_MAX_CHARS) -> str:
    """One pull-request comment: a marker for the whole comment, then one section per stack.

    Resource lists shrink (20, then 5, then counts only) until the comment fits ``max_chars``.
    """
    for cap in (LIST_CAP, 5, 0):
        text = _render(report, cap)
        if len(text) <= max_chars:
            return text
    note = "\n\n… (cut to fit a pull-request comment; run `inferplan diff` for the rest)\n"
    return text[: max_chars - len(note)] + note


def _render(report: Mapping[str, Any], cap: int) -> str:
    stacks = report["stacks"]
    changed = [s for s in stacks if s["status"] != "unchanged"]
    lines = [
        COMMENT_MARKER,
        "## inferplan diff",
        "",
        f"`{report['base']}` → `{report['head']}`: "
        + (
            f"{len(changed)} of {len(stacks)} environment{'s' if len(stacks) != 1 else ''} "
            f"changed, {report['warnings']} warning{'s' if report['warnings'] != 1 else ''}."
            if changed
            else "no change in any environment."
        ),
    ]
    lines += cost_chart(stacks)
    for entry in stacks:
        lines.append("")
        lines += _stack_markdown(entry, cap)
    notes = report.get("notes") or []
    if notes:
        lines += ["", *(f"Note: {n}" for n in notes)]
    lines += [
        "",
        "<sub>Offline: sizing and the Pulumi program under mocks, no cloud calls; the base "
        + (
            "planned by its own revision's code and catalogs. "
            if report.get("base_code") == "base"
            else "planned by this version's code. "
        )
        + "Replacements "
        "come from inferplan's table of create-only fields; `pulumi preview` has the last "
        "word.</sub>",
    ]
    return "\n".join(lines) + "\n"
