"""Writing what a command produces: whole files or nothing, whole folders or nothing.

Files and folders get the permissions the user's umask gives (0644 and 0755 under the usual
022), like other tools' output; the temporary files they are staged in would otherwise keep
``tempfile``'s private 0600 and 0700.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from functools import cache
from pathlib import Path

# What ``render --out DIR`` writes beside the rendered files: the files it owns, so a later
# render replaces exactly those and never a file someone else put in DIR.
RENDER_MANIFEST = ".inferplan-render.json"


@cache
def _umask() -> int:
    """The process umask (reading it means setting it; set it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode() -> int:
    return 0o666 & ~_umask()


def folder_mode() -> int:
    return 0o777 & ~_umask()


def write_atomically(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder, so a failure leaves nothing half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _owned(out_dir: Path) -> set[str]:
    """The files a previous render wrote into ``out_dir`` (none without a readable manifest:
    then nothing there is inferplan's to remove)."""
    try:
        data = json.loads((out_dir / RENDER_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list):
        return set()
    return {f for f in files if isinstance(f, str) and ".." not in Path(f).parts}


def _carry_over(source: Path, target: Path, skip: set[str], prefix: str = "") -> bool:
    """Recreate ``source`` under ``target`` without the paths in ``skip``: files as hard links
    (no data is copied; a copy where linking is not possible), links as links. A folder that
    held only skipped files is left out. Returns whether anything was skipped."""
    skipped = False
    for entry in sorted(os.scandir(source), key=lambda e: e.name):
        rel = f"{prefix}{entry.name}"
        if rel in skip:
            skipped = True
            continue
        here = target / entry.name
        if entry.is_symlink():
            os.symlink(os.readlink(entry.path), here)
        elif entry.is_dir():
            here.mkdir()
            shutil.copystat(entry.path, here)
            if _carry_over(Path(entry.path), here, skip, f"{rel}/") and not any(here.iterdir()):
                here.rmdir()  # it held only what the previous render wrote
                skipped = True
        else:
            try:
                os.link(entry.path, here)
            except OSError:
                shutil.copy2(entry.path, here)
    return skipped


def _restore_interrupted(out_dir: Path) -> None:
    """A render killed between its two renames leaves ``out_dir`` missing and the previous
    contents beside it: put them back before anything else happens."""
    if out_dir.exists():
        return
    leftovers = sorted(out_dir.parent.glob(f".{out_dir.name}.previous-*"))
    if leftovers:
        os.rename(leftovers[-1], out_dir)


def replace_rendered_tree(out_dir: Path, files: Mapping[str, str], *, stack: str) -> None:
    """Make ``out_dir`` hold ``files`` (relative path -> text) in one swap.

    The new folder is built beside ``out_dir``: everything already in ``out_dir`` that the
    previous render did not write (its manifest, `RENDER_MANIFEST`) is carried over untouched,
    the files of the previous render are dropped, the new ones written, then the two folders
    change places with two renames and the old one is deleted. A failure before the swap
    leaves ``out_dir`` as it was; a kill between the renames is repaired by the next render.
    Readers never see new Kubernetes manifests beside old gateway policies. A symbolic link
    to a folder is written through (the link is kept, its target gets the files).
    """
    out_dir = Path(os.path.abspath(out_dir))
    if out_dir.is_symlink():
        # A link to a folder is written through: the files land in its target and the link
        # stays a link (the swap would otherwise rename the link away and put a folder there).
        if not out_dir.is_dir():
            raise NotADirectoryError(0, "is a symbolic link to no folder", str(out_dir))
        out_dir = out_dir.resolve()
    if Path.cwd().resolve().is_relative_to(out_dir.resolve()):
        raise OSError(0, "--out must not be the current folder or one above it", str(out_dir))
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _restore_interrupted(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(0, "not a folder", str(out_dir))
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.render-", dir=out_dir.parent))
    previous = out_dir.parent / f".{out_dir.name}.previous-{staging.name.rsplit('-', 1)[-1]}"
    try:
        if out_dir.exists():
            owned = _owned(out_dir) | {RENDER_MANIFEST}
            _carry_over(out_dir, staging, owned | set(files))
            shutil.copystat(out_dir, staging)
        else:
            os.chmod(staging, folder_mode())
        for rel, text in files.items():
            target = staging / rel
            for folder in reversed(target.relative_to(staging).parents[:-1]):
                (staging / folder).mkdir(mode=folder_mode(), exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="\n")
            os.chmod(target, file_mode())
        manifest = {"stack": stack, "files": sorted(files)}
        (staging / RENDER_MANIFEST).write_text(
            json.dumps(manifest, indent=2) + "\n", encoding="utf-8", newline="\n"
        )
        os.chmod(staging / RENDER_MANIFEST, file_mode())
        if out_dir.exists():
            os.rename(out_dir, previous)
        os.rename(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if previous.exists() and not out_dir.exists():
            os.rename(previous, out_dir)
        raise
    shutil.rmtree(previous, ignore_errors=True)
