"""``python -m inferplan.cli``: the same command as the ``inferplan`` script."""

from inferplan.cli.main import main

main()
