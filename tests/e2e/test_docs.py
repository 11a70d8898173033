"""Numbers the docs quote must be the numbers the code produces."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import calibrate  # noqa: E402  (a script, not a package)
from click.testing import CliRunner  # noqa: E402

from inferplan.cli.main import main  # noqa: E402
from sizing.catalog import default_catalog  # noqa: E402
from sizing.performance.calibration import DEFAULT_FILES  # noqa: E402
from sizing.performance.efficiency import load_efficiency  # noqa: E402


def test_sizing_model_doc_shows_the_committed_factors_and_calibration_tables() -> None:
    """Refresh with: ./dev python scripts/calibrate.py --update-docs"""
    eff = load_efficiency()
    tables = calibrate.generated_tables(DEFAULT_FILES, default_catalog(), eff)
    text = calibrate.DOCS.read_text(encoding="utf-8")
    assert calibrate.documented(text, eff, *tables) == text


OPTIMIZER_DOC = ROOT / "docs" / "optimizer.md"
PLAN_EXCERPT_INTRO = (
    "`./dev inferplan plan examples/support-chat.yaml --format json` gives (abridged):"
)


def _plan_excerpt(text: str) -> str:
    """The fenced ```json block right after the sentence that introduces it."""
    after = text.split(PLAN_EXCERPT_INTRO, 1)[1]
    match = re.match(r"\s*```json\n(.*?)\n```", after, re.DOTALL)
    assert match, "the worked example's JSON excerpt must follow its introducing sentence"
    return match.group(1)


def test_optimizer_worked_example_quotes_the_current_plan(monkeypatch) -> None:
    """Refresh docs/optimizer.md's worked example when this fails (and its prose with it)."""
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(
        main, ["plan", "examples/support-chat.yaml", "--format", "json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)["workloads"][0]
    excerpt = _plan_excerpt(OPTIMIZER_DOC.read_text(encoding="utf-8"))

    quoted = {
        "predicted": ("ttft_p95_ms", "tps_per_request", "concurrency_per_replica"),
        "cost": ("monthly_usd",),
        "aks": ("vm_sku", "tensor_parallel", "replicas", "nodes"),
    }
    for section, keys in quoted.items():
        for key in keys:
            value = json.dumps(plan[section][key])
            # Inside that section's object, the exact value (no further digits after it).
            pattern = rf'"{section}":\s*\{{[^}}]*"{re.escape(key)}":\s*{re.escape(value)}(?![\d.])'
            assert re.search(pattern, excerpt), f"{section}.{key} should read {value}"
    for reason in plan["reasons"]:
        assert json.dumps(reason, ensure_ascii=False) in excerpt, reason


FOUNDRY_DOC = ROOT / "docs" / "foundry-models.md"


@pytest.mark.parametrize(
    ("example", "ranks"),
    [("open-70b-managed", (1, 2, 10, 11)), ("open-70b-self-hosted", (1, 3, 6, 14))],
)
def test_foundry_models_doc_quotes_the_candidates_the_plan_lists(example, ranks) -> None:
    """Each row of the worked examples: its configuration, its monthly cost, and which one won."""
    result = CliRunner().invoke(
        main,
        ["plan", "--candidates", "--format", "json", str(ROOT / "examples" / f"{example}.yaml")],
    )
    assert result.exit_code == 0, result.output
    listed = {c["rank"]: c for c in json.loads(result.output)["candidates"]}
    text = FOUNDRY_DOC.read_text(encoding="utf-8")
    section = text.split(f"`examples/{example}.yaml`", 1)[1].split("\n\n|", 1)[1]
    rows = ("|" + section.split("\n\n", 1)[0]).splitlines()[2:]  # past the header and rule
    ranked = {int(n): row for row in rows for n in row.split("|")[1].split(",")}
    for rank in ranks:
        c = listed[rank]
        row = ranked[rank]
        assert f"{c['monthly_usd']:,.0f}" in row, (rank, row)
        assert ("chosen" in row) == c["chosen"], (rank, row)
        if c["rejection_kind"]:
            assert f"`{c['rejection_kind']}`" in row or "costs" in row or "minimum" in row


AOAI_DOC = ROOT / "docs" / "azure-openai-sizing.md"


def test_priority_worked_example_quotes_the_candidates_the_plan_lists() -> None:
    """Each row of the tail-speed example: the option's monthly cost, its verdict, the winner."""
    example = ROOT / "examples" / "priority-voice-agent.yaml"
    result = CliRunner().invoke(main, ["plan", "--candidates", "--format", "json", str(example)])
    assert result.exit_code == 0, result.output
    listed = {c["configuration"]: c for c in json.loads(result.output)["candidates"]}
    text = AOAI_DOC.read_text(encoding="utf-8")
    section = text.split("`examples/priority-voice-agent.yaml`", 1)[1].split("\n\n|", 1)[1]
    rows = ("|" + section.split("\n\n", 1)[0]).splitlines()[2:]  # past the header and rule
    assert len(rows) == 6
    for row in rows:
        configuration, cost, verdict = (cell.strip() for cell in row.strip("|").split("|"))
        c = listed[configuration.strip("`")]
        assert cost == f"{c['monthly_usd']:,.0f}", row
        assert ("chosen" in verdict) == c["chosen"], row
        assert (c["rejection_kind"] is not None) == verdict.startswith(f"`{c['rejection_kind']}`")
