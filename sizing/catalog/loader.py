"""Read catalog files into one immutable `Catalog`, and look entries up by id or alias.

The only effectful part of the sizing engine: it reads YAML files. Everything after the read is
pure. A catalog is built from the built-in files under ``data/`` followed by any number of user
folders; within one kind, an entry of a later file replaces the entry with the same id of an
earlier one, so a platform team can correct a price or add a GPU without forking the package.

A file's top-level ``kind:`` decides how it is read. The built-in kinds are registered below;
another module registers its own with `register_kind`. A kind that is not registered yet is
looked up by convention in the module ``sizing.catalog.<kind>``, which registers it
when imported; so a new kind needs no edit here.

Catalog files are read by the same YAML reader as workload files (`inputs.yaml_source`:
positions, duplicate keys, YAML 1.2 scalars) and their mistakes are reported the same way.

Lookups normalise names (case-insensitive, ``_`` equal to ``-``, spaces as ``-``) so
``Llama-3.1-70B-Instruct``, ``llama_3.1_70b_instruct`` and an alias all find the same model.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from inputs.errors import SpecError
from inputs.pydantic_errors import problems_from_validation_error
from inputs.yaml_source import SourceMap, YamlDocument, parse_documents
from sizing.catalog import file_schema
from sizing.catalog.entries import GpuSpec, ModelSpec, PrecisionSpec, Region, VmSku
from sizing.catalog.errors import CatalogError, UnknownEntryError
from sizing.catalog.file_schema import CatalogFileHeader, EntryProblem, Loc

if TYPE_CHECKING:
    from sizing.catalog.azure_openai import AoaiCatalog

BUILTIN_DATA_DIR = Path(__file__).with_name("data")
CATALOG_PATH_ENV = "INFERPLAN_CATALOG_PATH"


# --- kinds --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogProblem:
    """A cross-reference mistake found after all files are merged (e.g. an unknown GPU id)."""

    section: str
    entry_id: str
    field: str  # path inside the entry, e.g. "regions.2"
    message: str


@dataclass(frozen=True)
class CatalogKind:
    """How to read one ``kind:`` of catalog file.

    ``parse(data, origin)`` gets the file's YAML mapping and its path (for messages) and returns
    ``(entry id, location in the file, entry)`` triples for section ``section``. It may raise a
    pydantic ``ValidationError`` (validating ``file_model``) or `EntryProblem`, which the loader
    turns into ``file:line:col: field: message``. ``check`` looks at the merged catalog for
    cross-reference mistakes. ``label`` names one entry in messages ("model", "VM SKU").
    """

    kind: str
    section: str
    label: str
    parse: Callable[[dict[str, Any], str], Iterable[tuple[str, Loc, Any]]]
    check: Callable[[Catalog], Iterable[CatalogProblem]] | None = None
    file_model: type[BaseModel] | None = None  # for did-you-mean on unknown fields


_KINDS: dict[str, CatalogKind] = {}


def register_kind(kind: CatalogKind) -> None:
    """Make files with ``kind: <kind.kind>`` loadable. Registering a kind again replaces it."""
    _KINDS[kind.kind] = kind
    default_catalog.cache_clear()


def registered_kinds() -> tuple[str, ...]:
    return tuple(sorted(_KINDS))


def entries_kind(
    kind: str,
    section: str,
    label: str,
    file_model: type[BaseModel],
    entries: Callable[[Any], Iterable[tuple[str, Loc, Any]]],
    check: Callable[[Catalog], Iterable[CatalogProblem]] | None = None,
) -> CatalogKind:
    """A kind whose file validates as ``file_model`` and holds many entries with ids."""

    def parse(data: dict[str, Any], origin: str) -> Iterable[tuple[str, Loc, Any]]:
        return entries(file_model.model_validate(data))

    return CatalogKind(kind, section, label, parse, check, file_model)


def document_kind(
    kind: str,
    parse: Callable[[dict[str, Any], str], Iterable[tuple[str, Loc, Any]]],
    file_model: type[BaseModel] | None = None,
    label: str | None = None,
) -> CatalogKind:
    """A kind whose file is one document, kept whole as ``catalog.document(kind)``.

    A later file of the same kind replaces the earlier document entirely.
    """
    return CatalogKind(
        kind, kind, label or kind.replace("_", " ") + " catalog", parse, None, file_model
    )


def _kind_for(name: str) -> CatalogKind | None:
    """The registered kind, importing ``sizing.catalog.<name>`` first if it is not
    registered: a plug-in module registers its kind with `register_kind` when imported."""
    if name not in _KINDS and name.replace("-", "_").isidentifier():
        module_name = "sizing.catalog." + name.replace("-", "_")
        try:
            importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
    return _KINDS.get(name)


# --- the catalog --------------------------------------------------------------------------------


def normalize_name(name: str) -> str:
    """The form names are compared in: lower case, ``_`` and spaces as ``-``."""
    return name.strip().lower().replace("_", "-").replace(" ", "-")


def _names_of(entry: Any) -> tuple[str, ...]:
    primary = getattr(entry, "id", None) or getattr(entry, "name", None)
    names = [primary] if primary else []
    names.extend(getattr(entry, "aliases", ()))
    display = getattr(entry, "display_name", None)
    if display:
        names.append(display)
    return tuple(names)


@dataclass(frozen=True)
class Catalog:
    """Every catalog entry by kind: ``section name -> {id: entry}``, ids sorted.

    Built by `load_catalog`; immutable. ``models`` ... ``regions`` are the built-in sections;
    kinds registered by other modules are reached with `section` and `lookup`.
    """

    sections: Mapping[str, Mapping[str, Any]]
    labels: Mapping[str, str] = field(default_factory=dict)
    _index: Mapping[str, Mapping[str, str]] = field(default_factory=dict, repr=False)

    @property
    def models(self) -> Mapping[str, ModelSpec]:
        return self.section("models")

    @property
    def gpus(self) -> Mapping[str, GpuSpec]:
        return self.section("gpus")

    @property
    def precisions(self) -> Mapping[str, PrecisionSpec]:
        return self.section("precisions")

    @property
    def vm_skus(self) -> Mapping[str, VmSku]:
        return self.section("vm_skus")

    @property
    def regions(self) -> Mapping[str, Region]:
        return self.section("regions")

    @property
    def azure_openai(self) -> AoaiCatalog:
        """The Azure OpenAI offers document (`sizing.catalog.azure_openai`)."""
        return self.document("azure_openai")

    def section(self, name: str) -> Mapping[str, Any]:
        """All entries of one section (empty when no file of that kind was loaded)."""
        return self.sections.get(name, MappingProxyType({}))

    def document(self, kind: str) -> Any:
        """The single document of a `document_kind` section (e.g. ``"azure_openai"``)."""
        document = self.section(kind).get(kind)
        if document is None:
            raise UnknownEntryError("catalog document", kind, [])
        return document

    def lookup(self, section: str, name: str) -> Any:
        """The entry whose id or alias is ``name``; raises `UnknownEntryError` with suggestions."""
        index = self._index.get(section, {})
        key = normalize_name(name)
        if key in index:
            return self.sections[section][index[key]]
        label = self.labels.get(section, section)
        close = difflib.get_close_matches(key, list(index), n=6, cutoff=0.6)
        suggestions = list(dict.fromkeys(index[match] for match in close))[:3]
        raise UnknownEntryError(label, name, suggestions)

    def model(self, name: str) -> ModelSpec:
        return self.lookup("models", name)

    def gpu(self, name: str) -> GpuSpec:
        return self.lookup("gpus", name)

    def precision(self, name: str) -> PrecisionSpec:
        return self.lookup("precisions", name)

    def vm_sku(self, name: str) -> VmSku:
        return self.lookup("vm_skus", name)

    def region(self, name: str) -> Region:
        return self.lookup("regions", name)

    def vm_skus_for_gpu(self, gpu: str) -> list[VmSku]:
        """The VM sizes carrying ``gpu`` (id or alias), sorted by name."""
        gpu_id = self.gpu(gpu).id
        return [sku for _, sku in sorted(self.vm_skus.items()) if sku.gpu == gpu_id]


# --- reading files ------------------------------------------------------------------------------


def _catalog_files(directory: Path) -> list[Path]:
    if directory.is_file():
        return [directory]
    if not directory.is_dir():
        raise CatalogError.at("catalog folder not found", file=str(directory))
    return sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def _read(path: Path) -> YamlDocument:
    """The one document of a catalog file, read by the same YAML reader as workload files."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogError.at(f"cannot read: {error}", file=file) from error
    if not any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines()):
        raise CatalogError.at("file is empty; a catalog file is a mapping with `kind:`", file=file)
    try:
        documents = parse_documents(text, file)
    except SpecError as error:
        raise CatalogError(error.problems) from None
    if len(documents) > 1:
        second = documents[1].source_map.document_start
        raise CatalogError.at(
            "a catalog file holds one document; split the others into files of their own",
            file=file,
            line=second.line,
            col=second.col,
        )
    return documents[0]


