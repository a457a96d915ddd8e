import json
import stat

import pytest

from mktint.core.errors import ConfigError
from mktint.workflows.journal import Journal, journal_key


def test_key_depends_on_folder_and_the_set_of_targets(tmp_path):
    assert journal_key(tmp_path, ["red", "mam"]) == journal_key(tmp_path, ["mam", "red"])
    assert journal_key(tmp_path, ["red"]) != journal_key(tmp_path, ["red", "mam"])
    assert journal_key(tmp_path / "a", ["red"]) != journal_key(tmp_path / "b", ["red"])


def test_steps_survive_a_reopen_and_the_file_is_private(tmp_path):
    journal = Journal.open(tmp_path / "Book", ["red"])
    assert not journal.exists and journal.status("upload:red") is None
    journal.start("upload:red", infohash="ab" * 20)
    again = Journal.open(tmp_path / "Book", ["red"])
    assert again.status("upload:red") == "started" and not again.is_done("upload:red")
    again.finish("upload:red", torrent_id=7)
    third = Journal.open(tmp_path / "Book", ["red"])
    assert third.is_done("upload:red") and third.result("upload:red") == {"torrent_id": 7}
    assert stat.S_IMODE(third.path.stat().st_mode) == 0o600
    assert json.loads(third.path.read_text())["folder"] == str((tmp_path / "Book").resolve())


def test_a_damaged_journal_is_a_clear_error_not_a_fresh_start(tmp_path):
    journal = Journal.open(tmp_path / "Book", ["red"])
    journal.finish("torrents")
    journal.path.write_text("{cut off")
    with pytest.raises(ConfigError) as info:
        Journal.open(tmp_path / "Book", ["red"])
    assert "unreadable" in info.value.message and "nothing was uploaded" in info.value.hint
