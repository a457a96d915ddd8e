"""`mktint torrent` — not built yet."""

import click


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def torrent() -> None:
    """Not built yet."""
    raise click.ClickException("mktint torrent is not built yet")
