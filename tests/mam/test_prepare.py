"""`mktint mam prepare`: the upload bundle.

The torrent engine, the target presets, Audnexus and the description renderer come from
other branches; here they are replaced by fakes that follow their agreed interfaces:
``resolve_target(factory, "mam") -> TorrentSpec``, ``scan(path) -> FilePlan``,
``create(plan, [spec], progress=) -> [CreatedTorrent(.data, .infohash)]``,
``factory.service("audnexus", "audnexus").book(asin) -> Book`` and
``render_description(book) -> str``.
"""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass

import pytest

from tests.emulators.mam import mam_server
from tests.support.cli import invoke

TORRENT = b"d8:announce30:https://t.example/announce4:infod4:name4:booke6:sourcee"
INFOHASH = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class Created:
    data: bytes
    infohash: str


@pytest.fixture
def engine(monkeypatch):
    """Fake modules for the interfaces prepare builds on; records what they were called with."""
    calls: dict[str, list] = {"resolve_target": [], "scan": [], "create": [], "book": [], "render": []}
    spec = object()

    def resolve_target(factory, name):
        calls["resolve_target"].append(name)
        return spec

    def scan(path, exclude=(), include_hidden=False):
        calls["scan"].append(path)
        return ("plan", path)

    def create(plan, specs, piece_length=None, threads=None, progress=None):
        calls["create"].append((plan, specs))
        assert specs == [spec]
        return [Created(TORRENT, INFOHASH)]

    class AudnexusClient:
        def __init__(self, config, credentials):
            pass

        def book(self, asin):
            calls["book"].append(asin)
            if asin == "B000000404":
                from mktint.core.errors import NotFound

                raise NotFound(f"no book with ASIN {asin}", service="audnexus")
            return {"asin": asin, "title": "The Book"}

        def close(self):
            pass

    def render_description(book, chapters=None, template=None):
        calls["render"].append(book)
        return f"[b]{book['title']}[/b]\nA fine book.\n"

    modules = {
        "mktint.workflows.targets": {"resolve_target": resolve_target},
        "mktint.torrent.create": {"scan": scan, "create": create},
        "mktint.services.audnexus": {"AudnexusClient": AudnexusClient},
        "mktint.workflows.description": {"render_description": render_description},
    }
    for name, attributes in modules.items():
        module = types.ModuleType(name)
        module.__dict__.update(attributes)
        monkeypatch.setitem(sys.modules, name, module)
    return calls


ANNOUNCE = "https://t.example/tracker.php/{passkey}/announce"


@pytest.fixture
def configure(config_file, memory_keyring):
    """The mam service with an announce URL (and its passkey stored); extra TOML appended."""

    def write(mam_extra: str = "", rest: str = ""):
        memory_keyring.set_password("mktint", "mam:PASSKEY", "passkey-mam-0123456789abcdef")
        return config_file(f'[services.mam]\nannounce = "{ANNOUNCE}"\n{mam_extra}\n{rest}')

    return write


@pytest.fixture
def book(tmp_path):
    folder = tmp_path / "Author - The Book {ASIN.B08G9PRS1K}"
    folder.mkdir()
    (folder / "01.mp3").write_bytes(b"\0" * 1000)
    return folder


def test_prepare_writes_the_bundle_and_submits_nothing(engine, book, tmp_path, configure):
    out = tmp_path / "out"
    with mam_server() as server:
        configure(f'url = "{server.url}"')
        run = invoke("mam", "prepare", book, "--asin", "b08g9prs1k", "-o", out, "--json")
        assert server.requests == []  # MAM is not contacted at all
    assert run.exit_code == 0, run.stderr
    folder = out / f"{book.name}.mam-upload"
    data = run.json()
    assert data == {
        "folder": str(folder), "torrent": str(folder / f"{book.name}.torrent"), "infohash": INFOHASH,
        "description": str(folder / "description.txt"), "instructions": str(folder / "UPLOAD.txt"),
        "upload_url": f"{server.url}/tor/upload.php", "asin": "B08G9PRS1K",
    }
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{book.name}.torrent", "description.txt", "UPLOAD.txt"])
    assert (folder / f"{book.name}.torrent").read_bytes() == TORRENT
    assert (folder / "description.txt").read_text() == "[b]The Book[/b]\nA fine book.\n"
    upload = (folder / "UPLOAD.txt").read_text()
    assert f"Open the upload page, logged in: {server.url}/tor/upload.php" in upload
    assert f"choose {book.name}.torrent" in upload
    assert "paste the whole of description.txt" in upload
    assert f"Infohash: {INFOHASH}" in upload
    assert "Nothing has been uploaded" in upload
    assert engine["resolve_target"] == ["mam"]
    assert engine["book"] == ["B08G9PRS1K"]


def test_prepare_without_asin_has_no_description(engine, book, tmp_path, configure):
    configure()
    run = invoke("mam", "prepare", book, "-o", tmp_path)
    assert run.exit_code == 0, run.stderr
    folder = tmp_path / f"{book.name}.mam-upload"
    assert run.stdout == f"{folder}\n"
    assert not (folder / "description.txt").exists()
    upload = (folder / "UPLOAD.txt").read_text()
    assert "https://www.myanonamouse.net/tor/upload.php" in upload
    assert "--asin" in upload
    assert engine["book"] == []


def test_existing_bundle_is_a_conflict_unless_forced(engine, book, tmp_path, configure):
    configure()
    assert invoke("mam", "prepare", book, "-o", tmp_path, "--asin", "B08G9PRS1K").exit_code == 0
    again = invoke("mam", "prepare", book, "-o", tmp_path)
    assert again.exit_code == 6
    assert "--force" in again.stderr
    forced = invoke("mam", "prepare", book, "-o", tmp_path, "--force")
    assert forced.exit_code == 0
    # A forced rebuild without --asin drops the old description rather than keep a stale one.
    assert not (tmp_path / f"{book.name}.mam-upload" / "description.txt").exists()


def test_bad_asin_exits_2_before_any_work(engine, book, tmp_path, configure):
    configure()
    run = invoke("mam", "prepare", book, "-o", tmp_path, "--asin", "nope")
    assert run.exit_code == 2
    assert "is not an ASIN" in run.stderr
    assert engine["scan"] == [] and not list(tmp_path.glob("*.mam-upload"))


def test_metadata_failure_leaves_no_bundle(engine, book, tmp_path, configure):
    configure()
    run = invoke("mam", "prepare", book, "-o", tmp_path, "--asin", "B000000404")
    assert run.exit_code == 5
    assert not (tmp_path / f"{book.name}.mam-upload").exists()


def test_output_dir_defaults_to_the_configured_one(engine, book, tmp_path, configure):
    configure(rest=f'[defaults]\noutput_dir = "{tmp_path / "torrents"}"\n')
    run = invoke("mam", "prepare", book, "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["folder"] == str(tmp_path / "torrents" / f"{book.name}.mam-upload")


def test_missing_path_is_a_usage_error(tmp_path):
    run = invoke("mam", "prepare", tmp_path / "nowhere")
    assert run.exit_code == 2
    assert "does not exist" in run.stderr


def test_missing_announce_or_passkey_exits_3_before_hashing(engine, book, tmp_path, configure,
                                                           config_file, memory_keyring):
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
    assert engine["scan"] == [] and not list(tmp_path.glob("*.mam-upload"))