def _parse_file(path: Path) -> tuple[CatalogKind, SourceMap, list[tuple[str, Loc, Any]]]:
    document = _read(path)
    data, where = document.data, document.source_map
    kind_name = data.get("kind")
    if not isinstance(kind_name, str):
        raise CatalogError([where.problem(("kind",), "missing `kind:`")])
    kind = _kind_for(kind_name)
    if kind is None:
        known = ", ".join(registered_kinds())
        message = f"unknown catalog kind {kind_name!r}; known: {known}"
        raise CatalogError([where.problem(("kind",), message)])
    try:
        CatalogFileHeader.model_validate({k: data.get(k) for k in ("kind", "schema_version")})
        entries = list(kind.parse(data, str(path)))
    except ValidationError as error:
        model = kind.file_model or CatalogFileHeader
        raise CatalogError(problems_from_validation_error(error, model, where)) from None
    except EntryProblem as problem:
        raise CatalogError([where.problem(problem.loc, problem.message)]) from None
    return kind, where, entries


def _build(paths: Sequence[Path]) -> Catalog:
    merged: dict[str, dict[str, Any]] = {}
    origins: dict[tuple[str, str], tuple[SourceMap, Loc]] = {}
    labels: dict[str, str] = {}
    checks: list[CatalogKind] = []
    for path in paths:
        kind, where, entries = _parse_file(path)
        labels[kind.section] = kind.label
        if kind.check and kind not in checks:
            checks.append(kind)
        seen_here: set[str] = set()
        section = merged.setdefault(kind.section, {})
        for entry_id, loc, entry in entries:
            if entry_id in seen_here:
                message = f"{kind.label} {entry_id!r} is defined twice in this file"
                raise CatalogError([where.problem(loc, message)])
            seen_here.add(entry_id)
            section[entry_id] = entry  # a later file overrides an earlier one
            origins[(kind.section, entry_id)] = (where, loc)

    def fail(section: str, entry_id: str, sub_field: str, message: str) -> CatalogError:
        where, entry_loc = origins[(section, entry_id)]
        parts = tuple(int(p) if p.isdigit() else p for p in sub_field.split(".") if p)
        return CatalogError([where.problem(entry_loc + parts, message)])

    index: dict[str, dict[str, str]] = {}
    for section_name, entries_by_id in merged.items():
        names: dict[str, str] = {}
        for entry_id in sorted(entries_by_id):
            for name in (entry_id, *_names_of(entries_by_id[entry_id])):
                key = normalize_name(name)
                if names.setdefault(key, entry_id) != entry_id:
                    raise fail(
                        section_name,
                        entry_id,
                        "",
                        f"name {name!r} already names {labels[section_name]} {names[key]!r}",
                    )
        index[section_name] = names

    sections = {
        name: MappingProxyType({entry_id: entries[entry_id] for entry_id in sorted(entries)})
        for name, entries in sorted(merged.items())
    }
    catalog = Catalog(
        sections=MappingProxyType(sections),
        labels=MappingProxyType(labels),
        _index=MappingProxyType({k: MappingProxyType(v) for k, v in index.items()}),
    )
    for kind in checks:
        assert kind.check is not None
        for problem in kind.check(catalog):
            raise fail(problem.section, problem.entry_id, problem.field, problem.message)
    return catalog


