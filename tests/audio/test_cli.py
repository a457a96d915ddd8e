import json
import os
from types import SimpleNamespace

from mktint.core.errors import TemporaryError
from mktint.core.factory import Factory
from tests.cli.test_root import imported_modules
from tests.support.cli import invoke, run_subprocess

FOLDER = "Dune - vol_01 (1965) (Frank Herbert) {ASIN.B002V1OF70} [MkTint]"


def book_folder(audio, tmp_path):
    for part in ("01", "02"):
        path = audio("cbr64.mp3", f"{FOLDER}/Dune - Part {part}.mp3")
        from mutagen.id3 import ID3, TALB, TCOM, TDRC, TPE1

        tags = ID3(path)
        tags.add(TALB(encoding=3, text="Dune"))
        tags.add(TPE1(encoding=3, text="Frank Herbert"))
        tags.add(TCOM(encoding=3, text="Scott Brick"))
        tags.add(TDRC(encoding=3, text="2007"))
        tags.save(path)
    return tmp_path / FOLDER


def fake_audnexus(monkeypatch, *, book=None, error=None):
    asked = []

    def lookup(asin, region=None):
        asked.append(asin)
        if error:
            raise error
        return book

    def service(self, name, kind=None):
        assert (name, kind) == ("audnexus", "audnexus")
        return SimpleNamespace(book=lookup)

    monkeypatch.setattr(Factory, "service", service)
    return asked


def test_inspect_json_merges_audnexus_tags_and_folder(audio, tmp_path, monkeypatch):
    book = SimpleNamespace(asin="B002V1OF70", title="Dune", subtitle=None, authors=["Frank Herbert"],
                           narrators=["Scott Brick", "Orlagh Cassidy"], series={"name": "Dune", "position": "1"},
                           publisher="Macmillan Audio", release_date="2007-01-01", year=2007,
                           language="english")
    asked = fake_audnexus(monkeypatch, book=book)
    run = invoke("book", "inspect", book_folder(audio, tmp_path), "--json")
    assert run.exit_code == 1, run.stderr  # the year conflict is a doubt (issue 24)
    assert asked == ["B002V1OF70"]
    data = run.json()
    assert data["audnexus"] == {"status": "used", "asin": "B002V1OF70"}
    assert data["merged"]["publisher"] == {"value": "Macmillan Audio", "source": "audnexus",
                                           "sources": {"audnexus": "Macmillan Audio"}, "conflict": False}
    assert data["merged"]["narrators"]["conflict"] is True  # tags name one narrator, Audnexus two
    assert data["merged"]["year"]["sources"] == {"audnexus": 2007, "tags": 2007, "folder": 1965}
    assert {c["field"] for c in data["conflicts"]} == {"narrators", "year"}
    assert data["folder"]["group"] == "MkTint"
    assert data["upload"] == {
        "red": {"format": "MP3", "bitrate": "Other", "other_bitrate": "64", "vbr": False},
        "ops": {"format": "MP3", "bitrate": "64", "other_bitrate": None, "vbr": False}}
    assert [f["relative"] for f in data["files"]] == ["Dune - Part 01.mp3", "Dune - Part 02.mp3"]
    assert data["files"][0]["chapter_count"] == 2 and data["size_bytes"] > 0
    assert "year differs between sources" in run.stderr


def test_inspect_offline_never_asks_audnexus_and_prints_a_table(audio, tmp_path, monkeypatch):
    asked = fake_audnexus(monkeypatch, book=None)
    run = invoke("book", "inspect", book_folder(audio, tmp_path), "--offline")
    assert run.exit_code == 1, run.stderr  # folder 1965 against tags 2007
    assert asked == []
    lines = run.stdout.splitlines()
    assert "title\tDune  [tags]" in lines
    assert "asin\tB002V1OF70  [folder]" in lines
    assert "upload red\tMP3 / Other 64" in lines
    assert "Dune - Part 01.mp3\tMP3\t64\tCBR\t44100\t2\t1.045\t2\t" in lines


def test_inspect_with_audnexus_down_warns_and_still_answers(audio, tmp_path, monkeypatch):
    fake_audnexus(monkeypatch, error=TemporaryError("audnexus: timed out", service="audnexus"))
    run = invoke("book", "inspect", book_folder(audio, tmp_path), "--json")
    assert run.exit_code == 1  # the year conflict, not Audnexus being down
    assert run.json()["doubts"] == ["year"]
    assert run.json()["audnexus"]["status"] == "unavailable"
    assert "warning: Audnexus: audnexus: timed out" in run.stderr
    assert "Traceback" not in run.stderr


def test_inspect_without_an_audnexus_client_module_warns(audio, tmp_path, monkeypatch):
    from mktint.core.kinds import KINDS

    missing = KINDS["audnexus"]._replace(client="mktint.services.not_built:AudnexusClient")
    monkeypatch.setitem(KINDS, "audnexus", missing)
    run = invoke("book", "inspect", book_folder(audio, tmp_path), "--asin", "B002V1OF70", "--json")
    assert run.exit_code == 1 and run.json()["doubts"] == ["year"]
    assert "the Audnexus client is not available in this build" in run.stderr
    assert run.json()["merged"]["asin"] == {"value": "B002V1OF70", "source": "user", "conflict": False,
                                            "sources": {"user": "B002V1OF70", "folder": "B002V1OF70"}}


