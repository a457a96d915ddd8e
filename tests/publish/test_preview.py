"""`mktint publish` shows each target as it will be sent before anything happens (in a dry
run too), and stops before hashing when the book is in doubt (#24)."""

from __future__ import annotations

import re


import pytest

from tests.emulators.audnexus import HAIL_MARY, NEW_RELEASE
from tests.publish.test_publish import count_hashing, journal_files
from tests.qbit.terminal import Terminal, run_in_terminal
from tests.support.cli import invoke


def test_a_dry_run_previews_every_target_in_a_terminal(world, book):
    shown = run_in_terminal("publish", book, "--to", "red", "--to", "mam", "--tags", "sci.fi",
                            "--dry-run", columns=120)
    assert shown.exit_code == 0, shown.text
    text = " ".join(shown.text.split())  # the table's column widths aside
    assert f"red: dry run: red ({world.red.url}) checks the form (dryrun=1)" in text
    for row in ("FIELD VALUE FROM", "category audiobooks default",
                "title Andy Weir - Project Hail Mary Audnexus",
                "year 2021 Audnexus", "format MP3 audio files",
                "bitrate Other audio files", "other_bitrate 64 audio files",
                "tags sci.fi flag", "release_desc (none)",
                "description [center][img]https://m.media-amazon.com/images/I/91vS2L5YfEL.jpg"
                "[/img][/center] Audnexus [size=4][b]Project Hail Mary[/b][/size]",
                "(12 more lines)", f"torrent {book.name} folder name", "piece size 16.0 KiB",
                "files 3 files, 16.9 KiB", "01 - Part One.mp3 (8.4 KiB)",
                "02 - Part Two.mp3 (8.4 KiB)", "notes.txt (32 B)"):
        assert row in text, text
    assert "mam: dry run: no bundle is written" in text
    assert not re.search(r"[0-9a-f]{40}", text)  # hashes short on a terminal, summary too
    assert text.index("mam: dry run") < text.index("dry run: every check passed")
    assert world.red.uploads == []


def test_the_question_comes_after_the_preview_and_no_writes_nothing(world, book, tmp_path):
    out = tmp_path / "out"
    terminal = Terminal("publish", book, "--to", "red", "-o", out, columns=120)
    terminal.expect("[y/N]")
    text = " ".join(terminal.text.split())
    assert text.index("title Andy Weir - Project Hail Mary") < text.index(
        f"Publish {book.name} to red?")
    assert "infohash" in text and "piece size" in text
    terminal.send("n\n")
    assert terminal.finish() == 1
    assert "cancelled: nothing was written or uploaded" in terminal.text
    assert world.red.uploads == [] and not out.exists() and journal_files() == []


def test_the_json_of_a_dry_run_carries_the_preview(world, book):
    run = invoke("publish", book, "--to", "red", "--to", "mam", "--year", "2020", "--dry-run",
                 "--json")
    assert run.exit_code == 0, run.stderr
    result = run.json()
    red, mam = result["preview"]
    assert red["target"] == "red" and red["kind"] == "gazelle" and "dryrun=1" in red["action"]
    fields = red["fields"]
    assert fields["title"] == {"value": "Andy Weir - Project Hail Mary", "source": "audnexus"}
    assert fields["year"] == {"value": 2020, "source": "flag"}
    assert fields["format"] == {"value": "MP3", "source": "audio_files"}
    assert fields["other_bitrate"] == {"value": "64", "source": "audio_files"}
    assert fields["release_desc"] == {"value": None, "source": None}
    assert "Ryland Grace" in fields["description"]["value"]
    torrent = red["torrent"]
    assert torrent["infohash"] == result["targets"][0]["infohash"]  # hashed in the dry run
    assert torrent["name"] == book.name and torrent["name_source"] == "folder_name"
    assert torrent["piece_size"] > 0
    assert torrent["files"] == [{"path": p.name, "size": p.stat().st_size}
                                for p in sorted(book.iterdir())]
    assert mam["target"] == "mam" and mam["fields"]["description"]["source"] == "audnexus"
    assert mam["torrent"]["infohash"] == result["targets"][1]["infohash"]


def test_piped_the_preview_is_plain_lines(world, book):
    run = invoke("publish", book, "--to", "red", "--dry-run")
    assert run.exit_code == 0, run.stderr
    assert "title\tAndy Weir - Project Hail Mary\tAudnexus\n" in run.stdout
    assert "format\tMP3\taudio files\n" in run.stdout
    assert re.search(r"^infohash\t[0-9a-f]{40}\t\n", run.stdout, re.M)  # whole when piped


# -- stop on doubt ---------------------------------------------------------------------------

def stopped(run, *expected):
    assert run.exit_code == 1, run.stderr
    for text in expected:
        assert text in run.stderr, run.stderr
    assert "nothing was hashed or uploaded" in run.stderr


