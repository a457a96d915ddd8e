import pytest

from mktint.audio.inspect import AudioFile, MixedAudio, inspect_path, upload_bitrate
from mktint.core.errors import NotFound, UsageError


def facts(path):
    inspection = inspect_path(path)
    assert len(inspection.files) == 1
    return inspection, inspection.files[0]


def test_m4b_aac_stream_info_tags_and_chapters(audio):
    from mutagen.mp4 import MP4, MP4FreeForm

    path = audio("aac64.m4b", "Book/book.m4b")
    tags = MP4(path)
    tags["\xa9alb"] = ["Leviathan Wakes"]
    tags["\xa9ART"] = ["James S. A. Corey"]
    tags["\xa9wrt"] = ["Jefferson Mays"]
    tags["\xa9day"] = ["2011-06-15"]
    tags["----:com.apple.iTunes:ASIN"] = [MP4FreeForm(b"B073H9PF2D")]
    tags["----:com.apple.iTunes:SERIES"] = [MP4FreeForm(b"The Expanse")]
    tags.save()

    inspection, f = facts(path.parent)
    assert (f.codec, f.format, f.sample_rate, f.channels) == ("AAC", "AAC", 44100, 2)
    assert 0.9 < f.duration_seconds < 1.2
    assert 60 <= f.kbps <= 80
    assert [c.title for c in f.chapters] == ["Opening Credits", "Chapter One"]
    assert f.chapters[1].start_seconds == pytest.approx(0.4, abs=0.05)
    assert f.tags == {"album": "Leviathan Wakes", "artist": "James S. A. Corey",
                      "narrator": "Jefferson Mays", "year": "2011", "asin": "B073H9PF2D",
                      "series": "The Expanse"}
    assert inspection.format == "AAC"
    bitrate, other, vbr = inspection.bitrate("red")
    assert (bitrate, other, vbr) == ("Other", str(f.kbps), False)
    assert inspection.chapters == 2


@pytest.mark.parametrize("fixture", ["aac64.m4a", "adts.aac"])
def test_m4a_and_raw_aac_are_aac(audio, fixture):
    _, f = facts(audio(fixture))
    assert f.format == "AAC" and f.error is None


def test_mp3_cbr_maps_to_fixed_values_per_flavour(audio):
    _, f64 = facts(audio("cbr64.mp3"))
    assert (f64.codec, f64.bitrate_mode, f64.kbps) == ("MP3", "cbr", 64)
    assert f64.upload_bitrate("red") == ("Other", "64", False)  # 64 exists on OPS only
    assert f64.upload_bitrate("ops") == ("64", None, False)
    _, f320 = facts(audio("cbr320.mp3"))
    assert f320.upload_bitrate("red") == ("320", None, False)
    assert f320.upload_bitrate("ops") == ("320", None, False)


def test_mp3_vbr_without_lame_preset_is_other_with_vbr_flag(audio):
    _, f = facts(audio("vbr.mp3"))
    assert f.bitrate_mode == "vbr"
    assert f.encoder_settings is None  # ffmpeg writes no LAME preset tag
    assert f.upload_bitrate("red") == ("Other", str(f.kbps), True)


@pytest.mark.parametrize("settings, expected", [
    ("-V 0", "V0 (VBR)"), ("-V 1", "V1 (VBR)"), ("-V 2 --vbr-new", "V2 (VBR)"),
    ("--alt-preset standard", "APS (VBR)"), ("--preset fast standard", "APS (VBR)"),
    ("--alt-preset extreme", "APX (VBR)"), ("--preset extreme", "APX (VBR)"),
])
def test_lame_presets_map_to_gazelle_vbr_names(tmp_path, settings, expected):
    f = AudioFile(tmp_path / "a.mp3", "a.mp3", 1, codec="MP3", bitrate_bps=245_000,
                  bitrate_mode="vbr", encoder_settings=settings)
    assert upload_bitrate(f, "red") == (expected, None, True)


def test_lame_v4_is_other_with_rounded_kbps(tmp_path):
    f = AudioFile(tmp_path / "a.mp3", "a.mp3", 1, codec="MP3", bitrate_bps=164_600,
                  bitrate_mode="vbr", encoder_settings="-V 4")
    assert upload_bitrate(f, "red") == ("Other", "165", True)


def test_flac_16_and_24_bit(audio):
    _, f16 = facts(audio("s16.flac"))
    _, f24 = facts(audio("s24.flac"))
    assert (f16.format, f16.bits_per_sample) == ("FLAC", 16)
    assert f16.upload_bitrate("red") == ("Lossless", None, False)
    assert f24.upload_bitrate("ops") == ("24bit Lossless", None, False)


