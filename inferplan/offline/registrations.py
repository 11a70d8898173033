"""What one offline run of the Pulumi program registered, as plain data (no Pulumi imported).

``inferplan.offline.capture`` fills these in under mocks; preview, render, check, diff and the
result cache read them. Keeping them apart from the runner means a command whose capture comes
from the cache never imports the Pulumi SDK.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

COMPUTED = "<computed>"
SECRET = "<secret>"


def mask_secrets(value: Any) -> Any:
    """The same data with every secret's value hidden, for printing and PR comments."""
    if isinstance(value, dict):
        if set(value) == {SECRET}:
            return {SECRET: "***"}
        return {k: mask_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_secrets(v) for v in value]
    return value


@dataclass(frozen=True)
class Registration:
    """One resource as the program registered it."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    provider: str | None
    inputs: dict[str, Any]
    protect: bool
    depends_on: tuple[str, ...]  # explicit dependsOn only
    ignore_changes: tuple[str, ...]
    delete_before_replace: bool
    replace_on_changes: tuple[str, ...]
    retain_on_delete: bool

    @property
    def key(self) -> str:
        """Type and name: what identifies a resource across two captures (URNs embed the
        mock stack's type chain, see the module docstring)."""
        return f"{self.type}::{self.name}"

    def options(self) -> dict[str, Any]:
        opts: dict[str, Any] = {}
        if self.protect:
            opts["protect"] = True
        if self.depends_on:
            opts["dependsOn"] = list(self.depends_on)
        if self.ignore_changes:
            opts["ignoreChanges"] = list(self.ignore_changes)
        if self.delete_before_replace:
            opts["deleteBeforeReplace"] = True
        if self.replace_on_changes:
            opts["replaceOnChanges"] = list(self.replace_on_changes)
        if self.retain_on_delete:
            opts["retainOnDelete"] = True
        return opts


@dataclass
class Capture:
    """Everything one program run registered, in a stable order."""

    resources: list[Registration] = field(default_factory=list)
    invokes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    exports: dict[str, Any] = field(default_factory=dict)

    def by_urn(self) -> dict[str, Registration]:
        return {r.urn: r for r in self.resources}

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.resources if r.type == type_]

    def get(self, type_: str, name: str) -> Registration:
        matches = [r for r in self.resources if r.type == type_ and r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources of type {type_} named {name}")
        return matches[0]

    def key_of(self, urn: str | None) -> str | None:
        """``type::name`` of the resource a URN (or a provider reference) points at; None for
        the stack itself."""
        if urn is None or urn.endswith("pulumi:pulumi:Stack::" + urn.rsplit("::", 1)[-1]):
            return None
        index = self.by_urn()
        r = index.get(urn) or index.get(urn.rsplit("::", 1)[0])  # providers: "<urn>::<id>"
        return r.key if r else urn

    def to_data(self) -> list[dict[str, Any]]:
        """Every resource with its inputs and options, references by type::name, secrets masked."""
        return [
            {
                "type": r.type,
                "name": r.name,
                "parent": self.key_of(r.parent),
                "provider": self.key_of(r.provider),
                "custom": r.custom,
                "options": {
                    k: ([self.key_of(u) for u in v] if k == "dependsOn" else v)
                    for k, v in r.options().items()
                },
                "inputs": mask_secrets(r.inputs),
            }
            for r in self.resources
        ]


def capture_to_data(result: Capture) -> dict[str, Any]:
    """The whole capture as JSON data (URNs kept), for the result cache; `capture_from_data`
    reads it back to an equal `Capture`."""
    return {
        "resources": [
            {f.name: getattr(r, f.name) for f in fields(Registration)} for r in result.resources
        ],
        "invokes": [[token, args] for token, args in result.invokes],
        "exports": result.exports,
    }


def capture_from_data(data: dict[str, Any]) -> Capture:
    tuples = ("depends_on", "ignore_changes", "replace_on_changes")
    return Capture(
        resources=[
            Registration(**{k: tuple(v) if k in tuples else v for k, v in r.items()})
            for r in data["resources"]
        ],
        invokes=[(token, args) for token, args in data["invokes"]],
        exports=data["exports"],
    )


def capture_json(result: Capture) -> str:
    return json.dumps(
        {"resources": result.to_data(), "exports": mask_secrets(result.exports)},
        indent=2,
        sort_keys=False,
        ensure_ascii=False,
    )
