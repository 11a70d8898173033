"""The exported JSON Schema is the reference documentation: every field must describe itself."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from inputs.schema_export import json_schema, schema_text


def properties(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(``Model.field``, field schema) for every property of every object in the schema."""
    objects = {"(root)": schema, **schema.get("$defs", {})}
    for model_name, model in objects.items():
        for field_name, field in model.get("properties", {}).items():
            yield f"{model_name}.{field_name}", field


@pytest.mark.parametrize("kind", ["workload", "environment", "template", "all"])
def test_every_field_has_a_description(kind: str) -> None:
    schema = json_schema(kind)  # type: ignore[arg-type]
    missing = [name for name, field in properties(schema) if not field.get("description")]
    assert not missing
    assert len(list(properties(schema))) > 10


@pytest.mark.parametrize("kind", ["workload", "environment", "template"])
def test_unknown_fields_are_rejected_by_the_schema_too(kind: str) -> None:
    schema = json_schema(kind)  # type: ignore[arg-type]
    objects = [schema, *schema["$defs"].values()]
    # labels and tags are free-form string maps; every spec section is closed.
    closed = [o for o in objects if o.get("type") == "object" and "properties" in o]
    assert all(o.get("additionalProperties") is False for o in closed)


def test_workload_schema_names_the_contract_fields() -> None:
    schema = json_schema("workload")
    spec = schema["$defs"]["WorkloadSpec"]["properties"]
    assert sorted(spec) == sorted(
        [
            "model",
            "precision",
            "deployment",
            "context",
            "traffic",
            "slo",
            "residency",
            "streaming",
            "generation",
            "cost",
            "hardware",
            "template",
        ]
    )
    assert schema["properties"]["apiVersion"]["const"] == "inferplan/v1"
    assert spec["precision"]["anyOf"][0] == {"type": "string"}


def test_all_kinds_schema_chooses_by_kind() -> None:
    schema = json_schema("all")
    assert schema["discriminator"]["propertyName"] == "kind"
    assert sorted(schema["discriminator"]["mapping"]) == [
        "Environment",
        "Workload",
        "WorkloadTemplate",
    ]


def test_schema_text_is_sorted_and_stable() -> None:
    text = schema_text("workload")
    assert text == schema_text("workload")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
