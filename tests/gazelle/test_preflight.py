"""One test per preflight rule: each failure names the field and what is allowed."""

from types import SimpleNamespace

import pytest

from mktint.core.errors import OperationFailed, UsageError
from mktint.workflows.gazelle_upload import (UploadFields, fields_from_book, preflight,
                                             raise_problems, tag_of)
from mktint.workflows.trackers.base import TORRENT, USAGE


def meta(name="Author - Title", files=((("01.mp3",), 100),), private=True, source="RED", v1=True):
    return SimpleNamespace(infohash="ab" * 20, name=name,
                           files=[SimpleNamespace(parts=p, length=n) for p, n in files],
                           private=private, source=source, is_v1_only=v1)


def good(**changes):
    values = dict(title="Author - Title", year=2020, format="MP3", bitrate="320",
                  tags=["fantasy", "audiobook"], description="A long enough description.")
    values.update(changes)
    return UploadFields(**values)


def only(problems, field, kind):
    assert [p.field for p in problems] == [field], problems
    assert problems[0].kind == kind
    return problems[0].message


def test_a_good_upload_has_no_problem():
    assert preflight("red", meta(), good()) == []
    assert preflight("ops", meta(source="OPS"), good(bitrate="64")) == []


def test_v2_or_hybrid_torrent_is_refused():
    assert "v1" in only(preflight("red", meta(v1=False), good()), "torrent", TORRENT)


def test_torrent_must_be_private():
    assert "private" in only(preflight("red", meta(private=False), good()), "torrent", TORRENT)


def test_source_must_match_the_service():
    message = only(preflight("red", meta(source="OPS"), good()), "torrent", TORRENT)
    assert "'OPS'" in message and "'RED'" in message
    assert "missing" in only(preflight("ops", meta(source=None), good()), "torrent", TORRENT)


def test_path_of_180_characters_passes_and_181_fails_on_red_counted_in_characters():
    name = "é" * 100  # 2 bytes each: a byte count would fail both
    ok = meta(name=name, files=((("ä" * 75 + ".mp3",), 1),))  # 100 + 1 + 79 = 180
    assert preflight("red", ok, good()) == []
    long = meta(name=name, files=((("ä" * 76 + ".mp3",), 1),))
    assert "181 characters" in only(preflight("red", long, good()), "torrent", TORRENT)
    assert preflight("ops", meta(name=name, files=((("ä" * 76 + ".mp3",), 1),), source="OPS"),
                     good()) == []


def test_format_must_be_one_of_the_flavours():
    message = only(preflight("red", meta(), good(format="OGG")), "--format", USAGE)
    assert "MP3, FLAC, AAC, AC3, DTS" in message


def test_64_kbps_on_red_needs_other_and_says_so():
    message = only(preflight("red", meta(), good(bitrate="64")), "--bitrate", USAGE)
    assert "--bitrate Other --other-bitrate 64" in message and "V0 (VBR)" in message
    assert preflight("red", meta(), good(bitrate="Other", other_bitrate="64")) == []


def test_other_bitrate_is_required_with_other_and_at_most_9_characters():
    assert "required" in only(preflight("red", meta(), good(bitrate="Other")), "--other-bitrate", USAGE)
    long = good(bitrate="Other", other_bitrate="1234567890")
    assert "9 bytes" in only(preflight("red", meta(), long), "--other-bitrate", USAGE)


def test_other_bitrate_and_vbr_only_with_other():
    assert only(preflight("red", meta(), good(other_bitrate="64")), "--other-bitrate", USAGE)
    assert only(preflight("red", meta(), good(vbr=True)), "--vbr", USAGE)


def test_title_length():
    assert "2–200" in only(preflight("red", meta(), good(title="A")), "--title", USAGE)
    assert only(preflight("red", meta(), good(title="A" * 201)), "--title", USAGE)
    assert only(preflight("red", meta(), good(title=None)), "--title", USAGE)


def test_year_required_and_plausible():
    assert only(preflight("red", meta(), good(year=None)), "--year", USAGE)
    assert only(preflight("red", meta(), good(year=20)), "--year", USAGE)


