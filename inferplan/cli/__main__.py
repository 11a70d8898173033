"""``python -m inferplan.cli``: the ``inferplan`` command (``./dev`` installs a launcher of that
name in the project's environment; completion and usage lines key on the name)."""

from inferplan.cli.main import main

main(prog_name="inferplan")
