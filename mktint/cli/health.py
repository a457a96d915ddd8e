"""`mktint health` — not built yet."""

import click


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def health() -> None:
    """Not built yet."""
    raise click.ClickException("mktint health is not built yet")