def load_catalog(extra_dirs: Iterable[Path | str] = (), *, builtin: bool = True) -> Catalog:
    """The built-in catalog files, then every YAML file of each folder in ``extra_dirs``.

    Files of one folder are read in name order. An entry whose id an earlier file already
    defined replaces it whole (aliases included). Raises `CatalogError` with the problems of the
    first file that has any.
    """
    paths: list[Path] = _catalog_files(BUILTIN_DATA_DIR) if builtin else []
    for directory in extra_dirs:
        paths.extend(_catalog_files(Path(directory)))
    return _build(paths)


def catalog_dirs_from_env(value: str | None = None) -> list[Path]:
    """The folders named by ``INFERPLAN_CATALOG_PATH`` (``os.pathsep``-separated)."""
    text = os.environ.get(CATALOG_PATH_ENV, "") if value is None else value
    return [Path(part) for part in text.split(os.pathsep) if part.strip()]


@functools.lru_cache(maxsize=8)
def _cached_catalog(env_value: str) -> Catalog:
    return load_catalog(catalog_dirs_from_env(env_value))


def default_catalog() -> Catalog:
    """The built-in catalog plus the folders in ``INFERPLAN_CATALOG_PATH``, cached per value."""
    return _cached_catalog(os.environ.get(CATALOG_PATH_ENV, ""))


