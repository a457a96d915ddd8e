"""Replays of exchanges recorded from the Audnexus emulator (see cassettes/README.md).

``MKTINT_RECORD=1`` re-records them against a fresh emulator; otherwise they replay
offline and no server runs.
"""

import contextlib
import os

import pytest

from mktint.core.errors import NotFound, OperationFailed
from tests.emulators.audnexus import HAIL_MARY, NEW_RELEASE, audnexus_emulator
from tests.support.cassettes import use_cassette

REPLAY_URL = "http://127.0.0.1:9"  # never contacted: vcr answers from the cassette


@contextlib.contextmanager
def recorded(name: str, **emulator_options):
    """The base URL to use: a live emulator when recording, a dummy one when replaying."""
    if os.environ.get("MKTINT_RECORD"):
        with audnexus_emulator(**emulator_options) as emu, use_cassette(name):
            yield emu.url
    else:
        with use_cassette(name):
            yield REPLAY_URL


@pytest.fixture
def client_for(make_client):
    class Target:
        def __init__(self, url):
            self.url = url

    return lambda url: make_client(Target(url), cache_hours=0)


def test_book_and_chapters(client_for):
    with recorded("audnexus/book_and_chapters") as url:
        client = client_for(url)
        book = client.book(HAIL_MARY)
        chapters = client.chapters(HAIL_MARY)
    assert book.title == "Project Hail Mary" and book.runtime_minutes == 970
    assert book.summary.startswith("Winner of the 2022 Audie Award")
    assert [c.title for c in chapters.chapters] == ["Opening Credits", "Chapter 1", "Chapter 2"]


def test_new_release_has_no_chapters(client_for):
    with recorded("audnexus/no_chapters") as url:
        with pytest.raises(NotFound, match="no chapters for B0NEWBOOK1"):
            client_for(url).chapters(NEW_RELEASE)


def test_search_on_an_old_server(client_for):
    with recorded("audnexus/search_unsupported", search_supported=False) as url:
        with pytest.raises(OperationFailed, match="not supported by this server"):
            client_for(url).search_books("hail mary")
