import pytest

from mktint.cli.completion import SHELLS, completion_script
from tests.support.cli import REPO, invoke, run_subprocess


@pytest.mark.parametrize("shell", sorted(SHELLS))
def test_shipped_scripts_match_what_the_cli_generates(shell):
    shipped = (REPO / "completions" / SHELLS[shell][0]).read_text()
    assert shipped == completion_script(shell), (
        f"completions/{SHELLS[shell][0]} is stale: "
        f"python -m mktint completion {shell} > completions/{SHELLS[shell][0]}")


def test_completion_command_prints_script_and_install_hint():
    run = invoke("completion", "bash")
    assert run.exit_code == 0
    assert "_MKTINT_COMPLETE" in run.stdout
    assert "# install: mkdir -p ~/.local/share/bash-completion/completions && mktint completion bash >" in run.stderr
    assert invoke("completion", "tcsh").exit_code == 2


def complete(words: str, config: str | None = None):
    env = {"_MKTINT_COMPLETE": "bash_complete", "COMP_WORDS": words,
           "COMP_CWORD": str(len(words.split(" ")) - 1)}
    if config:
        env["MKTINT_CONFIG"] = config
    return run_subprocess(env=env)


def test_completes_command_names_and_options():
    assert "plain,config" in complete("mktint con").stdout
    assert "plain,--config" in complete("mktint --con").stdout


def test_completes_service_names_from_config(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[services.seedbox]\nkind = "qbittorrent"\n[services.red2]\nkind = "gazelle"\n')
    out = complete("mktint auth login ", str(config)).stdout
    assert "plain,seedbox" in out and "plain,red2" in out and "plain,red" in out
    assert "audnexus" not in out


def test_service_completion_on_a_broken_config_returns_nothing(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("[[[ broken")
    run = complete("mktint auth login ", str(config))
    assert run.exit_code == 0
    assert run.stdout.strip() == "" and "Traceback" not in run.stderr


def test_qbit_add_completes_files_and_book_commands_complete_folders():
    assert complete("mktint qbit add bo").stdout.splitlines() == ["file,bo"]
    for command in ("show", "chapters", "description"):
        assert complete(f"mktint book {command} Au").stdout.splitlines() == ["dir,Au"], command


def test_config_keys_complete_for_get_set_and_unset(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[services.seedbox]\nkind = "qbittorrent"\n')
    for command in ("get", "set", "unset"):
        out = complete(f"mktint config {command} services.seedbox.", str(config)).stdout.splitlines()
        assert "plain,services.seedbox.url" in out and "plain,services.seedbox.path_map" in out, command
    defaults = complete("mktint config set def", str(config)).stdout.splitlines()
    assert "plain,defaults.client" in defaults
    assert all(line.startswith("plain,defaults.") for line in defaults)
    # the value of config set is not a key
    assert complete("mktint config set defaults.client ", str(config)).stdout.strip() == ""
