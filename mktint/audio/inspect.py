"""Read audio files with mutagen and map what they are to Gazelle upload values.

``inspect_path(path)`` reads one file or every audio file under a folder. Each file gets
its codec, bitrate (and whether it is CBR or VBR), sample rate, channels, duration,
chapter markers and the tags an audiobook upload needs. The :class:`Inspection` maps the
set to a Gazelle ``format`` and, per site flavour, a ``bitrate`` — and refuses to guess
when the files disagree: mixed formats or bitrates are reported, never averaged.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mktint.core.errors import NotFound, OperationFailed, UsageError
from mktint.core.sites import FLAVOURS as SITE_FLAVOURS

AUDIO_EXTENSIONS = (".m4b", ".m4a", ".mp4", ".aac", ".mp3", ".flac", ".ogg", ".oga", ".opus")

# Gazelle `format` per codec; None = not an allowed format on RED/OPS.
FORMATS = {"AAC": "AAC", "MP3": "MP3", "FLAC": "FLAC", "AC3": "AC3", "DTS": "DTS",
           "Vorbis": None, "Opus": None, "ALAC": None}

# The fixed bitrate values of each site's upload form (anything else is "Other" + rounded
# kbps) come from the site table, mktint.core.sites.
FLAVOURS = tuple(SITE_FLAVOURS)

TAG_FIELDS = ("title", "album", "artist", "album_artist", "narrator", "year", "series",
              "series_part", "asin", "publisher", "genre")


class MixedAudio(OperationFailed):
    """The files do not share one format or one bitrate: there is no single upload value."""

    code = "mixed_audio"


@dataclass
class Chapter:
    title: str
    start_seconds: float


@dataclass
class AudioFile:
    path: Path
    relative: str  # path inside the inspected folder (the file name for a single file)
    size_bytes: int
    codec: str | None = None  # AAC, MP3, FLAC, Vorbis, Opus, ALAC, AC3 …
    bitrate_bps: int | None = None
    bitrate_mode: str | None = None  # "cbr", "vbr", or None when the container cannot say
    encoder_settings: str | None = None  # LAME preset, e.g. "-V 0"
    sample_rate: int | None = None
    channels: int | None = None
    bits_per_sample: int | None = None
    duration_seconds: float | None = None
    chapters: list[Chapter] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    error: str | None = None  # set when the file could not be read

    @property
    def format(self) -> str | None:
        return FORMATS.get(self.codec) if self.codec else None

    @property
    def kbps(self) -> int | None:
        return round(self.bitrate_bps / 1000) if self.bitrate_bps else None

    def upload_bitrate(self, flavour: str) -> tuple[str, str | None, bool]:
        """``(bitrate, other_bitrate, vbr)`` as the Gazelle upload form takes them."""
        return upload_bitrate(self, flavour)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        data["format"] = self.format
        data["kbps"] = self.kbps
        data["chapter_count"] = len(self.chapters)
        return data


def upload_bitrate(file: AudioFile, flavour: str) -> tuple[str, str | None, bool]:
    if flavour not in SITE_FLAVOURS:
        raise UsageError(f"unknown tracker flavour {flavour!r}", hint="use one of: " + ", ".join(FLAVOURS))
    if file.codec == "FLAC":
        return ("24bit Lossless" if (file.bits_per_sample or 16) > 16 else "Lossless"), None, False
    preset = _lame_preset(file.encoder_settings) if file.codec == "MP3" else None
    if preset:
        return preset, None, True
    kbps = file.kbps
    vbr = file.bitrate_mode == "vbr"
    if kbps is None:
        raise OperationFailed(f"{file.relative}: no bitrate could be read",
                              hint="pass --bitrate by hand")
    if not vbr and kbps in SITE_FLAVOURS[flavour].cbr_kbps:
        return str(kbps), None, False
    return "Other", str(kbps), vbr


def _lame_preset(settings: str | None) -> str | None:
    """The RED/OPS VBR bitrate name of a LAME preset (mutagen's ``encoder_settings``)."""
    if not settings:
        return None
    words = settings.split()
    if words[:1] == ["-V"] and len(words) > 1 and words[1] in ("0", "1", "2"):
        return f"V{words[1]} (VBR)"
    if settings.endswith("standard") and "preset" in settings:
        return "APS (VBR)"
    if settings.endswith("extreme") and "preset" in settings:
        return "APX (VBR)"
    return None


@dataclass
class Inspection:
    path: Path
    files: list[AudioFile]
    other_files: list[str]  # non-audio files found (covers, cue sheets, …)

    @property
    def audio(self) -> list[AudioFile]:
        return [f for f in self.files if f.error is None]

    @property
    def formats(self) -> dict[str | None, list[str]]:
        """Gazelle format → the files in it (None: a codec Gazelle does not take)."""
        groups: dict[str | None, list[str]] = {}
        for f in self.audio:
            groups.setdefault(f.format, []).append(f.relative)
        return groups

    @property
    def format(self) -> str | None:
        """The one Gazelle format of every file, or None (mixed, not allowed, or no audio)."""
        formats = self.formats
        if len(formats) == 1:
            return next(iter(formats))
        return None

    def bitrates(self, flavour: str) -> dict[tuple[str, str | None, bool], list[str]]:
        """Upload bitrate value → the files with it."""
        groups: dict[tuple[str, str | None, bool], list[str]] = {}
        for f in self.audio:
            groups.setdefault(upload_bitrate(f, flavour), []).append(f.relative)
        return groups

    def bitrate(self, flavour: str) -> tuple[str, str | None, bool]:
        """``(bitrate, other_bitrate|None, vbr)`` shared by every file; :class:`MixedAudio`
        when the files differ (they are never averaged)."""
        if not self.audio:
            raise NotFound(f"no readable audio files in {self.path}")
        groups = self.bitrates(flavour)
        if len(groups) > 1:
            raise MixedAudio(f"mixed bitrates in {self.path.name}: {_describe(groups, _bitrate_text)}",
                             hint="upload one bitrate per torrent, or give --bitrate by hand",
                             details={"bitrates": {_bitrate_text(k): v for k, v in groups.items()}})
        return next(iter(groups))

    def upload_values(self, flavour: str) -> dict[str, Any]:
        """``{format, bitrate, other_bitrate, vbr}`` for the upload form, or ``{error}``."""
        fmt = self.format
        if fmt is None:
            return {"error": self._format_problem() or "no audio files"}
        try:
            bitrate, other, vbr = self.bitrate(flavour)
        except (MixedAudio, NotFound, OperationFailed) as exc:
            return {"error": exc.message}
        return {"format": fmt, "bitrate": bitrate, "other_bitrate": other, "vbr": vbr}

    def _format_problem(self) -> str | None:
        formats = self.formats
        if len(formats) > 1:
            return f"mixed formats: {_describe(formats, lambda k: k or 'not allowed')}"
        if formats and None in formats:
            codecs = sorted({f.codec or "unknown" for f in self.audio})
            return f"{'/'.join(codecs)} is not an upload format on RED or OPS (MP3, FLAC, AAC, AC3, DTS)"
        return None

    @property
    def problems(self) -> list[str]:
        problems = [f"{f.relative}: {f.error}" for f in self.files if f.error]
        if not self.files:
            problems.append(f"no audio files in {self.path}")
        fmt_problem = self._format_problem()
        if fmt_problem:
            problems.append(fmt_problem)
        for flavour in FLAVOURS:
            try:
                groups = self.bitrates(flavour)
            except OperationFailed as exc:
                problems.append(exc.message)
                break
            if len(groups) > 1:
                problems.append(f"mixed bitrates ({flavour}): {_describe(groups, _bitrate_text)}")
        for name, label in (("sample_rate", "sample rates"), ("channels", "channel counts")):
            values = {getattr(f, name) for f in self.audio if getattr(f, name) is not None}
            if len(values) > 1:
                problems.append(f"mixed {label}: " + ", ".join(str(v) for v in sorted(values)))
        for tag in ("album", "artist", "album_artist"):
            values = {f.tags.get(tag) for f in self.audio if f.tags.get(tag)}
            if len(values) > 1:
                problems.append(f"the {tag} tag differs across files: " + " | ".join(sorted(values)))
        return problems

    @property
    def duration_seconds(self) -> float:
        return sum(f.duration_seconds or 0.0 for f in self.audio)

    @property
    def size_bytes(self) -> int:
        return sum(f.size_bytes for f in self.files)

    @property
    def chapters(self) -> int:
        """Chapter markers across files (files without markers count as none)."""
        return sum(len(f.chapters) for f in self.audio)

    def tags(self) -> dict[str, str]:
        """Book-level tags: the most common value of each tag across the files."""
        result = {}
        for name in TAG_FIELDS:
            values = Counter(f.tags[name] for f in self.audio if f.tags.get(name))
            if values:
                result[name] = values.most_common(1)[0][0]
        return result

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "format": self.format,
            "upload": {flavour: self.upload_values(flavour) for flavour in FLAVOURS},
            "duration_seconds": round(self.duration_seconds, 3),
            "size_bytes": self.size_bytes,
            "chapter_count": self.chapters,
            "tags": self.tags(),
            "files": [f.to_dict() for f in self.files],
            "other_files": self.other_files,
            "problems": self.problems,
        }


