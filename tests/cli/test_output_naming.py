"""`torrent create --target`: one naming rule whether one target or several."""

from tests.support.cli import invoke
from tests.torrent.trees import write_tree

RED_KEY = "passkey-red-0123456789abcdef"
OPS_KEY = "passkey-ops-0123456789abcdef"


def test_one_target_is_named_like_several(tmp_path, monkeypatch):
    monkeypatch.setenv("MKTINT_RED_PASSKEY", RED_KEY)
    monkeypatch.setenv("MKTINT_OPS_PASSKEY", OPS_KEY)
    tree = write_tree(tmp_path / "Book", {"01.mp3": 5000})
    one, both, plain = tmp_path / "one", tmp_path / "both", tmp_path / "plain"
    assert invoke("torrent", "create", tree, "--target", "red", "-o", f"{one}/").exit_code == 0
    assert invoke("torrent", "create", tree, "--target", "red", "--target", "ops",
                  "-o", both).exit_code == 0
    assert invoke("torrent", "create", tree, "--source", "X", "-o", f"{plain}/").exit_code == 0
    assert sorted(p.name for p in one.iterdir()) == ["Book.red.torrent"]
    assert sorted(p.name for p in both.iterdir()) == ["Book.ops.torrent", "Book.red.torrent"]
    assert sorted(p.name for p in plain.iterdir()) == ["Book.torrent"]
    # -o FILE with one target still writes exactly that file
    assert invoke("torrent", "create", tree, "--target", "red", "-o", tmp_path / "x.torrent").exit_code == 0
    assert (tmp_path / "x.torrent").is_file()
