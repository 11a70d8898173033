"""Load spec files into validated, immutable objects, or raise with every problem found.

The steps, per ``---`` document: parse YAML with positions (`inputs.yaml_source`), check
``apiVersion`` and ``kind``, validate fields with pydantic, then run the rules that span fields
or need the catalog. A workload that names a template (``inputs.template: chat-eu@2``) is first
resolved against it (`inputs.template_resolution`), from the `TemplateLibrary` the caller passes.
A document is returned only when all of that passes; otherwise the first failing document's
error type is raised carrying the problems of every document in the file.

A stage that fails does not hide the next: a duplicate key keeps its first value, a wrong
apiVersion still validates the kind it names, and when pydantic rejects fields the rest of the
document is validated without them and the rules that do not read them still run
(`inputs.partial_validation`), so one run reports everything it can.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from inputs.catalog_view import CatalogView
from inputs.did_you_mean import did_you_mean
from inputs.environment import Environment, EnvironmentDocument
from inputs.environment_rules import EnvironmentRuleInput, check_environment
from inputs.errors import Problem, SpecError, SpecKindError, SpecValidationError
from inputs.partial_validation import salvage
from inputs.paths import project_root, resolve_workload_globs
from inputs.pydantic_errors import describe_value, problems_from_validation_error
from inputs.template import (
    TEMPLATE_FILE_NAME,
    TemplateLibrary,
    WorkloadTemplate,
    WorkloadTemplateDocument,
    dump_written,
)
from inputs.template_resolution import lookup_template, resolve
from inputs.template_rules import check_template
from inputs.workload import API_VERSION, Workload, WorkloadDocument
from inputs.workload_rules import RuleInput, check_workload
from inputs.yaml_source import (
    FieldPath,
    YamlDocument,
    format_path,
    parse_documents_deferring,
    read_documents,
    read_documents_deferring,
)

SpecObject = Workload | Environment | WorkloadTemplate

# Kinds a later version will read; naming them gives a better message than "unknown kind".
_RESERVED_KINDS: tuple[str, ...] = ()


def _check_kind(document: YamlDocument) -> str:
    """The document's kind, or `SpecKindError` when apiVersion or kind is missing or unknown."""
    kind, problems = _header(document)
    if problems or kind is None:
        raise SpecKindError(problems or [document.source_map.problem(("kind",), "missing")])
    return kind


def _header(document: YamlDocument) -> tuple[str | None, list[Problem]]:
    """The document's kind (None when it is missing or unknown) and the header's problems.

    ``apiVersion`` and ``kind`` are read case-insensitively like every other choice, and
    written back in their canonical form (``kind: workload`` is a Workload).
    """
    data: dict[str, Any] = document.data
    where = document.source_map
    problems: list[Problem] = []
    version = data.get("apiVersion")
    if isinstance(version, str) and version.casefold() == API_VERSION:
        data["apiVersion"] = API_VERSION
    if "apiVersion" not in data:
        problems.append(
            where.problem(("apiVersion",), f"missing; write 'apiVersion: {API_VERSION}'")
        )
    elif data["apiVersion"] != API_VERSION and isinstance(data["apiVersion"], str):
        got = describe_value(data["apiVersion"])
        message = f"unsupported apiVersion {got}; this inferplan reads '{API_VERSION}'"
        problems.append(where.problem(("apiVersion",), message))
    kind = data.get("kind")
    canonical = {name.casefold(): name for name in _KINDS}
    if isinstance(kind, str) and kind.casefold() in canonical:
        kind = data["kind"] = canonical[kind.casefold()]
    if "kind" not in data:
        known = " or ".join(f"'kind: {name}'" for name in sorted(_KINDS))
        problems.append(where.problem(("kind",), f"missing; write {known}"))
        return None, problems
    if not isinstance(kind, str):
        return None, problems  # reported where the file was read (yaml_source.HEADER_FIELDS)
    if kind in _RESERVED_KINDS:
        problems.append(where.problem(("kind",), f"kind '{kind}' is not supported yet"))
        return None, problems
    if kind not in _KINDS:
        known = ", ".join(sorted(_KINDS))
        message = (
            f"unknown kind {describe_value(kind)}{did_you_mean(kind, _KINDS)} (known: {known})"
        )
        problems.append(where.problem(("kind",), message))
        return None, problems
    return kind, problems


def _validate(model: type[BaseModel], document: YamlDocument) -> Any:
    try:
        return model.model_validate(document.data)
    except ValidationError as error:
        problems = problems_from_validation_error(error, model, document.source_map)
        raise SpecValidationError(problems) from None