def _bitrate_text(key: tuple[str, str | None, bool]) -> str:
    bitrate, other, vbr = key
    if bitrate != "Other":
        return bitrate
    return f"{other} kbps" + (" (VBR)" if vbr else "")


def _describe(groups: dict, label) -> str:
    return ", ".join(f"{label(k)} ({len(v)} file{'s' if len(v) != 1 else ''})" for k, v in groups.items())


# -- reading ---------------------------------------------------------------------------------

def inspect_path(path: str | os.PathLike) -> Inspection:
    """Inspect one audio file, or every audio file under a folder (sorted by path)."""
    root = Path(path)
    if not root.exists():
        raise NotFound(f"{root} does not exist")
    if root.is_file():
        if root.suffix.lower() not in AUDIO_EXTENSIONS:
            raise UsageError(f"{root.name} is not an audio file",
                             hint="supported: " + " ".join(AUDIO_EXTENSIONS))
        return Inspection(root, [read_file(root, root.name)], [])
    files, others = [], []
    for current, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            full = Path(current) / name
            relative = full.relative_to(root).as_posix()
            if full.suffix.lower() in AUDIO_EXTENSIONS:
                files.append(read_file(full, relative))
            else:
                others.append(relative)
    return Inspection(root, files, others)


def read_file(path: Path, relative: str) -> AudioFile:
    """Facts about one file; an unreadable file gets ``error`` set instead of raising."""
    import mutagen

    result = AudioFile(path=path, relative=relative, size_bytes=path.stat().st_size)
    try:
        audio = mutagen.File(path)
    except Exception as exc:  # mutagen raises many kinds of errors on damaged files
        result.error = f"cannot read: {exc}"
        return result
    if audio is None:
        result.error = "not a recognised audio file"
        return result
    info = audio.info
    result.bitrate_bps = int(info.bitrate) if getattr(info, "bitrate", None) else None
    result.sample_rate = getattr(info, "sample_rate", None)
    result.channels = getattr(info, "channels", None)
    result.bits_per_sample = getattr(info, "bits_per_sample", None)
    length = getattr(info, "length", None)
    result.duration_seconds = round(length, 3) if length else None
    kind = type(audio).__name__
    reader = _READERS.get(kind)
    if reader is None:
        result.error = f"unsupported container ({kind})"
        return result
    reader(audio, result)
    return result


