"""Parse server command lines with the engine's own argument parser (run by the engine's Python).

Reads a JSON list of argument lists on standard input; prints a JSON list with, per command
line, ``{"ok": true, "args": {dest: value}}`` or ``{"ok": false, "error": [...]}``. The parser
is the one ``vllm serve`` builds (``make_arg_parser`` in
``vllm/entrypoints/launchers/cli_args.py``, v0.32.0) and its checks
(``validate_parsed_serve_args``), so an unknown flag, a bad value or a combination the server
refuses fails here as it would in the container.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys


def parse(argv: list[str]) -> dict:
    from vllm.entrypoints.launchers.cli_args import make_arg_parser, validate_parsed_serve_args
    from vllm.utils.argparse_utils import FlexibleArgumentParser

    parser = make_arg_parser(FlexibleArgumentParser(prog="vllm serve"))
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            args = parser.parse_args(argv)
        validate_parsed_serve_args(args)
    except SystemExit:
        return {"ok": False, "error": stderr.getvalue().strip().splitlines()[-1:]}
    except (TypeError, ValueError) as error:
        return {"ok": False, "error": [f"{type(error).__name__}: {error}"]}
    return {"ok": True, "args": {k: repr(v) for k, v in sorted(vars(args).items())}}


if __name__ == "__main__":
    print(json.dumps([parse(argv) for argv in json.load(sys.stdin)]))