def test_inspect_bad_asin_and_empty_folder(tmp_path):
    run = invoke("book", "inspect", tmp_path, "--asin", "nope")
    assert run.exit_code == 2 and "'nope' is not an ASIN" in run.stderr
    run = invoke("book", "inspect", tmp_path, "--json")
    assert run.exit_code == 5
    assert run.error_json()["code"] == "not_found"
    assert invoke("book", "inspect", tmp_path / "missing").exit_code == 2


LONG = "The Extraordinarily Long Title of a Fantasy Saga Continued Further"
LONG_FOLDER = f"{LONG} - vol_03 (2020) (Firstname Middlename Lastname) {{ASIN.B08G9PRS1K}} [SomeReleaseGroup]"
LONG_FILE = f"{LONG} - vol_03 (2020) (Firstname Middlename Lastname) {{ASIN.B08G9PRS1K}} - Part 01.m4b"


def long_tree(tmp_path):
    root = tmp_path / LONG_FOLDER
    root.mkdir()
    (root / LONG_FILE).write_bytes(b"audio")
    return root


def listing(base):
    return sorted(str(p.relative_to(base)) for p in base.rglob("*"))


def test_fix_paths_dry_run_touches_nothing(tmp_path):
    root = long_tree(tmp_path)
    before = listing(tmp_path)
    run = invoke("book", "fix-paths", root, "--tracker", "red", "--json")
    assert run.exit_code == 0, run.stderr
    data = run.json()
    assert (data["limit"], data["fits"], data["applied"], data["undo_record"]) == (180, True, False, None)
    assert data["over_limit"][0]["length"] == len(LONG_FOLDER) + 1 + len(LONG_FILE)
    assert len(data["renames"]) == 2
    assert listing(tmp_path) == before
    # OPS allows 255 characters: gentler renames are enough there.
    ops = invoke("book", "fix-paths", root, "--tracker", "ops", "--json").json()
    assert ops["limit"] == 255 and ops["fits"]
    assert [r["reasons"] for r in ops["renames"]] == [["drop_author"], ["drop_group"]]


def test_fix_paths_apply_then_undo(tmp_path):
    root = long_tree(tmp_path)
    inode = (root / LONG_FILE).stat().st_ino
    before = listing(tmp_path)
    run = invoke("book", "fix-paths", root, "--tracker", "red", "--apply")
    assert run.exit_code == 0, run.stderr
    record = [line.split("\t")[1] for line in run.stdout.splitlines() if line.startswith("undo_record\t")][0]
    assert os.path.isfile(record)
    assert "renamed 2 entries" in run.stderr
    assert not root.exists()
    new_root = tmp_path / json.loads(open(record).read())["new_root"]
    assert [p.stat().st_ino for p in new_root.iterdir()] == [inode]

    undone = invoke("book", "fix-paths", "--undo", record, "--json")
    assert undone.exit_code == 0, undone.stderr
    assert len(undone.json()["restored"]) == 2
    assert listing(tmp_path) == before
    again = invoke("book", "fix-paths", "--undo", record)
    assert again.exit_code == 6


def test_fix_paths_that_cannot_fit_exits_1_and_apply_changes_nothing(tmp_path, config_file):
    config_file('[services.tiny]\nkind = "gazelle"\nflavour = "red"\nurl = "https://tiny.example"\n'
                'path_limit = 20\n')
    root = tmp_path / "Book"
    root.mkdir()
    (root / ("x" * 40 + ".mp3")).write_bytes(b"a")
    before = listing(tmp_path)
    assert invoke("book", "fix-paths", root, "--tracker", "tiny").exit_code == 1
    run = invoke("book", "fix-paths", root, "--tracker", "tiny", "--apply", "--json")
    assert run.exit_code == 1
    assert run.json()["fits"] is False
    assert "nothing was renamed" in run.error_json()["message"]
    assert listing(tmp_path) == before


def test_fix_paths_usage_errors(tmp_path):
    assert invoke("book", "fix-paths", tmp_path).exit_code == 2
    run = invoke("book", "fix-paths", tmp_path, "--tracker", "red", "--undo", tmp_path / "r.json")
    assert run.exit_code == 2 and "--undo takes only the record" in run.stderr
    assert invoke("book", "fix-paths", tmp_path, "--tracker", "mam").exit_code == 2  # not gazelle
    assert invoke("book", "fix-paths", "--undo", tmp_path / "missing.json").exit_code == 5


def test_book_help_does_not_import_mutagen():
    run = run_subprocess("book", "inspect", "--help", python_flags=("-X", "importtime"))
    assert run.exit_code == 0
    assert "Examples:" in run.stdout
    assert "mutagen" not in imported_modules(run)


def test_fix_paths_needs_the_sites_flavour(tmp_path, config_file):
    config_file('[services.nolimit]\nkind = "gazelle"\nurl = "https://nolimit.example"\n')
    run = invoke("book", "fix-paths", tmp_path, "--tracker", "nolimit")
    assert run.exit_code == 3
    assert "has no flavour; choose one of: red, ops" in run.stderr


def test_inspect_a_single_file_parses_its_name(audio, tmp_path):
    path = audio("s24.flac", "Solo Book (2020) (Some Author) [Grp].flac")
    data = invoke("book", "inspect", path, "--offline", "--json").json()
    assert data["folder"]["author"] == "Some Author" and data["folder"]["group"] == "Grp"
    assert data["upload"]["red"] == {"format": "FLAC", "bitrate": "24bit Lossless",
                                     "other_bitrate": None, "vbr": False}
    assert data["merged"]["title"] == {"value": "Solo Book", "source": "folder",
                                       "sources": {"folder": "Solo Book"}, "conflict": False}
