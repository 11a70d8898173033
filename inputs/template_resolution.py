"""Resolve a workload that names a template: find the template, check, merge.

The order is the one a reader expects: the template's ``defaults``, then the workload's own
fields, then the template's ``fixed`` values on top. Before merging, every field the workload
writes must be one the template opens (``overridable``), and every field the template requires
must be there; after pydantic has validated the merged workload, the values the workload wrote
must lie inside their bounds. All of these are reported at the workload's own line.

The merged workload keeps one source map (`ResolvedSourceMap`) that knows which values came from
the template: a later problem about such a value (a context window exceeded by a fixed
``max_output_tokens``) points at the workload's ``spec.template`` line and names the template
file and line the value was set on.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from inputs.did_you_mean import closest, suggestion_text
from inputs.errors import Problem, SpecError, SpecValidationError
from inputs.field_types import PATTERN_MESSAGES, TEMPLATE_REF_PATTERN
from inputs.pydantic_errors import describe_value
from inputs.template import (
    TemplateLibrary,
    WorkloadTemplate,
    covers,
    show_value,
    value_at,
    version_key,
)
from inputs.template_rules import bound_violations, written_spec_paths
from inputs.workload import WorkloadSpec
from inputs.yaml_source import FieldPath, SourceMap, YamlDocument, format_path

TEMPLATE_FIELD: FieldPath = ("spec", "template")


@dataclass(frozen=True)
class ResolvedSourceMap(SourceMap):
    """A workload's source map that also knows the values its template supplied.

    ``template_paths`` maps a workload field path (``("spec", "model")``) to where the template
    file sets it (``("spec", "fixed", "model")``) for every value the workload itself does not.
    """

    template_ref: str = ""
    template_map: SourceMap | None = None
    template_paths: Mapping[FieldPath, FieldPath] = field(default_factory=dict)

    def written(self, path: FieldPath) -> bool:
        return path in self.values or path in self.template_paths

    def problem(self, path: FieldPath, message: str, *, at_key: bool = False) -> Problem:
        """At the workload's own text when it wrote ``path`` (or the part of it that failed),
        else at its ``spec.template`` line, naming where the template sets the value."""
        for depth in range(len(path), 1, -1):
            here = path[:depth]
            if here in self.values or here in self.keys:
                break
            if here in self.template_paths and self.template_map is not None:
                origin = self.template_map.locate(self.template_paths[here], at_key=at_key)
                anchor = self.locate(TEMPLATE_FIELD)
                text = (
                    f"{message} (value from template {self.template_ref}, "
                    f"{self.template_map.file}:{origin.line}:{origin.col})"
                )
                return Problem(self.file, anchor.line, anchor.col, format_path(path), text)
        return super().problem(path, message, at_key=at_key)


@dataclass(frozen=True)
class Resolution:
    """The merged workload data, its source map and what the template rules found before
    validation; `bound_problems` adds the checks that need the validated values."""

    template: WorkloadTemplate
    data: dict[str, Any]
    source_map: ResolvedSourceMap
    problems: tuple[Problem, ...]
    missing_required: tuple[FieldPath, ...]
    written: tuple[str, ...]  # spec paths the workload sets itself

    def document(self, original: YamlDocument) -> YamlDocument:
        return YamlDocument(original.file, original.index, self.data, self.source_map)

    def drop_echoes(self, problems: Iterable[Problem]) -> list[Problem]:
        """pydantic's "required field is missing" for a field the template requires says the
        same as the template's message; keep the template's."""
        missing = {format_path(path) for path in self.missing_required}
        return [
            problem
            for problem in problems
            if not (
                problem.message == "required field is missing"
                and any(m == problem.field or m.startswith(problem.field + ".") for m in missing)
            )
        ]

    def bound_problems(self, spec: WorkloadSpec) -> list[Problem]:
        """The values the workload wrote that leave their bounds, at the workload's lines."""
        problems: list[Problem] = []
        for path in self.written:
            bound = self.template.bounds.get(path)
            if bound is None:
                continue
            value: Any = spec
            for part in path.split("."):
                value = getattr(value, part, None)
            where: FieldPath = ("spec", *path.split("."))
            for index, message in bound_violations(bound, value, self.template.ref):
                item = (*where, index)
                at = item if index is not None and item in self.source_map.values else where
                problems.append(self.source_map.problem(at, message))
        return problems


class UnknownTemplateError(LookupError):
    """A template name or version that is not published; the message says what is."""


