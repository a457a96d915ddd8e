"""Replays of exchanges recorded through the Gazelle emulator (MKTINT_RECORD=1 re-records).

Replay matches method, path and query, so the emulator's port does not matter.
"""

import contextlib
import os

import pytest

from mktint.services.gazelle import GazelleClient
from tests.emulators import bencode
from tests.emulators.gazelle import gazelle_emulator
from tests.gazelle.conftest import KEYS, PASSKEY
from tests.support.cassettes import use_cassette
from tests.support.cli import invoke

# Read at import: the autouse fixtures clear MKTINT_* variables before each test runs.
RECORD = bool(os.environ.get("MKTINT_RECORD"))
SECRETS = (*KEYS.values(), PASSKEY, "authkey-0f0f0f0f")
TITLE = "Tom O'Brien & Co - The \"Big\" <Book>"


@contextlib.contextmanager
def recorded_site(flavour, config_file, monkeypatch, name):
    """The emulator while recording; a placeholder URL on replay."""
    monkeypatch.setenv(f"MKTINT_{flavour.upper()}_API_KEY", KEYS[flavour])
    with contextlib.ExitStack() as stack:
        site = None
        url = "http://127.0.0.1:9"
        if RECORD:
            monkeypatch.setenv("MKTINT_RECORD", "1")
            site = stack.enter_context(gazelle_emulator(flavour, api_key=KEYS[flavour],
                                                        passkey=PASSKEY))
            site.seed(TITLE, [(["01.mp3"], 5000)])
            url = site.url
        config_file(f'[services.{flavour}]\nurl = "{url}"\n')
        stack.enter_context(use_cassette(name, secrets=SECRETS))
        yield site


@pytest.mark.parametrize("flavour", ["red", "ops"])
def test_whoami_replay(flavour, config_file, monkeypatch):
    with recorded_site(flavour, config_file, monkeypatch, f"gazelle_{flavour}_whoami"):
        run = invoke("red", "whoami", "-s", flavour, "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["username"] == "tester" and run.json()["user_class"] == "Power User"


def test_ops_search_replay_unescapes(config_file, monkeypatch):
    with recorded_site("ops", config_file, monkeypatch, "gazelle_ops_search"):
        run = invoke("red", "search", "big", "-s", "ops", "--json")
    assert run.exit_code == 0, run.stderr
    assert [r["name"] for r in run.json()] == [TITLE]


def test_red_upload_dry_run_replay(config_file, monkeypatch, tmp_path):
    monkeypatch.setattr(GazelleClient, "multipart_boundary", "mktint-test-boundary")
    path = tmp_path / "book.torrent"
    path.write_bytes(bencode.make_torrent("Jane Doe - A Quiet Book", [(["01.mp3"], 5000)],
                                          source="RED"))
    with recorded_site("red", config_file, monkeypatch, "gazelle_red_upload_dry_run"):
        run = invoke("red", "upload", path, "--title", "Jane Doe - A Quiet Book", "--year", "2021",
                     "--format", "MP3", "--bitrate", "Other", "--other-bitrate", "64",
                     "--tags", "fiction", "--description", "A quiet book, read aloud.",
                     "--dry-run", "--json")
    assert run.exit_code == 0, run.stderr
    derived = run.json()["derived"]
    assert derived["dryrun"] is True and derived["bitrate"] == "Other"
    assert derived["infohash"].lower() == bencode.infohash(path.read_bytes())
