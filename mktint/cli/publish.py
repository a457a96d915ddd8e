"""`mktint publish` — not built yet."""

import click


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def publish() -> None:
    """Not built yet."""
    raise click.ClickException("mktint publish is not built yet")
