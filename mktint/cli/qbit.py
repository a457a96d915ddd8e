"""`mktint qbit` — not built yet."""

import click


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def qbit() -> None:
    """Not built yet."""
    raise click.ClickException("mktint qbit is not built yet")
