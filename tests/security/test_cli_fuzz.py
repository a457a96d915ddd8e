"""The CLI on random argument lists: an exit code from the documented set, never a
traceback, never an "unexpected" internal error. Services are emulators on loopback."""

from __future__ import annotations

import re

import click
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mktint.cli.root import cli
from tests.emulators.audnexus import HAIL_MARY, audnexus_emulator
from tests.emulators.qbittorrent5 import Qbt5Handler, Qbt5State
from tests.support.cli import invoke
from tests.support.httpserver import serve
from tests.support.qbittorrent import PASSWORD

DOCUMENTED_EXITS = {0, 1, 2, 3, 4, 5, 6, 7}
INTERNAL_ERROR = re.compile(r"unexpected \w+:")  # mktint.cli.errors' report of a bug

COMMANDS = [
    ("torrent", "info"), ("torrent", "verify"), ("torrent", "retarget"),
    ("book", "show"), ("book", "chapters"), ("book", "authors"), ("book", "description"),
    ("qbit", "list"), ("qbit", "info"), ("qbit", "stop"), ("qbit", "tracker"),
    ("config", "get"), ("config", "set"), ("config", "unset"), ("config", "show"),
    ("torrent", "create"), ("book", "inspect"), ("book", "fix-paths"), ("auth", "status"),
    ("qbit", "add"), ("qbit", "remove"), ("mam", "prepare"),
]


def option_names(group: str, name: str) -> list[str]:
    command = cli.get_command(None, group).commands[name]
    return sorted({"--help", *(opt for p in command.params if isinstance(p, click.Option)
                               for opt in p.opts)})


TOKENS = {(g, n): option_names(g, n) for g, n in COMMANDS}


@st.composite
def argument_lists(draw):
    group, name = draw(st.sampled_from(COMMANDS))
    token = st.one_of(
        st.sampled_from(TOKENS[(group, name)]),
        st.sampled_from(["--json", "-", "--", "bad.torrent", "garbage", "book", "book/01.mp3", ".",
                         "0", "-1", "1e9", "red", "mam", "--yes",
                         HAIL_MARY, "a" * 40, "us", "zz", "services.qb.url", "defaults.client",
                         "http://127.0.0.1:1/", "{passkey}"]),
        st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                max_size=12))
    return [group, name, *draw(st.lists(token, max_size=6))]


@pytest.fixture
def services(config_file, monkeypatch, tmp_path):
    state = Qbt5State("5.2")
    with audnexus_emulator() as audnexus, serve(Qbt5Handler, qbt=state) as qbt:
        config_file(f'[defaults]\nclient = "qb"\n\n[services.qb]\nkind = "qbittorrent"\n'
                    f'url = "{qbt.url}"\n\n[services.audnexus]\nurl = "{audnexus.url}"\n')
        monkeypatch.setenv("MKTINT_QB_PASSWORD", PASSWORD)
        monkeypatch.chdir(tmp_path)
        (tmp_path / "bad.torrent").write_bytes(b"d4:infod4:name")
        (tmp_path / "garbage").write_bytes(b"\xff" * 64)
        (tmp_path / "book").mkdir()
        (tmp_path / "book" / "01.mp3").write_bytes(b"ID3" + b"\0" * 300)
        yield


@settings(max_examples=250, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(argv=argument_lists())
def test_random_arguments_give_a_documented_exit_and_no_traceback(services, argv):
    run = invoke(*argv, input="")
    assert run.exit_code in DOCUMENTED_EXITS, (argv, run.exit_code, run.stderr)
    assert "Traceback" not in run.stderr, (argv, run.stderr)
    assert not INTERNAL_ERROR.search(run.stderr), (argv, run.stderr)


@pytest.mark.parametrize("kind, argv", [
    ("qbittorrent", ["qbit", "list", "-s", "x"]),
    ("gazelle", ["red", "whoami", "-s", "x"]),
    ("audnexus", ["book", "show", HAIL_MARY, "-s", "x"]),
    ("mam", ["mam", "status", "-s", "x"]),
])
def test_a_service_without_a_url_is_a_config_error(kind, argv, config_file, monkeypatch):
    # Found by the random test above: `config unset services.qb.url`, then any qbit command
    # crashed with an AttributeError.
    config_file(f'[services.x]\nkind = "{kind}"\n'
                + ('flavour = "red"\n' if kind == "gazelle" else ""))
    monkeypatch.setenv("MKTINT_X_API_KEY", "red-api-key-unused0123")
    monkeypatch.setenv("MKTINT_X_MAM_ID", "mam-id-unused0123")
    run = invoke(*argv, "--json")
    assert run.exit_code == 3, run.stderr
    error = run.error_json()
    assert error["code"] == "config" and "no URL configured for service 'x'" in error["message"]
    assert "services.x.url" in error["hint"]
