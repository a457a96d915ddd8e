import os
import stat

import pytest

from mktint.core import config
from mktint.core.errors import ConfigError, Conflict
from tests.support.cli import invoke


def test_location_precedence(tmp_path, monkeypatch, isolated_home):
    assert config.locate() == isolated_home / ".config" / "mktint" / "config.toml"
    monkeypatch.setenv("MKTINT_CONFIG", str(tmp_path / "env.toml"))
    assert config.locate() == tmp_path / "env.toml"
    assert config.locate(tmp_path / "flag.toml") == tmp_path / "flag.toml"


def test_builtin_services_work_without_a_file():
    loaded = config.load()
    assert not loaded.exists
    assert loaded.service("qbittorrent")["url"] == "http://127.0.0.1:8080"
    assert loaded.service("red").kind == "gazelle"
    assert loaded.service("red")["url"] == "https://redacted.sh"
    assert loaded.service("ops")["flavour"] == "ops"
    assert loaded.service("mam")["url"] == "https://www.myanonamouse.net"
    assert loaded.service("audnexus")["url"] == "https://api.audnex.us"
    assert loaded.default_client() == "qbittorrent"


def test_file_values_merge_with_builtins_and_record_origins(config_file, monkeypatch):
    config_file('[defaults]\nclient = "home"\n[services.home]\nkind = "qbittorrent"\n'
                'url = "http://10.0.0.2:8080"\ntags = ["mktint"]\n[services.red]\nsource = "RED"\n')
    monkeypatch.setenv("MKTINT_HOME_USERNAME", "alice")
    loaded = config.load()
    home = loaded.service("home")
    assert home["url"] == "http://10.0.0.2:8080" and home.origin("url") == "file"
    assert home["username"] == "alice" and home.origin("username") == "env"
    assert home["timeout"] == 30.0 and home.origin("timeout") == "default"
    assert loaded.service("red")["announce"] == "https://flacsfor.me/{passkey}/announce"
    assert loaded.default_client() == "home"


@pytest.mark.parametrize("text, fragment", [
    ('[services.x]\nkind = "nope"\n', "services.x.kind: unknown kind 'nope'; allowed: qbittorrent"),
    ('[services.x]\nurl = "http://a"\n', "services.x.kind: missing"),
    ('[services.red]\ncolour = "blue"\n', "services.red.colour: unknown key for kind 'gazelle'; allowed:"),
    ('[services.red]\ntimeout = "soon"\n', "services.red.timeout: expected a number"),
    ('[services.home]\nkind = "qbittorrent"\ntags = "a"\n', "expected a list of strings"),
    ('[services.red]\nflavour = "what"\n', "'what' is not allowed; allowed: red, ops"),
    ('[services.red]\nurl = "redacted.sh"\n', "is not an http:// or https:// URL"),
    ('[extra]\nx = 1\n', "extra: unknown section"),
    ('[defaults]\nclient = "red"\n', "defaults.client: 'red' is not a qbittorrent service"),
])
def test_validation_names_the_key_and_what_is_allowed(config_file, text, fragment):
    path = config_file(text)
    with pytest.raises(ConfigError) as info:
        config.load()
    assert str(path) in info.value.message
    assert fragment in info.value.message


def test_malformed_toml_exits_3_naming_file_line_and_column(config_file):
    path = config_file('[services.red]\nurl = "https://x"\nsource = \n')
    run = invoke("config", "show")
    assert run.exit_code == 3
    assert str(path) in run.stderr
    assert "line 3" in run.stderr and "column" in run.stderr
    assert "Traceback" not in run.stderr
    assert run.stdout == ""


def test_config_error_as_json_on_stderr(config_file):
    config_file("[services.x]\nkind = 3\n")
    run = invoke("config", "validate", "--json")
    assert run.exit_code == 3
    error = run.error_json()
    assert error["code"] == "config"
    assert "services.x.kind" in error["message"]


def test_init_writes_a_commented_starter_and_never_overwrites(isolated_home):
    run = invoke("config", "init")
    assert run.exit_code == 0
    path = isolated_home / ".config" / "mktint" / "config.toml"
    text = path.read_text()
    assert text.startswith("# mktint configuration")
    config.load()  # the starter itself is valid
    path.write_text(text + "# mine\n")
    again = invoke("config", "init")
    assert again.exit_code == 6
    assert "already exists" in again.stderr
    assert path.read_text().endswith("# mine\n")


def test_show_json_lists_values_with_origins(config_file):
    config_file('[services.red]\nsource = "RED"\n')
    data = invoke("config", "show", "--json").json()
    assert data["services"]["red"]["source"] == {"value": "RED", "origin": "file"}
    assert data["services"]["red"]["url"] == {"value": "https://redacted.sh", "origin": "default"}
    assert data["defaults"]["client"]["origin"] == "default"


