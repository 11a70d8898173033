"""The ``kind: WorkloadTemplate`` spec: an approved, versioned starting point for workloads.

A platform team publishes a template; application teams instantiate it with
``inputs.template: name@version`` and set only what the template lets them. The template says:

- ``fixed``: values every workload of this template gets and cannot change (model, deployment,
  residency, SLO, ...), written with the same field names as a workload's ``spec``;
- ``defaults``: values a workload gets unless it sets them itself, within the bounds;
- ``overridable``: the spec fields (dotted paths such as ``traffic.peak_concurrency``) a
  workload may set, each with optional bounds: ``min``/``max`` for numbers, ``one_of`` for a
  set of values, ``subset_of`` for lists. Every other field is locked;
- ``required``: the fields a workload must set itself (spec paths, or ``metadata.owner``).

`WorkloadTemplateDocument` is the file as written; `WorkloadTemplate` is what the loader hands
to template resolution (`inputs.template_resolution`): the parsed document, the fixed values and
defaults as plain data, the bounds normalised, and where it came from.
"""

from __future__ import annotations

import copy
import re
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Protocol

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)
from pydantic import create_model as _create_model

from inputs.field_types import DnsName, NonEmptyStr, StrTuple
from inputs.pydantic_errors import unwrap_annotation
from inputs.workload import SpecModel, WorkloadSpec
from inputs.yaml_source import SourceRef

TEMPLATE_VERSION_PATTERN = r"^[0-9]{1,6}(\.[0-9]{1,6}){0,2}$"  # each part at most 6 digits
# Workload metadata fields a template may require a team to fill in (name is always required).
REQUIRABLE_METADATA = ("metadata.owner", "metadata.description", "metadata.labels")

# How a published template file is named: ``chat-eu@2.yaml`` holds chat-eu version 2.
TEMPLATE_FILE_NAME = re.compile(
    r"^(?P<name>[a-z]([-a-z0-9]*[a-z0-9])?)@(?P<version>[0-9]{1,6}(\.[0-9]{1,6}){0,2})\.(yaml|yml)$"
)

FieldKind = Literal["section", "list", "integer", "number", "boolean", "string"]


# --- the workload spec's fields, by dotted path ---------------------------------------------


def _kind_of(annotation: Any) -> FieldKind:
    inner = unwrap_annotation(annotation)
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return "section"
    if typing.get_origin(inner) in (tuple, list):
        return "list"
    if inner is bool:
        return "boolean"
    if inner is int:
        return "integer"
    if inner is float:
        return "number"
    return "string"  # str, constrained strings and Literal choices


def _walk_fields(model: type[BaseModel], prefix: str) -> Iterator[tuple[str, FieldKind]]:
    for name, field in model.model_fields.items():
        if not prefix and name == "template":
            continue  # the reference to a template is never part of one
        path = f"{prefix}{name}"
        kind = _kind_of(field.annotation)
        yield path, kind
        if kind == "section":
            yield from _walk_fields(unwrap_annotation(field.annotation), f"{path}.")


SPEC_FIELD_KINDS: dict[str, FieldKind] = dict(_walk_fields(WorkloadSpec, ""))
"""Every field of a workload's ``spec`` a template may fix, default or open: path -> kind."""


def _required_leaves(model: type[BaseModel], prefix: str) -> Iterator[str]:
    for name, field in model.model_fields.items():
        if not field.is_required():
            continue
        path = f"{prefix}{name}"
        inner = unwrap_annotation(field.annotation)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            yield from _required_leaves(inner, f"{path}.")
        else:
            yield path


WORKLOAD_REQUIRED_FIELDS: tuple[str, ...] = tuple(_required_leaves(WorkloadSpec, ""))
"""Spec fields every workload needs (model, context.max_input_tokens)."""

WORKLOAD_REQUIRED_ONE_OF: tuple[tuple[str, ...], ...] = (
    ("traffic.peak_concurrency", "traffic.batch"),
)
"""Fields of which a workload needs one (a rule, not the schema, requires them): interactive
traffic or offline work."""


def covers(parent: str, path: str) -> bool:
    """True when ``path`` is ``parent`` or lies under it (``context`` covers ``context.x``)."""
    return path == parent or path.startswith(parent + ".")


