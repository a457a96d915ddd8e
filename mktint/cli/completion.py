"""`mktint completion` — not built yet."""

import click


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def completion() -> None:
    """Not built yet."""
    raise click.ClickException("mktint completion is not built yet")
