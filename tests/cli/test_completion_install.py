"""Shell completion as a user gets it: README install lines, and what each shell completes.

Each shell's install lines (mktint.cli.completion.SHELLS, shown in the README) run as a
normal user (uid 65534 when the tests run as root) in a fresh home, then the shell itself
is asked to load the completion. The mktint the user runs is a stand-in that prints what
the real one printed for this test (the test's Python lives where that user cannot read).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from mktint.cli.completion import SHELLS, completion_script
from tests.support.cli import REPO, run_subprocess

NOBODY = 65534


def readme_block_lines() -> list[str]:
    section = REPO.joinpath("README.md").read_text().split("## Shell completion", 1)[1]
    section = section.split("\n## ", 1)[0]
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        lines += [line for line in block.splitlines() if line.strip()]
    return lines


def test_readme_shows_exactly_the_install_lines():
    assert readme_block_lines() == [line for _, lines in SHELLS.values() for line in lines]


@pytest.fixture
def user_home():
    """A fresh home and a bin folder a normal user owns; yields (home, bin, run)."""
    base = Path(tempfile.mkdtemp(prefix="mktint-completion-"))
    base.chmod(0o755)
    home, bin_dir = base / "home", base / "bin"
    home.mkdir()
    bin_dir.mkdir()
    as_root = os.geteuid() == 0
    if as_root:
        os.chown(home, NOBODY, NOBODY)

    def run(argv: list[str], **env) -> subprocess.CompletedProcess:
        prefix = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"] if as_root else []
        full_env = {"HOME": str(home), "PATH": f"{bin_dir}:/usr/bin:/bin", "LANG": "C.UTF-8", **env}
        return subprocess.run(prefix + argv, env=full_env, cwd=home, capture_output=True,
                              text=True, timeout=60)

    yield home, bin_dir, run
    shutil.rmtree(base, ignore_errors=True)


def stand_in(bin_dir: Path, shell: str, response: str = "") -> None:
    """`mktint` on the user's PATH: the real script for `completion SHELL`, and a canned
    answer for a completion request."""
    (bin_dir / "script").write_text(completion_script(shell))
    (bin_dir / "response").write_text(response)
    tool = bin_dir / "mktint"
    tool.write_text(f'#!/bin/sh\nif [ -n "$_MKTINT_COMPLETE" ]; then cat {bin_dir}/response; exit 0; fi\n'
                    f'[ "$1 $2" = "completion {shell}" ] && exec cat {bin_dir}/script\nexit 2\n')
    for path in (tool, bin_dir / "script", bin_dir / "response"):
        path.chmod(0o755)


def need(shell: str) -> str:
    path = shutil.which(shell)
    if path is None:
        pytest.skip(f"{shell} is not installed (scripts/test installs it on Debian)")
    return path


def install(run, shell: str) -> None:
    for line in SHELLS[shell][1]:
        done = run([need(shell), "-c", line])
        assert done.returncode == 0, (line, done.stderr)


def test_bash_line_works_in_a_fresh_home(user_home):
    home, bin_dir, run = user_home
    stand_in(bin_dir, "bash")
    install(run, "bash")
    assert (home / ".local/share/bash-completion/completions/mktint").is_file()
    loader = Path("/usr/share/bash-completion/bash_completion")
    if not loader.exists():
        pytest.skip("the bash-completion package is not installed (it loads the file)")
    check = run(["bash", "-c", f"source {loader}; "
                 "if declare -F _comp_load >/dev/null; then _comp_load mktint; else _completion_loader mktint; fi; "
                 "complete -p mktint"])
    assert "_mktint_completion" in check.stdout, check.stderr


def test_zsh_lines_write_to_a_user_folder_and_compinit_finds_it(user_home):
    home, bin_dir, run = user_home
    stand_in(bin_dir, "zsh")
    install(run, "zsh")
    assert (home / ".zfunc/_mktint").is_file()
    check = run(["zsh", "-c", "source ~/.zshrc; print -r -- $_comps[mktint]"])
    assert check.stdout.strip() == "_mktint", check.stderr


def test_fish_line_works_and_descriptions_keep_their_commas(user_home):
    home, bin_dir, run = user_home
    answer = run_subprocess(env={"_MKTINT_COMPLETE": "fish_complete", "COMP_WORDS": "mktint ",
                                 "COMP_CWORD": ""})
    assert "Store, check and remove credentials." in answer.stdout
    stand_in(bin_dir, "fish", answer.stdout)
    install(run, "fish")
    assert (home / ".config/fish/completions/mktint.fish").is_file()
    check = run(["fish", "-c", "complete -C 'mktint '"])
    assert "auth\tStore, check and remove credentials." in check.stdout.splitlines(), check.stdout