def _partial(model: type[BaseModel]) -> type[BaseModel]:
    """``model`` with every field optional (default None), nested sections partial too.

    Types, ranges and value checks stay, so a template's ``fixed`` and ``defaults`` are checked
    exactly as a workload's fields are; only "required" and computed defaults go.
    """
    fields: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        if model is WorkloadSpec and name == "template":
            continue
        inner = unwrap_annotation(field.annotation)
        info = copy.copy(field)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            annotation: Any = _partial(inner) | None
        elif field.metadata:
            # The field's constraints and validators go inside the Optional: on the Optional
            # itself, a length bound would be applied to None (a TypeError, not a message).
            annotation = Annotated[(field.annotation, *field.metadata)] | None
            info.metadata = []
        else:
            annotation = field.annotation | None
        info.default = None
        info.default_factory = None
        info.annotation = annotation
        fields[name] = (annotation, info)
    return _create_model(  # type: ignore[call-overload,no-any-return]
        f"Partial{model.__name__}",
        __base__=SpecModel,
        __doc__=f"Any subset of the fields of a workload's {model.__name__}.",
        **fields,
    )


PartialWorkloadSpec: type[BaseModel] = _partial(WorkloadSpec)


# --- the template document --------------------------------------------------------------------


def _version_to_text(value: Any) -> Any:
    """``2`` -> ``"2"``; a YAML float such as ``1.3`` is refused (``1.10`` would read as 1.1)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        raise ValueError(
            f"write the version as a whole number (2) or a quoted string ('{value}'); "
            "YAML reads an unquoted 1.3 as a number"
        )
    return value


TemplateVersion = Annotated[
    str,
    BeforeValidator(_version_to_text),
    StringConstraints(pattern=TEMPLATE_VERSION_PATTERN),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": 999_999},
                {"type": "string", "pattern": TEMPLATE_VERSION_PATTERN},
            ]
        }
    ),
]


def version_key(version: str) -> tuple[int, int, int]:
    """Order of versions: ``"2"`` == ``"2.0"`` < ``"2.1"`` < ``"10"``."""
    parts = [int(part) for part in version.split(".")]
    return tuple([*parts, 0, 0, 0][:3])  # type: ignore[return-value]


BoundValue = str | int | float | bool
# At least one value; the length bound sits inside the Optional of the fields using it, where it
# never meets None.
BoundValues = Annotated[
    tuple[BoundValue, ...],
    BeforeValidator(lambda v: tuple(v) if isinstance(v, list) else v),
    Field(min_length=1),
]


class TemplateMetadata(SpecModel):
    """Which template this is; ``name@version`` is how workloads refer to it."""

    name: Annotated[
        DnsName,
        Field(description="Template name: lowercase letters, digits and '-', like a workload's."),
    ]
    version: Annotated[
        TemplateVersion,
        Field(
            description=(
                "Version: a whole number (2) or a quoted dotted one ('1.3', '1.3.2'), each part "
                "at most 6 digits. Published versions are immutable: change a template by "
                "publishing a new version."
            )
        ),
    ]
    description: Annotated[
        NonEmptyStr, Field(description="What the template is for, shown by 'templates list'.")
    ]
    owner: Annotated[
        NonEmptyStr, Field(description="The team that approves and maintains the template.")
    ]
    labels: Annotated[
        dict[str, str],
        Field(default_factory=dict, description="String key/value labels, for reference."),
    ]


class Bound(SpecModel):
    """What a workload may set one overridable field to. No bound: any valid value."""

    min: Annotated[
        int | float | None,
        Field(description="Smallest value allowed (inclusive); numeric fields only."),
    ] = None
    max: Annotated[
        int | float | None,
        Field(description="Largest value allowed (inclusive); numeric fields only."),
    ] = None
    one_of: Annotated[
        BoundValues | None,
        Field(
            description=(
                "The values allowed. For a list field (precision, residency.regions) every item "
                "must be one of them."
            ),
        ),
    ] = None
    subset_of: Annotated[
        BoundValues | None,
        Field(description="List fields only: the list must be a subset of these values."),
    ] = None
    description: Annotated[
        str, Field(description="Why the bound is there; shown by 'templates show'.")
    ] = ""


class TemplateSpec(SpecModel):
    """What the template fixes, defaults, lets a team override, and requires."""

    fixed: Annotated[
        PartialWorkloadSpec,  # type: ignore[valid-type]
        Field(
            default_factory=PartialWorkloadSpec,
            description=(
                "Values every workload of this template gets and cannot change; the same fields "
                "as a workload's spec."
            ),
        ),
    ]
    defaults: Annotated[
        PartialWorkloadSpec,  # type: ignore[valid-type]
        Field(
            default_factory=PartialWorkloadSpec,
            description=(
                "Values a workload gets unless it sets them itself; only overridable fields, "
                "within their bounds."
            ),
        ),
    ]
    overridable: Annotated[
        dict[str, Bound | None],
        Field(
            default_factory=dict,
            description=(
                "Spec fields a workload may set, as dotted paths (traffic.peak_concurrency), "
                "each with its bounds ({} or null: any valid value). A section path "
                "(generation) opens every field under it. Fields not listed are locked."
            ),
        ),
    ]
    required: Annotated[
        StrTuple,
        Field(
            description=(
                "Fields a workload must set itself: overridable spec paths, or metadata.owner, "
                "metadata.description or metadata.labels."
            )
        ),
    ] = ()


class WorkloadTemplateDocument(SpecModel):
    """A template file, exactly as written: one document per file, one file per version."""

    model_config = ConfigDict(
        title="inferplan WorkloadTemplate",
        json_schema_extra={
            "description": (
                "An approved, versioned workload template: fixed values, defaults, the fields a "
                "team may override with their bounds, and the fields it must fill in."
            )
        },
    )

    api_version: Annotated[
        Literal["inferplan/v1"],
        Field(alias="apiVersion", description="Spec format version: inferplan/v1."),
    ]
    kind: Annotated[
        Literal["WorkloadTemplate"], Field(description="Document type: WorkloadTemplate.")
    ]
    metadata: Annotated[TemplateMetadata, Field(description="Name, version, description, owner.")]
    spec: Annotated[TemplateSpec, Field(description="Fixed values, defaults, bounds, required.")]


# --- the loaded template ----------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateBound:
    """One overridable field with its bounds, values normalised as a workload's would be."""

    path: str
    kind: FieldKind
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple[Any, ...] | None = None  # one_of or subset_of, normalised
    description: str = ""

    def describe(self) -> str:
        """``1..128``, ``one of bf16, fp8``, ``subset of [swedencentral, westeurope]``, ``any``."""
        if self.allowed is not None:
            values = ", ".join(str(value) for value in self.allowed)
            return f"subset of [{values}]" if self.kind == "list" else f"one of {values}"
        if self.minimum is not None and self.maximum is not None:
            return f"{_number(self.minimum)}..{_number(self.maximum)}"
        if self.minimum is not None:
            return f">= {_number(self.minimum)}"
        if self.maximum is not None:
            return f"<= {_number(self.maximum)}"
        return "any"


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def show_value(value: Any) -> str:
    """A value as a message quotes it: ``'gpt-4o-mini'``, ``[bf16, fp8]``, ``true``, ``99.9``."""
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(item) for item in value) + "]"
    return str(value)


