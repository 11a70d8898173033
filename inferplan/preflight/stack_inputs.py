"""What preflight reads before asking Azure: the stack's plan and the subscription to check.

The subscription comes from, in order: ``--subscription``, ``$AZURE_SUBSCRIPTION_ID`` (what
CI's ``azure/login`` and Pulumi's ``ARM_SUBSCRIPTION_ID`` users set), then the stack's
``Pulumi.<stack>.yaml`` ``azure-native:subscriptionId`` (what the README's deploy steps set),
so preflight checks the subscription ``pulumi up`` will deploy into.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from inputs.errors import Problem, SpecReadError, SpecValidationError
from sizing.plan import Plan

SUBSCRIPTION_CONFIG_KEY = "azure-native:subscriptionId"
SUBSCRIPTION_ENV = ("AZURE_SUBSCRIPTION_ID", "ARM_SUBSCRIPTION_ID")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

NO_SUBSCRIPTION = (
    "no subscription to check: pass --subscription <id>, set AZURE_SUBSCRIPTION_ID, or "
    f"`pulumi config set {SUBSCRIPTION_CONFIG_KEY} <id>` for the stack"
)


def subscription_for(
    stack: str,
    *,
    given: str | None,
    environ: Mapping[str, str],
    root: Path = Path(),
) -> str | None:
    """The subscription id to check, or None when none is configured anywhere.

    A value that is not a GUID is a user mistake (`SpecValidationError`, exit 2), reported
    where it was written.
    """
    if given:
        return _checked(given, Problem("--subscription", 0, 0, "", ""))
    for name in SUBSCRIPTION_ENV:
        if environ.get(name):
            return _checked(environ[name], Problem(f"${name}", 0, 0, "", ""))
    path = root / f"Pulumi.{Path(stack).stem}.yaml"
    if not path.is_file():
        return None
    from inputs.yaml_source import read_documents

    documents = read_documents(path)
    data = documents[0].data if documents and isinstance(documents[0].data, Mapping) else {}
    value = (data.get("config") or {}).get(SUBSCRIPTION_CONFIG_KEY)
    if isinstance(value, Mapping):
        value = value.get("value")  # Pulumi's long form: {value: ...}
    if value in (None, ""):
        return None
    field_path = ("config", SUBSCRIPTION_CONFIG_KEY)
    problem = documents[0].source_map.problem(field_path, "")
    return _checked(str(value), problem)


def _checked(value: str, where: Problem) -> str:
    value = value.strip()
    if not _GUID.match(value):
        raise SpecValidationError(
            [
                Problem(
                    where.file,
                    where.line,
                    where.col,
                    where.field,
                    f"subscription id {value!r} is not a GUID "
                    "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
                )
            ]
        )
    return value.lower()


def stack_plan(
    stack: str,
    *,
    catalog_dirs: tuple[Path, ...] = (),
    template_dirs: tuple[Path, ...] = (),
    root: Path = Path(),
) -> tuple[str, Plan]:
    """The environment's name and its plan, as ``inferplan plan`` and the offline run make it
    (no Pulumi program runs: preflight needs the plan only)."""
    from inputs.plan_inputs import stack_file, stack_name
    from inputs.template_library import TemplateFolders
    from sizing.catalog import catalog_for
    from sizing.planner import plan_paths

    name, path = stack_name(stack), stack_file(stack, root=root)
    if not path.is_file():
        raise SpecReadError(
            [Problem(str(path), 0, 0, "", f"no environment file for stack {name!r}")]
        )
    _, plan = plan_paths(
        [path], catalog=catalog_for(catalog_dirs), templates=TemplateFolders.default(template_dirs)
    )
    return (plan.environments[0].name if plan.environments else name), plan
