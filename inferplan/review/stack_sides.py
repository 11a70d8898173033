"""One side of ``inferplan diff``: the stacks of one tree, planned and previewed offline.

`read_side` plans and previews each stack of a tree with the code running it; `build_report`
reads both sides and compares them (`inferplan.review.diff`). The head side is always read in
this process, with the working tree's code. The base side runs the base revision's own code in
a subprocess (`inferplan.review.base_side`); that subprocess enters through `side_main` of its
own copy of this module, so the request and answer below are a protocol between versions:
extend them, never rename.

Request (JSON file): ``{"protocol", "root", "side", "label", "stacks", "catalog_dirs",
"template_dirs"}``. Answer (JSON file): ``{"protocol", "sides": {stack: side data}, "notes",
"errors"}``, where ``errors`` are the lines of a `SideInputError`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inferplan.offline.cache import ResultCache
    from inferplan.review.diff import StackSide
    from inputs.errors import Problem
    from inputs.workload import Workload

CATALOG_DATA = Path("sizing") / "catalog" / "data"
SIDE_PROTOCOL = "inferplan/diff-side/1"


class SideInputError(Exception):
    """One side cannot be planned: its lines already name the side (``base (main): …``)."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = list(lines)
        super().__init__("\n".join(self.lines))


@dataclass(frozen=True)
class Tree:
    """One side: where its files are, and how to name it in messages and in the report."""

    root: Path
    side: str  # "base" or "head"
    label: str  # the revision, the folder, or "working tree"
    policy: bool = False  # run the guardrails (head only)

    @property
    def who(self) -> str:
        return f"{self.side} ({self.label})"


@dataclass(frozen=True)
class SideOptions:
    """The global options that shape both sides: extra catalog and template folders."""

    catalog_dirs: tuple[Path, ...] = ()
    template_dirs: tuple[Path, ...] = ()


NO_OPTIONS = SideOptions()


def stack_names(root: Path) -> list[str]:
    folder = root / "stacks"
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))


def stack_arg(text: str) -> str:
    """``dev`` or ``stacks/dev.yaml`` both mean the stack dev."""
    path = Path(text)
    return path.stem if path.suffix in (".yaml", ".yml") else text


def _relative(problem: Problem, root: Path) -> Problem:
    try:
        shown = Path(problem.file).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return problem
    return replace(problem, file=shown)


def intent_of(workload: Workload) -> dict[str, Any]:
    """What the spec asks for, in the keys `inferplan.review.diff.INTENT_LABELS` names."""
    spec = workload.spec
    return {
        "template": workload.template,
        "model": workload.model_id,
        "deployment": spec.deployment,
        "precision": list(spec.precision),
        "max_input_tokens": spec.context.max_input_tokens,
        "max_output_tokens": spec.context.max_output_tokens,
        "peak_concurrency": spec.traffic.peak_concurrency,
        "peak_requests_per_minute": spec.traffic.peak_requests_per_minute,
        "slo_ttft_p95_ms": spec.slo.ttft_p95_ms,
        "slo_output_tokens_per_second_p50": spec.slo.output_tokens_per_second_p50,
        "slo_availability": spec.slo.availability,
        "allowed_regions": list(spec.residency.regions) if spec.residency else [],
        "max_monthly_usd": spec.cost.max_monthly_usd if spec.cost else None,
    }


def tree_catalog(tree: Tree, options: SideOptions) -> tuple[Any, list[str]]:
    """The tree's own catalog data when it has some (so catalog edits show), plus the
    ``--catalog`` and ``$INFERPLAN_CATALOG_PATH`` folders; else the built-in catalog."""
    from sizing.catalog.errors import CatalogError
    from sizing.catalog.loader import catalog_dirs_from_env, load_catalog

    extra = [*catalog_dirs_from_env(), *options.catalog_dirs]
    data = tree.root / CATALOG_DATA
    if data.is_dir():
        try:
            return load_catalog([data, *extra], builtin=False), []
        except CatalogError as error:
            if tree.side == "head":
                raise SideInputError([f"{tree.who}: {error.format()}"]) from None
            note = (
                f"the {tree.who} catalog data cannot be read by this version of inferplan "
                f"({error.format()}); the base side uses the working tree's catalog"
            )
            return load_catalog(extra), [note]
    try:
        return load_catalog(extra), []
    except CatalogError as error:
        raise SideInputError([f"{tree.who}: {error.format()}"]) from None


