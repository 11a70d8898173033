"""A content-addressed cache of offline results under ``.inferplan/cache/``.

Running the Pulumi program under mocks costs seconds (the provider SDKs' generated modules
alone take about three to import), while its result is a pure function of the plan, the code
and the installed SDKs. So a result is stored under the SHA-256 of everything that can change
it, and read back whenever that digest comes round again: the second ``preview``, the
``render``, ``check`` and ``diff`` of the same plan, or the unchanged side of a diff.

A key covers, besides what the caller adds (the plan's data, the revision's tree):

* ``code_version()``: every file of the installed ``inferplan`` packages (so the catalog data,
  templates of gateway policies and the code itself), and the versions of Python, Pulumi and
  the provider SDKs.

Entries are JSON (never pickle: a file in the working tree must not be able to run code). A
corrupt or unreadable entry is a miss; a cache that cannot be written is skipped silently,
because a cache is never the reason a command fails. Each kind keeps its newest
``MAX_ENTRIES_PER_KIND`` entries. ``INFERPLAN_CACHE_DIR`` moves the cache; ``off`` turns it
off. Effectful: reads and writes files.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

CACHE_DIR_VARIABLE = "INFERPLAN_CACHE_DIR"
DEFAULT_CACHE_DIR = Path(".inferplan") / "cache"
MAX_ENTRIES_PER_KIND = 200
CACHE_FORMAT = "inferplan-cache/1"

# Distributions whose code runs inside the offline Pulumi program or shapes its data.
RUNTIME_DISTRIBUTIONS = ("pulumi", "pulumi-azure-native", "pulumi-kubernetes", "pydantic", "PyYAML")
# Packages of this distribution, whose files make up the code version (catalog data included).
CODE_PACKAGES = (
    "inferplan",
    "inputs",
    "sizing",
    "components",
    "policies",
)
CODE_SUFFIXES = (".py", ".yaml", ".j2", ".json", ".toml")


def digest(*parts: Any) -> str:
    """SHA-256 of JSON-encoded parts (keys sorted), as hex: the same parts, the same key."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def folder_digest(folders: Iterable[Path], *, suffixes: tuple[str, ...] = CODE_SUFFIXES) -> str:
    """SHA-256 over each file's path (relative to its folder) and bytes, in a fixed order."""
    sha = hashlib.sha256()
    for folder in folders:
        sha.update(f"folder:{folder.as_posix()}\0".encode())
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.suffix not in suffixes or "__pycache__" in path.parts or not path.is_file():
                continue
            sha.update(f"{path.relative_to(folder).as_posix()}\0".encode())
            sha.update(hashlib.sha256(path.read_bytes()).digest())
    return sha.hexdigest()


def _package_folder(name: str) -> Path:
    module = sys.modules.get(name)
    if module is None:
        import importlib

        module = importlib.import_module(name)
    return Path(module.__file__ or "").resolve().parent


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "absent"


@lru_cache(maxsize=1)
def code_version() -> str:
    """What the code that computes a result is: this distribution's files, and the versions of
    Python and of the distributions that run inside the program (a few milliseconds)."""
    folders = sorted({_package_folder(name) for name in CODE_PACKAGES})
    versions = {name: _version(name) for name in RUNTIME_DISTRIBUTIONS}
    return digest(CACHE_FORMAT, sys.version, versions, folder_digest(folders))


@dataclass(frozen=True)
class ResultCache:
    """JSON values by (kind, key); ``folder`` None means caching is off."""

    folder: Path | None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ResultCache:
        """``$INFERPLAN_CACHE_DIR`` (``off``: no cache), else ``.inferplan/cache``."""
        value = (os.environ if environ is None else environ).get(CACHE_DIR_VARIABLE)
        if value is not None and value.strip().lower() in ("off", "0", "no", "false", ""):
            return cls(None)
        return cls(Path(value) if value else DEFAULT_CACHE_DIR)

    def _path(self, kind: str, key: str) -> Path | None:
        if self.folder is None:
            return None
        return self.folder / kind / f"{key}.json"

    def get(self, kind: str, key: str) -> Any | None:
        """The stored value, or None on a miss (absent, unreadable or corrupt)."""
        path = self._path(kind, key)
        if path is None:
            return None
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(stored, dict) or stored.get("format") != CACHE_FORMAT:
            return None
        if stored.get("key") != key:
            return None
        return stored.get("value")

    def put(self, kind: str, key: str, value: Any) -> None:
        """Store ``value`` (JSON data) atomically; a folder that cannot be written is skipped."""
        path = self._path(kind, key)
        if path is None:
            return
        text = json.dumps({"format": CACHE_FORMAT, "key": key, "value": value}, sort_keys=True)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _ignore_in_git(path.parent.parent)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, path)
            _prune(path.parent)
        except OSError:
            return


def _ignore_in_git(folder: Path) -> None:
    """A ``.gitignore`` of ``*`` at the cache's top, so a cache outside ``.inferplan/`` (or a
    project without that line) never ends up in a commit."""
    marker = folder / ".gitignore"
    if not marker.exists():
        marker.write_text("*\n", encoding="utf-8")


def _prune(folder: Path) -> None:
    entries = sorted(
        (p for p in folder.glob("*.json") if not p.name.startswith(".tmp-")),
        key=lambda p: p.stat().st_mtime,
    )
    for old in entries[: max(0, len(entries) - MAX_ENTRIES_PER_KIND)]:
        old.unlink(missing_ok=True)
