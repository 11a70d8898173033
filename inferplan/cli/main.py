"""The ``inferplan`` command: a thin shell over spec, sizing and components.

Importing this module must stay cheap (``inferplan --help`` imports nothing but click): each
command lives in its own ``cmd_*`` module and imports pydantic, sizing or rich inside its body.
To add a command, write ``inferplan/cmd_<name>.py`` with a click command and list it in
`COMMANDS`.
"""

from __future__ import annotations

import atexit
import functools
import gc
import os
import sys
from pathlib import Path
from typing import Any

import click

from inferplan import __version__
from inferplan.cli.cmd_calibrate import calibrate
from inferplan.cli.cmd_catalog import catalog
from inferplan.cli.cmd_check import check
from inferplan.cli.cmd_diff import diff
from inferplan.cli.cmd_estimate import estimate
from inferplan.cli.cmd_plan import plan
from inferplan.cli.cmd_preflight import preflight
from inferplan.cli.cmd_preview import preview
from inferplan.cli.cmd_render import render
from inferplan.cli.cmd_report import report
from inferplan.cli.cmd_schema import schema
from inferplan.cli.cmd_templates import templates
from inferplan.cli.cmd_validate import validate
from inferplan.cli.cmd_verify import verify
from inferplan.cli.context import CliContext

COMMANDS: tuple[click.Command, ...] = (
    validate,
    schema,
    estimate,
    plan,
    preview,
    render,
    report,
    check,
    preflight,
    templates,
    diff,
    verify,
    calibrate,
    catalog,
)


@functools.cache
def skip_collection_at_exit() -> None:
    """Freeze every object left when the process ends, once per process.

    The interpreter's shutdown runs the cyclic collector over all that is alive: after an
    offline run (the SDK's classes, the program's Outputs) that walk cost 0.7 s of a cold
    ``preview`` for memory the process is about to hand back anyway; frozen objects are not
    walked. Registered with `atexit`, so a process that runs several commands (tests) keeps
    its collector as it is until it ends.
    """
    atexit.register(gc.freeze)


class InferplanGroup(click.Group):
    """The one place every command's failures become exit codes.

    What the operating system refuses (a folder that cannot be created, a file that cannot be
    written) is one line and exit 2, a closed pipe a quiet exit, a spec or catalog mistake that
    escaped its command ``file:line:col: message`` lines and exit 2. Anything else is a fault in
    inferplan: one line and exit 70, or the traceback with ``--debug`` / ``INFERPLAN_DEBUG=1``.
    """

    def main(self, *args: Any, **kwargs: Any) -> Any:
        skip_collection_at_exit()
        return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> object:
        from inferplan.cli.errors_output import (
            EXIT_BAD_INPUT,
            EXIT_INTERNAL,
            EXIT_INTERRUPTED,
            debug_requested,
            exit_on_input_errors,
            report_internal_error,
        )

        try:
            with exit_on_input_errors():
                return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            # Ctrl-C: the shell's 128 + SIGINT, not click's exit 1 (which means "SLO not met").
            click.echo("interrupted", err=True)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
        except BrokenPipeError:
            # `inferplan ... | head`: the reader left; nothing is wrong with the input.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise click.exceptions.Exit(0) from None
        except OSError as error:
            where = f"{error.filename}: " if error.filename else ""
            click.echo(f"error: {where}{error.strerror or error}", err=True)
            raise click.exceptions.Exit(EXIT_BAD_INPUT) from None
        except Exception as error:
            if debug_requested(bool(ctx.params.get("debug"))):
                raise
            report_internal_error(error)
            raise click.exceptions.Exit(EXIT_INTERNAL) from None


@click.group(cls=InferplanGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--catalog",
    "catalog_dirs",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Extra catalog folder, read after the built-in one (repeatable).",
)
@click.option(
    "--templates",
    "template_dirs",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Template folder, searched before $INFERPLAN_TEMPLATE_PATH and ./templates (repeatable).",
)
@click.option(
    "--debug",
    is_flag=True,
    help="On an internal error, show the traceback (also: INFERPLAN_DEBUG=1).",
)
@click.version_option(version=__version__, prog_name="inferplan")
@click.pass_context
def main(
    ctx: click.Context,
    catalog_dirs: tuple[Path, ...],
    template_dirs: tuple[Path, ...],
    debug: bool,
) -> None:
    """Size and provision LLM serving on Azure from workload YAML.

    Exit codes: 0 ok, 1 policy or SLA violation, 2 bad input, 70 internal error (a bug in
    inferplan; --debug shows its traceback), 130 interrupted (Ctrl-C).
    """
    ctx.obj = CliContext(catalog_dirs=catalog_dirs, template_dirs=template_dirs)


for _command in COMMANDS:
    main.add_command(_command)


if __name__ == "__main__":
    main()
