"""Workload and environment specs: YAML in, validated immutable objects out.

Typical use (the caller supplies catalog facts through a `CatalogView`)::

    from inputs import load_environment, load_environment_workloads, load_workloads

    workloads = load_workloads("examples/support-chat.yaml", catalog_view)
    environment = load_environment("stacks/prod.yaml", catalog_view)
    stack = load_environment_workloads(environment, catalog_view)

Workloads that name a template (``inputs.template: chat-eu@2``) need a `TemplateLibrary`, such as
``TemplateFolders.default()``: ``load_workloads(path, catalog_view, templates=library)``.

Every loader raises a `SpecError` subclass whose ``problems`` say file, line, column, field and
message for every mistake found.

The names below are imported on first use, so ``import inputs.errors`` (for the CLI's error
handling) does not pay for pydantic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "CatalogView": "inputs.catalog_view",
    "ModelFacts": "inputs.catalog_view",
    "InMemoryCatalogView": "inputs.catalog_view",
    "Environment": "inputs.environment",
    "EnvironmentDocument": "inputs.environment",
    "DuplicateKeyError": "inputs.errors",
    "Problem": "inputs.errors",
    "SpecError": "inputs.errors",
    "SpecKindError": "inputs.errors",
    "SpecReadError": "inputs.errors",
    "SpecSyntaxError": "inputs.errors",
    "SpecValidationError": "inputs.errors",
    "SpecObject": "inputs.loader",
    "load_environment": "inputs.loader",
    "load_environment_workloads": "inputs.loader",
    "load_file": "inputs.loader",
    "load_text": "inputs.loader",
    "load_template_file": "inputs.loader",
    "load_workloads": "inputs.loader",
    "find_yaml_files": "inputs.paths",
    "resolve_workload_globs": "inputs.paths",
    "TemplateLibrary": "inputs.template",
    "WorkloadTemplate": "inputs.template",
    "WorkloadTemplateDocument": "inputs.template",
    "TemplateFolders": "inputs.template_library",
    "template_search_path": "inputs.template_library",
    "Workload": "inputs.workload",
    "WorkloadDocument": "inputs.workload",
    "SourceRef": "inputs.yaml_source",
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
        raise AttributeError(f"module 'inputs' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)


if TYPE_CHECKING:
    from inputs.catalog_view import CatalogView, InMemoryCatalogView, ModelFacts
    from inputs.environment import Environment, EnvironmentDocument
    from inputs.errors import (
        DuplicateKeyError,
        Problem,
        SpecError,
        SpecKindError,
        SpecReadError,
        SpecSyntaxError,
        SpecValidationError,
    )
    from inputs.loader import (
        SpecObject,
        load_environment,
        load_environment_workloads,
        load_file,
        load_template_file,
        load_text,
        load_workloads,
    )
    from inputs.paths import find_yaml_files, resolve_workload_globs
    from inputs.template import (
        TemplateLibrary,
        WorkloadTemplate,
        WorkloadTemplateDocument,
    )
    from inputs.template_library import TemplateFolders, template_search_path
    from inputs.workload import Workload, WorkloadDocument
    from inputs.yaml_source import SourceRef
