"""Every command the README shows runs as written: mktint commands parse (the command
exists, every option is known), scripts and files it names exist, and Python is run as
`.venv/bin/python` (the README's own set-up makes it), with the extra it needs."""

from __future__ import annotations

import re
import shlex

import pytest

from tests.support.cli import REPO, invoke

README = (REPO / "README.md").read_text()
SEPARATORS = {"&&", "||", "|", ";", "&", "(", ")"}
REDIRECTS = {">", ">>", "<", ">&", "<&", "&>", "|&"}


def shell_lines() -> list[str]:
    """Commands of ```sh blocks and the `$ ` lines of ```console blocks."""
    lines = []
    for lang, body in re.findall(r"```(sh|console)\n(.*?)```", README, re.S):
        for line in body.splitlines():
            if lang == "console":
                if not line.startswith("$ "):
                    continue
                line = line[2:]
            if line.strip() and not line.lstrip().startswith("#"):
                lines.append(line)
    return lines


def simple_commands(line: str) -> list[list[str]]:
    """The simple commands of one shell line, without redirections and assignments."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    commands, current, skip = [], [], False
    for token in lexer:
        if token in SEPARATORS:
            commands.append(current)
            current, skip = [], False
        elif token in REDIRECTS:
            if current and current[-1].isdigit():
                current.pop()  # the 2 of 2>&1
            skip = True  # the next word is the target
        elif skip:
            skip = False
        elif not current and re.match(r"^[A-Z_][A-Z0-9_]*=", token):
            continue  # VAR=value before a command
        else:
            current.append(token)
    commands.append(current)
    return [c for c in commands if c]


COMMANDS = [(line, words) for line in shell_lines() for words in simple_commands(line)]
MKTINT = [(line, words) for line, words in COMMANDS if words[0] in ("mktint", ".venv/bin/mktint")]


def test_the_readme_has_commands_to_check():
    assert len(MKTINT) > 50


@pytest.mark.parametrize("line,words", MKTINT, ids=[" ".join(w)[:60] for _, w in MKTINT])
def test_each_mktint_command_parses(line, words):
    run = invoke(*words[1:], "--help")
    assert run.exit_code == 0, f"{line}\n{run.stderr}"


def test_python_is_the_venv_one_and_scripts_exist():
    for line, words in COMMANDS:
        if re.match(r"^(python3?|python3\.\d+)$", words[0]):
            assert words[1:3] == ["-m", "venv"], f"run Python as .venv/bin/python: {line}"
        if words[0] in (".venv/bin/python", ".venv/bin/pip"):
            for word in words[1:]:
                if word.endswith((".py", ".txt")) or word.startswith(("scripts/", "bench/", "tests/")):
                    assert (REPO / word).exists(), f"{word} in: {line}"
        if words[0].startswith("./"):
            assert (REPO / words[0]).exists(), line
    spans = re.findall(r"`((?:python3?|\.venv/bin/python) [^`]*)`", README)
    for span in spans:
        if not span.startswith(".venv/bin/python") and " -c " not in f" {span} ":
            pytest.fail(f"run Python as .venv/bin/python: `{span}`")


def test_benchmarks_say_to_install_the_bench_extra_first():
    assert "bench/run.py" in README
    first_run = README.index("bench/run.py")
    assert "pip install -e '.[bench]'" in README[:first_run]
