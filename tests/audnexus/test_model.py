"""Normalisation of Audnexus answers: missing fields, HTML, entities, odd series data."""

import pytest

from mktint.services.audnexus_model import (html_to_text, normalise_author, normalise_book,
                                            normalise_chapters)
from tests.emulators.audnexus import BOOKS, CHAPTERS, EXPANSE_NOVELLA, HAIL_MARY, SPARSE


def test_full_book():
    book = normalise_book(BOOKS[HAIL_MARY])
    assert book.asin == HAIL_MARY
    assert book.title == "Project Hail Mary"
    assert book.subtitle is None
    assert book.authors == ["Andy Weir"]
    assert book.narrators == ["Ray Porter"]
    assert book.series is None and book.series_secondary is None
    assert book.publisher == "Audible Studios"
    assert book.release_date == "2021-05-04" and book.year == 2021
    assert book.language == "english"
    assert book.runtime_minutes == 970
    assert book.genres == ["Science Fiction & Fantasy"]
    assert book.tags == ["Science Fiction", "Hard Science Fiction"]
    assert book.isbn == "9781603935470"
    assert book.rating == 4.8
    assert book.region == "us"
    assert book.summary.startswith("Winner of the 2022 Audie Award for Audiobook of the Year\n\n")
    assert "mission—and" in book.summary and "doesn’t" in book.summary
    assert book.summary_html == BOOKS[HAIL_MARY]["summary"]
    assert book.audible_url == "https://www.audible.com/pd/B08G9PRS1K"


def test_series_positions_duplicates_and_string_numbers():
    book = normalise_book(BOOKS[EXPANSE_NOVELLA])
    assert book.series == {"name": "The Expanse", "position": "2.5"}
    assert book.series_secondary == {"name": "Expanse Novellas", "position": None}
    assert book.narrators == ["Jefferson Mays"]  # listed twice by the server
    assert book.runtime_minutes == 78  # a string in the answer
    assert book.summary == "Set between Caliban's War & Abaddon's Gate…\n\n• Mars\n• Bobbie Draper"  # &nbsp; folds to a space


@pytest.mark.parametrize("series, expected", [
    ({"name": "Dune", "position": "1.5"}, {"name": "Dune", "position": "1.5"}),
    ({"name": "Dune", "position": " Book 2 "}, {"name": "Dune", "position": "Book 2"}),
    ({"name": "Dune", "position": 3}, {"name": "Dune", "position": "3"}),
    ({"name": "Dune"}, {"name": "Dune", "position": None}),
    ({"name": "", "position": "1"}, None),
    ({"position": "1"}, None),
    ("Dune", None),
    (None, None),
])
def test_odd_series_data(series, expected):
    assert normalise_book({"asin": "B000000001", "seriesPrimary": series}).series == expected


def test_missing_fields_give_empty_values():
    book = normalise_book(BOOKS[SPARSE], region="uk")
    assert book.title == "Sparse"
    assert book.authors == [] and book.narrators == [] and book.genres == [] and book.tags == []
    assert book.series is None
    assert book.release_date is None and book.year is None
    assert book.runtime_minutes is None and book.rating is None
    assert book.summary == "" and book.summary_html == ""
    assert book.region == "uk"  # the asked region when the answer has none
    assert set(book.to_dict()) == {
        "asin", "title", "subtitle", "authors", "narrators", "series", "series_secondary",
        "publisher", "release_date", "year", "language", "runtime_minutes", "genres", "tags",
        "image", "summary", "summary_html", "isbn", "rating", "region"}


def test_wrong_types_do_not_crash():
    book = normalise_book({"asin": "B000000001", "title": "T", "authors": "nobody",
                           "genres": ["x", {"name": "G"}], "rating": "n/a",
                           "releaseDate": "soon", "runtimeLengthMin": None, "summary": 42})
    assert book.authors == [] and book.genres == ["G"] and book.rating is None
    assert book.release_date is None and book.summary == ""


def test_description_used_when_summary_is_missing_and_title_entities_decoded():
    book = normalise_book({"asin": "B000000001", "title": "Tom &amp; Jerry",
                           "description": "Short &quot;blurb&quot;"})
    assert book.title == "Tom & Jerry"
    assert book.summary == 'Short "blurb"'


@pytest.mark.parametrize("markup, text", [
    ("<p>One</p><p>Two</p>", "One\n\nTwo"),
    ("<p>Line<br>break</p>", "Line\nbreak"),
    ("<p>spread\n   over\tlines</p>", "spread over lines"),
    ("caf&eacute; &amp; &#x2014; &lt;tag&gt;", "café & — <tag>"),
    ("<div><h2>Head</h2>Body</div>", "Head\n\nBody"),
    ("<ul><li>a</li><li>b</li></ul><p>after</p>", "• a\n• b\n\nafter"),
    ("", ""),
    (None, ""),
])
def test_html_to_text(markup, text):
    assert html_to_text(markup) == text


def test_chapters_and_author():
    chapters = normalise_chapters(CHAPTERS[HAIL_MARY])
    assert [c.title for c in chapters.chapters] == ["Opening Credits", "Chapter 1", "Chapter 2"]
    assert chapters.chapters[1].start_ms == 20815 and chapters.chapters[1].length_ms == 1562398
    assert chapters.runtime_ms == 5183213 and chapters.is_accurate is True
    assert chapters.brand_intro_ms == 2043
    empty = normalise_chapters({"asin": "B000000001", "isAccurate": "yes"})
    assert empty.chapters == [] and empty.is_accurate is None and empty.runtime_ms is None

    author = normalise_author({"asin": "B00G0WYW92", "name": "Andy Weir",
                               "description": "<p>Hi &amp; bye</p>",
                               "similar": [{"asin": "B1", "name": "X"}, {"asin": "B2"}]})
    assert author.description == "Hi & bye"
    assert author.similar == [{"asin": "B1", "name": "X"}]
