"""Numbers the docs quote must be the numbers the code produces."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import calibrate  # noqa: E402  (a script, not a package)

from sizing.calibration import compare, load_measurements, report_markdown, score  # noqa: E402
from sizing.catalog import default_catalog  # noqa: E402
from sizing.efficiency import load_efficiency  # noqa: E402


def test_sizing_model_doc_shows_the_committed_factors_and_calibration_table() -> None:
    """Refresh with: ./dev python scripts/calibrate.py --update-docs"""
    eff = load_efficiency()
    report = report_markdown(
        score(compare(load_measurements(), catalog=default_catalog(), eff=eff))
    )
    text = calibrate.DOCS.read_text(encoding="utf-8")
    assert calibrate.documented(text, eff, report) == text
