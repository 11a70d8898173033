"""Review tools over plans and offline runs: guardrail checks and pull-request diffs."""
