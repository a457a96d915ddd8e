"""Tiny audio fixtures made with ffmpeg (1 s of sine); tags written with mutagen."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

FFMPEG = shutil.which("ffmpeg")

# name → ffmpeg output arguments
ENCODINGS = {
    "aac64.m4b": ["-c:a", "aac", "-b:a", "64k", "-f", "mp4"],
    "aac64.m4a": ["-c:a", "aac", "-b:a", "64k", "-f", "mp4"],
    "adts.aac": ["-c:a", "aac", "-b:a", "64k", "-f", "adts"],
    "cbr64.mp3": ["-c:a", "libmp3lame", "-b:a", "64k"],
    "cbr320.mp3": ["-c:a", "libmp3lame", "-b:a", "320k"],
    "vbr.mp3": ["-c:a", "libmp3lame", "-q:a", "2"],
    "s16.flac": ["-c:a", "flac"],
    "s24.flac": ["-c:a", "flac", "-sample_fmt", "s32", "-bits_per_raw_sample", "24"],
    "vorbis.ogg": ["-c:a", "libvorbis", "-q:a", "2"],
    "speech.opus": ["-c:a", "libopus", "-b:a", "32k"],
}

CHAPTERS = """;FFMETADATA1
[CHAPTER]
TIMEBASE=1/1000
START=0
END=400
title=Opening Credits
[CHAPTER]
TIMEBASE=1/1000
START=400
END=1000
title=Chapter One
"""


def encode(target: Path, args: list[str], *, chapters: bool = False) -> Path:
    command = [FFMPEG, "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
               "-i", "sine=frequency=440:duration=1"]
    if chapters:
        meta = target.with_suffix(".ffmeta")
        meta.write_text(CHAPTERS)
        command += ["-i", str(meta), "-map", "0:a", "-map_chapters", "1"]
    subprocess.run([*command, "-ac", "2", *args, str(target)], check=True, capture_output=True, timeout=60)
    return target


@pytest.fixture(scope="session")
def encoded(tmp_path_factory):
    """A folder of every encoding, made once per session; copy files out of it to use them."""
    if FFMPEG is None:
        pytest.skip("ffmpeg is not installed (scripts/test installs it); audio fixtures need it")
    folder = tmp_path_factory.mktemp("encoded")
    for name, args in ENCODINGS.items():
        encode(folder / name, args, chapters=name in ("aac64.m4b", "cbr64.mp3"))
    return folder


@pytest.fixture
def audio(encoded, tmp_path):
    """``audio("cbr64.mp3", "Book/Part 01.mp3")`` copies a fixture into tmp_path."""

    def copy(fixture: str, relative: str | None = None) -> Path:
        target = tmp_path / (relative or fixture)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(encoded / fixture, target)
        return target

    return copy
