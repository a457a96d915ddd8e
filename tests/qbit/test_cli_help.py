"""Every `mktint qbit` command documents itself and starts without heavy imports."""

from __future__ import annotations

import click
import pytest

from mktint.cli.qbit import qbit
from tests.cli.test_root import HEAVY, imported_modules
from tests.support.cli import invoke, run_subprocess


def commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from commands(command, (*prefix, name))


def test_every_command_and_option_has_help_and_leaf_commands_have_examples():
    for path, command in commands(qbit):
        run = invoke("qbit", *path, "--help")
        assert run.exit_code == 0, path
        assert command.get_short_help_str(), path
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, (path, param.name)
        if not isinstance(command, click.Group):
            assert "Example" in run.stdout, path


@pytest.mark.parametrize("path", [("add",), ("rss", "items"), ("search", "run"), ("create",), ("watch",),
                                  ("prefs", "set"), ("transfer", "limit")])
def test_subcommand_help_imports_no_heavy_library(path):
    run = run_subprocess("qbit", *path, "--help", python_flags=("-X", "importtime"))
    assert run.exit_code == 0
    assert not imported_modules(run) & set(HEAVY)


def test_filter_completion_offers_both_generations():
    run = run_subprocess(env={"_MKTINT_COMPLETE": "bash_complete", "COMP_WORDS": "mktint qbit list --filter st",
                              "COMP_CWORD": "4"})
    offered = {line.split(",", 1)[1] for line in run.stdout.splitlines()}
    assert {"stopped", "stalled", "stalled_uploading", "stalled_downloading"} <= offered
