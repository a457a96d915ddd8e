"""`mktint mam` — not built yet."""

import click


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def mam() -> None:
    """Not built yet."""
    raise click.ClickException("mktint mam is not built yet")