def test_flac_vorbis_comment_tags_and_chapters(audio):
    from mutagen.flac import FLAC

    path = audio("s16.flac")
    tags = FLAC(path)
    tags["ALBUM"] = "Dune"
    tags["ARTIST"] = "Frank Herbert"
    tags["NARRATOR"] = "Scott Brick"
    tags["ASIN"] = "B002V1OF70"
    tags["CHAPTER001"] = "00:00:00.000"
    tags["CHAPTER001NAME"] = "Prologue"
    tags["CHAPTER002"] = "00:00:00.500"
    tags["CHAPTER002NAME"] = "Book One"
    tags.save()
    _, f = facts(path)
    assert f.tags == {"album": "Dune", "artist": "Frank Herbert", "narrator": "Scott Brick",
                      "asin": "B002V1OF70"}
    assert [(c.title, c.start_seconds) for c in f.chapters] == [("Prologue", 0.0), ("Book One", 0.5)]


def test_mp3_id3_tags_and_chap_frames(audio):
    from mutagen.id3 import ID3, TALB, TCOM, TPE1, TPUB, TXXX

    path = audio("cbr64.mp3")
    tags = ID3(path)  # ffmpeg wrote CHAP frames from the chapter metadata
    tags.add(TALB(encoding=3, text="Dune"))
    tags.add(TPE1(encoding=3, text="Frank Herbert"))
    tags.add(TCOM(encoding=3, text="Scott Brick"))
    tags.add(TPUB(encoding=3, text="Macmillan Audio"))
    tags.add(TXXX(encoding=3, desc="AUDIBLE_ASIN", text="B002V1OF70"))
    tags.add(TXXX(encoding=3, desc="SERIES", text="Dune"))
    tags.save(path)
    _, f = facts(path)
    assert f.tags == {"album": "Dune", "artist": "Frank Herbert", "narrator": "Scott Brick",
                      "publisher": "Macmillan Audio", "asin": "B002V1OF70", "series": "Dune"}
    assert [c.title for c in f.chapters] == ["Opening Credits", "Chapter One"]


@pytest.mark.parametrize("fixture, codec", [("vorbis.ogg", "Vorbis"), ("speech.opus", "Opus")])
def test_ogg_and_opus_are_read_but_not_upload_formats(audio, fixture, codec):
    inspection, f = facts(audio(fixture))
    assert (f.codec, f.bitrate_mode, f.format) == (codec, "vbr", None)
    assert f.sample_rate in (44100, 48000) and f.channels == 2
    assert inspection.format is None
    assert "not an upload format" in inspection.upload_values("red")["error"]
    assert any("not an upload format" in p for p in inspection.problems)


def test_mixed_bitrates_are_reported_never_averaged(audio, tmp_path):
    audio("cbr64.mp3", "Book/01.mp3")
    audio("cbr64.mp3", "Book/02.mp3")
    audio("cbr320.mp3", "Book/03.mp3")
    inspection = inspect_path(tmp_path / "Book")
    assert inspection.format == "MP3"
    with pytest.raises(MixedAudio) as caught:
        inspection.bitrate("red")
    assert caught.value.details["bitrates"] == {"64 kbps": ["01.mp3", "02.mp3"], "320": ["03.mp3"]}
    assert "mixed bitrates (red): 64 kbps (2 files), 320 (1 file)" in inspection.problems
    assert inspection.upload_values("ops")["error"].startswith("mixed bitrates in Book")


def test_mixed_formats_have_no_format(audio, tmp_path):
    audio("cbr64.mp3", "Book/01.mp3")
    audio("s16.flac", "Book/02.flac")
    inspection = inspect_path(tmp_path / "Book")
    assert inspection.format is None
    assert inspection.upload_values("red") == {"error": "mixed formats: MP3 (1 file), FLAC (1 file)"}


def test_damaged_file_is_a_problem_not_a_crash_and_other_files_are_listed(audio, tmp_path):
    audio("cbr64.mp3", "Book/01.mp3")
    (tmp_path / "Book/02.mp3").write_bytes(b"not audio at all" * 10)
    (tmp_path / "Book/cover.jpg").write_bytes(b"\xff\xd8")
    inspection = inspect_path(tmp_path / "Book")
    assert [f.relative for f in inspection.audio] == ["01.mp3"]
    assert inspection.files[1].error
    assert any(p.startswith("02.mp3: ") for p in inspection.problems)
    assert inspection.other_files == ["cover.jpg"]
    assert inspection.bitrate("ops") == ("64", None, False)


def test_missing_path_and_non_audio_file(tmp_path):
    with pytest.raises(NotFound):
        inspect_path(tmp_path / "nope")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(UsageError):
        inspect_path(tmp_path / "notes.txt")


def test_unknown_flavour_is_a_usage_error(audio):
    inspection, _ = facts(audio("cbr64.mp3"))
    with pytest.raises(UsageError):
        inspection.bitrate("mam")
