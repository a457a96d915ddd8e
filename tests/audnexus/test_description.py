"""The BBCode release description: built-in layout and user templates."""

from pathlib import Path

import pytest

from mktint.core.errors import UsageError
from mktint.services.audnexus_model import normalise_book, normalise_chapters
from mktint.workflows.description import PLACEHOLDERS, placeholder_values, render_description
from tests.emulators.audnexus import BOOKS, CHAPTERS, EXPANSE_NOVELLA, HAIL_MARY, SPARSE

HAIL = normalise_book(BOOKS[HAIL_MARY])
HAIL_CHAPTERS = normalise_chapters(CHAPTERS[HAIL_MARY])
NOVELLA = normalise_book(BOOKS[EXPANSE_NOVELLA])


def test_builtin_layout_has_every_part():
    text = render_description(HAIL, HAIL_CHAPTERS)
    assert text.startswith("[center][img]https://m.media-amazon.com/images/I/91vS2L5YfEL.jpg[/img][/center]\n")
    for line in ("[size=4][b]Project Hail Mary[/b][/size]",
                 "[b]Author:[/b] Andy Weir",
                 "[b]Narrator:[/b] Ray Porter",
                 "[b]Publisher:[/b] Audible Studios",
                 "[b]Release date:[/b] 2021-05-04",
                 "[b]Runtime:[/b] 16 h 10 min",
                 "[b]Chapters:[/b] 3",
                 "[b]ASIN:[/b] [url=https://www.audible.com/pd/B08G9PRS1K]B08G9PRS1K[/url]",
                 "[b]ISBN:[/b] 9781603935470"):
        assert line + "\n" in text
    assert "[quote]Winner of the 2022 Audie Award" in text
    assert text.endswith("he doesn’t know that.[/quote]\n")
    assert "<p>" not in text and "&#8212;" not in text


def test_builtin_layout_series_and_no_chapters():
    text = render_description(NOVELLA)
    assert "[i]An Expanse Novella[/i]\n" in text
    assert "[b]Series:[/b] The Expanse, Book 2.5\n" in text
    assert "[b]Also in series:[/b] Expanse Novellas\n" in text
    assert "Chapters:" not in text and "ISBN:" not in text and "[img]" not in text


def test_sparse_book_leaves_out_empty_lines():
    text = render_description(normalise_book(BOOKS[SPARSE]))
    assert text == ("[size=4][b]Sparse[/b][/size]\n\n"
                    "[b]ASIN:[/b] [url=https://www.audible.com/pd/B0SPARSE01]B0SPARSE01[/url]\n")


def test_template_text_with_placeholders():
    template = ("{full_title} by {authors} ({year}) — {series}\n"
                "{runtime_minutes} min, {chapter_count} chapters, rated {rating}\n"
                "{chapter_list}\n{{literal}}")
    text = render_description(NOVELLA, None, template)
    assert text.startswith("Gods of Risk: An Expanse Novella by James S. A. Corey (2012) — "
                           "The Expanse, Book 2.5\n78 min,  chapters, rated 4.5\n")
    assert text.endswith("{literal}\n")
    listed = render_description(HAIL, HAIL_CHAPTERS, "{chapter_list}")
    assert listed == ("01. Opening Credits (0:20)\n02. Chapter 1 (26:02)\n"
                      "03. Chapter 2 (1:00:00)\n")


def test_template_file_can_wrap_the_builtin_description(tmp_path):
    path = tmp_path / "tpl.txt"
    path.write_text("[align=center]Ripped by me[/align]\n{description}[size=1]{asin}[/size]\n")
    text = render_description(HAIL, HAIL_CHAPTERS, path)
    assert text.startswith("[align=center]Ripped by me[/align]\n[center][img]")
    assert render_description(HAIL, HAIL_CHAPTERS) in text
    assert text.endswith("[size=1]B08G9PRS1K[/size]\n")


@pytest.mark.parametrize("template, message", [
    ("{nope}", "unknown placeholder {nope}"),
    ("{title.upper}", "unknown placeholder {title.upper}"),
    ("{0}", "unknown placeholder {0}"),
    ("{title!r}", "conversions such as !r"),
    ("{title", "malformed"),
    ("{year:d}", "bad format spec"),
])
def test_bad_templates_are_usage_errors(template, message):
    with pytest.raises(UsageError) as error:
        render_description(HAIL, None, template)
    assert message in error.value.message


def test_missing_template_file(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        render_description(HAIL, None, tmp_path / "missing.txt")


def test_every_documented_placeholder_has_a_value_and_docs():
    values = placeholder_values(HAIL, HAIL_CHAPTERS)
    assert set(values) | {"description"} == set(PLACEHOLDERS)
    docs = (Path(__file__).parents[2] / "docs" / "book.md").read_text()
    for name in PLACEHOLDERS:
        assert f"`{{{name}}}`" in docs, name