def _read_mp3(audio, result: AudioFile) -> None:
    from mutagen.mp3 import BitrateMode

    result.codec = "MP3"
    mode = audio.info.bitrate_mode
    # Without a Xing/VBRI header the mode is unknown (None): usually CBR, not certainly.
    result.bitrate_mode = {BitrateMode.CBR: "cbr", BitrateMode.VBR: "vbr",
                           BitrateMode.ABR: "vbr"}.get(mode)
    result.encoder_settings = audio.info.encoder_settings or None
    _read_id3(audio.tags, result)


def _read_id3(tags, result: AudioFile) -> None:
    if tags is None:
        return
    text = {"title": "TIT2", "album": "TALB", "artist": "TPE1", "album_artist": "TPE2",
            "narrator": "TCOM", "year": "TDRC", "publisher": "TPUB", "genre": "TCON",
            "series": "MVNM", "series_part": "MVIN"}
    for name, frame in text.items():
        if frame in tags:
            result.tags[name] = str(tags[frame].text[0]) if tags[frame].text else ""
    for frame in tags.getall("TXXX"):
        key = frame.desc.upper()
        value = str(frame.text[0]) if frame.text else ""
        if key in ("ASIN", "AUDIBLE_ASIN"):
            result.tags["asin"] = value
        elif key in ("SERIES", "SERIES-PART", "SERIES_PART", "NARRATOR", "NARRATEDBY"):
            result.tags[{"SERIES": "series", "NARRATOR": "narrator",
                         "NARRATEDBY": "narrator"}.get(key, "series_part")] = value
    for chap in sorted(tags.getall("CHAP"), key=lambda c: c.start_time):
        title = chap.sub_frames.get("TIT2")
        result.chapters.append(Chapter(str(title.text[0]) if title else chap.element_id,
                                       chap.start_time / 1000))
    _clean_tags(result)


