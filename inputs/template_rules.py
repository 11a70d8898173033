"""Template rules that span fields, and the bound checks templates and workloads share.

pydantic checks a template's fields one by one (the ``fixed`` and ``defaults`` values with the
workload's own types and ranges). The rules here check what only the whole template can say:
every overridable path is a real spec field and its bounds fit the field's type, nothing is both
fixed and overridable, defaults lie inside their bounds, required fields can be set, and every
field a workload needs can come from somewhere. Findings are ``(field path, message)`` in the
template file, like `inputs.workload_rules`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import ValidationError

from inputs.did_you_mean import did_you_mean
from inputs.pydantic_errors import error_message
from inputs.template import (
    REQUIRABLE_METADATA,
    SPEC_FIELD_KINDS,
    WORKLOAD_REQUIRED_FIELDS,
    WORKLOAD_REQUIRED_ONE_OF,
    Bound,
    PartialWorkloadSpec,
    TemplateBound,
    WorkloadTemplateDocument,
    covers,
    dump_written,
    leaf_paths,
    show_value,
    value_at,
)
from inputs.yaml_source import FieldPath

Finding = tuple[FieldPath, str]

_OVERRIDABLE: FieldPath = ("spec", "overridable")
_NUMERIC = ("integer", "number")


def _nested(path: str, value: Any) -> dict[str, Any]:
    data: Any = value
    for part in reversed(path.split(".")):
        data = {part: data}
    return data


def normalise_value(path: str, value: Any) -> tuple[Any, str | None]:
    """``value`` validated as the spec field at ``path`` would be: ``(normalised, None)`` or
    ``(None, message)``. ``BF16`` for precision becomes ``("bf16",)``."""
    try:
        parsed = PartialWorkloadSpec.model_validate(_nested(path, value))
    except ValidationError as error:
        detail = error.errors()[0]
        return None, error_message(detail, PartialWorkloadSpec, tuple(detail["loc"]))
    return value_at(dump_written(parsed), path)[1], None


def _allowed_values(
    key: str, kind: str, name: str, values: tuple[Any, ...]
) -> tuple[tuple[Any, ...], list[Finding]]:
    """Each bound value checked as a value of the field (an item, for list fields)."""
    normalised: list[Any] = []
    findings: list[Finding] = []
    for index, value in enumerate(values):
        result, problem = normalise_value(key, [value] if kind == "list" else value)
        if problem is not None:
            findings.append(((*_OVERRIDABLE, key, name, index), f"not a valid {key}: {problem}"))
            continue
        normalised += list(result) if kind == "list" else [result]
    return tuple(dict.fromkeys(normalised)), findings


def _bound(key: str, bound: Bound | None) -> tuple[TemplateBound | None, list[Finding]]:
    """One overridable entry checked against its field and normalised; None when unusable."""
    where: FieldPath = (*_OVERRIDABLE, key)
    kind = SPEC_FIELD_KINDS.get(key)
    if kind is None:
        hint = did_you_mean(key, SPEC_FIELD_KINDS)
        if key.startswith("spec.") and key[5:] in SPEC_FIELD_KINDS:
            hint = f"; write paths relative to spec: '{key[5:]}'"
        elif key == "template" or key.startswith("metadata."):
            hint = "; only spec fields can be overridden (metadata is always the team's)"
        return None, [(where, f"'{key}' is not a workload spec field{hint}")]
    bound = bound or Bound()
    findings: list[Finding] = []
    numeric = bound.min is not None or bound.max is not None
    listed = bound.one_of is not None or bound.subset_of is not None
    if kind == "section" and (numeric or listed):
        message = f"'{key}' is a section; it takes no bounds (bound the fields under it instead)"
        findings.append((where, message))
    if numeric and kind not in _NUMERIC:
        name = "min" if bound.min is not None else "max"
        message = f"min and max apply to numbers; '{key}' holds a {kind}"
        findings.append(((*where, name), message))
    if bound.subset_of is not None and kind != "list":
        message = f"subset_of applies to lists; '{key}' holds one {kind} (use one_of)"
        findings.append(((*where, "subset_of"), message))
    if bound.one_of is not None and bound.subset_of is not None:
        findings.append((where, "give one_of or subset_of, not both"))
    if numeric and listed:
        findings.append((where, "give min/max or a list of values, not both"))
    for name, limit in (("min", bound.min), ("max", bound.max)):
        if limit is not None and kind in _NUMERIC:  # a bound no workload value could equal
            problem = normalise_value(key, limit)[1]
            if problem is not None:
                findings.append(((*where, name), f"{name} {limit} is not a valid {key}: {problem}"))
    if bound.min is not None and bound.max is not None and bound.min > bound.max:
        message = f"min {bound.min} is more than max {bound.max}"
        findings.append(((*where, "min"), message))
    allowed: tuple[Any, ...] | None = None
    values = bound.one_of if bound.one_of is not None else bound.subset_of
    if values is not None and kind != "section":
        name = "one_of" if bound.one_of is not None else "subset_of"
        allowed, problems = _allowed_values(key, kind, name, values)
        findings += problems
    if findings:
        return None, findings
    return (
        TemplateBound(key, kind, bound.min, bound.max, allowed, bound.description),
        [],
    )


def bound_violations(
    bound: TemplateBound, value: Any, ref: str
) -> Iterator[tuple[int | None, str]]:
    """Where (list item index or None) and why ``value`` leaves ``bound`` of template ``ref``.

    ``value`` is validated and normalised (a tuple for list fields); None is never checked.
    """
    if value is None:
        return
    got = show_value(value)
    if bound.minimum is not None and value < bound.minimum:
        yield None, f"must be at least {_number(bound.minimum)} under template {ref}, got {got}"
    if bound.maximum is not None and value > bound.maximum:
        yield None, f"must be at most {_number(bound.maximum)} under template {ref}, got {got}"
    if bound.allowed is None:
        return
    allowed_text = ", ".join(str(item) for item in bound.allowed)
    names = [str(item) for item in bound.allowed]
    if bound.kind == "list":
        for index, item in enumerate(value):
            if item not in bound.allowed:
                hint = did_you_mean(item, names) if isinstance(item, str) else ""
                yield (
                    index,
                    f"{show_value(item)} is not allowed by template {ref}; allowed: "
                    f"{allowed_text}{hint}",
                )
    elif value not in bound.allowed:
        hint = did_you_mean(value, names) if isinstance(value, str) else ""
        yield (
            None,
            f"must be one of {allowed_text} under template {ref}, got {show_value(value)}{hint}",
        )


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def check_template(
    document: WorkloadTemplateDocument,
) -> tuple[dict[str, TemplateBound], list[Finding]]:
    """The template's normalised bounds, and every finding of every rule."""
    spec = document.spec
    ref = f"{document.metadata.name}@{document.metadata.version}"
    fixed = dump_written(spec.fixed)
    defaults = dump_written(spec.defaults)
    fixed_paths = list(leaf_paths(fixed))
    default_paths = list(leaf_paths(defaults))
    bounds: dict[str, TemplateBound] = {}
    findings: list[Finding] = []

    for key, written in spec.overridable.items():
        bound, problems = _bound(key, written)
        findings += problems
        clash = next((p for p in fixed_paths if covers(key, p) or covers(p, key)), None)
        if clash is not None:
            message = f"'{clash}' is fixed by this template; a field is fixed or overridable"
            findings.append(((*_OVERRIDABLE, key), message))
        if bound is not None:
            bounds[key] = bound
    opened = list(spec.overridable)

    for path in default_paths:
        where: FieldPath = ("spec", "defaults", *path.split("."))
        entry = next((key for key in opened if covers(key, path)), None)
        if entry is None:
            message = "not overridable; move it to fixed, or list it under overridable"
            findings.append((where, message))
            continue
        if entry in bounds and entry == path:
            value = value_at(defaults, path)[1]
            for index, message in bound_violations(bounds[entry], value, ref):
                findings.append(((*where, index) if index is not None else where, message))

    seen: set[str] = set()
    for index, path in enumerate(spec.required):
        where = ("spec", "required", index)
        if path in seen:
            findings.append((where, f"'{path}' is listed twice"))
            continue
        seen.add(path)
        if path in REQUIRABLE_METADATA:
            continue
        if path not in SPEC_FIELD_KINDS:
            hint = did_you_mean(path, [*SPEC_FIELD_KINDS, *REQUIRABLE_METADATA])
            findings.append((where, f"'{path}' is not a workload field{hint}"))
        elif not any(covers(key, path) for key in opened):
            message = f"'{path}' is required but not overridable; list it under overridable"
            findings.append((where, message))
        elif any(covers(path, p) for p in default_paths):
            message = f"'{path}' has a default, so a workload need not set it; drop one of them"
            findings.append((where, message))

    supplied = [*fixed_paths, *default_paths]

    def reachable(path: str) -> bool:
        return any(covers(p, path) or covers(path, p) for p in supplied) or any(
            covers(key, path) for key in opened
        )

    groups = [(path,) for path in WORKLOAD_REQUIRED_FIELDS] + list(WORKLOAD_REQUIRED_ONE_OF)
    for group in groups:
        if any(reachable(path) for path in group):
            continue
        others = "".join(f" (or '{path}')" for path in group[1:])
        message = (
            f"every workload needs '{group[0]}'{others}, but this template neither fixes, "
            "defaults nor lets a workload set it"
        )
        findings.append((("spec",), message))
    return bounds, findings


def written_spec_paths(spec: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    """Dotted paths a workload's raw ``spec`` mapping sets, walking into known sections.

    Unknown keys are skipped: pydantic reports them (with a did-you-mean) on the merged spec.
    """
    for key, value in spec.items():
        path = f"{prefix}{key}"
        kind = SPEC_FIELD_KINDS.get(path)
        if kind is None:
            continue
        if kind == "section" and isinstance(value, Mapping):
            yield from written_spec_paths(value, f"{path}.")
        else:
            yield path
