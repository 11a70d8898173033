"""When pydantic rejects a document, still check everything that can be checked.

Without this, one wrong type hides every catalog and cross-field problem of the document and a
user fixes it in rounds. `salvage` takes out what failed (an unknown field, a value of the wrong
type or out of range, a list with a bad item) and validates the rest again; a misspelt field is
moved to the required field it most likely meant (`pydantic_errors.typo_folds`), and a required
field that is missing or wrong gets a stand-in value of its type. When that passes, the rules
run on the result, except those that read a field that failed (`Salvaged.untrusted`): a default
or stand-in in place of a bad value would only echo the first error. The salvaged document is
never handed on; it only lets the other rules speak in the same run.
"""

from __future__ import annotations

import contextlib
import copy
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from inputs.pydantic_errors import typo_folds, unwrap_annotation
from inputs.yaml_source import FieldPath

MAX_ROUNDS = 5  # a stand-in section ({}) exposes its own required fields; then stop
_STAND_INS: tuple[Any, ...] = (
    1,
    1.0,
    "placeholder",
    "placeholder@example.com",
    True,
    {},
    ["placeholder"],
)


@dataclass(frozen=True)
class Salvaged:
    """The document validated without the parts that failed, and which fields those were."""

    parsed: Any
    untrusted: tuple[FieldPath, ...]


def overlaps(path: FieldPath, paths: Iterable[FieldPath]) -> bool:
    """True when ``path`` is one of ``paths``, lies under one, or holds one."""
    return any(path[: len(p)] == p or p[: len(path)] == path for p in paths)


def _existing(data: Any, loc: FieldPath) -> FieldPath:
    """The longest start of ``loc`` that names a value in ``data`` (pydantic adds union and
    validator tags such as ``'float'`` to a loc; they are not in the data)."""
    found: list[str | int] = []
    current = data
    for part in loc:
        in_mapping = isinstance(current, Mapping) and isinstance(part, str) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and part < len(current)
        if not (in_mapping or in_list):
            break
        current = current[part]
        found.append(part)
    while found and isinstance(found[-1], int):
        found.pop()  # drop the whole list: removing one item would renumber the rest
    return tuple(found)


def _pop(data: Any, path: FieldPath) -> Any:
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    return parent.pop(path[-1])


def _field_at(model: type[BaseModel], path: FieldPath) -> FieldInfo | None:
    """The pydantic field the data at ``path`` validates as (None below a list or mapping)."""
    current: Any = model
    info: FieldInfo | None = None
    for part in path:
        current = unwrap_annotation(current)
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = next((f for n, f in current.model_fields.items() if part in (n, f.alias)), None)
        if info is None:
            return None
        current = info.annotation
    return info


def _stand_in(model: type[BaseModel], path: FieldPath) -> tuple[bool, Any]:
    """``(True, value)``: a value the required field at ``path`` accepts (a Literal's first
    choice, else the first of `_STAND_INS` that validates); ``(False, None)`` when none does."""
    info = _field_at(model, path)
    if info is None:
        return False, None
    annotation = unwrap_annotation(info.annotation)
    choices = typing.get_args(annotation) if typing.get_origin(annotation) is Literal else ()
    if choices:
        return True, choices[0]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True, {}  # its own required fields get stand-ins in the next round
    typed = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    adapter = TypeAdapter(typed)
    for candidate in _STAND_INS:
        try:
            adapter.validate_python(candidate, strict=True)
        except ValidationError:
            continue
        return True, candidate
    return False, None


def _put(data: Any, path: FieldPath, value: Any) -> bool:
    parent = data
    for part in path[:-1]:
        if not isinstance(parent, Mapping) or part not in parent:
            return False
        parent = parent[part]
    if not isinstance(parent, dict):
        return False
    parent[path[-1]] = value
    return True


def salvage(model: type[BaseModel], data: Any, error: ValidationError) -> Salvaged | None:
    """``data`` validated as ``model`` without what ``error`` (and up to `MAX_ROUNDS` - 1
    later rounds) found wrong; None when a required field is missing or the document's top
    level is wrong."""
    if not isinstance(data, Mapping):
        return None
    data = copy.deepcopy(dict(data))
    untrusted: set[FieldPath] = set()
    for _ in range(MAX_ROUNDS):
        errors = error.errors()
        folds = typo_folds(errors, model)
        folded = {(*path[:-1], meant) for path, meant in folds.items()}
        for path, meant in folds.items():
            parent = data
            for part in path[:-1]:
                parent = parent[part]
            parent[meant] = parent.pop(path[-1])
        for detail in errors:
            loc: FieldPath = tuple(detail["loc"])
            if loc in folds or (detail["type"] == "missing" and loc in folded):
                continue
            where = loc if detail["type"] == "missing" else _existing(data, loc)
            if not where:
                return None
            if detail["type"] != "extra_forbidden":
                untrusted.add(where)
            with contextlib.suppress(KeyError, IndexError, TypeError):
                _pop(data, where)  # fails when already taken out with a section above it
            info = _field_at(model, where)
            if detail["type"] != "extra_forbidden" and info is not None and info.is_required():
                found, value = _stand_in(model, where)
                if not (found and _put(data, where, value)):
                    return None
        try:
            parsed = model.model_validate(data)
        except ValidationError as again:
            error = again
            continue
        return Salvaged(parsed, tuple(sorted(untrusted, key=str)))
    return None
