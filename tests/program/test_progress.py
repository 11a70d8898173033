"""Progress on stderr for slow commands: on a terminal only, never mixed with data."""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from inferplan.cli.progress import progress_for, progress_wanted


class Stream(io.StringIO):
    def __init__(self, terminal: bool) -> None:
        super().__init__()
        self.terminal = terminal

    def isatty(self) -> bool:
        return self.terminal


@pytest.mark.parametrize(
    ("fmt", "output", "stdout_tty", "stderr_tty", "wanted"),
    [
        pytest.param("tree", None, True, True, True, id="human-format-on-a-terminal"),
        pytest.param("json", None, True, True, False, id="json-to-the-terminal"),
        pytest.param("csv", None, True, True, False, id="csv-to-the-terminal"),
        pytest.param("markdown", None, True, True, False, id="markdown-to-the-terminal"),
        pytest.param("json", None, False, True, True, id="json-piped-away"),
        pytest.param("markdown", Path("x.md"), True, True, True, id="markdown-to-a-file"),
        pytest.param("tree", None, True, False, False, id="stderr-not-a-terminal"),
    ],
)
def test_when_progress_shows(fmt, output, stdout_tty, stderr_tty, wanted) -> None:
    out, err = Stream(stdout_tty), Stream(stderr_tty)
    assert progress_wanted(fmt, output, stdout=out, stderr=err) is wanted
    with progress_for(fmt, output, stdout=out, stderr=err) as step:
        step("planning dev")
    assert ("planning dev" in err.getvalue()) is wanted
    assert out.getvalue() == ""  # never on stdout


def _run_with_terminal_stderr(tmp_path: Path, *args: str) -> tuple[str, str, int]:
    """Run the CLI with stderr on a pseudo-terminal and stdout to a file."""
    primary, secondary = pty.openpty()
    env = dict(os.environ, COLUMNS="120")
    out_path = tmp_path / "stdout"
    with out_path.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "inferplan.cli", *args],
            cwd=ROOT,
            stdout=out,
            stderr=secondary,
            env=env,
        )
    os.close(secondary)
    seen = b""
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        seen += chunk
    process.wait(timeout=600)
    os.close(primary)
    return out_path.read_text(encoding="utf-8"), seen.decode(errors="replace"), process.returncode


def test_preview_shows_progress_on_a_terminal_and_keeps_json_clean(tmp_path: Path) -> None:
    stdout, terminal, code = _run_with_terminal_stderr(
        tmp_path, "preview", "dev", "--format", "json"
    )
    assert code == 0
    assert "inferplan: planning dev and running its Pulumi program offline" in terminal
    assert json.loads(stdout)["resources"]  # the data is whole and nothing else is in it
