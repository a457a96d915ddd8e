"""Every command and option explains itself in one line; main commands show examples."""

import click
import pytest

from mktint.cli.root import cli

CTX = click.Context(cli)


def walk(command: click.Command, path: tuple[str, ...]):
    yield path, command
    if isinstance(command, click.Group):
        for name in command.list_commands(CTX):
            yield from walk(command.get_command(CTX, name), path + (name,))


EVERY = list(walk(cli, ("mktint",)))
NOT_BUILT = {path for path, command in EVERY if (command.help or "").strip() == "Not built yet."}


@pytest.mark.parametrize("path,command", EVERY, ids=[" ".join(p) for p, _ in EVERY])
def test_command_and_options_have_one_line_help(path, command):
    first_paragraph = (command.help or "").strip().split("\n\n")[0]
    assert first_paragraph and "\n" not in first_paragraph, f"{' '.join(path)}: {first_paragraph!r}"
    assert not command.get_short_help_str(200).endswith(("e.g.", "i.e.", "..."))
    for param in command.params:
        if isinstance(param, click.Option) and param.name != "help":
            assert param.help and "\n" not in param.help.strip(), f"{' '.join(path)} {param.opts}"


@pytest.mark.parametrize("path,command", EVERY, ids=[" ".join(p) for p, _ in EVERY])
def test_commands_show_examples(path, command):
    if path in NOT_BUILT or (isinstance(command, click.Group) and len(path) > 2):
        pytest.skip("a stub, or a sub-group whose commands carry the examples")
    if command is cli:
        return
    text = (command.help or "") + (command.epilog or "")
    assert "Example" in text and "\b" in text, " ".join(path)
