"""`mktint mam prepare`: the upload bundle, built with the real torrent engine and
metadata from the Audnexus emulator; the MAM emulator proves nothing is sent to MAM."""

from __future__ import annotations

import pytest

from mktint.torrent.metainfo import Metainfo
from tests.emulators.audnexus import HAIL_MARY, audnexus_emulator
from tests.emulators.mam import mam_server
from tests.support.cli import invoke

PASSKEY = "passkey-mam-0123456789abcdef"


@pytest.fixture
def audnexus():
    with audnexus_emulator() as emulator:
        yield emulator


ANNOUNCE = "https://t.example/tracker.php/{passkey}/announce"


@pytest.fixture
def configure(config_file, memory_keyring, audnexus):
    """The mam service with an announce URL (and its passkey stored); extra TOML appended."""

    def write(mam_extra: str = "", rest: str = ""):
        memory_keyring.set_password("mktint", "mam:PASSKEY", PASSKEY)
        return config_file(f'[services.mam]\nannounce = "{ANNOUNCE}"\n{mam_extra}\n'
                           f'[services.audnexus]\nurl = "{audnexus.url}"\n{rest}')

    return write


def make_book(tmp_path, name: str):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "01.mp3").write_bytes(b"\1" * 70_000)
    (folder / "02.mp3").write_bytes(b"\2" * 50_001)
    return folder


@pytest.fixture
def book(tmp_path):
    return make_book(tmp_path, "Author - The Book {ASIN.B08G9PRS1K}")


@pytest.fixture
def plain_book(tmp_path):
    return make_book(tmp_path, "Author - The Book")