def read_side(
    tree: Tree,
    stacks: Sequence[str],
    options: SideOptions = NO_OPTIONS,
    *,
    cache: ResultCache | None = None,
) -> tuple[dict[str, StackSide], list[str]]:
    """Plan and preview each of ``stacks`` that ``tree`` has, with the code of this process;
    notes for the report. Captures come from the result cache when the plan was seen before.

    Raises `SideInputError` with every spec problem of the tree, each line naming the side.
    """
    from components.program import InfeasiblePlanError, deployable
    from inferplan.offline.stack_config import offline_config, read_stack_config
    from inferplan.offline.stack_run import capture_plan
    from inferplan.review.diff import StackSide
    from inputs.errors import SpecError
    from inputs.plan_inputs import load_inputs
    from inputs.template_library import TemplateFolders, template_search_path
    from sizing.catalog.input_facts import CatalogFacts
    from sizing.plan import plan_to_data
    from sizing.planner import build_plan

    present = [s for s in stacks if (tree.root / "stacks" / f"{s}.yaml").is_file()]
    if not present:
        return {}, []
    catalog, notes = tree_catalog(tree, options)
    view = CatalogFacts(catalog)
    templates = TemplateFolders(
        template_search_path(options.template_dirs, cwd_templates=tree.root / "templates")
    )
    sides: dict[str, StackSide] = {}
    problems: list[Problem] = []
    for stack in present:
        path = tree.root / "stacks" / f"{stack}.yaml"
        try:
            inputs = load_inputs([path], view, templates=templates)
            plan = build_plan(inputs, catalog=catalog)  # sizing's refusals are spec errors too
        except SpecError as error:
            problems += [_relative(p, tree.root) for p in error.problems]
            continue
        environment = plan.environments[0].name if plan.environments else stack
        intent = {w.name: intent_of(w) for w, _ in inputs.workloads}
        try:
            deployable(plan, environment)
        except InfeasiblePlanError as error:
            sides[stack] = StackSide(
                stack, plan_to_data(plan), None, (str(error),), intent, side_name=tree.side
            )
            continue
        config, secret_keys = offline_config(read_stack_config(environment, root=tree.root))
        result, _ = capture_plan(
            plan, environment, cache=cache, config=config, secret_keys=secret_keys
        )
        findings = mandatory_findings(plan, result, environment) if tree.policy else ()
        sides[stack] = StackSide(
            stack, plan_to_data(plan), result.to_data(), (), intent, findings, tree.side
        )
    if problems:
        raise SideInputError([f"{tree.who}: {p.format()}" for p in sorted(set(problems))])
    return sides, notes


def mandatory_findings(plan: Any, result: Any, environment: str) -> tuple[dict[str, Any], ...]:
    """The head's mandatory guardrail findings."""
    from inferplan.review.checks import evaluate

    found = [
        {
            "rule": f.rule,
            "resource": f.resource,
            "message": f.message,
            "fix": f.fix,
            "source": f.source,
        }
        for f in evaluate(plan, result, environment)
        if f.severity == "mandatory"
    ]
    return tuple(sorted(found, key=lambda f: (str(f["rule"]), str(f["resource"] or ""))))


# --- sides as data (the subprocess protocol and the side cache) ---------------------------------


def side_to_data(side: StackSide) -> dict[str, Any]:
    return {
        "stack": side.stack,
        "plan": side.plan,
        "resources": side.resources,
        "blocked": list(side.blocked),
        "intent": side.intent,
        "findings": list(side.findings),
        "side_name": side.side_name,
    }


def side_from_data(data: Mapping[str, Any]) -> StackSide:
    from inferplan.review.diff import StackSide

    return StackSide(
        stack=data["stack"],
        plan=data["plan"],
        resources=data["resources"],
        blocked=tuple(data.get("blocked") or ()),
        intent=data.get("intent") or {},
        findings=tuple(data.get("findings") or ()),
        side_name=data.get("side_name") or "base",
    )


def side_main(request_path: str, answer_path: str) -> int:
    """The base subprocess's entry (see the module docstring): read one side, write the answer.

    Exit 0 with an answer (spec problems included, as ``errors``); anything else is a crash
    the caller reports.
    """
    request = json.loads(Path(request_path).read_text(encoding="utf-8"))
    tree = Tree(Path(request["root"]), request["side"], request["label"])
    options = SideOptions(
        catalog_dirs=tuple(Path(p) for p in request.get("catalog_dirs") or ()),
        template_dirs=tuple(Path(p) for p in request.get("template_dirs") or ()),
    )
    answer: dict[str, Any] = {"protocol": SIDE_PROTOCOL, "sides": {}, "notes": [], "errors": []}
    try:
        sides, notes = read_side(tree, request["stacks"], options)
        answer["sides"] = {stack: side_to_data(side) for stack, side in sides.items()}
        answer["notes"] = notes
    except SideInputError as error:
        answer["errors"] = error.lines
    Path(answer_path).write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")
    return 0


def wanted_stacks(base: Tree, head: Tree, stacks: Sequence[str]) -> list[str]:
    """The stacks named (default: every stack of either side); `SideInputError` for one that
    neither side has."""
    wanted = [stack_arg(s) for s in stacks]
    if not wanted:
        wanted = sorted(set(stack_names(base.root)) | set(stack_names(head.root)))
    missing = [
        s for s in wanted if s not in stack_names(base.root) and s not in stack_names(head.root)
    ]
    if missing:
        raise SideInputError(
            [
                f"stacks/{s}.yaml: no environment file for stack {s!r} on either side"
                for s in missing
            ]
        )
    return wanted
