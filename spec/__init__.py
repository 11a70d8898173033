"""Workload and environment specs: YAML in, validated immutable objects out.

Typical use (the caller supplies catalog facts through a `CatalogView`)::

    from spec import load_environment, load_environment_workloads, load_workloads

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
    "CatalogView": "spec.catalog_view",
    "ModelFacts": "spec.catalog_view",
    "InMemoryCatalogView": "spec.catalog_view",
    "Environment": "spec.environment",
    "EnvironmentDocument": "spec.environment",
    "DuplicateKeyError": "spec.errors",
    "Problem": "spec.errors",
    "SpecError": "spec.errors",
    "SpecKindError": "spec.errors",
    "SpecReadError": "spec.errors",
    "SpecSyntaxError": "spec.errors",
    "SpecValidationError": "spec.errors",
    "SpecObject": "spec.loader",
    "load_environment": "spec.loader",
    "load_environment_workloads": "spec.loader",
    "load_file": "spec.loader",
    "load_text": "spec.loader",
    "load_template_file": "spec.loader",
    "load_workloads": "spec.loader",
    "find_yaml_files": "spec.paths",
    "resolve_workload_globs": "spec.paths",
    "TemplateLibrary": "spec.template",
    "WorkloadTemplate": "spec.template",
    "WorkloadTemplateDocument": "spec.template",
    "TemplateFolders": "spec.template_library",
    "template_search_path": "spec.template_library",
    "Workload": "spec.workload",
    "WorkloadDocument": "spec.workload",
    "SourceRef": "spec.yaml_source",
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
        raise AttributeError(f"module 'spec' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)


if TYPE_CHECKING:
    from spec.catalog_view import CatalogView, InMemoryCatalogView, ModelFacts
    from spec.environment import Environment, EnvironmentDocument
    from spec.errors import (
        DuplicateKeyError,
        Problem,
        SpecError,
        SpecKindError,
        SpecReadError,
        SpecSyntaxError,
        SpecValidationError,
    )
    from spec.loader import (
        SpecObject,
        load_environment,
        load_environment_workloads,
        load_file,
        load_template_file,
        load_text,
        load_workloads,
    )
    from spec.paths import find_yaml_files, resolve_workload_globs
    from spec.template import TemplateLibrary, WorkloadTemplate, WorkloadTemplateDocument
    from spec.template_library import TemplateFolders, template_search_path
    from spec.workload import Workload, WorkloadDocument
    from spec.yaml_source import SourceRef
