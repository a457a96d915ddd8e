"""What `torrent create` does besides hashing stays small (bench/run.py, creation and scale)."""

import stat

from mktint.torrent import metainfo
from tests.support.cli import invoke

RED_KEY = "passkey-0123456789abcdef0123"


def test_create_does_not_parse_the_torrent_it_just_made(tmp_path, monkeypatch):
    # Parsing a 20,000-file torrent again to choose its file mode took longer than hashing it.
    def parsed_again(*_args, **_kwargs):
        raise AssertionError("torrent create parsed its own output again")

    monkeypatch.setattr(metainfo.Metainfo, "parse", classmethod(parsed_again))
    monkeypatch.setenv("MKTINT_RED_PASSKEY", RED_KEY)
    folder = tmp_path / "Book"
    folder.mkdir()
    for i in range(3):
        (folder / f"{i}.mp3").write_bytes(bytes([i]) * 20000)
    red, public = tmp_path / "red.torrent", tmp_path / "public.torrent"
    run = invoke("torrent", "create", folder, "--target", "red", "-o", red)
    assert run.exit_code == 0, run.stderr
    assert invoke("torrent", "create", folder, "--public", "-o", public).exit_code == 0
    assert stat.S_IMODE(red.stat().st_mode) == 0o600  # its announce URL holds the passkey
