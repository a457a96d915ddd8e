"""`mktint publish` confirms seeding, warns about left-out junk, honours --description for
MAM (issue #22): the emulators and a live qbittorrent-nox, as in test_publish.py."""

from __future__ import annotations

import os
import shutil
import socket

import pytest

from mktint.workflows import gazelle_upload
from tests.publish.conftest import BOOK_NAME
from tests.publish.test_publish import in_client, journal_files
from tests.support.cli import invoke
from tests.torrent.test_edges import _as_another_user, shared_dir  # noqa: F401 (a fixture)


def _after_upload(monkeypatch, action):
    """Run ``action`` right after the (real) upload: the data changes before seeding."""
    real = gazelle_upload.upload

    def upload_then(*args, **kwargs):
        outcome = real(*args, **kwargs)
        action()
        return outcome

    monkeypatch.setattr(gazelle_upload, "upload", upload_then)
    return real


def test_publish_fails_when_the_client_cannot_find_the_files_and_resumes(world, book, monkeypatch,
                                                                         tmp_path):
    part = book / "02 - Part Two.mp3"
    aside = tmp_path / "aside.mp3"
    real = _after_upload(monkeypatch, lambda: shutil.move(part, aside))
    run = invoke("publish", book, "--to", "red", "--yes")
    assert run.exit_code == 1, run.stderr
    assert "publish stopped at step client:red" in run.stderr
    assert "qBittorrent cannot find the files (state missingFiles" in run.stderr
    assert "client qb: added" not in run.stdout

    monkeypatch.setattr(gazelle_upload, "upload", real)
    shutil.move(aside, part)
    assert "run the same command again to resume" in run.stderr
    again = invoke("publish", book, "--to", "red", "--yes", "--json")
    assert again.exit_code == 0, again.stderr
    [red] = again.json()["targets"]
    assert len(world.red.uploads) == 1 and red["client"]["status"] == "exists"  # rechecked
    [row] = in_client(world, red["infohash"])
    assert row["progress"] == 1 and row["state"] in ("stalledUP", "uploading", "queuedUP")


def test_publish_fails_when_the_checked_data_is_not_complete(world, book, config_file, monkeypatch):
    # The site rewrites the torrent (a source it does not use): its copy is fully checked.
    config_file(world.config.read_text().replace("[services.red]\n",
                                                 '[services.red]\nsource = "OLD"\n'))

    def corrupt():
        with open(book / "01 - Part One.mp3", "r+b") as f:
            f.seek(1000)  # inside the file (it is about 8 KB): same size, other bytes
            f.write(b"\x00\xff\x00\xff")

    _after_upload(monkeypatch, corrupt)
    monkeypatch.setattr("mktint.services.qbittorrent.seeding.BASE_WAIT", 5.0)
    run = invoke("publish", book, "--to", "red", "--yes", "--json")
    assert run.exit_code == 1, run.stdout + run.stderr
    assert "is not seeding after" in run.stderr and "% of" in run.stderr
    assert "100.0%" not in run.stderr
    assert journal_files()  # kept, to resume once the data is right


def test_publish_warns_about_left_out_junk_like_torrent_create(world, book):
    (book / ".DS_Store").write_bytes(b"\0" * 10)
    run = invoke("publish", book, "--to", "red", "--dry-run", "--yes")
    assert run.exit_code == 0, run.stderr
    assert "left out 1 hidden or junk file(s) (--include-hidden keeps them): " \
           f"{book.name}/.DS_Store" in run.stderr


def test_publish_to_mam_writes_the_given_description(world, book, tmp_path):
    text = "[b]Read by the author.[/b] A description given on the command line."
    run = invoke("publish", book, "--to", "mam", "--description", text, "--yes", "-o", tmp_path)
    assert run.exit_code == 0, run.stderr
    bundle = tmp_path / f"{book.name}.mam-upload"
    assert (bundle / "description.txt").read_text() == text + "\n"


def test_publish_refuses_names_clients_cannot_use_before_hashing(world, book, monkeypatch):
    from tests.publish.test_publish import count_hashing

    hashing = count_hashing(monkeypatch)
    shutil.copyfile(book / "02 - Part Two.mp3", book / "03 - Part\tThree.mp3")
    run = invoke("publish", book, "--to", "red", "--yes")
    assert run.exit_code == 1, run.stderr
    assert "data: 1 name(s) that torrent clients cannot use" in run.stderr
    assert "03 - Part\\tThree.mp3: holds a control character" in run.stderr
    assert hashing == [] and world.red.uploads == []


def test_publish_of_an_unreadable_folder_exits_1_before_any_request(shared_dir):
    """As `torrent create` (tests/torrent/test_edges.py): the reason, exit 1, not click's
    usage error (2); and nothing asked of Audnexus, the site or the client."""
    folder = shared_dir / BOOK_NAME  # holds an ASIN: Audnexus would be the first request
    folder.mkdir()
    (folder / "01.mp3").write_bytes(b"\xff" * 100)
    os.chmod(folder, 0o700)
    with socket.socket() as listener:  # every service's URL: any request would connect here
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        config = shared_dir / ".config" / "mktint" / "config.toml"  # HOME is shared_dir
        config.parent.mkdir(parents=True)
        config.write_text(f'[defaults]\nclient = "qb"\n\n[services.qb]\nkind = "qbittorrent"\n'
                          f'url = "{url}"\n\n[services.red]\nurl = "{url}"\n\n'
                          f'[services.audnexus]\nurl = "{url}"\n')
        for path in (shared_dir / ".config", config.parent, config):
            os.chmod(path, 0o755)
        run = _as_another_user("publish", folder, "--to", "red", "--yes", cwd=shared_dir)
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()
    assert run.returncode == 1, run.stderr
    assert "Permission denied" in run.stderr and BOOK_NAME in run.stderr
    assert "Usage:" not in run.stderr and "Traceback" not in run.stderr