def _validate_or_salvage(
    model: type[BaseModel], document: YamlDocument
) -> tuple[Any, list[Problem], tuple[FieldPath, ...]]:
    """``(parsed, problems, untrusted)``: the validated document, or when pydantic rejects it
    the rest of it validated without what failed (`partial_validation.salvage`; None when
    nothing can be), with pydantic's problems and the fields that failed."""
    try:
        return model.model_validate(document.data), [], ()
    except ValidationError as error:
        problems = problems_from_validation_error(error, model, document.source_map)
        salvaged = salvage(model, document.data, error)
        if salvaged is None:
            return None, problems, ()
        return salvaged.parsed, problems, salvaged.untrusted


def _finish_workload(
    document: YamlDocument, catalog: CatalogView, templates: TemplateLibrary | None
) -> Workload:
    template = lookup_template(document, templates)
    resolution = resolve(document, template) if template is not None else None
    if resolution is not None:
        document = resolution.document(document)
    parsed, problems, untrusted = _validate_or_salvage(WorkloadDocument, document)
    if resolution is not None:
        problems = [*resolution.drop_echoes(problems), *resolution.problems]
    if parsed is None:
        raise SpecValidationError(problems)
    facts = catalog.model_facts(parsed.spec.model)
    findings = check_workload(
        RuleInput(parsed, catalog, facts, document.source_map), untrusted=untrusted
    )
    problems = _fold_rule_missing(problems, [document.source_map.problem(*f) for f in findings])
    if resolution is not None:
        problems += [
            p
            for p in resolution.bound_problems(parsed.spec)
            if not any(p.field.startswith(format_path(u)) for u in untrusted)
        ]
    if problems:
        raise SpecValidationError(problems)
    assert facts is not None  # model_is_known would have reported it
    updates: dict[str, Any] = {"model": facts.id}
    if facts.task == "embedding":
        updates["streaming"] = False
    return Workload(
        metadata=parsed.metadata,
        spec=parsed.spec.model_copy(update=updates),
        model=facts,
        model_as_written=parsed.spec.model,
        source=document.source,
        template=template.ref if template is not None else None,
    )


_RULE_MISSING = "required field is missing"


def _fold_rule_missing(problems: list[Problem], findings: list[Problem]) -> list[Problem]:
    """A field a rule requires (``traffic.peak_concurrency`` unless ``traffic.batch``) that is
    missing because it was misspelt is one problem, as for a field pydantic requires: the
    unknown field's, saying the one it meant is required and missing."""
    folded = list(problems)
    kept: list[Problem] = []
    for finding in findings:
        parent, _, name = finding.field.rpartition(".")
        hint = f"did you mean '{name}'?"
        match = next(
            (
                i
                for i, p in enumerate(folded)
                if finding.message.startswith(_RULE_MISSING)
                and p.field.rpartition(".")[0] == parent
                and p.message.endswith(hint)
            ),
            None,
        )
        if match is None:
            kept.append(finding)
            continue
        unknown = folded[match]
        folded[match] = dataclasses.replace(
            unknown, message=f"{unknown.message} ('{name}' is required and missing)"
        )
    return folded + kept


def _finish_template(
    document: YamlDocument, catalog: CatalogView | None = None, templates: object = None
) -> WorkloadTemplate:
    """A template needs no catalog: its values meet the catalog rules in each workload."""
    parsed, problems, _ = _validate_or_salvage(WorkloadTemplateDocument, document)
    if parsed is None or any(not p.field.startswith("metadata") for p in problems):
        raise SpecValidationError(problems)  # the template rules read the whole spec
    bounds, findings = check_template(parsed)
    published = TEMPLATE_FILE_NAME.match(Path(document.file).name)
    if published is not None:  # templates/chat-eu@2.yaml must hold chat-eu version 2
        for field in ("name", "version"):
            wanted = published[field]
            if getattr(parsed.metadata, field) != wanted:
                findings.append((("metadata", field), f"must match the file name ({wanted})"))
    problems += [document.source_map.problem(*f) for f in findings]
    if problems:
        raise SpecValidationError(problems)
    return WorkloadTemplate(
        metadata=parsed.metadata,
        spec=parsed.spec,
        fixed=dump_written(parsed.spec.fixed),
        defaults=dump_written(parsed.spec.defaults),
        bounds=bounds,
        source=document.source,
    )


