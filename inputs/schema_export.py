"""JSON Schema for the spec kinds, for editors (yaml-language-server) and for reference.

The output is deterministic (sorted keys, fixed ``$id``) so that committed schema files only
change when the spec does.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from inputs.environment import EnvironmentDocument
from inputs.template import WorkloadTemplateDocument
from inputs.workload import WorkloadDocument

SchemaKind = Literal["workload", "environment", "template", "all"]
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_FILE_NAMES: dict[str, str] = {
    "workload": "workload.schema.json",
    "environment": "environment.schema.json",
    "template": "template.schema.json",
    "all": "inferplan.schema.json",
}


def json_schema(kind: SchemaKind) -> dict[str, Any]:
    """The JSON Schema of one kind, or of any document (``all``: chosen by its ``kind``)."""
    if kind == "workload":
        schema = WorkloadDocument.model_json_schema(by_alias=True)
    elif kind == "environment":
        schema = EnvironmentDocument.model_json_schema(by_alias=True)
    elif kind == "template":
        schema = WorkloadTemplateDocument.model_json_schema(by_alias=True)
    else:
        any_document = Annotated[
            WorkloadDocument | EnvironmentDocument | WorkloadTemplateDocument,
            Field(discriminator="kind"),
        ]
        schema = TypeAdapter(any_document).json_schema(by_alias=True)
        schema["title"] = "inferplan document"
        schema["description"] = (
            "Any inferplan document (Workload, Environment or WorkloadTemplate), by its kind."
        )
    return {"$schema": SCHEMA_DIALECT, "$id": SCHEMA_FILE_NAMES[kind], **schema}


def schema_text(kind: SchemaKind) -> str:
    """`json_schema` as stable, indented JSON text ending in a newline."""
    return json.dumps(json_schema(kind), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
