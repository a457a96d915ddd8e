"""The global flags work before or after the subcommand (as in gh), and bare `mktint` helps."""

import json

import pytest

from tests.cli.test_completion import complete
from tests.support.cli import invoke


def test_bare_mktint_prints_help_and_exits_0():
    run = invoke()
    assert run.exit_code == 0, run.stderr
    assert "Usage: mktint" in run.stdout and "Exit codes" in run.stdout


@pytest.mark.parametrize("args", [("--json", "config", "path"), ("config", "--json", "path"),
                                  ("config", "path", "--json")])
def test_json_before_or_after_the_subcommand(tmp_path, args):
    run = invoke("--config", tmp_path / "c.toml", *args)
    assert run.exit_code == 0, run.stderr
    assert run.json() == {"path": str(tmp_path / "c.toml"), "exists": False}


@pytest.mark.parametrize("where", ["before", "group", "after"])
def test_config_before_or_after_the_subcommand(tmp_path, where):
    path = str(tmp_path / "x.toml")
    args = {"before": ("--config", path, "config", "path"),
            "group": ("config", "--config", path, "path"),
            "after": ("config", "path", "--config", path)}[where]
    run = invoke(*args, env={"MKTINT_CONFIG": str(tmp_path / "env.toml")})
    assert run.stdout.strip() == path


def test_quiet_and_no_color_after_the_subcommand(tmp_path):
    config = tmp_path / "c.toml"
    loud = invoke("config", "init", "--config", config)
    assert loud.exit_code == 0 and loud.stderr
    config.unlink()
    quiet = invoke("config", "init", "--config", config, "-q", "--no-color")
    assert quiet.exit_code == 0, quiet.stderr
    assert quiet.stderr == ""


def test_debug_after_the_subcommand_traces(config_file):
    from tests.emulators.mam import mam_server

    with mam_server() as mam:
        config_file(f'[services.mam]\nurl = "{mam.url}"\n')
        run = invoke("mam", "status", "--debug", env={"MKTINT_MAM_MAM_ID": mam.mam_id})
        assert run.exit_code == 0, run.stderr
        assert "debug: mktint.http: → GET" in run.stderr
        assert mam.mam_id not in run.stderr


def test_json_on_a_command_without_data_is_refused_wherever_given(tmp_path):
    for args in (("--json", "config", "set", "defaults.client", "x"),
                 ("config", "set", "defaults.client", "x", "--json")):
        run = invoke("--config", tmp_path / "c.toml", *args)
        assert run.exit_code == 2
        assert "has no --json output" in run.error_json()["message"]
    assert not (tmp_path / "c.toml").exists()


def test_global_options_are_listed_once_in_root_help_and_noted_in_subcommand_help():
    root = invoke("--help").stdout
    assert "--debug" in root and "--no-color" in root and "--json" in root
    sub = invoke("qbit", "list", "--help").stdout
    assert "Global options work here too: --config PATH, --debug" in sub
    assert sub.count("--debug") == 1


def test_health_takes_json_and_quiet_from_anywhere(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("")
    run = invoke("--json", "--config", config, "health", "-s", "local")
    assert "services" in json.loads(run.stdout)


def test_completion_reads_a_config_given_after_the_subcommand(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[services.seedbox]\nkind = "qbittorrent"\n')
    out = complete(f"mktint auth login --config {config} ").stdout
    assert "plain,seedbox" in out


def test_commands_shared_by_red_and_ops_carry_the_global_note_once():
    """`ops` reuses `red`'s command objects: loading both must not repeat the note."""
    first = invoke("red", "whoami", "--help")
    invoke("ops", "whoami", "--help")
    again = invoke("red", "whoami", "--help")
    assert first.exit_code == again.exit_code == 0
    assert again.stdout.count("Global options work here too") == 1
