"""`red upload` shows the upload as it will be sent before asking (and in a dry run), and
stops when the data is in doubt (#24)."""

from __future__ import annotations

from tests.emulators.audnexus import HAIL_MARY
from tests.gazelle.test_upload_integrations import make_release, mp3s, world  # noqa: F401
from tests.qbit.terminal import Terminal
from tests.support.cli import invoke


def test_the_json_of_a_dry_run_carries_the_preview(world, flavour, tmp_path, mp3s):  # noqa: F811
    torrent, data = make_release(tmp_path, flavour, mp3s["64"])
    run = invoke("red", "upload", torrent, "-s", flavour, "--asin", HAIL_MARY, "--tags",
                 "science.fiction", "--dry-run", "--json")
    assert run.exit_code == 0, run.stderr
    result = run.json()
    preview = result["preview"]
    assert preview["target"] == flavour and preview["kind"] == "gazelle"
    fields = preview["fields"]
    assert fields["title"] == {"value": "Andy Weir - Project Hail Mary", "source": "audnexus"}
    assert fields["tags"] == {"value": ["science.fiction"], "source": "flag"}
    assert fields["format"] == {"value": "MP3", "source": "audio_files"}
    assert preview["torrent"]["infohash"] == result["local_infohash"]
    assert preview["torrent"]["name"] == data.name
    assert preview["torrent"]["name_source"] == "torrent_file"
    assert [f["path"] for f in preview["torrent"]["files"]] == ["01.mp3", "02.mp3"]


def test_the_question_comes_after_the_preview(world, flavour, tmp_path, mp3s):  # noqa: F811
    site, _ = world
    torrent, _ = make_release(tmp_path, flavour, mp3s["64"])
    terminal = Terminal("red", "upload", torrent, "-s", flavour, "--asin", HAIL_MARY,
                        "--tags", "science.fiction", columns=120)
    terminal.expect("[y/N]")
    text = " ".join(terminal.text.split())
    assert f"{flavour}: upload to {flavour} ({site.url})" in text
    for row in ("title Andy Weir - Project Hail Mary Audnexus", "year 2021 Audnexus",
                "format MP3 audio files", "tags science.fiction flag",
                "torrent Andy Weir - Project Hail Mary the .torrent file", "piece size",
                "infohash", "files 2 files", "01.mp3", "02.mp3"):
        assert row in text, text
    assert text.index("infohash") < text.index(f"Upload book.torrent to {flavour}")
    terminal.send("n\n")
    assert terminal.finish() == 1
    assert site.uploads == []


def test_a_runtime_far_from_audnexus_stops_an_upload(world, flavour, tmp_path, mp3s):  # noqa: F811
    site, audnexus = world
    audnexus.books[HAIL_MARY]["runtimeLengthMin"] = 970
    torrent, _ = make_release(tmp_path, flavour, mp3s["64"])
    args = ["red", "upload", torrent, "-s", flavour, "--asin", HAIL_MARY, "--tags", "fiction",
            "--yes"]
    run = invoke(*args)
    assert run.exit_code == 1 and "data: runtime: the audio files run 0 min, Audnexus says " \
        "970 min" in run.stderr and "--accept runtime" in run.stderr
    assert site.uploads == []
    assert invoke(*args, "--accept", "runtime").exit_code == 0
    assert len(site.uploads) == 1