def _finish_environment(
    document: YamlDocument, catalog: CatalogView, templates: TemplateLibrary | None = None
) -> Environment:
    parsed, problems, untrusted = _validate_or_salvage(EnvironmentDocument, document)
    if parsed is None:
        raise SpecValidationError(problems)
    base_dir = Path(document.file).parent
    root = project_root(base_dir)
    rule_input = EnvironmentRuleInput(parsed, catalog, base_dir, root)
    findings = check_environment(rule_input, untrusted=untrusted)
    problems += [document.source_map.problem(*f) for f in findings]
    if problems:
        raise SpecValidationError(problems)
    files = sorted(
        {f for p in parsed.spec.workloads for f in resolve_workload_globs(base_dir, p, root=root)}
    )
    return Environment(
        metadata=parsed.metadata,
        spec=parsed.spec,
        workload_files=tuple(files),
        source=document.source,
    )


_KINDS: dict[str, Callable[[YamlDocument, CatalogView, TemplateLibrary | None], SpecObject]] = {
    "Workload": _finish_workload,
    "Environment": _finish_environment,
    "WorkloadTemplate": _finish_template,
}


def _load_documents(
    documents: list[YamlDocument],
    catalog: CatalogView,
    templates: TemplateLibrary | None,
    deferred: SpecError | None = None,
) -> tuple[SpecObject, ...]:
    loaded: list[SpecObject] = []
    failures: list[SpecError] = []
    if deferred is not None:  # duplicate keys and header types: the documents are still checked
        failures.append(deferred)
    for document in documents:
        kind, header = _header(document)
        if kind is None:
            if header:
                failures.append(SpecKindError(header))
            continue
        if header:
            failures.append(SpecKindError(header))
        try:
            loaded.append(_KINDS[kind](document, catalog, templates))
        except SpecError as error:
            # A wrong apiVersion is said once, by the header check, not again by pydantic.
            kept = [p for p in error.problems if not (header and p.field == "apiVersion")]
            if kept:
                failures.append(type(error)(kept))
    if len(documents) > 1 and any(isinstance(item, Environment) for item in loaded):
        # One environment is one Pulumi stack: a second document would be silently dropped.
        message = "an environment file holds exactly one document"
        failures.append(SpecKindError([d.source_map.problem((), message) for d in documents[1:]]))
    if len(documents) > 1 and any(_header(d)[0] == "WorkloadTemplate" for d in documents):
        # A template is one version of one file (name@version.yaml): its users read only one.
        message = "a template file holds exactly one document"
        failures.append(SpecKindError([d.source_map.problem((), message) for d in documents[1:]]))
    if failures:
        raise type(failures[0])(problem for error in failures for problem in error.problems)
    return tuple(loaded)


def looks_like_inferplan(document: YamlDocument) -> bool:
    """The document is meant for inferplan: its apiVersion starts with ``inferplan/`` or its
    kind is one inferplan reads (either in any case)."""
    version, kind = document.data.get("apiVersion"), document.data.get("kind")
    if isinstance(version, str) and version.casefold().startswith("inferplan/"):
        return True
    return isinstance(kind, str) and kind.casefold() in {name.casefold() for name in _KINDS}


def is_foreign_file(path: str | Path) -> bool:
    """True when the file is YAML for something else (a Kubernetes manifest, a catalog file,
    CI settings): no document in it `looks_like_inferplan`. A folder search skips such files.
    A file that cannot be read or parsed is not foreign: it may be a broken spec, and its
    problems are reported."""
    try:
        documents, _ = read_documents_deferring(Path(path))
    except SpecError:
        return False
    return not any(looks_like_inferplan(document) for document in documents)


def load_text(
    text: str,
    catalog: CatalogView,
    *,
    file: str = "<text>",
    templates: TemplateLibrary | None = None,
) -> tuple[SpecObject, ...]:
    """Every document of ``text``; ``file`` names it in messages and anchors workload globs."""
    documents, deferred = parse_documents_deferring(text, file)
    return _load_documents(documents, catalog, templates, deferred)


def load_file(
    path: str | Path,
    catalog: CatalogView,
    *,
    display: str | None = None,
    templates: TemplateLibrary | None = None,
) -> tuple[SpecObject, ...]:
    """Every document of the file at ``path``, validated: `Workload`s, `Environment`s and
    `WorkloadTemplate`s.

    ``display`` is how the file is named in messages (default: ``path`` as given).
    ``templates`` resolves workloads that name a template; without it such a workload is an
    error. Raises a `SpecError` subclass with every problem of every document in the file.
    """
    documents, deferred = read_documents_deferring(Path(path), display)
    return _load_documents(documents, catalog, templates, deferred)