def published_version(templates: TemplateLibrary, name: str, asked: str | None) -> str:
    """The published version of ``name`` that ``asked`` names (``2`` finds ``2.0``), or the
    latest when ``asked`` is None; `UnknownTemplateError` with suggestions otherwise."""
    names = list(templates.template_names())
    if name not in names:
        hint = suggestion_text(closest(name, names))
        known = f"known: {', '.join(names)}" if names else "no templates found"
        raise UnknownTemplateError(
            f"unknown template '{name}'{hint} ({known}; searched {templates.describe_search()})"
        )
    versions = list(templates.versions(name))
    if asked is None:
        return versions[-1]
    version = next((v for v in versions if version_key(v) == version_key(asked)), None)
    if version is None:
        raise UnknownTemplateError(
            f"template '{name}' has no version {asked}; published versions: "
            f"{', '.join(versions)} (latest: {name}@{versions[-1]})"
        )
    return version


def lookup_template(
    document: YamlDocument, templates: TemplateLibrary | None
) -> WorkloadTemplate | None:
    """The template the workload names in ``spec.template``, or None when it names none.

    Raises `SpecValidationError` at the workload's ``spec.template`` for a malformed reference,
    an unknown name or version, or when no library is given; a template file's own problems are
    raised too (with its error type), together with one line at the workload.
    """
    spec = document.data.get("spec")
    if not isinstance(spec, Mapping) or spec.get("template") is None:
        return None
    ref = spec["template"]
    where = document.source_map

    def fail(message: str) -> SpecValidationError:
        return SpecValidationError([where.problem(TEMPLATE_FIELD, message)])

    if not isinstance(ref, str) or not re.match(TEMPLATE_REF_PATTERN, ref):
        message = PATTERN_MESSAGES[TEMPLATE_REF_PATTERN] + f", got {describe_value(ref)}"
        raise fail(message)
    if templates is None:
        raise fail(
            f"names template '{ref}', but no template library was given to the loader "
            "(pass templates=... to spec.load_file)"
        )
    name, _, asked = ref.partition("@")
    try:
        version = published_version(templates, name, asked)
    except UnknownTemplateError as error:
        raise fail(str(error)) from None
    try:
        return templates.template(name, version)
    except SpecError as error:
        message = f"template '{ref}' is invalid; fix its file (problems listed with it)"
        problems = [*error.problems, where.problem(TEMPLATE_FIELD, message)]
        raise type(error)(problems) from None


def _merge(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """``top`` over ``base``: mappings merge key by key, anything else replaces."""
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def _template_paths(template: WorkloadTemplate) -> dict[FieldPath, FieldPath]:
    """Workload path -> template path, for every value the template supplies."""
    paths: dict[FieldPath, FieldPath] = {}
    for section in ("fixed", "defaults"):
        prefix: FieldPath = ("spec", section)
        for path in template.source.source_map.values:
            if path[:2] == prefix and len(path) > 2:
                paths.setdefault(("spec", *path[2:]), path)
    return paths


def _locked_message(template: WorkloadTemplate, path: str) -> str:
    fixed = next((p for p in template.fixed_paths() if covers(path, p) or covers(p, path)), None)
    if fixed is not None:
        value = show_value(value_at(template.fixed, fixed)[1])
        if fixed == path:
            return f"fixed to {value} by template {template.ref}; remove it"
        return f"template {template.ref} fixes {fixed} (to {value}); remove it"
    opened = ", ".join(template.bounds) or "nothing"
    return f"not overridable in template {template.ref} (a workload may set: {opened})"


def resolve(document: YamlDocument, template: WorkloadTemplate) -> Resolution:
    """Check the workload's fields against ``template`` and merge the two."""
    data: dict[str, Any] = dict(document.data)
    spec = data.get("spec")
    spec = spec if isinstance(spec, Mapping) else {}
    where = document.source_map
    problems: list[Problem] = []
    written = [path for path in written_spec_paths(spec) if path != "template"]
    for path in written:
        if template.overridable_path_for(path) is None:
            at: FieldPath = ("spec", *path.split("."))
            problems.append(where.problem(at, _locked_message(template, path), at_key=True))

    missing: list[FieldPath] = []
    metadata = data.get("metadata")
    for path in template.required:
        section, source = ("metadata", metadata) if path.startswith("metadata.") else ("spec", spec)
        relative = path.removeprefix("metadata.")
        found, value = value_at(source if isinstance(source, Mapping) else {}, relative)
        if not found or value is None:
            at = (section, *relative.split("."))
            missing.append(at)
            problems.append(where.problem(at, f"required by template {template.ref}; set it"))

    merged = _merge(copy.deepcopy(dict(template.defaults)), spec)
    data["spec"] = _merge(merged, template.fixed)
    source_map = ResolvedSourceMap(
        file=where.file,
        document_start=where.document_start,
        keys=where.keys,
        values=where.values,
        collections=where.collections,
        template_ref=template.ref,
        template_map=template.source.source_map,
        template_paths=_template_paths(template),
    )
    return Resolution(template, data, source_map, tuple(problems), tuple(missing), tuple(written))
