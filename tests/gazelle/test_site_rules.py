"""The rules Gazelle's upload handler applies, checked locally before any request (#18).

Each test runs against the corrected emulator (tests/emulators/gazelle.py, built from
OPSnet/Gazelle and WhatCD/Gazelle): before these checks existed, mktint sent the upload
and the site refused it (or, for a lone file of exactly the limit, mktint refused nothing
the site would refuse).
"""

from __future__ import annotations

import pytest

from tests.emulators import bencode
from tests.support.cli import invoke
from tests.torrent.trees import write_tree

LIMITS = {"red": 180, "ops": 255}


def form(flavour, *extra, title="Jane Doe - A Quiet Book"):
    bitrate = ["--bitrate", "64"] if flavour == "ops" else ["--bitrate", "Other", "--other-bitrate", "64"]
    return ["--title", title, "--year", "2021", "--format", "MP3", *bitrate,
            "--tags", "fiction,audiobook", "--description", "A quiet book, read aloud.",
            "--yes", *extra]


def torrent(tmp_path, flavour, name="Jane Doe - A Quiet Book", files=None):
    path = tmp_path / "book.torrent"
    path.write_bytes(bencode.make_torrent(name, files, source=flavour.upper()))
    return path


def uploads_sent(site):
    return [r.action for r in site.requests].count("upload")


def test_files_the_site_refuses_are_named_before_any_request(site, flavour, tmp_path):
    files = [(["01.mp3"], 100), (["02.opus"], 100), (["extras", "cover.webp"], 10),
             (["book.opf"], 10), (["a:b.mp3"], 10), (['say "hi".mp3'], 10), (["ok.m4b"], 10)]
    path = torrent(tmp_path, flavour, files=files)
    run = invoke("red", "upload", path, "-s", flavour, *form(flavour))
    assert run.exit_code == 1, run.stderr
    for name in ("02.opus", "extras/cover.webp", "book.opf", "a:b.mp3", 'say "hi".mp3'):
        assert f"/{name}" in run.stderr, name
    assert "forbidden character ':'" in run.stderr and "01.mp3" not in run.stderr
    assert uploads_sent(site) == 0 and site.torrents == {}


@pytest.mark.parametrize("extension", ["ogg", "aac", "wav", "opus", "webp", "opf"])
def test_each_refused_extension(site, flavour, tmp_path, extension):
    path = torrent(tmp_path, flavour, files=[(["01.mp3"], 100), ([f"x.{extension}"], 10)])
    run = invoke("red", "upload", path, "-s", flavour, *form(flavour))
    assert run.exit_code == 1 and f"x.{extension}: .{extension} is not allowed" in run.stderr
    assert uploads_sent(site) == 0


def test_a_folder_name_with_a_forbidden_character(site, flavour, tmp_path):
    path = torrent(tmp_path, flavour, name="Doe: A Book?", files=[(["01.mp3"], 100)])
    run = invoke("red", "upload", path, "-s", flavour, *form(flavour))
    assert run.exit_code == 1 and "the folder name contains the forbidden character" in run.stderr
    assert uploads_sent(site) == 0


def test_a_lone_file_of_exactly_the_limit_is_refused_one_less_uploads(site, flavour, tmp_path):
    limit = LIMITS[flavour]
    exact = torrent(tmp_path, flavour, name="é" * (limit - 4) + ".mp3")  # characters, not bytes
    run = invoke("red", "upload", exact, "-s", flavour, *form(flavour))
    assert run.exit_code == 1 and f"counts {limit + 1} characters" in run.stderr, run.stderr
    assert uploads_sent(site) == 0
    fits = torrent(tmp_path, flavour, name="é" * (limit - 5) + ".mp3")
    run = invoke("red", "upload", fits, "-s", flavour, *form(flavour), "--json")
    assert run.exit_code == 0, run.stderr
    assert len(site.torrents) == 1


def test_title_counted_in_bytes_as_php_strlen(site, flavour, tmp_path):
    path = torrent(tmp_path, flavour, files=[(["01.mp3"], 100)])
    run = invoke("red", "upload", path, "-s", flavour, *form(flavour, title="é" * 101))
    assert run.exit_code == 2 and "--title" in run.stderr and "(got 202)" in run.stderr
    assert uploads_sent(site) == 0
    run = invoke("red", "upload", path, "-s", flavour, *form(flavour, title="e" * 200), "--json")
    assert run.exit_code == 0, run.stderr