def test_set_keeps_other_keys_and_validates(config_file):
    path = config_file('[services.red]\nsource = "RED"\n\n[defaults]\nclient = "qbittorrent"\n')
    assert invoke("config", "set", "services.home.kind", "qbittorrent").exit_code == 0
    assert invoke("config", "set", "services.home.tags", "a, b").exit_code == 0
    assert invoke("config", "set", "services.home.path_map", '{ "/mnt/m" = "/data" }').exit_code == 0
    assert invoke("config", "set", "services.home.timeout", "12").exit_code == 0
    loaded = config.load()
    assert loaded.service("red")["source"] == "RED"
    home = loaded.service("home")
    assert home["tags"] == ["a", "b"]
    assert home["path_map"] == {"/mnt/m": "/data"}
    assert home["timeout"] == 12.0
    before = path.read_text()
    bad = invoke("config", "set", "services.home.timeout", "soon")
    assert bad.exit_code == 3 and "expected a number" in bad.stderr
    unknown = invoke("config", "set", "services.home.colour", "x")
    assert unknown.exit_code == 3 and "allowed:" in unknown.stderr
    assert path.read_text() == before
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".part")]


def test_set_on_unknown_service_asks_for_its_kind_first():
    run = invoke("config", "set", "services.box.url", "http://x")
    assert run.exit_code == 3
    assert "services.box.kind" in run.stderr


def test_get_prints_effective_values(config_file):
    config_file('[services.home]\nkind = "qbittorrent"\ntags = ["x"]\n')
    assert invoke("config", "get", "services.red.url").stdout == "https://redacted.sh\n"
    assert invoke("config", "get", "services.home.tags").stdout == 'x\n'  # as `config set` takes it
    assert invoke("config", "get", "services.home.tags", "--json").json() == {
        "key": "services.home.tags", "value": ["x"]}
    assert invoke("config", "get", "services.nope.url").exit_code == 5
    assert invoke("config", "get", "bogus").exit_code == 3


def test_unset_restores_the_default(config_file):
    config_file('[services.red]\ntimeout = 5.0\n')
    assert invoke("config", "unset", "services.red.timeout").exit_code == 0
    assert config.load().service("red")["timeout"] == 30.0
    assert invoke("config", "unset", "services.red.timeout").exit_code == 5


def test_config_flag_and_path_command(tmp_path):
    target = tmp_path / "other.toml"
    run = invoke("--config", target, "config", "path", "--json")
    assert run.json() == {"path": str(target), "exists": False}


def test_init_refuses_existing_file_atomically(tmp_path):
    target = tmp_path / "c.toml"
    config.init(target)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644
    with pytest.raises(Conflict):
        config.init(target)


@pytest.mark.parametrize("line, fragment", [
    ("timeout = nan", "services.red.timeout: nan is not a finite number"),
    ("timeout = inf", "services.red.timeout: inf is not a finite number"),
    ("deadline = -inf", "services.red.deadline: -inf is not a finite number"),
    ("timeout = 1e300", "services.red.timeout: 1e+300 is out of range; allowed: more than 0 and at most 86400"),
    ("deadline = 0", "services.red.deadline: 0 is out of range"),
    ("path_limit = 99999999999999999", "services.red.path_limit: 99999999999999999 is out of range"),
])
def test_nan_inf_and_huge_numbers_are_refused_by_config_validate(config_file, line, fragment):
    config_file(f"[services.red]\n{line}\n")
    run = invoke("config", "validate")
    assert run.exit_code == 3, run.stdout
    assert fragment in run.stderr
    assert invoke("red", "whoami").exit_code == 3  # every command refuses the file


@pytest.mark.parametrize("value", ["nan", "inf", "1e400"])
def test_config_set_refuses_a_number_that_is_not_finite(isolated_home, value):
    run = invoke("config", "set", "services.red.timeout", value)
    assert run.exit_code == 3 and "services.red.timeout" in run.stderr
    assert not (isolated_home / ".config" / "mktint" / "config.toml").exists()


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e309"])
def test_health_timeout_must_be_a_finite_number(value):
    run = invoke("health", "--timeout", value)
    assert run.exit_code == 3  # monitoring plugins: usage errors are UNKNOWN
    assert "--timeout" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize("args", [
    ["qbit", "add", "x.torrent", "--wait"],
    ["qbit", "search", "run", "a book", "--wait"],
    ["qbit", "create", "/srv/book", "-o", "book.torrent", "--wait"],
    ["qbit", "watch", "--interval"],
])
@pytest.mark.parametrize("value", ["nan", "inf"])
def test_every_seconds_option_must_be_a_finite_number(args, value):
    run = invoke(*args, value)
    assert run.exit_code == 2, run.stderr
    assert f"Invalid value for '{args[-1]}'" in run.stderr and "Traceback" not in run.stderr