def _read_mp4(audio, result: AudioFile) -> None:
    codec = (getattr(audio.info, "codec", "") or "").lower()
    result.codec = {"mp4a": "AAC", "alac": "ALAC", "ac-3": "AC3", "ec-3": "AC3"}.get(
        codec.split(".")[0], codec.upper() or None)
    tags = audio.tags or {}
    atoms = {"title": "\xa9nam", "album": "\xa9alb", "artist": "\xa9ART", "album_artist": "aART",
             "narrator": "\xa9wrt", "year": "\xa9day", "genre": "\xa9gen", "series": "\xa9mvn",
             "series_part": "\xa9mvi", "publisher": "\xa9pub"}
    for name, atom in atoms.items():
        if atom in tags and tags[atom]:
            result.tags[name] = str(tags[atom][0])
    for key, value in tags.items():
        if not key.startswith("----:") or not value:
            continue
        name = key.rsplit(":", 1)[-1].upper()
        text = bytes(value[0]).decode("utf-8", "replace")
        mapped = {"ASIN": "asin", "AUDIBLE_ASIN": "asin", "NARRATOR": "narrator",
                  "SERIES": "series", "SERIES-PART": "series_part", "PUBLISHER": "publisher"}.get(name)
        if mapped:
            result.tags[mapped] = text
    chapters = getattr(audio, "chapters", None)
    if chapters:
        result.chapters = [Chapter(c.title or "", round(c.start, 3)) for c in chapters]
    _clean_tags(result)


def _read_aac(audio, result: AudioFile) -> None:
    result.codec = "AAC"  # raw ADTS/ADIF stream: no tags, no chapters


def _read_vorbis_comments(audio, result: AudioFile, codec: str) -> None:
    result.codec = codec
    if codec == "FLAC":
        result.bitrate_mode = None  # lossless: the bitrate is a measurement, not a setting
    else:
        result.bitrate_mode = "vbr"  # Vorbis and Opus are variable by design
    if codec == "Opus":
        result.sample_rate = 48000  # Opus always decodes at 48 kHz; the header has no rate
    tags = audio.tags or {}
    names = {"title": ("TITLE",), "album": ("ALBUM",), "artist": ("ARTIST", "AUTHOR"),
             "album_artist": ("ALBUMARTIST",), "narrator": ("NARRATOR", "COMPOSER", "PERFORMER"),
             "year": ("DATE", "YEAR"), "series": ("SERIES", "MOVEMENTNAME"),
             "series_part": ("SERIES-PART", "SERIES_PART", "MOVEMENT"),
             "asin": ("ASIN", "AUDIBLE_ASIN"), "publisher": ("PUBLISHER", "ORGANIZATION", "LABEL"),
             "genre": ("GENRE",)}
    for name, keys in names.items():
        for key in keys:
            values = tags.get(key)
            if values:
                result.tags[name] = str(values[0])
                break
    # CHAPTER001=00:00:00.000 / CHAPTER001NAME=… (the Vorbis-comment chapter convention)
    index = 1
    while tags.get(f"CHAPTER{index:03d}"):
        start = _clock_seconds(tags[f"CHAPTER{index:03d}"][0])
        name = (tags.get(f"CHAPTER{index:03d}NAME") or [""])[0]
        if start is not None:
            result.chapters.append(Chapter(name, start))
        index += 1
    _clean_tags(result)


def _clock_seconds(text: str) -> float | None:
    try:
        parts = [float(p) for p in text.strip().split(":")]
    except ValueError:
        return None
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    return round(seconds, 3)


def _clean_tags(result: AudioFile) -> None:
    cleaned = {}
    for name, value in result.tags.items():
        value = value.strip()
        if not value:
            continue
        if name == "year":
            value = value[:4]
            if not value.isdigit():
                continue
        cleaned[name] = value
    result.tags = cleaned


_READERS = {
    "MP3": _read_mp3,
    "MP4": _read_mp4,
    "AAC": _read_aac,
    "FLAC": lambda audio, result: _read_vorbis_comments(audio, result, "FLAC"),
    "OggVorbis": lambda audio, result: _read_vorbis_comments(audio, result, "Vorbis"),
    "OggOpus": lambda audio, result: _read_vorbis_comments(audio, result, "Opus"),
}
