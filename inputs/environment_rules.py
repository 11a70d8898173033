"""Environment rules that span fields or need the catalog or the file system.

Like `spec.workload_rules`, each rule yields ``(field path, message)`` findings for a document
that already passed pydantic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from inferplan.inputs.catalog_view import CatalogView
from inferplan.inputs.did_you_mean import did_you_mean
from inferplan.inputs.environment import EnvironmentDocument
from inferplan.inputs.paths import resolve_workload_globs
from inferplan.inputs.workload_rules import hardware_findings
from inferplan.inputs.yaml_source import FieldPath

Finding = tuple[FieldPath, str]


@dataclass(frozen=True)
class EnvironmentRuleInput:
    """The document, the catalog and the folder its workload globs are relative to."""

    document: EnvironmentDocument
    catalog: CatalogView
    base_dir: Path


Rule = Callable[[EnvironmentRuleInput], Iterator[Finding]]


def regions_are_real(rule: EnvironmentRuleInput) -> Iterator[Finding]:
    spec = rule.document.spec
    regions = rule.catalog.region_geographies()
    if spec.location not in regions:
        hint = did_you_mean(spec.location, regions)
        yield ("spec", "location"), f"unknown Azure region '{spec.location}'{hint}"
    for index, region in enumerate(spec.limits.allowed_regions or ()):
        if region not in regions:
            yield (
                ("spec", "limits", "allowed_regions", index),
                f"unknown Azure region '{region}'" + did_you_mean(region, regions),
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
    for index, pattern in enumerate(rule.document.spec.workloads):
        where = ("spec", "workloads", index)
        if PurePosixPath(pattern).is_absolute() or PureWindowsPath(pattern).is_absolute():
            yield where, "must be relative to the environment file, not an absolute path"
        elif not resolve_workload_globs(rule.base_dir, pattern):
            yield where, f"'{pattern}' matches no file (relative to the environment file)"


def hardware_is_known(rule: EnvironmentRuleInput) -> Iterator[Finding]:
    yield from hardware_findings(rule.document.spec.hardware, ("spec", "hardware"), rule.catalog)


RULES: tuple[Rule, ...] = (
    regions_are_real,
    location_is_allowed,
    workload_globs_match,
    hardware_is_known,
)


def check_environment(rule_input: EnvironmentRuleInput) -> list[Finding]:
    """Every finding of every rule, in rule order."""
    return [finding for rule in RULES for finding in rule(rule_input)]
