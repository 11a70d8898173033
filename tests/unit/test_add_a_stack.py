"""Adding a stack is one checklist (docs/infrastructure.md, "Adding a stack"), and what the
checklist asks of the workflow is checked here, in the fast tier, not after the slow ones."""

from __future__ import annotations

import re

import yaml
from conftest import ROOT

CHECKLIST = ROOT / "docs" / "infrastructure.md"
WORKFLOW = ROOT / ".github" / "workflows" / "inferplan.yml"


def test_the_preview_matrix_names_exactly_the_stacks_that_exist() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    stacks = workflow["jobs"]["preview"]["strategy"]["matrix"]["stack"]
    assert sorted(stacks) == sorted(p.stem for p in (ROOT / "stacks").glob("*.yaml"))


def test_one_section_says_everything_a_new_stack_needs() -> None:
    text = CHECKLIST.read_text(encoding="utf-8")
    section = re.search(r"^### Adding a stack\n(.*?)(?=^#)", text, re.S | re.M)
    assert section is not None
    body = section.group(1)
    for part in ("stacks/NAME.yaml", "Pulumi.NAME.yaml", "matrix", "inferplan:policyEnforcement"):
        assert part in body, part
    # The other places that mention adding stacks point here instead of repeating it.
    for other in (ROOT / "README.md", ROOT / "docs" / "pull-requests.md"):
        assert "#adding-a-stack" in other.read_text(encoding="utf-8"), other
