"""Which Hugging Face organisations gate their repositories (``kind: model_sources``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from inferplan.sizing.catalog.loader import document_kind, register_kind
from inferplan.sizing.catalog.sourced import SourcedEntry, Strict, cite

KIND = "model_sources"


class _OrganizationDoc(SourcedEntry):
    gated: bool


class _FileDoc(Strict):
    kind: Literal["model_sources"]
    schema_version: Literal[1]
    sources: dict[str, str]
    organizations: dict[str, _OrganizationDoc]


@dataclass(frozen=True)
class ModelSources:
    gated_by_organization: dict[str, bool]
    citations: dict[str, str]
    origin: str

    def gated(self, repository: str) -> bool | None:
        """True or False for a repository of a listed organisation, None for any other."""
        organization = repository.split("/", 1)[0] if "/" in repository else None
        if organization is None:
            return None
        return self.gated_by_organization.get(organization)


def parse_model_sources_document(data: dict[str, Any], origin: str) -> ModelSources:
    doc = _FileDoc.model_validate(data)
    citations = {
        name: cite(doc.sources, org.source, where=f"{origin}: organizations.{name}")
        for name, org in doc.organizations.items()
    }
    return ModelSources(
        gated_by_organization={name: org.gated for name, org in doc.organizations.items()},
        citations=citations,
        origin=origin,
    )


register_kind(document_kind(KIND, parse_model_sources_document))
