"""Every command and option explains itself in one line; every command shows examples."""

import re

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
    """Every command and group, the root included, has an `Examples:` block kept as written
    (click's \\b), with at least one `mktint ...` line in it."""
    text = (command.help or "") + "\n\n" + (command.epilog or "")
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.lstrip().startswith("\x08")]
    examples = [p for p in paragraphs if re.search(r"^\s*Examples?\b.*:$", p, re.M)]
    assert examples, f"{' '.join(path)}: no Examples block"
    lines = examples[0].split("Example", 1)[1].splitlines()[1:]
    assert any("mktint " in line for line in lines), f"{' '.join(path)}: {examples[0]!r}"
