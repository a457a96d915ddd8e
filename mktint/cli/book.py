"""`mktint book` — not built yet."""

import click


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def book() -> None:
    """Not built yet."""
    raise click.ClickException("mktint book is not built yet")
