"""Each short flag means one thing across the whole tool (`-o` is always --output)."""

from collections import defaultdict

import click

from tests.cli.test_help_audit import EVERY


def test_each_short_flag_maps_to_one_long_name():
    meanings = defaultdict(set)
    for path, command in EVERY:
        for param in command.params:
            if not isinstance(param, click.Option):
                continue
            names = param.opts + param.secondary_opts
            longs = [n for n in names if n.startswith("--")]
            for short in (n for n in names if not n.startswith("--")):
                meanings[short].add((longs[0] if longs else None, " ".join(path)))
    clashes = {short: sorted(uses) for short, uses in meanings.items()
               if len({long for long, _ in uses}) > 1}
    assert not clashes, clashes


def test_the_output_folder_options_are_spelled_output_and_keep_their_old_name():
    from tests.support.cli import invoke

    for args in (("mam", "prepare"), ("publish",)):
        text = invoke(*args, "--help").stdout
        assert "-o, --output, --output-dir DIR" in text, args