def test_description_counted_in_bytes(site, flavour, tmp_path):
    """Five characters of two bytes each pass the 10-byte minimum, as PHP's strlen counts."""
    path = torrent(tmp_path, flavour, files=[(["01.mp3"], 100)])
    args = form(flavour)
    args[args.index("A quiet book, read aloud.")] = "ééééé"
    run = invoke("red", "upload", path, "-s", flavour, *args, "--json")
    assert run.exit_code == 0, run.stderr
    args[args.index("ééééé")] = "é" * 4 + "e"
    short = invoke("red", "upload", path, "-s", flavour, *args)
    assert short.exit_code == 2 and "--description" in short.stderr


@pytest.mark.parametrize("url, problem", [
    ("https://img.example/cover", "image extension"),
    ("https://img.example/" + "c" * 240 + ".jpg", "bytes; the site allows 10–255"),
])
def test_image_must_be_an_image_url_of_at_most_255_bytes(site, flavour, tmp_path, url, problem):
    path = torrent(tmp_path, flavour, files=[(["01.mp3"], 100)])
    run = invoke("red", "upload", path, "-s", flavour, *form(flavour, "--image", url))
    assert run.exit_code == 2 and problem in run.stderr
    assert uploads_sent(site) == 0
    good = invoke("red", "upload", path, "-s", flavour,
                  *form(flavour, "--image", "https://img.example/cover.jpg?size=1"), "--json")
    assert good.exit_code == 0, good.stderr


def test_release_description_minimum_follows_the_site(site, flavour, tmp_path):
    path = torrent(tmp_path, flavour, files=[(["01.mp3"], 100)])
    run = invoke("red", "upload", path, "-s", flavour, *form(flavour, "--release-desc", "Ripped."),
                 "--json")
    if flavour == "red":  # WhatCD's Audiobooks rule: at least 10 when given
        assert run.exit_code == 2 and "--release-desc" in run.stderr
        assert uploads_sent(site) == 0
    else:  # OPS checks only a maximum
        assert run.exit_code == 0, run.stderr


@pytest.mark.parametrize("flavour", ["ops"])
def test_ops_takes_ogg_vorbis_and_q8(site, flavour, tmp_path):
    path = torrent(tmp_path, flavour, files=[(["01.mp3"], 100)])
    args = form(flavour)
    args[args.index("MP3")] = "Ogg Vorbis"
    args[args.index("64")] = "q8.x (VBR)"
    run = invoke("red", "upload", path, "-s", flavour, *args, "--json")
    assert run.exit_code == 0, run.stderr
    [stored] = site.torrents.values()
    assert (stored["format"], stored["encoding"]) == ("Ogg Vorbis", "q8.x (VBR)")


def test_browse_category_filter_is_one_based(site, flavour):
    """Audiobooks is 3 in the upload form and 4 in filter_cat[] (OPSnet/Gazelle
    sections/ajax/browse.php reads the 1-based CategoryID)."""
    site.seed("Jane Doe - A Book", [(["01.mp3"], 5000)])
    run = invoke("red", "search", "book", "-s", flavour, "--category", "audiobooks", "--json")
    assert run.exit_code == 0 and len(run.json()) == 1
    assert any("filter_cat%5B4%5D=1" in p or "filter_cat[4]=1" in p for p in site.request_paths)
    music = invoke("red", "search", "book", "-s", flavour, "--category", "music", "--json")
    assert music.json() == []


# -- torrent create --target: stop before hashing, or leave the files out --------------------

def test_create_for_a_target_stops_before_hashing_and_names_refused_files(tmp_path, monkeypatch):
    monkeypatch.setenv("MKTINT_RED_PASSKEY", "passkey-red-0123456789abcdef")
    tree = write_tree(tmp_path / "Book", {"01.mp3": 5000, "02.opus": 10, "cover.webp": 10})
    run = invoke("torrent", "create", tree, "--target", "red", "-o", tmp_path / "out.torrent")
    assert run.exit_code == 1
    assert "Book/02.opus" in run.stderr and "Book/cover.webp" in run.stderr
    assert "nothing was hashed" in run.stderr and not (tmp_path / "out.torrent").exists()
    left = invoke("torrent", "create", tree, "--target", "red", "--exclude-refused",
                  "-o", tmp_path / "out.torrent", "--json")
    assert left.exit_code == 0, left.stderr
    assert left.json()["file_count"] == 1
    assert left.json()["refused_left_out"] == ["Book/02.opus", "Book/cover.webp"]
    assert "left out 2 file(s)" in left.stderr


def test_exclude_refused_needs_a_target(tmp_path):
    tree = write_tree(tmp_path / "Book", {"01.mp3": 5000})
    run = invoke("torrent", "create", tree, "--exclude-refused", "-o", tmp_path / "x.torrent")
    assert run.exit_code == 2

