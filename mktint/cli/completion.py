"""`mktint completion bash|zsh|fish`: print a completion script and where to put it."""

from __future__ import annotations

import click

# shell → (the file shipped in completions/, the lines that install it for one user).
# The README's "Shell completion" section shows these lines; a test runs them in a fresh
# home as a normal user and checks the shell then completes.
SHELLS = {
    "bash": ("mktint.bash", [
        "mkdir -p ~/.local/share/bash-completion/completions && "
        "mktint completion bash > ~/.local/share/bash-completion/completions/mktint"]),
    "zsh": ("_mktint", [
        "mkdir -p ~/.zfunc && mktint completion zsh > ~/.zfunc/_mktint",
        "echo 'fpath=(~/.zfunc $fpath); autoload -Uz compinit && compinit' >> ~/.zshrc   # once"]),
    "fish": ("mktint.fish", [
        "mkdir -p ~/.config/fish/completions && "
        "mktint completion fish > ~/.config/fish/completions/mktint.fish"]),
}


def completion_script(shell: str) -> str:
    """The script for ``shell`` (the files in completions/ are copies of these)."""
    from click.shell_completion import get_completion_class

    from mktint.cli.root import cli

    cls = _fish_class() if shell == "fish" else get_completion_class(shell)
    return cls(cli, {}, "mktint", "_MKTINT_COMPLETE").source()


def _fish_class():
    """click's fish script, splitting each answer at the first comma only.

    click's script runs `string split ","` on `type,value<TAB>description`, which cut
    every description at its first comma (`auth  Store` for "Store, check and remove").
    """
    from click.shell_completion import FishComplete

    whole = 'string split ","'
    if whole not in FishComplete.source_template:
        raise RuntimeError("click's fish script changed; revisit mktint.cli.completion")

    class Fish(FishComplete):
        source_template = FishComplete.source_template.replace(whole, 'string split -m 1 ","')

    return Fish


HELP = "\n".join([
    "Print the completion script for SHELL; install it once, not on every shell start.",
    "", "\b", "Examples (each installs for you alone, in your home):",
    *(f"  {line}" for _, lines in SHELLS.values() for line in lines)])


@click.command(help=HELP)
@click.argument("shell", type=click.Choice(sorted(SHELLS)))
def completion(shell: str) -> None:
    click.echo(completion_script(shell), nl=False)
    for line in SHELLS[shell][1]:
        click.echo(f"# install: {line}", err=True)