def test_prepare_writes_the_bundle_and_submits_nothing(book, tmp_path, configure, audnexus):
    out = tmp_path / "out"
    with mam_server() as server:
        configure(f'url = "{server.url}"')
        run = invoke("mam", "prepare", book, "--asin", "b08g9prs1k", "-o", out, "--json")
        assert server.requests == []  # MAM is not contacted at all
    assert run.exit_code == 0, run.stderr
    folder = out / f"{book.name}.mam-upload"
    data = run.json()
    torrent = Metainfo.parse((folder / f"{book.name}.torrent").read_bytes())
    assert data == {
        "folder": str(folder), "torrent": str(folder / f"{book.name}.torrent"),
        "infohash": torrent.infohash, "description": str(folder / "description.txt"),
        "instructions": str(folder / "UPLOAD.txt"), "upload_url": f"{server.url}/tor/upload.php",
        "asin": HAIL_MARY,
    }
    assert torrent.private and torrent.source == "MAM"
    assert torrent.announce == ANNOUNCE.replace("{passkey}", PASSKEY)
    assert [f.path for f in torrent.files] == ["01.mp3", "02.mp3"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{book.name}.torrent", "description.txt", "UPLOAD.txt"])
    description = (folder / "description.txt").read_text()
    assert "Project Hail Mary" in description and "[b]" in description
    upload = (folder / "UPLOAD.txt").read_text()
    assert f"Open the upload page, logged in: {server.url}/tor/upload.php" in upload
    assert f"choose {book.name}.torrent" in upload
    assert "paste the whole of description.txt" in upload
    assert f"Infohash: {torrent.infohash}" in upload
    assert "Nothing has been uploaded" in upload
    assert PASSKEY not in run.stdout + run.stderr + upload
    assert len(audnexus.requests_to(f"/books/{HAIL_MARY}")) == 1


def test_prepare_reads_the_asin_in_the_folder_name(book, tmp_path, configure, audnexus):
    configure()
    run = invoke("mam", "prepare", book, "-o", tmp_path / "out", "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["asin"] == HAIL_MARY
    description = (tmp_path / "out" / f"{book.name}.mam-upload" / "description.txt").read_text()
    assert "Project Hail Mary" in description
    assert len(audnexus.requests_to(f"/books/{HAIL_MARY}")) == 1


def test_an_unknown_asin_in_the_name_still_makes_the_bundle(tmp_path, configure, audnexus):
    source = make_book(tmp_path, "Author - Lost Book {ASIN.B0NOSUCH01}")
    configure()
    run = invoke("mam", "prepare", source, "-o", tmp_path / "out", "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["asin"] is None and run.json()["description"] is None
    assert "the ASIN B0NOSUCH01 in the name" in run.stderr and "no description.txt" in run.stderr
    assert (tmp_path / "out" / f"{source.name}.mam-upload" / "UPLOAD.txt").exists()


def test_prepare_without_asin_has_no_description(plain_book, tmp_path, configure, audnexus):
    book = plain_book
    configure()
    run = invoke("mam", "prepare", book, "-o", tmp_path)
    assert run.exit_code == 0, run.stderr
    folder = tmp_path / f"{book.name}.mam-upload"
    assert run.stdout == f"{folder}\n"
    assert not (folder / "description.txt").exists()
    upload = (folder / "UPLOAD.txt").read_text()
    assert "https://www.myanonamouse.net/tor/upload.php" in upload
    assert "--asin" in upload
    assert audnexus.log == []


def test_existing_bundle_is_a_conflict_unless_forced(plain_book, tmp_path, configure):
    book = plain_book
    configure()
    assert invoke("mam", "prepare", book, "-o", tmp_path, "--asin", "B08G9PRS1K").exit_code == 0
    again = invoke("mam", "prepare", book, "-o", tmp_path)
    assert again.exit_code == 6
    assert "--force" in again.stderr
    forced = invoke("mam", "prepare", book, "-o", tmp_path, "--force")
    assert forced.exit_code == 0
    # A forced rebuild without --asin drops the old description rather than keep a stale one.
    assert not (tmp_path / f"{book.name}.mam-upload" / "description.txt").exists()


def test_bad_asin_exits_2_before_any_work(book, tmp_path, configure):
    configure()
    run = invoke("mam", "prepare", book, "-o", tmp_path, "--asin", "nope")
    assert run.exit_code == 2
    assert "is not an ASIN" in run.stderr
    assert not list(tmp_path.glob("*.mam-upload"))


def test_metadata_failure_leaves_no_bundle(book, tmp_path, configure):
    configure()
    run = invoke("mam", "prepare", book, "-o", tmp_path, "--asin", "B000000404")
    assert run.exit_code == 5, run.stderr
    assert not (tmp_path / f"{book.name}.mam-upload").exists()


def test_output_dir_defaults_to_the_configured_one(book, tmp_path, configure):
    configure(rest=f'[defaults]\noutput_dir = "{tmp_path / "torrents"}"\n')
    run = invoke("mam", "prepare", book, "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["folder"] == str(tmp_path / "torrents" / f"{book.name}.mam-upload")


def test_missing_path_is_a_usage_error(tmp_path):
    run = invoke("mam", "prepare", tmp_path / "nowhere")
    assert run.exit_code == 2
    assert "does not exist" in run.stderr


def test_missing_announce_or_passkey_exits_3_before_hashing(book, tmp_path, configure,
                                                           config_file, memory_keyring, monkeypatch):
    import mktint.torrent.create

    def no_hashing(*args, **kwargs):
        raise AssertionError("hashed despite a configuration error")

    monkeypatch.setattr(mktint.torrent.create, "create", no_hashing)
    config_file("")
    run = invoke("mam", "prepare", book, "-o", tmp_path)
    assert run.exit_code == 3
    assert "no announce URL configured for mam" in run.stderr
    assert "mktint config set services.mam.announce" in run.stderr
    configure()
    memory_keyring.store.clear()
    run = invoke("mam", "prepare", book, "-o", tmp_path)
    assert run.exit_code == 3
    assert "no PASSKEY stored for service 'mam'" in run.stderr
    assert not list(tmp_path.glob("*.mam-upload"))
