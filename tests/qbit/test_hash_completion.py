"""Tab completes torrent hashes, each described by the torrent's name (issue 24)."""

from __future__ import annotations

import os

from tests.qbit.helpers import added, one
from tests.support.cli import run_subprocess
from tests.support.httpserver import free_port


def complete(words: str, shell: str = "zsh"):
    return run_subprocess(env={"_MKTINT_COMPLETE": f"{shell}_complete", "COMP_WORDS": words,
                               "COMP_CWORD": str(len(words.split(" ")) - 1)})


def test_hashes_complete_with_the_torrent_name(qb, tmp_path):
    infohash, _ = added(tmp_path)
    name = one(infohash)["name"]
    for words in (f"mktint qbit info {infohash[:3]}", f"mktint qbit stop {infohash[:5].upper()}",
                  f"mktint qbit tracker list {infohash[:4]}"):
        run = complete(words)
        assert run.exit_code == 0, run.stderr
        items = run.stdout.split("\n")
        at = items.index(infohash)
        assert items[at - 1] == "plain" and items[at + 1] == name, (words, run.stdout)
    bash = complete(f"mktint qbit remove {infohash[:6]}", shell="bash")
    assert f"plain,{infohash}" in bash.stdout.splitlines()


def test_hash_completion_reads_a_config_given_after_the_subcommand(qb, tmp_path, monkeypatch, config_file):
    from tests.support.qbittorrent import USERNAME

    infohash, _ = added(tmp_path)
    config_file(f'[services.qbittorrent]\nurl = "http://127.0.0.1:{free_port()}"\n')  # the default: down
    other = tmp_path / "other.toml"
    other.write_text(f'[defaults]\nclient = "elsewhere"\n[services.elsewhere]\nkind = "qbittorrent"\n'
                     f'url = "{qb.url}"\nusername = "{USERNAME}"\n')
    monkeypatch.setenv("MKTINT_ELSEWHERE_PASSWORD", os.environ["MKTINT_QB_PASSWORD"])
    run = complete(f"mktint qbit info --config {other} {infohash[:6]}")
    assert infohash in run.stdout.split("\n")


def test_hash_completion_is_silent_when_the_server_is_down(config_file, tmp_path):
    config_file(f'[services.qbittorrent]\nurl = "http://127.0.0.1:{free_port()}"\n')
    run = complete("mktint qbit info ab")
    assert run.exit_code == 0 and run.stdout.strip() == "" and run.stderr == ""


def test_the_hash_list_is_kept_10_s_even_when_asked_with_the_cached_session(qb, tmp_path):
    # the commands before cached a session, so the plain GET asks; a library's list can take
    # the server a second, so its answer is kept 10 s (HASH_TTL) all the same
    first, _ = added(tmp_path / "a")
    assert first in complete(f"mktint qbit info {first[:6]}").stdout.split("\n")
    second, _ = added(tmp_path / "b")
    assert second not in complete(f"mktint qbit info {second[:6]}").stdout.split("\n")
