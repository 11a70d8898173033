"""Import only the Pulumi SDK modules the program uses.

Each pulumi-azure-native service package (``pulumi_azure_native.network``) imports every one of
its resource modules in its ``__init__`` (network: about 290), and so does each
pulumi-kubernetes API version (``pulumi_kubernetes.core.v1``), so the first ``network.Subnet``
of a cold offline run costs seconds of class building for resources the stack never creates.
`install` puts a `ResourcePackage` in place of each such package before the SDK is imported:
the same package (same ``__path__``, same modules), whose names are imported one module at a
time when first used. ``VirtualNetwork`` comes from ``virtual_network.py`` (azure-native) or
``Deployment`` from ``Deployment.py`` (kubernetes), enums and argument types from
``_enums``/``_inputs``/``outputs``; a name found nowhere else loads the package the SDK's own
way, so nothing is ever missing, only later.

The resource classes are the SDK's own: registrations, URNs and inputs are what an eager import
gives (the offline capture tests compare them). Effectful: edits ``sys.modules``.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

SDK = "pulumi_azure_native"
KUBERNETES_SDK = "pulumi_kubernetes"
# Where a name that is not a resource or function of its own module is defined.
SHARED_MODULES = ("_enums", "_inputs", "outputs")
_WORD = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def module_name(name: str) -> str:
    """``VirtualNetwork`` -> ``virtual_network``, ``get_subnet`` stays, as the SDK names its
    module files."""
    return _WORD.sub("_", name).lower()


class ResourcePackage(types.ModuleType):
    """A service package of the SDK whose names are imported when first read."""

    def __init__(self, name: str, folder: Path, naming: Callable[[str], str]) -> None:
        super().__init__(name)
        self._naming = naming
        self.__path__ = [str(folder)]
        self.__package__ = name
        self.__file__ = str(folder / "__init__.py")
        self.__spec__ = importlib.util.spec_from_file_location(
            name, folder / "__init__.py", submodule_search_locations=[str(folder)]
        )
        self._folder = folder
        self._complete = False

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_folder", "_complete", "_naming"):
            raise AttributeError(name)
        own = self._naming(name.removesuffix("_output"))  # get_x_output is in get_x.py
        if (self._folder / own / "__init__.py").is_file():  # a sub-package (an API version)
            return importlib.import_module(f"{self.__name__}.{own}")
        candidates = [own] if (self._folder / f"{own}.py").is_file() else []
        for module in (*candidates, *SHARED_MODULES):
            if not (self._folder / f"{module}.py").is_file():
                continue
            loaded = importlib.import_module(f"{self.__name__}.{module}")
            if hasattr(loaded, name):
                value = getattr(loaded, name)
                setattr(self, name, value)
                return value
            if module == name:  # ``from . import outputs``: the module itself
                return loaded
        if name not in self.__dict__ and not self._complete:
            # A name this scheme does not place: load the package the SDK's own way (once;
            # an import above may already have done so).
            self._complete = True
            assert self.__spec__ is not None and self.__spec__.loader is not None
            self.__spec__.loader.exec_module(self)
        if name in self.__dict__:
            return self.__dict__[name]
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")


def install() -> int:
    """Put a `ResourcePackage` in ``sys.modules`` for every service package of
    pulumi-azure-native and every API version package of pulumi-kubernetes, unless that SDK is
    already imported (then it stays as it is). Returns how many were put there."""
    count = 0
    for folder, name in _packages(SDK, depth=1):
        sys.modules[name] = ResourcePackage(name, folder, module_name)
        count += 1
    for folder, name in _packages(KUBERNETES_SDK, depth=2):
        if folder.name.startswith("v"):  # core/v1, apps/v1: modules named as their class
            sys.modules[name] = ResourcePackage(name, folder, str)
            count += 1
    return count


def _packages(sdk: str, *, depth: int) -> list[tuple[Path, str]]:
    """(folder, module name) of the packages ``depth`` levels below ``sdk`` not imported yet;
    none when ``sdk`` is imported already or not installed."""
    if sdk in sys.modules:
        return []
    spec = importlib.util.find_spec(sdk)
    if spec is None or not spec.submodule_search_locations:
        return []
    root = Path(next(iter(spec.submodule_search_locations)))
    pattern = "/".join(["[!_]*"] * depth) + "/__init__.py"
    found = []
    for init in sorted(root.glob(pattern)):
        folder = init.parent
        name = ".".join((sdk, *folder.relative_to(root).parts))
        if name not in sys.modules:
            found.append((folder, name))
    return found
