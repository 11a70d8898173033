"""Turn pydantic's validation errors into `Problem`s a person can act on.

pydantic reports a ``loc`` (field path) and a terse English message per error. Here the loc is
mapped back to the line and column of the YAML that holds it (a missing field points at its
parent mapping, an unknown field at its key), and the messages are rewritten: "Extra inputs are
not permitted" becomes "unknown field 'precison'; did you mean 'precision'?".
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from inputs.did_you_mean import choice_hint, closest, did_you_mean
from inputs.errors import Problem
from inputs.field_types import PATTERN_MESSAGES
from inputs.yaml_source import FieldPath, SourceMap

# Errors that only echo another error: a default computed from a field that itself failed.
_ECHO_ERRORS = {"default_factory_not_called"}


def describe_value(value: Any) -> str:
    """How a YAML value reads in a message: ``string '64'``, ``2.5``, ``a list``, ``null``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if value.is_integer() else f"{value:g}"  # 1e3 reads as 1000.0
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return f"string '{value}'"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _number(value: Any) -> str:
    """A bound as a message writes it: ``10000000`` rather than ``1e+07``, ``0.5``, ``99.999``."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def unwrap_annotation(annotation: Any) -> Any:
    """Strip Annotated and Optional so the underlying model/list/dict type shows."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            rest = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
            if len(rest) != 1:
                return annotation
            annotation = rest[0]
        else:
            return annotation


def field_names_at(model: type[BaseModel], path: FieldPath) -> list[str]:
    """The keys the spec allows in the mapping at ``path`` (empty when it is free-form)."""
    current: Any = model
    for part in path:
        current = unwrap_annotation(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next(
                (f for name, f in current.model_fields.items() if part in (name, f.alias)), None
            )
            if field is None:
                return []
            current = field.annotation
        elif typing.get_origin(current) in (list, tuple, dict):
            args = typing.get_args(current)
            current = args[-1] if args else Any
        else:
            return []
    current = unwrap_annotation(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def error_message(error: ErrorDetails, model: type[BaseModel], path: FieldPath) -> str:
    """The human message for one pydantic error at ``path`` of ``model``."""
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    got = describe_value(error.get("input"))
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        name = str(path[-1])
        return f"unknown field '{name}'" + did_you_mean(name, field_names_at(model, path[:-1]))
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {got}"
    if kind in ("float_type", "float_parsing"):
        return f"expected a number, got {got}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false, got {got}"
    if kind == "string_type":
        return f"expected a string, got {got}"
    if kind in ("list_type", "tuple_type"):
        return f"expected a list, got {got}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping (key: value lines), got {got}"
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        allowed = [part.strip(" '") for part in expected.replace(" or ", ", ").split(",")]
        value = error.get("input")
        hint = choice_hint(value, allowed) if isinstance(value, str) else ""
        return f"must be one of {expected}, got {got}{hint}"
    if kind == "greater_than":
        return f"must be greater than {_number(ctx['gt'])}, got {got}"
    if kind == "greater_than_equal":
        return f"must be at least {_number(ctx['ge'])}, got {got}"
    if kind == "less_than":
        return f"must be less than {_number(ctx['lt'])}, got {got}"
    if kind == "less_than_equal":
        return f"must be at most {_number(ctx['le'])}, got {got}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"must be at most {ctx['max_length']} characters, got {len(error['input'])}"
    if kind == "too_short":
        return f"must list at least {ctx['min_length']} item(s)"
    if kind == "too_long":
        return f"lists {ctx['actual_length']} items; at most {ctx['max_length']} are allowed"
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern", "")
        return PATTERN_MESSAGES.get(pattern, f"must match {pattern}") + f", got {got}"
    if kind == "finite_number":
        return "must be a finite number"
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    text = error["msg"]
    return text[:1].lower() + text[1:]


def typo_folds(errors: list[ErrorDetails], model: type[BaseModel]) -> dict[FieldPath, str]:
    """Unknown fields that are a misspelling of a required field the same mapping lacks:
    ``{("spec", "context", "max_input_token"): "max_input_tokens"}``. pydantic reports each as
    two errors (unknown field, missing field); they are one mistake."""
    missing = {tuple(e["loc"]) for e in errors if e["type"] == "missing"}
    folds: dict[FieldPath, str] = {}
    for detail in errors:
        if detail["type"] != "extra_forbidden":
            continue
        path: FieldPath = tuple(detail["loc"])
        parent, name = path[:-1], str(path[-1])
        for meant in closest(name, field_names_at(model, parent)):
            if (*parent, meant) in missing:
                folds[path] = meant
                break
    return folds


def problems_from_validation_error(
    error: ValidationError, model: type[BaseModel], source_map: SourceMap
) -> list[Problem]:
    """One `Problem` per pydantic error, placed at the YAML that caused it; an unknown field
    that misspells a missing required one is one problem, not two (`typo_folds`)."""
    errors = error.errors()
    folds = typo_folds(errors, model)
    folded = {(*path[:-1], meant) for path, meant in folds.items()}
    problems: list[Problem] = []
    for detail in errors:
        if detail["type"] in _ECHO_ERRORS:
            continue
        path: FieldPath = tuple(detail["loc"])
        if detail["type"] == "missing" and path in folded:
            continue
        if path in folds:
            message = (
                f"unknown field '{path[-1]}'; did you mean '{folds[path]}'? "
                f"('{folds[path]}' is required and missing)"
            )
        else:
            message = error_message(detail, model, path)
        problems.append(
            source_map.problem(path, message, at_key=detail["type"] == "extra_forbidden")
        )
    return problems
