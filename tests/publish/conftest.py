"""The publish world: a Gazelle (RED) emulator, the Audnexus and MAM emulators, a live
qbittorrent-nox, and an audiobook folder of real MP3s (ffmpeg) named with an ASIN."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.audio.conftest import FFMPEG, encode
from tests.emulators.audnexus import HAIL_MARY, audnexus_emulator
from tests.emulators.gazelle import gazelle_emulator
from tests.emulators.mam import mam_server
from tests.support.qbittorrent import PASSWORD, USERNAME

RED_KEY = "red-api-key-0123456789abcdef"
RED_PASSKEY = "passkey-red-0123456789abcdef"
MAM_PASSKEY = "passkey-mam-0123456789abcdef"
MAM_ANNOUNCE = "https://t.example/tracker.php/{passkey}/announce"
BOOK_NAME = f"Andy Weir - Project Hail Mary {{ASIN.{HAIL_MARY}}}"


@pytest.fixture(scope="session")
def mp3_64k(tmp_path_factory) -> Path:
    if FFMPEG is None:
        pytest.skip("ffmpeg is not installed; the publish tests need real audio files")
    return encode(tmp_path_factory.mktemp("publish-audio") / "cbr64.mp3",
                  ["-c:a", "libmp3lame", "-b:a", "64k"])


@pytest.fixture
def book(tmp_path, mp3_64k) -> Path:
    """Two 64 kbps MP3s and a note unique to this test (so every infohash is new)."""
    folder = tmp_path / "library" / BOOK_NAME
    folder.mkdir(parents=True)
    shutil.copyfile(mp3_64k, folder / "01 - Part One.mp3")
    shutil.copyfile(mp3_64k, folder / "02 - Part Two.mp3")
    (folder / "notes.txt").write_text(os.urandom(16).hex())
    return folder


@dataclass
class World:
    red: object
    audnexus: object
    mam: object
    qbit: object
    config: Path

    def client(self):
        """A qBittorrent client of the configured service (close it after use)."""
        from mktint.core.factory import Factory

        return Factory().service("qb", "qbittorrent")


def _world(config_file, monkeypatch, qbit):
    with gazelle_emulator("red", api_key=RED_KEY, passkey=RED_PASSKEY) as red, \
            audnexus_emulator() as audnexus, mam_server() as mam:
        # The test book is two 1-second MP3s: Audnexus' runtime agrees (within 3 minutes).
        audnexus.books[HAIL_MARY]["runtimeLengthMin"] = 1
        path = config_file(
            f'[defaults]\nclient = "qb"\n\n'
            f'[services.qb]\nkind = "qbittorrent"\nurl = "{qbit.url}"\nusername = "{USERNAME}"\n'
            f'category = "audiobooks"\ntags = ["mktint"]\n\n'
            f'[services.red]\nurl = "{red.url}"\n\n'
            f'[services.mam]\nurl = "{mam.url}"\nannounce = "{MAM_ANNOUNCE}"\n\n'
            f'[services.audnexus]\nurl = "{audnexus.url}"\n')
        monkeypatch.setenv("MKTINT_QB_PASSWORD", PASSWORD)
        monkeypatch.setenv("MKTINT_RED_API_KEY", RED_KEY)
        monkeypatch.setenv("MKTINT_MAM_PASSKEY", MAM_PASSKEY)
        yield World(red, audnexus, mam, qbit, path)


@pytest.fixture
def world(config_file, monkeypatch, qbittorrent):
    """Everything configured, with the session's shared qbittorrent-nox."""
    yield from _world(config_file, monkeypatch, qbittorrent)


@pytest.fixture
def world_own_client(config_file, monkeypatch, qbittorrent_fresh):
    """Everything configured, with a qbittorrent-nox of the test's own (to stop it)."""
    yield from _world(config_file, monkeypatch, qbittorrent_fresh)