default_catalog.cache_clear = _cached_catalog.cache_clear  # type: ignore[attr-defined]


def catalog_for(extra_dirs: Sequence[Path | str] = ()) -> Catalog:
    """The catalog a command sees: built-in files, ``INFERPLAN_CATALOG_PATH``, then
    ``extra_dirs`` (``--catalog``), later files overriding earlier ones."""
    if not extra_dirs:
        return default_catalog()
    return load_catalog([*catalog_dirs_from_env(), *map(Path, extra_dirs)])


# --- built-in kinds -----------------------------------------------------------------------------


def _check_vm_skus(catalog: Catalog) -> Iterable[CatalogProblem]:
    for name, sku in catalog.vm_skus.items():
        if sku.gpu not in catalog.gpus:
            yield CatalogProblem("vm_skus", name, "gpu", f"unknown GPU id {sku.gpu!r}")
        for region in sku.regions:
            if region not in catalog.regions:
                yield CatalogProblem("vm_skus", name, "regions", f"unknown region {region!r}")


def _check_models(catalog: Catalog) -> Iterable[CatalogProblem]:
    """A model's published precision and checkpoint keys are precision ids of the catalog."""
    known = catalog.precisions
    for name, model in catalog.models.items():
        if model.hosting != "managed" and model.published_precision not in known:
            message = f"unknown precision {model.published_precision!r}"
            yield CatalogProblem("models", name, "published_precision", message)
        for precision in model.checkpoints:
            if precision not in known:
                message = f"unknown precision {precision!r}"
                yield CatalogProblem("models", name, f"checkpoints.{precision}", message)


def _check_regions(catalog: Catalog) -> Iterable[CatalogProblem]:
    for name, region in catalog.regions.items():
        if region.paired_region and region.paired_region not in catalog.regions:
            message = f"unknown region {region.paired_region!r}"
            yield CatalogProblem("regions", name, "paired_region", message)


for _kind in (
    entries_kind(
        "models",
        "models",
        "model",
        file_schema.ModelsFile,
        file_schema.model_entries,
        _check_models,
    ),
    entries_kind("gpus", "gpus", "GPU", file_schema.GpusFile, file_schema.gpu_entries),
    entries_kind(
        "precisions",
        "precisions",
        "precision",
        file_schema.PrecisionsFile,
        file_schema.precision_entries,
    ),
    entries_kind(
        "regions",
        "regions",
        "region",
        file_schema.RegionsFile,
        file_schema.region_entries,
        _check_regions,
    ),
    entries_kind(
        "vm_skus",
        "vm_skus",
        "VM SKU",
        file_schema.VmSkusFile,
        file_schema.vm_sku_entries,
        _check_vm_skus,
    ),
):
    register_kind(_kind)


def _register_azure_openai() -> None:
    from sizing.catalog.azure_openai import AoaiCatalog, azure_openai_entries

    register_kind(
        document_kind(
            "azure_openai", azure_openai_entries, AoaiCatalog, label="Azure OpenAI catalog"
        )
    )


_register_azure_openai()
