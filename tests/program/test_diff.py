"""``inferplan diff``: golden PR comments for scripted changes to a small stack, and the report.

Each case copies tests/fixtures/diff/tree (one stack, three workloads) and the repository's
templates/ into a base and a head folder, edits the head the way a pull request would, and runs
``inferplan diff --base-dir ../base`` from the head. What the command reads from the two trees
(each stack's two sides, as the subprocess protocol writes them) is saved in
tests/fixtures/diff/sides/; the reviewed comment is tests/golden/diff/<case>.md.

Every golden comment is checked from its saved sides: ``diff_report`` then ``render_markdown``,
pure and fast. A few cases (`END_TO_END`) also run the whole command and check that it still
reads the saved sides and writes the golden bytes. Regenerate deliberately with
INFERPLAN_UPDATE_GOLDEN=1 (every case then runs end to end and rewrites its sides and comment)
and review the diff.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from inferplan.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
TREE = ROOT / "tests" / "fixtures" / "diff" / "tree"
SIDES = ROOT / "tests" / "fixtures" / "diff" / "sides"
GOLDEN = ROOT / "tests" / "golden" / "diff"
UPDATE = os.environ.get("INFERPLAN_UPDATE_GOLDEN") == "1"


def make_tree(path: Path) -> Path:
    shutil.copytree(TREE, path)
    shutil.copytree(ROOT / "templates", path / "templates")
    return path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}: the fixture changed"
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def trees(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(base, head), with the working directory at head: what a pull request's CI sees."""
    base = make_tree(tmp_path / "base")
    head = make_tree(tmp_path / "head")
    monkeypatch.chdir(head)
    return base, head


_SIDES: dict[tuple, tuple] = {}


def _fingerprint(root: Path) -> tuple[tuple[str, bytes], ...]:
    return tuple(
        (p.relative_to(root).as_posix(), p.read_bytes()) for p in sorted(root.rglob("*.yaml"))
    )


@pytest.fixture(autouse=True)
def plan_each_tree_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plan and preview each distinct tree once per session (a preview takes a second or two).

    The key holds every file's content and the guardrail module in use, so a cached side is
    exactly what reading the tree again would give (the determinism test clears the cache).
    """
    from inferplan.review import base_side, diff_run, stack_sides

    real = stack_sides.read_side

    def read_side(tree, stacks, options=stack_sides.NO_OPTIONS, *, cache=None):
        checks = sys.modules.get("inferplan.review.checks", "absent")
        key = (tree.side, tree.label, tuple(stacks), _fingerprint(tree.root), id(checks))
        if key not in _SIDES:
            _SIDES[key] = real(tree, stacks, options, cache=cache)
        return _SIDES[key]

    monkeypatch.setattr(diff_run, "read_side", read_side)
    monkeypatch.setattr(base_side, "read_side", read_side)


def run_diff(*args: str):
    return CliRunner().invoke(main, ["diff", *args], catch_exceptions=False)


# --- scripted pull requests ----------------------------------------------------------------------


def concurrency_up(head: Path) -> None:
    triage = head / "workloads" / "triage.yaml"
    edit(triage, "peak_concurrency: 4\n", "peak_concurrency: 16\n")
    edit(triage, "peak_requests_per_minute: 30\n", "peak_requests_per_minute: 120\n")


def sku_change(head: Path) -> None:
    """Only 16-bit weights: the T4 pool (int8) gives way to half an RTX PRO 6000 (48 GB)."""
    edit(head / "workloads" / "triage.yaml", "precision: auto", "precision: [bf16]")


def region_change(head: Path) -> None:
    edit(head / "workloads" / "triage.yaml", "regions: [westeurope]", "regions: [francecentral]")


def new_workload(head: Path) -> None:
    shutil.copy(ROOT / "examples" / "small-open-model.yaml", head / "workloads")


def removed_workload(head: Path) -> None:
    (head / "workloads" / "docs-embed.yaml").unlink()


def template_bump(head: Path) -> None:
    """Back onto chat-eu@2, whose gpt-4o-mini is deprecated: the head cannot be deployed."""
    edit(head / "workloads" / "hr-chat.yaml", "template: chat-eu@3", "template: chat-eu@2")


def gateway_tier_v2(head: Path) -> None:
    """Classic Developer tier to Standard v2: a new API Management service."""
    edit(head / "stacks" / "small.yaml", "tier: Developer", "tier: StandardV2")


def cost_cap_exceeded(head: Path) -> None:
    edit(head / "stacks" / "small.yaml", "max_monthly_usd: 15000", "max_monthly_usd: 1500")


def infeasible_workload(head: Path) -> None:
    edit(head / "workloads" / "triage.yaml", "ttft_p95_ms: 1500", "ttft_p95_ms: 1")


def no_change(head: Path) -> None:
    pass


@dataclass(frozen=True)
class Case:
    edit: Callable[[Path], None]
    expect: tuple[str, ...]  # lines (or fragments) a reviewer must find in the comment


CASES = {
    "concurrency-up": Case(concurrency_up, ("peak concurrency 4 → 16", "2 / 2 → **5 / 5**", "(+$")),
    "sku-change": Case(
        sku_change,
        (
            "Standard_NC4as_T4_v3 → **Standard_NC72ds_xl_RTXPRO6000BSE_v6**",
            "**pool-replaced**",
            "create before delete",
        ),
    ),
    "region-change": Case(region_change, ("westeurope → **francecentral**", "**region**")),
    "new-workload": Case(new_workload, ("| `ticket-triage` | added |",)),
    "removed-workload": Case(removed_workload, ("| ~~docs-embed~~ | removed |",)),
    "template-bump": Case(
        template_bump,
        (
            "template chat-eu@3 → chat-eu@2",
            "**infeasible**",
            "gpt-4o-mini 2024-07-18 is deprecated",
        ),
    ),
    "gateway-tier-v2": Case(
        gateway_tier_v2, ("**replace**", "`sku.name` Developer → StandardV2", "[apim-tiers]")
    ),
    "cost-cap-exceeded": Case(
        cost_cap_exceeded,
        ("**cost-cap**", "not compared", "### `small`: blocked, the head plan cannot be deployed"),
    ),
    # An infeasible workload costs nothing in the head's total; that is no saving.
    "infeasible-workload": Case(
        infeasible_workload,
        ("### `small`: blocked, the head plan cannot be deployed (base $", "**infeasible**"),
    ),
    "no-change": Case(no_change, ("**`small`: no change**", "no change in any environment")),
}


# Cases that also run the whole command (planning, offline preview, the base's subprocess
# protocol); the others are checked from their saved sides only.
END_TO_END = ("concurrency-up", "no-change", "sku-change")


def recording_reports(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Record what each ``diff_report`` call is given (and the report it makes, which the
    command then completes with ``base_code`` and ``notes``)."""
    from inferplan.review import diff

    calls: list[dict] = []
    real = diff.diff_report

    def recorded(pairs, *, base_label, head_label="working tree"):
        pairs = list(pairs)
        report = real(pairs, base_label=base_label, head_label=head_label)
        calls.append({"pairs": pairs, "labels": (base_label, head_label), "report": report})
        return report

    monkeypatch.setattr(diff, "diff_report", recorded)
    return calls


