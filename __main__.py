"""Pulumi program: stacks/<stack>.yaml -> plan -> Azure resources (see inferplan/program.py)."""

import pulumi

from inferplan.program import run_stack

run_stack(pulumi.get_stack())
