"""Environment rules that span fields or need the catalog or the file system.

Like `inputs.workload_rules`, each rule yields ``(field path, message)`` findings for a document
that already passed pydantic.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath, PureWindowsPath

from inputs.catalog_view import CatalogView
from inputs.did_you_mean import did_you_mean, region_hint
from inputs.environment import EnvironmentDocument
from inputs.partial_validation import overlaps
from inputs.paths import glob_leaves_root, project_root, resolve_workload_globs
from inputs.workload_rules import hardware_findings
from inputs.yaml_source import FieldPath

Finding = tuple[FieldPath, str]


@dataclass(frozen=True)
class EnvironmentRuleInput:
    """The document, the catalog, the folder its workload globs are relative to and the folder
    they must stay in (`paths.project_root`)."""

    document: EnvironmentDocument
    catalog: CatalogView
    base_dir: Path
    root: Path | None = None  # None: project_root(base_dir)


Rule = Callable[[EnvironmentRuleInput], Iterator[Finding]]


def regions_are_real(rule: EnvironmentRuleInput) -> Iterator[Finding]:
    spec = rule.document.spec
    regions = rule.catalog.region_geographies()
    aliases = rule.catalog.region_aliases()
    if spec.location not in regions:
        hint = region_hint(spec.location, regions, aliases)
        yield ("spec", "location"), f"unknown Azure region '{spec.location}'{hint}"
    for index, region in enumerate(spec.limits.allowed_regions or ()):
        if region not in regions:
            yield (
                ("spec", "limits", "allowed_regions", index),
                f"unknown Azure region '{region}'" + region_hint(region, regions, aliases),
            )


def location_is_allowed(rule: EnvironmentRuleInput) -> Iterator[Finding]:
    spec = rule.document.spec
    allowed = spec.limits.allowed_regions
    known = rule.catalog.region_geographies()
    if allowed is not None and spec.location in known and spec.location not in allowed:
        yield (
            ("spec", "location"),
            f"location '{spec.location}' is not in limits.allowed_regions ({', '.join(allowed)})",
        )


def workload_globs_match(rule: EnvironmentRuleInput) -> Iterator[Finding]:
    root = rule.root if rule.root is not None else project_root(rule.base_dir)
    for index, pattern in enumerate(rule.document.spec.workloads):
        where = ("spec", "workloads", index)
        if PurePosixPath(pattern).is_absolute() or PureWindowsPath(pattern).is_absolute():
            yield where, "must be relative to the environment file, not an absolute path"
        elif glob_leaves_root(rule.base_dir, pattern, root):
            yield (
                where,
                f"'{pattern}' leaves the project; workload files must be inside it (the "
                "folder above the environment file holding Pulumi.yaml or .git, or above "
                "its stacks/ folder)",
            )
        elif not resolve_workload_globs(rule.base_dir, pattern, root=root):
            yield where, f"'{pattern}' matches no file (relative to the environment file)"


def system_vm_size_is_known(rule: EnvironmentRuleInput) -> Iterator[Finding]:
    """A typo in the system pool's size would fail the cluster's creation, after the network
    and monitoring resources exist; the catalog lists the sizes AKS accepts for system pools."""
    size = rule.document.spec.kubernetes.system_vm_size
    known = rule.catalog.system_vm_sizes()
    if size not in known:
        yield (
            ("spec", "kubernetes", "system_vm_size"),
            f"'{size}' is not a VM size a system node pool may use (at least 4 vCPUs, not "
            f"B-series; catalog kind system_vm_sizes){did_you_mean(size, known)}",
        )


@cache
def _time_zones() -> frozenset[str]:
    """The zones of the tzdata package: the database the gateway's off-hours rule is rendered
    from (`sizing.deploy.zone_clock`), so a zone accepted here also renders. The system's own
    list would admit aliases such as `localtime` that name this machine's zone, not one of
    IANA's."""
    try:
        listing = importlib.resources.files("tzdata").joinpath("zones").read_text()
    except (ModuleNotFoundError, FileNotFoundError):
        return frozenset()
    return frozenset(listing.split())


def working_hours_time_zone_is_known(rule: EnvironmentRuleInput) -> Iterator[Finding]:
    """KEDA's cron scaler loads the zone from the IANA database; an unknown one leaves the
    workloads at zero replicas all day. Checked against the same database, where this machine
    has one (the tzdata package)."""
    kubernetes = rule.document.spec.kubernetes
    zones = _time_zones()
    if not kubernetes.gpu_scale_to_zero or not zones:
        return
    zone = kubernetes.working_hours.timezone
    if zone not in zones:
        yield (
            ("spec", "kubernetes", "working_hours", "timezone"),
            f"unknown IANA time zone '{zone}'{did_you_mean(zone, sorted(zones))}",
        )


def hardware_is_known(rule: EnvironmentRuleInput) -> Iterator[Finding]:
    yield from hardware_findings(rule.document.spec.hardware, ("spec", "hardware"), rule.catalog)


def spot_floor_needs_spot(rule: EnvironmentRuleInput) -> Iterator[Finding]:
    """A floor for spot pools says nothing while spot is off: the author meant to allow it."""
    spot = rule.document.spec.spot
    if spot.min_availability is not None and not spot.allowed:
        yield (
            ("spec", "spot", "min_availability"),
            "min_availability applies to spot pools; set spot.allowed: true or remove it",
        )


_LOCATION: FieldPath = ("spec", "location")
_LIMITS: FieldPath = ("spec", "limits")

# The fields each rule reads; see `workload_rules.RULES`.
RULES: dict[Rule, tuple[FieldPath, ...]] = {
    regions_are_real: (_LOCATION, _LIMITS),
    location_is_allowed: (_LOCATION, _LIMITS),
    workload_globs_match: (("spec", "workloads"),),
    hardware_is_known: (("spec", "hardware"),),
    system_vm_size_is_known: (("spec", "kubernetes", "system_vm_size"),),
    working_hours_time_zone_is_known: (("spec", "kubernetes"),),
    spot_floor_needs_spot: (("spec", "spot"),),
}


def check_environment(
    rule_input: EnvironmentRuleInput, *, untrusted: tuple[FieldPath, ...] = ()
) -> list[Finding]:
    """Every finding of every rule, in rule order, but for rules reading an ``untrusted``
    field."""
    return [
        finding
        for rule, reads in RULES.items()
        if not any(overlaps(read, untrusted) for read in reads)
        for finding in rule(rule_input)
    ]
