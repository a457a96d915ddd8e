import json
import os
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mktint.audio.paths import apply_plan, plan_fixes, read_record, records_dir, shorten_title, undo
from mktint.core.errors import Conflict, NotFound, OperationFailed, UsageError

ASIN = "{ASIN.B08G9PRS1K}"
LONG_TITLE = "The Extraordinarily Long Title of a Fantasy Saga Continued Further"
FOLDER = f"{LONG_TITLE} - vol_03 (2020) (Firstname Middlename Lastname) {ASIN} [SomeReleaseGroup]"
FILE = f"{LONG_TITLE} - vol_03 (2020) (Firstname Middlename Lastname) {ASIN} - Part 01.m4b"


def tree(base, folder, files):
    root = base / folder
    for relative in files:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"audio " + relative.encode())
    return root


def snapshot(base):
    return sorted((str(p.relative_to(base)), p.stat().st_ino) for p in base.rglob("*"))


def measured_lengths(root):
    return [len(root.name + "/" + p.relative_to(root).as_posix()) for p in root.rglob("*") if p.is_file()]


def test_a_tree_within_the_limit_needs_nothing(tmp_path):
    root = tree(tmp_path, "Short Book", ["01.mp3", "cover.jpg"])
    plan = plan_fixes(root, 180)
    assert plan.fits and plan.renames == [] and plan.before == []
    assert apply_plan(plan) is None


def test_the_gentlest_step_that_fits_is_the_only_one_used(tmp_path):
    folder = "A" * 150 + " (Author) [Group]"  # 167 + "/x.mp3" = 174 > 170; dropping [Group] fits
    root = tree(tmp_path, folder, ["x.mp3"])
    plan = plan_fixes(root, 170)
    assert plan.fits
    assert [(r.target.name, r.reasons) for r in plan.renames] == [("A" * 150 + " (Author)", ["drop_group"])]


def test_every_gentle_step_comes_before_shortening_a_title(tmp_path):
    root = tree(tmp_path, FOLDER, [FILE, "cover.jpg"])
    before = snapshot(tmp_path)
    plan = plan_fixes(root, 180)
    assert [p.length for p in plan.before] == [len(FOLDER) + 1 + len(FILE)]
    assert plan.fits and plan.after == []
    file_rename, folder_rename = plan.renames  # deepest first: the file, then the folder
    assert file_rename.source == root / FILE
    assert file_rename.reasons == ["drop_author", "drop_year", "compact_volume", "shorten_title"]
    assert file_rename.target.name == f"The Extraordinarily Long Title of a Fantasy Saga - v03 {ASIN} - Part 01.m4b"
    assert folder_rename.source == root
    assert folder_rename.reasons == ["drop_group", "drop_author", "drop_year", "compact_volume"]
    assert folder_rename.target.name == f"{LONG_TITLE} - v03 {ASIN}"
    assert len(folder_rename.target.name) + 1 + len(file_rename.target.name) <= 180
    assert snapshot(tmp_path) == before  # planning touches nothing


def test_a_tight_limit_renames_the_folder_too_and_keeps_the_asin(tmp_path):
    root = tree(tmp_path, FOLDER, [FILE, "sub/" + FILE])
    plan = plan_fixes(root, 130)
    assert plan.fits
    assert plan.new_root.name.startswith("The Extraordinarily")
    assert plan.new_root.name.endswith(f" - v03 {ASIN}")
    assert plan.renames[-1].reasons[-1] == "shorten_title"
    assert max(len(p.path) for p in plan.before) > 130
    assert all(ASIN in r.target.name for r in plan.renames if r.target.name != "sub")


def test_apply_renames_keeps_hard_links_and_undo_restores_everything(tmp_path):
    base = tmp_path / "downloads"
    root = tree(base, FOLDER, [FILE, "cover.jpg"])
    outside = tmp_path / "seeding-copy.m4b"
    os.link(root / FILE, outside)
    inode = outside.stat().st_ino
    before = snapshot(base)

    plan = plan_fixes(root, 120)
    record = apply_plan(plan)
    assert record.parent.name == "fix-paths" and oct(record.stat().st_mode & 0o777) == "0o600"
    assert not root.exists() and plan.new_root.is_dir()
    renamed = [p for p in plan.new_root.iterdir() if p.suffix == ".m4b"][0]
    assert renamed.stat().st_ino == inode and renamed.stat().st_nlink == 2
    assert max(measured_lengths(plan.new_root)) <= 120
    data = read_record(record)
    assert data["status"] == "applied" and len(data["renames"]) == 2

    restored = undo(record)
    assert len(restored) == 2
    assert snapshot(base) == before
    assert (root / FILE).stat().st_ino == inode
    assert read_record(record)["status"] == "undone"
    with pytest.raises(Conflict):
        undo(record)


def test_non_nfc_names_are_normalised_even_when_short(tmp_path):
    decomposed = unicodedata.normalize("NFD", "Café Müller")
    root = tree(tmp_path, "Livre Ünïcode", [f"{decomposed}/01 - {decomposed}.mp3"])
    nfd_root = tmp_path / unicodedata.normalize("NFD", root.name)
    root.rename(nfd_root)
    plan = plan_fixes(nfd_root, 180)
    assert plan.before == [] and plan.fits
    assert {r.reasons[0] for r in plan.renames} == {"nfc"}
    targets = [r.target.name for r in plan.renames]
    assert targets == ["01 - Café Müller.mp3", "Café Müller", "Livre Ünïcode"]
    assert all(unicodedata.is_normalized("NFC", t) for t in targets)
    record = apply_plan(plan)
    assert (tmp_path / "Livre Ünïcode" / "Café Müller" / "01 - Café Müller.mp3").is_file()
    undo(record)
    assert (nfd_root / decomposed / f"01 - {decomposed}.mp3").is_file()


