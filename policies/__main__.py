"""The Pulumi policy pack: ``pulumi preview --policy-pack policies`` (rules in policies.rules).

Pulumi runs the pack from this folder; the project's packages are the repository root's folders,
so the root goes first on the path (the project is run from its repository, never installed).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from policies.pack import build_pack

build_pack()