def test_tags_required_well_formed_and_at_most_200_characters():
    assert "at least one" in only(preflight("red", meta(), good(tags=[])), "--tags", USAGE)
    assert "'Sci Fi'" in only(preflight("red", meta(), good(tags=["Sci Fi"])), "--tags", USAGE)
    many = [f"tag{i:03d}" for i in range(30)]  # 30*6 + 29 commas = 209
    assert "209" in only(preflight("red", meta(), good(tags=many)), "--tags", USAGE)


def test_description_at_least_10_characters():
    assert only(preflight("red", meta(), good(description="short")), "--description", USAGE)
    assert only(preflight("red", meta(), good(description=None)), "--description", USAGE)


def test_empty_release_description():
    assert only(preflight("red", meta(), good(release_desc="  ")), "--release-desc", USAGE)


def test_image_must_be_a_url():
    assert "URL" in only(preflight("red", meta(), good(image="cover.jpg")), "--image", USAGE)
    assert preflight("red", meta(), good(image="https://example.org/c.jpg")) == []


def test_category_must_be_known():
    message = only(preflight("red", meta(), good(category="films")), "--category", USAGE)
    assert "audiobooks" in message
    assert preflight("red", meta(), good(category="E-Books")) == []


def test_ids_must_be_positive():
    assert only(preflight("red", meta(), good(group_id=0)), "--group-id", USAGE)
    assert only(preflight("red", meta(), good(request_id=-3)), "--request-id", USAGE)


def test_all_problems_are_reported_at_once_with_the_right_exit_code():
    problems = preflight("red", meta(private=False), good(format="OGG", tags=[]))
    assert {p.field for p in problems} == {"torrent", "--format", "--tags"}
    with pytest.raises(UsageError) as bad_flag:
        raise_problems(problems)
    assert bad_flag.value.exit_code == 2 and len(bad_flag.value.details["problems"]) == 3
    with pytest.raises(OperationFailed) as bad_torrent:
        raise_problems(preflight("red", meta(private=False), good()))
    assert bad_torrent.value.exit_code == 1
    raise_problems([])


def test_form_omits_false_booleans_and_empty_values():
    form = dict(good(vbr=False).form())
    assert "vbr" not in form and "dryrun" not in form and "image" not in form
    assert form["type"] == "3" and form["tags"] == "fantasy,audiobook"
    assert form["album_desc"] == "A long enough description."
    dry = dict(good(bitrate="Other", other_bitrate="64", vbr=True).form(dry_run=True))
    assert dry["vbr"] == "1" and dry["dryrun"] == "1" and dry["other_bitrate"] == "64"


def test_fields_from_book():
    book = SimpleNamespace(asin="B002UZMLXM", title="The Final Empire", subtitle=None,
                           authors=["Brandon Sanderson"], narrators=["Michael Kramer"],
                           series={"name": "Mistborn", "position": "1"}, publisher="Macmillan",
                           release_date="2009-04-01", year=2009,
                           genres=["Science Fiction & Fantasy", "Fantasy"], tags=["Epic"],
                           image="https://m.media-amazon.com/images/I/cover.jpg", summary="...",
                           summary_html="<p>...</p>", isbn=None, rating=4.7, region="us")
    rendered = []
    fields = fields_from_book(book, render=lambda b: rendered.append(b) or "[b]Rendered[/b] text")
    assert rendered == [book]
    assert fields == {"title": "Brandon Sanderson - The Final Empire", "year": 2009,
                      "description": "[b]Rendered[/b] text",
                      "image": "https://m.media-amazon.com/images/I/cover.jpg",
                      "tags": ["science.fiction.fantasy", "fantasy", "epic"]}
    no_year = SimpleNamespace(**{**vars(book), "year": None, "image": None, "genres": []})
    assert set(fields_from_book(no_year, render=lambda b: "x" * 20)) == {"title", "description", "tags"}
    assert tag_of("Sci-Fi & Fantasy") == "sci.fi.fantasy"
