"""The ``inferplan`` command: one click group (`inferplan.cli.main`) and a module per command."""
