"""``inferplan diff --base REV [STACK...]``: what a pull request changes, as a PR comment.

Both sides are planned and previewed offline by the code of the working tree; the base side
reads its inputs from the base revision: stacks/, the workload files they list, templates/ and
the catalog data (sizing/catalog/data). `read_side` does that for one tree; `inferplan.diff`
compares the results.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from inferplan.cli.context import CliContext
from inferplan.cli.errors_output import EXIT_BAD_INPUT, EXIT_OK

if TYPE_CHECKING:
    from inferplan.inputs.errors import Problem
    from inferplan.inputs.workload import Workload
    from inferplan.review.diff import StackSide

CATALOG_DATA = Path("sizing") / "catalog" / "data"


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


def stack_names(root: Path) -> list[str]:
    folder = root / "stacks"
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))


def _stack_arg(text: str) -> str:
    """``dev`` or ``stacks/dev.yaml`` both mean the stack dev."""
    path = Path(text)
    return path.stem if path.suffix in (".yaml", ".yml") else text


def _relative(problem: Problem, root: Path) -> Problem:
    from dataclasses import replace

    try:
        shown = Path(problem.file).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return problem
    return replace(problem, file=shown)


def intent_of(workload: Workload) -> dict[str, Any]:
    """What the spec asks for, in the keys `inferplan.diff.INTENT_LABELS` names."""
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


def _catalog(tree: Tree, context: CliContext) -> tuple[Any, list[str]]:
    """The tree's own catalog data when it has some (so catalog edits show), plus the
    ``--catalog`` and ``$INFERPLAN_CATALOG_PATH`` folders; else the built-in catalog."""
    from inferplan.sizing.catalog.errors import CatalogError
    from inferplan.sizing.catalog.loader import catalog_dirs_from_env, load_catalog

    extra = [*catalog_dirs_from_env(), *context.catalog_dirs]
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
    tree: Tree, stacks: Sequence[str], context: CliContext
) -> tuple[dict[str, StackSide], list[str]]:
    """Plan and preview each of ``stacks`` that ``tree`` has; notes for the report.

    Raises `SideInputError` with every spec problem of the tree, each line naming the side.
    """
    from inferplan.components.program import InfeasiblePlanError, deployable, environment_program
    from inferplan.inputs.errors import SpecError
    from inferplan.inputs.plan_inputs import load_inputs
    from inferplan.inputs.template_library import TemplateFolders, template_search_path
    from inferplan.offline.capture import capture
    from inferplan.offline.stack_config import offline_config, read_stack_config
    from inferplan.review.diff import StackSide
    from inferplan.sizing.catalog.input_facts import CatalogFacts
    from inferplan.sizing.plan import plan_to_data
    from inferplan.sizing.planning import build_plan

    present = [s for s in stacks if (tree.root / "stacks" / f"{s}.yaml").is_file()]
    if not present:
        return {}, []
    catalog, notes = _catalog(tree, context)
    view = CatalogFacts(catalog)
    templates = TemplateFolders(
        template_search_path(context.template_dirs, cwd_templates=tree.root / "templates")
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
        result = capture(
            environment_program(plan, environment),
            stack=environment,
            preview=True,
            config=config,
            secret_keys=secret_keys,
        )
        findings = _mandatory_findings(plan, result, environment) if tree.policy else ()
        sides[stack] = StackSide(
            stack, plan_to_data(plan), result.to_data(), (), intent, findings, tree.side
        )
    if problems:
        raise SideInputError([f"{tree.who}: {p.format()}" for p in sorted(set(problems))])
    return sides, notes


def _mandatory_findings(plan: Any, result: Any, environment: str) -> tuple[dict[str, Any], ...]:
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


def build_report(
    base: Tree, head: Tree, stacks: Sequence[str], context: CliContext
) -> dict[str, Any]:
    """Read both trees and compare them; `SideInputError` on bad input of either side."""
    from inferplan.review.diff import diff_report

    wanted = [_stack_arg(s) for s in stacks]
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
    errors: list[str] = []
    sides: dict[str, dict[str, StackSide]] = {}
    notes: list[str] = []
    for tree in (base, head):
        try:
            sides[tree.side], tree_notes = read_side(tree, wanted, context)
            notes += tree_notes
        except SideInputError as error:
            errors += error.lines
    if errors:
        raise SideInputError(errors)
    pairs = [(s, sides["base"].get(s), sides["head"].get(s)) for s in sorted(set(wanted))]
    report = diff_report(pairs, base_label=base.label, head_label=head.label)
    if notes:
        report["notes"] = sorted(notes)
    return report


def _label_for_dir(path: Path) -> str:
    """A folder as the report names it: as given when relative, its name when absolute."""
    return path.name if path.is_absolute() else path.as_posix()


@click.command()
@click.argument("stacks", nargs=-1)
@click.option("--base", "base_rev", metavar="REV", help="Git revision to compare with.")
@click.option(
    "--base-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Another checkout to compare with, instead of --base.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "json"]),
    default="markdown",
    show_default=True,
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file."
)
@click.pass_obj
def diff(
    context: CliContext,
    stacks: tuple[str, ...],
    base_rev: str | None,
    base_dir: Path | None,
    fmt: str,
    output: Path | None,
) -> None:
    """Compare the stacks of the working tree with a base revision, for a pull request.

    STACK is a name (stacks/STACK.yaml) or an environment file; default: every stack on either
    side (a stack on one side only is an environment added or removed). --base REV reads the
    base from git without touching the checkout; --base-dir DIR reads another checkout. Both
    sides are planned and previewed offline with this version of inferplan.

    Markdown (default) is one pull-request comment with a hidden marker per stack; --format
    json has the same content as data. Exit 0 when the diff is produced (warnings included), 2
    on bad input (a bad REV, a missing stack, spec errors on either side, named by side).
    """
    from contextlib import ExitStack

    from inferplan.review.diff import render_markdown
    from inferplan.review.git_base import BaseRevisionError, revision_tree

    if (base_rev is None) == (base_dir is None):
        click.echo("error: give exactly one of --base REV and --base-dir DIR", err=True)
        raise click.exceptions.Exit(EXIT_BAD_INPUT)
    head = Tree(Path(), "head", "working tree", policy=True)
    with ExitStack() as stack:
        try:
            if base_rev is not None:
                base = Tree(stack.enter_context(revision_tree(base_rev)), "base", base_rev)
            else:
                assert base_dir is not None
                base = Tree(base_dir, "base", _label_for_dir(base_dir))
            report = build_report(base, head, stacks, context)
        except BaseRevisionError as error:
            click.echo(f"error: {error}", err=True)
            raise click.exceptions.Exit(EXIT_BAD_INPUT) from None
        except SideInputError as error:
            for line in error.lines:
                click.echo(line, err=True)
            raise click.exceptions.Exit(EXIT_BAD_INPUT) from None
    if fmt == "json":
        text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    else:
        text = render_markdown(report)
    if output is None:
        click.echo(text, nl=False)
    else:
        from inferplan.cli.output_files import write_atomically

        write_atomically(output, text)
    raise click.exceptions.Exit(EXIT_OK)
