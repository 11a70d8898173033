"""A cold offline preview imports the Pulumi SDK modules its resources need, not every module of
each service package (pulumi-azure-native's network package alone holds about 290), and
registers exactly what an eager import registers."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT

PROBE = """
import json, sys
from inferplan.offline.stack_run import run_stack_offline
from inferplan.offline.cache import ResultCache
from inferplan.offline.registrations import capture_json
run = run_stack_offline("dev", cache=ResultCache(None))
sdks = ("pulumi_azure_native.", "pulumi_kubernetes.")
loaded = {name for name in sys.modules if name.startswith(sdks)}
print(json.dumps({"modules": sorted(loaded), "capture": capture_json(run.capture)}))
"""


def _probe(*prelude: str) -> dict:
    code = "\n".join((*prelude, PROBE))
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_only_the_modules_in_use_are_imported_and_the_capture_is_the_same() -> None:
    lazy = _probe()
    network = [m for m in lazy["modules"] if m.startswith("pulumi_azure_native.network.")]
    assert 0 < len(network) < 40, network
    assert "pulumi_azure_native.network.admin_rule" not in lazy["modules"]
    assert "pulumi_kubernetes.core.v1.Binding" not in lazy["modules"]
    # An SDK imported before install() is left as it is: the eager import, for comparison.
    eager = _probe("import pulumi_azure_native, pulumi_kubernetes")
    assert "pulumi_azure_native.network.admin_rule" in eager["modules"]
    assert lazy["capture"] == eager["capture"]
