"""Pulumi program: stacks/<stack>.yaml -> plan -> Azure resources (see components/program.py)."""

import pulumi

from components.program import run_stack

run_stack(pulumi.get_stack())
