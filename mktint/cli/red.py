"""`mktint red` — not built yet."""

import click


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def red() -> None:
    """Not built yet."""
    raise click.ClickException("mktint red is not built yet")
