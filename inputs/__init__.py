"""Workload and environment specs: YAML in, validated immutable objects out.

Typical use (the caller supplies catalog facts through a `CatalogView`)::

    from inferplan.inputs import load_environment, load_environment_workloads, load_workloads

    workloads = load_workloads("examples/support-chat.yaml", catalog_view)
    environment = load_environment("stacks/prod.yaml", catalog_view)
    stack = load_environment_workloads(environment, catalog_view)

Workloads that name a template (``spec.template: chat-eu@2``) need a `TemplateLibrary`, such as
``TemplateFolders.default()``: ``load_workloads(path, catalog_view, templates=library)``.

Every loader raises a `SpecError` subclass whose ``problems`` say file, line, column, field and
message for every mistake found.

The names below are imported on first use, so ``import spec.errors`` (for the CLI's error
handling) does not pay for pydantic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "CatalogView": "inferplan.inputs.catalog_view",
    "ModelFacts": "inferplan.inputs.catalog_view",
    "InMemoryCatalogView": "inferplan.inputs.catalog_view",
    "Environment": "inferplan.inputs.environment",
    "EnvironmentDocument": "inferplan.inputs.environment",
    "DuplicateKeyError": "inferplan.inputs.errors",
    "Problem": "inferplan.inputs.errors",
    "SpecError": "inferplan.inputs.errors",
    "SpecKindError": "inferplan.inputs.errors",
    "SpecReadError": "inferplan.inputs.errors",
    "SpecSyntaxError": "inferplan.inputs.errors",
    "SpecValidationError": "inferplan.inputs.errors",
    "SpecObject": "inferplan.inputs.loader",
    "load_environment": "inferplan.inputs.loader",
    "load_environment_workloads": "inferplan.inputs.loader",
    "load_file": "inferplan.inputs.loader",
    "load_text": "inferplan.inputs.loader",
    "load_template_file": "inferplan.inputs.loader",
    "load_workloads": "inferplan.inputs.loader",
    "find_yaml_files": "inferplan.inputs.paths",
    "resolve_workload_globs": "inferplan.inputs.paths",
    "TemplateLibrary": "inferplan.inputs.template",
    "WorkloadTemplate": "inferplan.inputs.template",
    "WorkloadTemplateDocument": "inferplan.inputs.template",
    "TemplateFolders": "inferplan.inputs.template_library",
    "template_search_path": "inferplan.inputs.template_library",
    "Workload": "inferplan.inputs.workload",
    "WorkloadDocument": "inferplan.inputs.workload",
    "SourceRef": "inferplan.inputs.yaml_source",
}

__all__ = [
    "CatalogView",
    "DuplicateKeyError",
    "Environment",
    "EnvironmentDocument",
    "InMemoryCatalogView",
    "ModelFacts",
    "Problem",
    "SourceRef",
    "SpecError",
    "SpecKindError",
    "SpecObject",
    "SpecReadError",
    "SpecSyntaxError",
    "SpecValidationError",
    "TemplateFolders",
    "TemplateLibrary",
    "Workload",
    "WorkloadDocument",
    "WorkloadTemplate",
    "WorkloadTemplateDocument",
    "find_yaml_files",
    "load_environment",
    "load_environment_workloads",
    "load_file",
    "load_template_file",
    "load_text",
    "load_workloads",
    "resolve_workload_globs",
    "template_search_path",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'inferplan.inputs' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)


if TYPE_CHECKING:
    from inferplan.inputs.catalog_view import CatalogView, InMemoryCatalogView, ModelFacts
    from inferplan.inputs.environment import Environment, EnvironmentDocument
    from inferplan.inputs.errors import (
        DuplicateKeyError,
        Problem,
        SpecError,
        SpecKindError,
        SpecReadError,
        SpecSyntaxError,
        SpecValidationError,
    )
    from inferplan.inputs.loader import (
        SpecObject,
        load_environment,
        load_environment_workloads,
        load_file,
        load_template_file,
        load_text,
        load_workloads,
    )
    from inferplan.inputs.paths import find_yaml_files, resolve_workload_globs
    from inferplan.inputs.template import (
        TemplateLibrary,
        WorkloadTemplate,
        WorkloadTemplateDocument,
    )
    from inferplan.inputs.template_library import TemplateFolders, template_search_path
    from inferplan.inputs.workload import Workload, WorkloadDocument
    from inferplan.inputs.yaml_source import SourceRef
