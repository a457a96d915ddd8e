"""`mktint completion bash|zsh|fish`: print a completion script and where to put it."""

from __future__ import annotations

import click

SHELLS = {
    "bash": ("mktint.bash", "~/.local/share/bash-completion/completions/mktint"),
    "zsh": ("_mktint", '"${fpath[1]}/_mktint"   (any directory on $fpath)'),
    "fish": ("mktint.fish", "~/.config/fish/completions/mktint.fish"),
}


def completion_script(shell: str) -> str:
    """The script click generates for ``shell`` (the files in completions/ are copies)."""
    from click.shell_completion import get_completion_class

    from mktint.cli.root import cli

    return get_completion_class(shell)(cli, {}, "mktint", "_MKTINT_COMPLETE").source()


@click.command()
@click.argument("shell", type=click.Choice(sorted(SHELLS)))
def completion(shell: str) -> None:
    """Print the completion script for SHELL; install it once, not on every shell start.

    \b
    Examples:
      mktint completion bash > ~/.local/share/bash-completion/completions/mktint
      mktint completion zsh > "${fpath[1]}/_mktint"
      mktint completion fish > ~/.config/fish/completions/mktint.fish
    """
    click.echo(completion_script(shell), nl=False)
    click.echo(f"# install: mktint completion {shell} > {SHELLS[shell][1]}", err=True)