def test_nfc_shortens_what_the_tracker_counts(tmp_path):
    name = unicodedata.normalize("NFD", "é" * 30)  # 60 characters decomposed, 30 composed
    root = tree(tmp_path, "Book", [name + ".mp3"])
    plan = plan_fixes(root, 40)
    assert plan.before[0].length == 4 + 1 + 60 + 4
    assert plan.fits and plan.renames[0].reasons == ["nfc"]


def test_a_single_file_torrent_is_its_own_path(tmp_path):
    path = tmp_path / f"{LONG_TITLE} (2020) (Some Author) [Group].mp3"  # 103 characters
    path.write_bytes(b"x")
    plan = plan_fixes(path, 75)
    assert plan.fits
    [rename] = plan.renames
    assert rename.reasons == ["drop_group", "drop_author", "drop_year"]
    assert rename.target.name == f"{LONG_TITLE}.mp3"


def test_a_path_that_cannot_fit_is_reported_and_apply_refuses(tmp_path):
    root = tree(tmp_path, "Book", ["x" * 60 + ".mp3"])
    before = snapshot(tmp_path)
    plan = plan_fixes(root, 30)
    assert not plan.fits
    assert plan.after[0].length == 4 + 1 + 64
    with pytest.raises(OperationFailed):
        apply_plan(plan)
    assert snapshot(tmp_path) == before


def test_names_that_would_collide_are_problems(tmp_path):
    root = tree(tmp_path, "Book", ["Part 01 [GroupA].mp3", "Part 01 [GroupB].mp3"])
    plan = plan_fixes(root, 20)
    assert any("two entries would get this name" in p for p in plan.problems)
    assert not plan.fits


def test_an_existing_target_stops_apply_before_anything_is_renamed(tmp_path):
    root = tree(tmp_path, "A" * 40 + " [Group]", ["01.mp3"])
    plan = plan_fixes(root, 48)
    (tmp_path / ("A" * 40)).mkdir()  # appears after planning
    with pytest.raises(Conflict):
        apply_plan(plan)
    assert root.is_dir()


def test_undo_refuses_when_the_tree_changed(tmp_path):
    root = tree(tmp_path, FOLDER, [FILE])
    plan = plan_fixes(root, 120)
    record = apply_plan(plan)
    renamed_file = next(plan.new_root.iterdir())
    renamed_file.unlink()
    with pytest.raises(Conflict):
        undo(record)
    assert plan.new_root.is_dir()  # nothing was reversed


def test_bad_records(tmp_path):
    with pytest.raises(NotFound):
        undo(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(UsageError):
        undo(bad)
    bad.write_text(json.dumps({"version": 1, "renames": [{"from": 1}]}))
    with pytest.raises(UsageError):
        undo(bad)


def test_shorten_title_cuts_at_a_word_boundary_and_keeps_decorations():
    name = "Series - The Very Long Title of the Book (2020) {ASIN.B08G9PRS1K}.m4b"
    assert shorten_title(name, True, 12) == "Series - The Very Long Title (2020) {ASIN.B08G9PRS1K}.m4b"
    assert shorten_title("Title.m4b", True, 3) == "Title.m4b"  # one word is kept


def test_missing_root_and_bad_limit(tmp_path):
    with pytest.raises(NotFound):
        plan_fixes(tmp_path / "nope", 180)
    with pytest.raises(UsageError):
        plan_fixes(tmp_path, 0)


def test_a_failed_rename_leaves_a_partial_record_that_undoes(tmp_path, monkeypatch):
    root = tree(tmp_path, FOLDER, [FILE])
    before = snapshot(tmp_path)
    plan = plan_fixes(root, 180)
    assert len(plan.renames) == 2
    real_rename = os.rename
    calls = []

    def flaky_rename(source, target):
        calls.append(source)
        if len(calls) == 2:
            raise PermissionError(13, "Permission denied")
        real_rename(source, target)

    monkeypatch.setattr(os, "rename", flaky_rename)
    with pytest.raises(OperationFailed) as caught:
        apply_plan(plan)
    monkeypatch.setattr(os, "rename", real_rename)
    assert "Permission denied" in caught.value.message and "--undo" in caught.value.hint
    [record] = records_dir().glob("*.json")
    data = read_record(record)
    assert data["status"] == "partial" and len(data["renames"]) == 1
    undo(record)
    assert snapshot(tmp_path) == before


@given(words=st.lists(st.text(alphabet="abcdéXYZ,.", min_size=1, max_size=12), min_size=1, max_size=12),
       excess=st.integers(min_value=1, max_value=80))
def test_shorten_title_never_grows_and_keeps_first_word_asin_and_extension(words, excess):
    name = " ".join(words) + " {ASIN.B08G9PRS1K}.m4b"
    new = shorten_title(name, True, excess)
    assert len(new) <= len(name)
    assert new.endswith(" {ASIN.B08G9PRS1K}.m4b")
    assert new.startswith(words[0].rstrip(" ,;:-–—_."))


def test_an_unwritable_state_dir_stops_apply_before_any_rename(tmp_path, monkeypatch):
    blocker = tmp_path / "state-is-a-file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    root = tree(tmp_path, FOLDER, [FILE])
    before = snapshot(tmp_path)
    with pytest.raises(OperationFailed) as caught:
        apply_plan(plan_fixes(root, 180))
    assert "nothing was renamed" in caught.value.hint
    assert snapshot(tmp_path) == before
