"""`mktint book` — audiobook metadata from Audnexus and from local files.

This branch carries the local commands only (``inspect``, ``fix-paths`` from
``mktint.cli.book_local``); the Audnexus commands join the same group.
"""

import click

from mktint.cli.book_local import fix_paths, inspect


@click.group()
def book() -> None:
    """Audiobook metadata from Audnexus and local files."""


book.add_command(inspect)
book.add_command(fix_paths)