@dataclass(frozen=True)
class WorkloadTemplate:
    """A validated template, ready to resolve workloads against.

    ``fixed`` and ``defaults`` hold only the fields the file sets, as plain nested dicts of
    validated values (``{"traffic": {"peak_concurrency": 8}}``); treat them as read-only.
    """

    metadata: TemplateMetadata
    spec: TemplateSpec
    fixed: Mapping[str, Any]
    defaults: Mapping[str, Any]
    bounds: Mapping[str, TemplateBound]  # overridable path -> bound, in file order
    source: SourceRef

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def version(self) -> str:
        return self.metadata.version

    @property
    def ref(self) -> str:
        """``chat-eu@2``: what a workload writes in ``inputs.template``."""
        return f"{self.metadata.name}@{self.metadata.version}"

    @property
    def required(self) -> tuple[str, ...]:
        return self.spec.required

    def overridable_path_for(self, path: str) -> str | None:
        """The overridable entry that opens ``path`` (itself or a section above it), if any."""
        return next((entry for entry in self.bounds if covers(entry, path)), None)

    def fixed_paths(self) -> list[str]:
        """Dotted paths of every fixed value (leaves: a section is walked into)."""
        return list(leaf_paths(self.fixed))

    def default_paths(self) -> list[str]:
        return list(leaf_paths(self.defaults))


def leaf_paths(data: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    """Dotted paths of the values in ``data``, walking into mappings that are spec sections."""
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and SPEC_FIELD_KINDS.get(path) == "section":
            yield from leaf_paths(value, f"{path}.")
        else:
            yield path


def value_at(data: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    """``(True, value)`` when ``data`` holds the dotted ``path``, else ``(False, None)``."""
    current: Any = data
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return False, None
        current = current[part]
    return True, current


def dump_written(model: BaseModel) -> dict[str, Any]:
    """The fields a partial spec sets, validated and normalised, as plain nested dicts."""
    return model.model_dump(exclude_unset=True)


class TemplateLibrary(Protocol):
    """Where the loader finds templates; `inputs.template_library.TemplateFolders` reads folders.

    The spec layer asks only this, so tests and other callers can supply templates any way.
    """

    def template_names(self) -> Sequence[str]:
        """Every published template name, sorted."""
        ...

    def versions(self, name: str) -> Sequence[str]:
        """The published versions of ``name``, oldest first; empty when there is none."""
        ...

    def template(self, name: str, version: str) -> WorkloadTemplate:
        """One published version; raises `KeyError` when there is none and a `SpecError` when
        its file is broken."""
        ...

    def describe_search(self) -> str:
        """Where templates were looked for, for messages (``templates/``)."""
        ...
