"""`red upload` with its integrations, all real: --asin through the Audnexus emulator, and
--format/--bitrate read from the audio files (ffmpeg MP3s) the torrent was made from."""

from __future__ import annotations

import shutil

import pytest

from mktint.torrent.create import TorrentSpec, create, scan
from tests.audio.conftest import FFMPEG, encode
from tests.emulators.audnexus import HAIL_MARY, audnexus_emulator
from tests.emulators.gazelle import gazelle_emulator
from tests.gazelle.conftest import KEYS, PASSKEY
from tests.support.cli import invoke


@pytest.fixture(scope="module")
def mp3s(tmp_path_factory):
    if FFMPEG is None:
        pytest.skip("ffmpeg is not installed; these tests need real audio files")
    folder = tmp_path_factory.mktemp("upload-audio")
    return {"64": encode(folder / "64.mp3", ["-c:a", "libmp3lame", "-b:a", "64k"]),
            "320": encode(folder / "320.mp3", ["-c:a", "libmp3lame", "-b:a", "320k"])}


@pytest.fixture
def world(flavour, config_file, monkeypatch):
    with gazelle_emulator(flavour, api_key=KEYS[flavour], passkey=PASSKEY) as site, \
            audnexus_emulator() as audnexus:
        audnexus.books[HAIL_MARY]["runtimeLengthMin"] = 1  # the data: two 1-second MP3s
        config_file(f'[services.{flavour}]\nurl = "{site.url}"\n\n'
                    f'[services.audnexus]\nurl = "{audnexus.url}"\n')
        monkeypatch.setenv(f"MKTINT_{flavour.upper()}_API_KEY", KEYS[flavour])
        yield site, audnexus


def make_release(tmp_path, flavour, mp3, *, beside=True):
    """A book folder of two copies of ``mp3`` and its torrent (next to it, or elsewhere)."""
    data = tmp_path / "data" / "Andy Weir - Project Hail Mary"
    data.mkdir(parents=True)
    for name in ("01.mp3", "02.mp3"):
        shutil.copyfile(mp3, data / name)
    spec = TorrentSpec(target=flavour, source=flavour.upper(), announce=[["https://t.example/a"]])
    [made] = create(scan(data), [spec])
    torrent = (data.parent if beside else tmp_path) / "book.torrent"
    torrent.write_bytes(made.data)
    return torrent, data


def test_asin_and_audio_fill_the_form_and_flags_override(world, flavour, tmp_path, mp3s):
    site, audnexus = world
    torrent, _ = make_release(tmp_path, flavour, mp3s["64"])
    run = invoke("red", "upload", torrent, "-s", flavour, "--asin", HAIL_MARY.lower(),
                 "--tags", "science.fiction", "--yes", "--json")
    assert run.exit_code == 0, run.stderr
    assert [r["path"] for r in audnexus.log] == [f"/books/{HAIL_MARY}"]
    form = site.uploads[0]
    assert form["title"] == "Andy Weir - Project Hail Mary" and form["year"] == "2021"
    assert "Ryland Grace is the sole survivor" in form["album_desc"]
    assert form["image"] == "https://m.media-amazon.com/images/I/91vS2L5YfEL.jpg"
    assert form["tags"] == "science.fiction"  # the flag overrides Audnexus's genres
    assert form["format"] == "MP3"
    if flavour == "ops":  # OPS has a 64 bitrate, RED needs Other + 64
        assert form["bitrate"] == "64" and "other_bitrate" not in form
    else:
        assert form["bitrate"] == "Other" and form["other_bitrate"] == "64"


def test_format_and_bitrate_from_data_given_with_data(world, flavour, tmp_path, mp3s):
    site, _ = world
    torrent, data = make_release(tmp_path, flavour, mp3s["320"], beside=False)
    args = ["red", "upload", torrent, "-s", flavour, "--asin", HAIL_MARY, "--yes"]
    missing = invoke(*args)  # the data is not next to the torrent: nothing to read
    assert missing.exit_code == 2 and "--format: is required" in missing.stderr
    assert site.uploads == []
    contradicted = invoke(*args, "--data", data, "--bitrate", "V0 (VBR)")
    assert contradicted.exit_code == 1 and "--bitrate V0 (VBR), the files are 320; fix the " \
        "flag; or pass --accept format" in contradicted.stderr
    assert site.uploads == []
    run = invoke(*args, "--data", data, "--bitrate", "V0 (VBR)", "--accept", "format")
    assert run.exit_code == 0, run.stderr
    assert site.uploads[0]["format"] == "MP3" and site.uploads[0]["bitrate"] == "V0 (VBR)"


def test_a_bad_asin_is_a_usage_error_before_any_request(world, flavour, tmp_path, mp3s):
    site, audnexus = world
    torrent, _ = make_release(tmp_path, flavour, mp3s["64"])
    bad = invoke("red", "upload", torrent, "-s", flavour, "--asin", "nope", "--yes")
    assert bad.exit_code == 2 and "ASIN" in bad.stderr
    assert audnexus.log == [] and site.requests == []


def test_mixed_bitrates_are_never_averaged(world, flavour, tmp_path, mp3s):
    site, _ = world
    torrent, data = make_release(tmp_path, flavour, mp3s["64"])
    shutil.copyfile(mp3s["320"], data / "02.mp3")
    run = invoke("red", "upload", torrent, "-s", flavour, "--asin", HAIL_MARY, "--yes")
    assert run.exit_code == 2
    assert "--format: not given and not readable from the audio files (mixed bitrates" in run.stderr
    assert site.uploads == []
