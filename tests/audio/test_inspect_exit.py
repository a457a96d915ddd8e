"""`book inspect` exits 1 when it reports a problem or a doubt about the book (issue 24)."""

from types import SimpleNamespace

from tests.audio.test_cli import fake_audnexus
from tests.support.cli import invoke

FOLDER = "Big Author - Big Book {ASIN.B0NEWBOOK1}"


def tagged(audio, fixture, relative, *, album="Big Book", artist="Big Author"):
    from mutagen.id3 import ID3, TALB, TPE1

    path = audio(fixture, relative)
    tags = ID3(path)
    tags.add(TALB(encoding=3, text=album))
    tags.add(TPE1(encoding=3, text=artist))
    tags.save(path)
    return path


def book(title="Big Book", authors=("Big Author",), narrators=("A Reader",)):
    return SimpleNamespace(asin="B0NEWBOOK1", title=title, subtitle=None, authors=list(authors),
                           narrators=list(narrators), series=None, publisher=None,
                           release_date=None, year=None, language="english")


def test_a_clean_book_exits_0_even_with_a_narrator_conflict(audio, tmp_path, monkeypatch):
    from mutagen.id3 import ID3, TXXX

    path = tagged(audio, "cbr64.mp3", f"{FOLDER}/01.mp3")
    tags = ID3(path)
    tags.add(TXXX(encoding=3, desc="NARRATOR", text="Someone Else"))
    tags.save(path)
    fake_audnexus(monkeypatch, book=book())
    run = invoke("book", "inspect", tmp_path / FOLDER, "--json")
    assert run.exit_code == 0, run.stderr
    data = run.json()
    assert data["doubts"] == [] and data["problems"] == []


def test_folder_name_against_audnexus_exits_1(audio, tmp_path, monkeypatch):
    tagged(audio, "cbr64.mp3", f"{FOLDER}/01.mp3", )
    fake_audnexus(monkeypatch, book=book(title="A Brand New Book", authors=("New Author",)))
    run = invoke("book", "inspect", tmp_path / FOLDER, "--json")
    assert run.exit_code == 1, run.stderr
    data = run.json()  # the whole answer is still printed
    assert set(data["doubts"]) == {"title", "authors"}
    assert "title differs between sources" in run.stderr


def test_unreadable_audio_exits_1(audio, tmp_path, monkeypatch):
    tagged(audio, "cbr64.mp3", f"{FOLDER}/01.mp3")
    (tmp_path / FOLDER / "02.mp3").write_bytes(b"not an mpeg frame " * 200)
    run = invoke("book", "inspect", tmp_path / FOLDER, "--offline")
    assert run.exit_code == 1
    assert "warning: 02.mp3:" in run.stderr
    assert "01.mp3\t" in run.stdout


def test_mixed_bitrates_exit_1(audio, tmp_path):
    tagged(audio, "cbr64.mp3", f"{FOLDER}/01.mp3")
    tagged(audio, "cbr320.mp3", f"{FOLDER}/02.mp3")
    run = invoke("book", "inspect", tmp_path / FOLDER, "--offline", "--json")
    assert run.exit_code == 1
    assert any("mixed bitrates" in p for p in run.json()["problems"])