def load_template_file(path: str | Path, *, display: str | None = None) -> WorkloadTemplate:
    """The one `WorkloadTemplate` a template file holds; anything else is a `SpecKindError`."""
    documents = read_documents(Path(path), display)
    problems = [
        document.source_map.problem((), "a template file holds exactly one document")
        for document in documents[1:]
    ]
    kind = _check_kind(documents[0])
    if kind != "WorkloadTemplate":
        problems.append(documents[0].source_map.problem(("kind",), "expected a WorkloadTemplate"))
    if problems:
        raise SpecKindError(problems)
    return _finish_template(documents[0])


def _only(kind: type[SpecObject], loaded: tuple[SpecObject, ...]) -> list[Problem]:
    return [
        item.source.problem(("kind",), f"expected a {kind.__name__} here")
        for item in loaded
        if not isinstance(item, kind)
    ]


def load_workloads(
    path: str | Path, catalog: CatalogView, *, templates: TemplateLibrary | None = None
) -> tuple[Workload, ...]:
    """The workloads of one file; any other kind of document in it is a `SpecKindError`."""
    loaded = load_file(path, catalog, templates=templates)
    problems = _only(Workload, loaded)
    if problems:
        raise SpecKindError(problems)
    return tuple(item for item in loaded if isinstance(item, Workload))


def load_environment(path: str | Path, catalog: CatalogView) -> Environment:
    """The one environment a file holds; anything else in the file is a `SpecKindError`."""
    loaded = load_file(path, catalog)
    problems = _only(Environment, loaded)
    if len(loaded) > 1:
        message = "an environment file holds exactly one document"
        problems += [item.source.problem((), message) for item in loaded[1:]]
    if problems:
        raise SpecKindError(problems)
    environment = loaded[0]
    assert isinstance(environment, Environment)
    return environment


def load_environment_workloads(
    environment: Environment, catalog: CatalogView, *, templates: TemplateLibrary | None = None
) -> tuple[Workload, ...]:
    """Load every workload file an environment lists, in file order.

    Reports, all at once, the problems of every file plus names used by two workloads (they
    would collide as resource names). Raises the first failure's `SpecError` type.
    """
    workloads: list[Workload] = []
    failures: list[SpecError] = []
    for path in environment.workload_files:
        try:
            workloads += load_workloads(path, catalog, templates=templates)
        except SpecError as error:
            failures.append(error)
    first_by_name: dict[str, Workload] = {}
    duplicates: list[Problem] = []
    for workload in workloads:
        first = first_by_name.setdefault(workload.name, workload)
        if first is not workload:
            duplicates.append(
                workload.source.problem(
                    ("metadata", "name"),
                    f"workload name '{workload.name}' is already used by {first.source} in "
                    f"environment '{environment.name}'; names must be unique",
                )
            )
    if duplicates:
        failures.append(SpecValidationError(duplicates))
    conflicts = [
        problem
        for workload in workloads
        if (problem := _outside_allowed_regions(workload, environment, catalog)) is not None
    ]
    if conflicts:
        failures.append(SpecValidationError(conflicts))
    if failures:
        raise type(failures[0])(problem for error in failures for problem in error.problems)
    return tuple(workloads)


def _outside_allowed_regions(
    workload: Workload, environment: Environment, catalog: CatalogView
) -> Problem | None:
    """A workload whose residency leaves no region the environment allows
    (``limits.allowed_regions``): said at the workload's residency, not later by sizing as
    "not offered in" an empty list of regions."""
    allowed = environment.spec.limits.allowed_regions
    residency = workload.spec.residency
    if not allowed or residency is None:
        return None
    listed = ", ".join(allowed)
    if residency.regions:
        if set(residency.regions) & set(allowed):
            return None
        return workload.source.problem(
            ("spec", "residency", "regions"),
            f"none of these regions ({', '.join(residency.regions)}) is in environment "
            f"'{environment.name}' limits.allowed_regions ({listed}); add one of those",
        )
    geographies = catalog.region_geographies()
    if residency.geography is None or any(
        geographies.get(r) == residency.geography for r in allowed
    ):
        return None
    return workload.source.problem(
        ("spec", "residency", "geography"),
        f"no region of geography '{residency.geography}' is in environment "
        f"'{environment.name}' limits.allowed_regions ({listed})",
    )
