"""`config set`/`unset` keep the comments and layout of the file (tomlkit round trip)."""

import tomllib

from tests.support.cli import invoke


def test_set_and_unset_keep_the_commented_starter_file(tmp_path):
    config = tmp_path / "config.toml"
    assert invoke("--config", config, "config", "init").exit_code == 0
    starter = config.read_text()
    comments = [line for line in starter.splitlines() if line.startswith("#")]

    for key, value in (("services.home.kind", "qbittorrent"), ("defaults.client", "home"),
                       ("services.home.url", "http://127.0.0.1:8080"),
                       ("services.home.tags", "a,b"),
                       ("services.home.path_map", '{ "/mnt/media" = "/data" }')):
        run = invoke("--config", config, "config", "set", key, value)
        assert run.exit_code == 0, run.stderr
    text = config.read_text()
    assert [line for line in text.splitlines() if line.startswith("#")] == comments
    assert text.startswith(starter.split('client = "qbittorrent"')[0])  # the head, untouched
    assert 'client = "home"' in text and "[services.home]" in text and "[services]\n" not in text
    assert tomllib.loads(text)["services"]["home"] == {
        "kind": "qbittorrent", "url": "http://127.0.0.1:8080", "tags": ["a", "b"],
        "path_map": {"/mnt/media": "/data"}}

    assert invoke("--config", config, "config", "unset", "services.home.url").exit_code == 0
    after = config.read_text()
    assert [line for line in after.splitlines() if line.startswith("#")] == comments
    assert "url" not in tomllib.loads(after)["services"]["home"]


def test_a_comment_beside_a_changed_value_stays(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[services.red]\n# the emulator\nurl = "http://127.0.0.1:1"  # local\n')
    assert invoke("--config", config, "config", "set", "services.red.url", "http://127.0.0.1:2").exit_code == 0
    text = config.read_text()
    assert "# the emulator\n" in text and "http://127.0.0.1:2" in text


def test_an_invalid_value_leaves_the_file_as_it_was(tmp_path):
    config = tmp_path / "config.toml"
    invoke("--config", config, "config", "init")
    before = config.read_text()
    run = invoke("--config", config, "config", "set", "services.qbittorrent.timeout", "soon")
    assert run.exit_code != 0
    assert config.read_text() == before
