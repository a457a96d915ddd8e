import pytest

from mktint.audio.naming import parse_folder_name

CASES = [
    # name, title, series, volume, year, author, asin, group
    ("Title - vol_03 (2020) (Author Name) {ASIN.B08G9PRS1K} [Group]",
     "Title", "Title", "3", 2020, "Author Name", "B08G9PRS1K", "Group"),
    ("The Expanse - vol_01 - Leviathan Wakes (2011) (James S. A. Corey) [B073H9PF2D]",
     "Leviathan Wakes", "The Expanse", "1", 2011, "James S. A. Corey", "B073H9PF2D", None),
    ("Project Hail Mary (2021) (Andy Weir)", "Project Hail Mary", None, None, 2021, "Andy Weir", None, None),
    ("Project Hail Mary", "Project Hail Mary", None, None, None, None, None, None),
    ("Mistborn Vol. 2 (Brandon Sanderson) [GRP]", "Mistborn", "Mistborn", "2", None, "Brandon Sanderson", None, "GRP"),
    ("Title - Volume 12.5 {ASIN.B08G9PRS1K}", "Title", "Title", "12.5", None, None, "B08G9PRS1K", None),
    ("Title (Author) (2019) [Grp]", "Title", None, None, 2019, "Author", None, "Grp"),
    ("1984 (1949) (George Orwell)", "1984", None, None, 1949, "George Orwell", None, None),
    ("Book #4 - The Title.m4b", "The Title", None, "4", None, None, None, None),
    ("Some Saga, Book 3", "Some Saga", "Some Saga", "3", None, None, None, None),
    ("B08G9PRS1K", None, None, None, None, None, "B08G9PRS1K", None),
    ("Dune – vol_01 {asin.b002v1of70}", "Dune", "Dune", "1", None, None, "B002V1OF70", None),
]


@pytest.mark.parametrize("name, title, series, volume, year, author, asin, group", CASES)
def test_folder_name_parts(name, title, series, volume, year, author, asin, group):
    parsed = parse_folder_name(name)
    assert (parsed.title, parsed.series, parsed.volume, parsed.year, parsed.author,
            parsed.asin, parsed.group) == (title, series, volume, year, author, asin, group)


def test_edition_is_not_taken_for_the_author():
    parsed = parse_folder_name("Some Book (Unabridged) (Jane Doe)")
    assert (parsed.title, parsed.edition, parsed.author) == ("Some Book", "Unabridged", "Jane Doe")


def test_to_dict_has_every_part():
    assert set(parse_folder_name("x").to_dict()) == {
        "name", "title", "series", "volume", "year", "author", "asin", "group", "edition"}