def saved_sides(call: dict) -> dict:
    """What one ``diff`` read, as saved in tests/fixtures/diff/sides/."""
    from inferplan.review.stack_sides import side_to_data

    report = call["report"]
    return {
        "base_label": call["labels"][0],
        "head_label": call["labels"][1],
        "base_code": report["base_code"],
        "notes": report.get("notes") or [],
        "stacks": [
            {
                "stack": stack,
                "base": side_to_data(base) if base else None,
                "head": side_to_data(head) if head else None,
            }
            for stack, base, head in call["pairs"]
        ],
    }


def comment_from_saved(saved: dict) -> str:
    """The comment the command writes for these sides: the report, then its Markdown."""
    from inferplan.review.diff import diff_report
    from inferplan.review.diff_markdown import render_markdown
    from inferplan.review.stack_sides import side_from_data

    pairs = [
        (
            s["stack"],
            side_from_data(s["base"]) if s["base"] else None,
            side_from_data(s["head"]) if s["head"] else None,
        )
        for s in saved["stacks"]
    ]
    report = diff_report(pairs, base_label=saved["base_label"], head_label=saved["head_label"])
    report["base_code"] = saved["base_code"]
    if saved["notes"]:
        report["notes"] = saved["notes"]
    return render_markdown(report)


def _write_sides(path: Path, data: dict) -> None:
    """Gzipped JSON (a side holds the whole offline capture: about 300 kB as text, 45 kB so);
    no timestamp in the gzip header, so the same sides give the same bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    path.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))


def _read_sides(name: str) -> dict:
    return json.loads(gzip.decompress((SIDES / f"{name}.json.gz").read_bytes()))


@pytest.mark.parametrize("name", sorted(CASES) if UPDATE else END_TO_END)
def test_golden_comment_end_to_end(name: str, trees: tuple[Path, Path], monkeypatch) -> None:
    _, head = trees
    CASES[name].edit(head)
    calls = recording_reports(monkeypatch)
    result = run_diff("--base-dir", "../base")
    assert result.exit_code == 0, result.output
    (call,) = calls
    saved = saved_sides(call)
    # what the saved inputs hold is what the command read, JSON round trip included
    saved = json.loads(json.dumps(saved, ensure_ascii=False))
    golden = GOLDEN / f"{name}.md"
    if UPDATE:
        _write_sides(SIDES / f"{name}.json.gz", saved)
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(result.output, encoding="utf-8")
    assert saved == _read_sides(name)
    assert result.output == golden.read_text(encoding="utf-8")
    assert comment_from_saved(saved) == result.output


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_comment(name: str) -> None:
    text = comment_from_saved(_read_sides(name))
    for fragment in CASES[name].expect:
        assert fragment in text, f"{fragment!r} missing:\n{text}"
    assert text == (GOLDEN / f"{name}.md").read_text(encoding="utf-8")


def test_every_case_has_saved_sides_and_a_golden_comment() -> None:
    assert sorted(p.name.removesuffix(".json.gz") for p in SIDES.iterdir()) == sorted(CASES)
    assert sorted(p.stem for p in GOLDEN.glob("*.md")) == sorted(CASES)


def test_the_comment_has_one_marker_for_itself_and_one_per_stack(trees) -> None:
    base, head = trees
    shutil.copy(head / "stacks" / "small.yaml", head / "stacks" / "second.yaml")
    edit(head / "stacks" / "second.yaml", "name: small", "name: second")
    text = run_diff("--base-dir", str(base)).output
    assert text.startswith("<!-- inferplan-diff -->\n")
    assert text.count("<!-- inferplan-diff -->") == 1
    assert "<!-- inferplan-diff:second -->" in text
    assert "<!-- inferplan-diff:small -->" in text
    assert "### `second`: new environment" in text
    assert "`base` → `working tree`" in text  # an absolute --base-dir shows as its name only


def test_a_stack_removed_from_the_head_is_an_environment_removed(trees) -> None:
    _, head = trees
    (head / "stacks" / "small.yaml").unlink()
    result = run_diff("--base-dir", "../base")
    assert result.exit_code == 0
    assert re.search(
        r"^### `small`: environment removed \(\$[\d,]+/month no longer planned\)$",
        result.output,
        re.M,
    ), result.output
    assert "merging destroys nothing" in result.output


# --- the report as data --------------------------------------------------------------------------


def test_json_carries_the_same_content_as_data(trees) -> None:
    _, head = trees
    sku_change(head)
    result = run_diff("--base-dir", "../base", "--format", "json")
    assert result.exit_code == 0
    report = json.loads(result.output)
    assert (report["apiVersion"], report["kind"], report["base"]) == (
        "inferplan/v1",
        "PlanDiff",
        "../base",
    )
    (stack,) = report["stacks"]
    assert stack["status"] == "changed"
    (triage,) = stack["workloads"]
    assert triage["name"] == "triage"
    assert triage["base"]["vm_sku"] == "Standard_NC4as_T4_v3"
    assert triage["head"]["vm_sku"] == "Standard_NC72ds_xl_RTXPRO6000BSE_v6"
    assert triage["slo"] == {"ttft_p95_ms": 1500, "output_tokens_per_second_p50": 20}
    assert stack["totals"]["delta_monthly_usd"] == pytest.approx(
        stack["totals"]["head_monthly_usd"] - stack["totals"]["base_monthly_usd"], abs=0.01
    )
    resources = stack["resources"]
    # The new pool, and (the head's bf16 checkpoint is pinned, so staged) the weights store and
    # its staging Job.
    pool = "azure-native:containerservice:AgentPool::aks-weu-nc72ds1219d3"
    assert pool in resources["added"]
    staging = [k for k in resources["added"] if k != pool]
    assert "azure-native:storage:StorageAccount::weights-account" in staging
    assert all("weights" in k or "staging" in k or "azure-cli" in k for k in staging), staging
    assert resources["removed"] == ["azure-native:containerservice:AgentPool::aks-weu-nc4as0e34a10"]
    assert all("::" in c["key"] and not c["key"].startswith("urn:") for c in resources["changed"])
    # 16-bit weights come from the gated meta-llama repository, and the stack sets no token:
    # the plan warns (gated-model) and the policy says the pods would not start
    # (half an RTX PRO 6000 serves 32 concurrent requests: the peak of 4 is low utilisation)
    kinds = [w["kind"] for w in stack["warnings"]]
    assert kinds == ["pool-replaced", "plan", "plan", "policy"]
    assert "(gated-model)" in stack["warnings"][1]["message"]
    assert "(low-utilization)" in stack["warnings"][2]["message"]
    assert "gated-model-token" in stack["warnings"][3]["message"]


def test_output_is_deterministic_and_names_no_machine_path(trees, tmp_path: Path) -> None:
    _, head = trees
    region_change(head)
    first = run_diff("--base-dir", "../base", "--format", "json").output
    _SIDES.clear()  # plan and preview both trees again
    second = run_diff("--base-dir", "../base", "--format", "json").output
    markdown = run_diff("--base-dir", "../base").output
    assert first == second
    for text in (first, markdown):
        assert str(tmp_path) not in text
        assert str(ROOT) not in text
        assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text)  # no timestamps


def test_output_file_is_written(trees) -> None:
    _, head = trees
    result = run_diff("--base-dir", "../base", "--output", "out/comment.md")
    assert result.exit_code == 0
    assert result.output == ""
    assert (head / "out" / "comment.md").read_text().startswith("<!-- inferplan-diff -->")


# --- bad input: exit 2, naming the side ----------------------------------------------------------


def test_spec_errors_name_the_side(trees) -> None:
    base, head = trees
    edit(base / "workloads" / "triage.yaml", "peak_concurrency: 4", "peak_concurrency: many")
    edit(head / "workloads" / "hr-chat.yaml", "max_input_tokens: 6000", "max_input_tokens: 0")
    result = CliRunner().invoke(main, ["diff", "--base-dir", "../base"])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert any(
        line.startswith("base (../base): workloads/triage.yaml:") and "peak_concurrency" in line
        for line in lines
    ), result.output
    assert any(line.startswith("head (working tree): workloads/hr-chat.yaml:") for line in lines), (
        result.output
    )


def test_a_stack_on_neither_side_is_bad_input(trees) -> None:
    result = CliRunner().invoke(main, ["diff", "--base-dir", "../base", "nope"])
    assert result.exit_code == 2
    assert "no environment file for stack 'nope' on either side" in result.output


def test_base_and_base_dir_are_exclusive(trees) -> None:
    assert CliRunner().invoke(main, ["diff"]).exit_code == 2
    both = CliRunner().invoke(main, ["diff", "--base", "HEAD", "--base-dir", "../base"])
    assert both.exit_code == 2


def test_a_stack_can_be_named_by_its_file(trees) -> None:
    _, head = trees
    concurrency_up(head)
    by_file = run_diff("--base-dir", "../base", "stacks/small.yaml").output
    assert by_file == run_diff("--base-dir", "../base", "small").output


# --- policy findings -----------------------------------------------------------------------------


def test_mandatory_policy_findings_of_the_head_become_warnings(trees, monkeypatch) -> None:
    """Until inferplan.checks lands, a stand-in module plays its documented interface."""

    @dataclass(frozen=True)
    class Finding:
        rule: str
        resource: str | None
        severity: str
        message: str
        fix: str
        source: str

    calls: list[str] = []

    def evaluate(plan, capture, environment):
        calls.append(environment)
        return [
            Finding(
                "approved-templates",
                "triage",
                "mandatory",
                "workload does not use an approved template",
                "set spec.template",
                "policies",
            ),
            Finding("tags", None, "advisory", "add an owner tag", "", "policies"),
        ]

    monkeypatch.setitem(
        sys.modules, "inferplan.review.checks", types.SimpleNamespace(evaluate=evaluate)
    )
    _, head = trees
    concurrency_up(head)
    text = run_diff("--base-dir", "../base").output
    assert calls == ["small"]  # the head side only
    assert (
        "**policy**: policy `approved-templates` on `triage`: workload does not use an approved "
        "template. Fix: set spec.template [policies]"
    ) in text
    assert "owner tag" not in text  # advisory findings stay in `inferplan check`


def test_a_long_comment_shortens_its_lists_to_fit() -> None:
    from inferplan.review.diff import StackSide, diff_report
    from inferplan.review.diff_markdown import render_markdown

    plan = {"environments": [{"name": "big", "monthly_usd": 0}], "workloads": []}
    many = [
        {"type": "kubernetes:core/v1:ConfigMap", "name": f"cm-{i:03}", "inputs": {}, "options": {}}
        for i in range(300)
    ]
    report = diff_report(
        [("big", StackSide("big", plan, [], side_name="base"), StackSide("big", plan, many))],
        base_label="main",
    )
    full = render_markdown(report)
    assert "- … and 280 more" in full
    assert full.count("`kubernetes:core/v1:ConfigMap::") == 20
    short = render_markdown(report, max_chars=600)
    assert len(short) <= 600
    assert "300 added" in short and "ConfigMap::" not in short
    cut = render_markdown(report, max_chars=300)
    assert len(cut) <= 300 and cut.endswith("run `inferplan diff` for the rest)\n")


def _mermaid_bars(text: str) -> dict[str, int]:
    block = text.split("```mermaid\n", 1)[1].split("```", 1)[0]
    axis = re.search(r"x-axis \[(.*)\]", block).group(1)
    bars = re.search(r"\n    bar \[(.*)\]", block).group(1)
    labels = [label.strip().strip('"') for label in axis.split(",")]
    return dict(zip(labels, (int(v) for v in bars.split(",")), strict=True))


@pytest.mark.parametrize(
    ("change", "base_present", "head_present"),
    [
        pytest.param(concurrency_up, True, True, id="changed"),
        pytest.param(
            lambda head: (head / "stacks" / "small.yaml").unlink(),
            True,
            False,
            id="environment-removed",
        ),
    ],
)
def test_the_comment_charts_each_environment_cost_before_and_after(
    trees, change, base_present, head_present
) -> None:
    _, head = trees
    change(head)
    report = json.loads(run_diff("--base-dir", "../base", "--format", "json").output)
    totals = report["stacks"][0]["totals"]
    bars = _mermaid_bars(run_diff("--base-dir", "../base").output)
    assert bars == {
        "small base": round(totals["base_monthly_usd"]) if base_present else 0,
        "small head": round(totals["head_monthly_usd"]) if head_present else 0,
    }
    assert (bars["small base"] > 0) == base_present and (bars["small head"] > 0) == head_present


@pytest.mark.parametrize(
    ("change", "head_bar_is_total"),
    [
        # the head's total leaves the infeasible workload out: a shorter bar would read as a
        # saving, so the blocked head draws nothing
        pytest.param(infeasible_workload, False, id="infeasible-workload"),
        # every workload is costed, only the cap is broken: the true total stays
        pytest.param(cost_cap_exceeded, True, id="over-its-cap"),
    ],
)
def test_a_blocked_head_is_named_so_in_the_chart(trees, change, head_bar_is_total) -> None:
    _, head = trees
    change(head)
    report = json.loads(run_diff("--base-dir", "../base", "--format", "json").output)
    (entry,) = report["stacks"]
    assert entry["blocked"] and entry["totals"]["head_monthly_usd"] > 0
    bars = _mermaid_bars(run_diff("--base-dir", "../base").output)
    head_total = round(entry["totals"]["head_monthly_usd"])
    assert bars == {
        "small base": round(entry["totals"]["base_monthly_usd"]),
        "small head (blocked)": head_total if head_bar_is_total else 0,
    }


# --- environment violations ----------------------------------------------------------------------


def test_every_environment_violation_is_one_warning_chosen_by_its_kind() -> None:
    """The cost cap is written from the violation's figures; any other violation is shown as
    planned, whatever words its sentence holds (a pool 'past its capacity cap' included)."""
    from inferplan.review.diff import StackSide, _plan_warnings

    violations = [
        {"kind": "cost-cap", "message": "planned", "planned": 5120.4, "limit": 4000},
        {
            "kind": "pool-nodes",
            "message": "the X pool in swedencentral may grow past its capacity cap",
            "planned": 1001,
            "limit": 1000,
            "region": "swedencentral",
            "vm_sku": "X",
        },
    ]
    env = {"name": "e", "monthly_usd": 5120.4, "max_monthly_usd": 4000, "violations": violations}
    head = StackSide("e", {"environments": [env], "workloads": []}, resources=[])
    warnings = _plan_warnings(None, head, [])
    assert [(w["kind"], w["message"]) for w in warnings] == [
        ("cost-cap", "$5,120/month exceeds the environment cap of $4,000"),
        ("violation", "the X pool in swedencentral may grow past its capacity cap"),
    ]


def test_a_model_change_is_said_once(trees) -> None:
    base, head = trees
    edit(head / "workloads" / "triage.yaml", "model: llama-3.1-8b-instruct", "model: qwen3-8b")
    result = run_diff("--base-dir", str(base))
    assert result.exit_code == 0, result.output
    said = re.findall(r"model \S+ → \S+", result.output)
    assert len(said) == 1, result.output


def test_quota_changes_are_a_table_not_a_paragraph(trees) -> None:
    base, head = trees
    concurrency_up(head)
    result = run_diff("--base-dir", str(base))
    assert result.exit_code == 0, result.output
    assert "Environment settings: `quota[" not in result.output
    assert "| quota | base | head |" in result.output
    assert re.search(r"^\| `quota\[\d+\]\.needed` \| \d+ \| \d+ \|$", result.output, re.M)
