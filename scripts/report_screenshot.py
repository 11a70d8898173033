"""Regenerate the README's picture of ``inferplan report``: docs/images/report-prod.png.

    ./dev python scripts/report_screenshot.py [--stack prod] [--out docs/images/report-prod.png]

Writes the stack's report page to a temporary folder with ``inferplan report`` and photographs
its top with headless Chromium (Debian's ``chromium`` package; ``apt-get install chromium``).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WINDOW = "1280,1600"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stack", default="prod")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "report-prod.png")
    args = parser.parse_args()
    browser = next(
        (shutil.which(b) for b in ("chromium", "chromium-browser") if shutil.which(b)), None
    )
    if browser is None:
        sys.exit("no Chromium found: apt-get install chromium")
    with tempfile.TemporaryDirectory(prefix="inferplan-report-") as tmp:
        subprocess.run(
            [sys.executable, "-m", "inferplan.cli", "report", args.stack, "--out", tmp],
            cwd=ROOT,
            check=True,
        )
        page = Path(tmp) / "index.html"
        args.out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--user-data-dir={Path(tmp) / 'profile'}",
                f"--window-size={WINDOW}",
                f"--screenshot={args.out.resolve()}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
        )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