def test_a_folder_name_that_disagrees_with_audnexus_stops(world, book, monkeypatch):
    world.audnexus.books[NEW_RELEASE]["runtimeLengthMin"] = 1
    hashing = count_hashing(monkeypatch)
    # The issue's folder: Audnexus would have titled the group "New Author - A Brand New Book".
    issue = book.rename(book.parent / f"Big Author - Big Book {{ASIN.{NEW_RELEASE}}}")
    run = invoke("publish", issue, "--to", "red", "--tags", "fantasy", "--yes", "--json")
    stopped(run, "data: title: the sources disagree on the title: Audnexus says "
                 "'A Brand New Book', the folder name says 'Big Author - Big Book'; give "
                 "--title with the value to send; or pass --accept title")
    error = run.error_json()
    assert error["code"] == "failed" and "1 problem " in error["message"]

    named = issue.rename(book.parent / f"Big Book (2020) (Big Author) {{ASIN.{NEW_RELEASE}}}")
    run = invoke("publish", named, "--to", "red", "--tags", "fantasy", "--yes")
    stopped(run, "data: title: the sources disagree on the title",
            "data: author: the sources disagree on the author: Audnexus says 'New Author', "
            "the folder name says 'Big Author'; give --title",
            "data: year: the sources disagree on the year: Audnexus says '2026', the folder "
            "name says '2020'; give --year", "--accept year")
    assert hashing == [] and world.red.uploads == [] and journal_files() == []

    # --title settles title and author (the Gazelle title names the author), --year the
    # year; --accept lets each through as it is
    for flags in (["--title", "Big Author - Big Book", "--year", "2020"],
                  ["--accept", "title", "--accept", "author", "--accept", "year"]):
        run = invoke("publish", named, "--to", "red", "--tags", "fantasy", "--dry-run",
                     "--json", *flags)
        assert run.exit_code == 0, run.stderr
    assert run.json()["preview"][0]["fields"]["title"]["value"] == "New Author - A Brand New Book"
    partly = invoke("publish", named, "--to", "red", "--tags", "fantasy", "--dry-run",
                    "--title", "Big Author - Big Book")
    stopped(partly, "data: year:")
    assert "data: title:" not in partly.stderr and "data: author:" not in partly.stderr


def test_unreadable_audio_stops(world, book):
    for part in book.glob("*.mp3"):
        part.write_bytes(b"\xff\x00 not an mpeg frame " * 64)
    run = invoke("publish", book, "--to", "red", "--format", "MP3", "--bitrate", "320", "--yes")
    stopped(run, "data: audio: 2 of 2 audio files cannot be read (01 - Part One.mp3: ",
            "--accept audio")
    assert world.red.uploads == []
    accepted = invoke("publish", book, "--to", "red", "--format", "MP3", "--bitrate", "320",
                      "--accept", "audio", "--dry-run")
    assert accepted.exit_code == 0, accepted.stderr


def test_a_runtime_far_from_audnexus_stops(world, book):
    world.audnexus.books[HAIL_MARY]["runtimeLengthMin"] = 970
    run = invoke("publish", book, "--to", "red", "--to", "mam", "--yes")
    stopped(run, "data: runtime: the audio files run 0 min, Audnexus says 970 min "
                 "(more than 19 min apart)", "--accept runtime")
    assert world.red.uploads == []
    accepted = invoke("publish", book, "--to", "red", "--accept", "runtime", "--dry-run")
    assert accepted.exit_code == 0, accepted.stderr


def test_a_runtime_within_the_tolerance_goes_through(world, book):
    world.audnexus.books[HAIL_MARY]["runtimeLengthMin"] = 3  # 2 s of audio: 2.97 min apart
    run = invoke("publish", book, "--to", "red", "--dry-run")
    assert run.exit_code == 0, run.stderr


@pytest.mark.parametrize("flags, expected", [
    (["--format", "FLAC", "--bitrate", "Lossless"], "--format FLAC, the files are MP3"),
    (["--format", "MP3", "--bitrate", "320"], "--bitrate 320, the files are Other 64"),
    (["--format", "MP3", "--bitrate", "Other", "--other-bitrate", "96"],
     "--bitrate Other 96, the files are Other 64"),
])
def test_format_and_bitrate_flags_the_files_contradict_stop(world, book, flags, expected):
    run = invoke("publish", book, "--to", "red", *flags, "--yes")
    stopped(run, f"red: format: the flags and the audio files disagree: {expected}",
            "--accept format")
    assert world.red.uploads == []
    accepted = invoke("publish", book, "--to", "red", *flags, "--accept", "format",
                      "--dry-run", "--json")
    assert accepted.exit_code == 0, accepted.stderr
    assert accepted.json()["preview"][0]["fields"]["format"]["source"] == "flag"


def test_flags_the_files_agree_with_go_through(world, book):
    run = invoke("publish", book, "--to", "red", "--format", "MP3", "--bitrate", "Other",
                 "--other-bitrate", "64", "--dry-run")
    assert run.exit_code == 0, run.stderr
