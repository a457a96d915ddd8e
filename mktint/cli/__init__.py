"""The command-line interface. Importing this package must stay cheap (click only)."""

from mktint.cli.root import cli, main

__all__ = ["cli", "main"]
