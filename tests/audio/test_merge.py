from types import SimpleNamespace

from mktint.audio.merge import merge, split_names
from mktint.audio.naming import parse_folder_name

FOLDER = parse_folder_name(
    "The Expanse - vol_01 - Leviathan Wakes (2012) (James S. A. Corey) [B073H9PF2D]")
TAGS = {"album": "Leviathan Wakes", "artist": "James S.A. Corey", "narrator": "Jefferson Mays",
        "year": "2011", "title": "Chapter 1"}


def audnexus_book(**changes):
    book = dict(asin="B073H9PF2D", title="Leviathan Wakes", subtitle="Expanse, Book 1",
                authors=["James S. A. Corey"], narrators=["Jefferson Mays"],
                series={"name": "The Expanse", "position": "1"}, publisher="Hachette Audio",
                release_date="2011-06-15", year=2011, language="english", genres=[], tags=[],
                image=None, summary="", isbn=None, region="us")
    book.update(changes)
    return SimpleNamespace(**book)


def test_each_field_has_its_source_and_audnexus_wins():
    view = merge(folder=FOLDER, tags=TAGS, book=audnexus_book())
    fields = view.fields
    assert (fields["title"].value, fields["title"].source) == ("Leviathan Wakes", "audnexus")
    assert fields["title"].sources == {"audnexus": "Leviathan Wakes", "tags": "Leviathan Wakes",
                                       "folder": "Leviathan Wakes"}
    assert (fields["subtitle"].value, fields["publisher"].source) == ("Expanse, Book 1", "audnexus")
    assert fields["volume"].sources == {"audnexus": "1", "folder": "1"}
    assert (fields["asin"].value, fields["asin"].source) == ("B073H9PF2D", "folder")


def test_conflicts_are_listed_and_spelling_differences_are_not_conflicts():
    view = merge(folder=FOLDER, tags=TAGS, book=audnexus_book())
    assert [f.name for f in view.conflicts] == ["year"]
    assert view.to_dict()["conflicts"] == [
        {"field": "year", "values": {"audnexus": 2011, "tags": 2011, "folder": 2012}}]
    assert not view.fields["authors"].conflict  # "S.A." vs "S. A."


def test_without_audnexus_tags_come_before_the_folder_name():
    view = merge(folder=FOLDER, tags=TAGS)
    assert (view.value("year"), view.fields["year"].source) == (2011, "tags")
    assert (view.value("series"), view.fields["series"].source) == ("The Expanse", "folder")
    assert view.value("narrators") == ["Jefferson Mays"]
    assert view.value("publisher") is None


def test_a_chapter_title_tag_is_not_the_book_title_unless_single_file():
    assert merge(tags={"title": "Chapter 1"}).value("title") is None
    assert merge(tags={"title": "Dune"}, single_file=True).value("title") == "Dune"


def test_user_asin_wins_and_a_different_one_is_a_conflict():
    view = merge(folder=FOLDER, asin="B08G9PRS1K")
    asin = view.fields["asin"]
    assert (asin.value, asin.source, asin.conflict) == ("B08G9PRS1K", "user", True)
    assert asin.sources == {"user": "B08G9PRS1K", "folder": "B073H9PF2D"}


def test_different_authors_conflict():
    view = merge(folder=FOLDER, book=audnexus_book(authors=["Daniel Abraham", "Ty Franck"]))
    assert view.fields["authors"].conflict


def test_release_date_gives_the_year_when_year_is_missing():
    view = merge(book=audnexus_book(year=None, release_date="2011-06-15"))
    assert view.value("year") == 2011


def test_split_names():
    assert split_names("A. Author, B. Author & C; D and E") == ["A. Author", "B. Author", "C", "D", "E"]
    assert split_names(None) == []
