"""`mktint config import-mk-torrent`: old-style folders, the dry-run plan, merge rules, secrets."""

from __future__ import annotations

import base64
import json
import tomllib

import pytest

from tests.support.cli import invoke

QBIT_PASSWORD = "passkey-qbit-password-1"  # prefixes the cassette scan knows
RED_KEY = "red-api-key-0123456789"
RED_PASSKEY = "passkey-red0123456789abcdef"
OPS_PASSKEY = "passkey-ops0123456789abcdef"
MAM_PASSKEY = "passkey-mam0123456789abcdef"
ALL_SECRETS = (QBIT_PASSWORD, RED_KEY, RED_PASSKEY, OPS_PASSKEY, MAM_PASSKEY)


def old_config(**overrides) -> dict:
    base = {"qbit_host": "10.0.0.5", "qbit_port": 8081, "qbit_username": "bob", "qbit_https": True,
            "docker_mode": False, "docker_mappings": {"/mnt/cache": "/data"},
            "default_category": "audiobooks", "default_tags": ["mk", "ab"],
            "output_directory": "/srv/torrents", "default_source": "", "default_private": True}
    base.update(overrides)
    return base


@pytest.fixture
def folder(tmp_path):
    """Write an mk_torrent folder: folder(config_dict, trackers_lines) -> path."""

    def write(config: dict, trackers: list[str] = ()):
        path = tmp_path / "torrent_creator"
        path.mkdir(exist_ok=True)
        (path / "config.json").write_text(json.dumps(config))
        if trackers:
            (path / "trackers.txt").write_text("\n".join(trackers) + "\n")
        return path

    return write


def mktint_config(home) -> dict:
    path = home / ".config" / "mktint" / "config.toml"
    return tomllib.loads(path.read_text()) if path.exists() else {}


def config_text(home) -> str:
    path = home / ".config" / "mktint" / "config.toml"
    return path.read_text() if path.exists() else ""


def stored(memory_keyring) -> dict:
    return {user: value for (service, user), value in memory_keyring.store.items() if service == "mktint"}


def no_secret_in(*texts: str) -> None:
    for text in texts:
        for secret in ALL_SECRETS:
            assert secret not in text


def actions(data: dict) -> dict:
    return {s["key"]: s["action"] for s in data["settings"]}


def test_plain_folder_dry_run_prints_the_plan_masked_and_changes_nothing(folder, isolated_home, memory_keyring):
    source = folder(old_config(qbit_password=QBIT_PASSWORD, red_api_key=RED_KEY),
                    [f"https://flacsfor.me/{RED_PASSKEY}/announce"])
    run = invoke("config", "import-mk-torrent", "--from", source, "--dry-run", "--json")
    assert run.exit_code == 0, run.stderr
    data = run.json()
    assert data["dry_run"] is True and data["applied"] is False
    assert actions(data) == {
        "services.qbittorrent.url": "add",
        "services.qbittorrent.username": "add",
        "services.qbittorrent.category": "add",
        "services.qbittorrent.tags": "add",
        "defaults.output_dir": "add",
        "services.red.announce": "unchanged",  # the built-in template already
    }
    values = {s["key"]: s["value"] for s in data["settings"]}
    assert values["services.qbittorrent.url"] == "https://10.0.0.5:8081"
    assert values["services.red.announce"] == "https://flacsfor.me/{passkey}/announce"
    assert {(m["service"], m["secret"], m["from"], m["value"]) for m in data["secrets"]} == {
        ("qbittorrent", "PASSWORD", "config.json", "***"),
        ("red", "API_KEY", "config.json", "***"),
        ("red", "PASSKEY", "trackers.txt", "***"),
    }
    assert {p["key"] for p in data["plain_text_secrets"]} == {"qbit_password", "red_api_key", "flacsfor.me"}
    assert {i["key"] for i in data["ignored_keys"]} == {"docker_mappings", "default_private"}
    no_secret_in(run.stdout, run.stderr)
    assert not (isolated_home / ".config" / "mktint").exists()
    assert stored(memory_keyring) == {}

    human = invoke("config", "import-mk-torrent", "--from", source, "--dry-run")
    assert human.exit_code == 0
    assert "add        red API_KEY = ***  [from config.json]" in human.stdout
    assert "plain-text secrets" in human.stdout
    no_secret_in(human.stdout, human.stderr)


def test_import_writes_config_and_moves_secrets_to_the_store(folder, isolated_home, memory_keyring):
    source = folder(old_config(qbit_password=QBIT_PASSWORD, red_api_key=RED_KEY, docker_mode=True,
                               docker_mappings={"/mnt/user": "/media", "/mnt/cache": "/data"}),
                    [f"https://flacsfor.me/{RED_PASSKEY}/announce",
                     f"https://t.myanonamouse.net/tracker.php/{MAM_PASSKEY}/announce"])
    run = invoke("config", "import-mk-torrent", "--from", source, "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["applied"] is True
    written = mktint_config(isolated_home)
    assert written == {
        "services": {
            "qbittorrent": {"url": "https://10.0.0.5:8081", "username": "bob", "category": "audiobooks",
                            "tags": ["mk", "ab"],
                            "path_map": {"/mnt/user": "/media", "/mnt/cache": "/data"}},
            "mam": {"announce": "https://t.myanonamouse.net/tracker.php/{passkey}/announce"},
        },
        "defaults": {"output_dir": "/srv/torrents"},
    }
    assert stored(memory_keyring) == {"qbittorrent:PASSWORD": QBIT_PASSWORD, "red:API_KEY": RED_KEY,
                                      "red:PASSKEY": RED_PASSKEY, "mam:PASSKEY": MAM_PASSKEY}
    no_secret_in(config_text(isolated_home), run.stdout, run.stderr)
    # The result is a valid mktint config.
    assert invoke("config", "validate").exit_code == 0


def test_secrets_fall_back_to_the_0600_file_without_a_keyring(folder, isolated_home, memory_keyring, monkeypatch):
    from mktint.core.credentials import _Keyring

    monkeypatch.setattr(_Keyring, "set", lambda *args: False)
    source = folder(old_config(red_api_key=RED_KEY))
    run = invoke("config", "import-mk-torrent", "--from", source, "--json")
    assert run.exit_code == 0, run.stderr
    assert [m["stored_in"] for m in run.json()["secrets"]] == ["file"]
    secrets_file = isolated_home / ".config" / "mktint" / "secrets.toml"
    assert secrets_file.stat().st_mode & 0o777 == 0o600
    assert tomllib.loads(secrets_file.read_text()) == {"red": {"API_KEY": RED_KEY}}
    no_secret_in(config_text(isolated_home))


def test_keyring_entries_of_mk_torrent_are_imported(folder, isolated_home, memory_keyring):
    memory_keyring.set_password("torrent_creator_qbittorrent", "bob@10.0.0.5:8081", QBIT_PASSWORD)
    memory_keyring.set_password("torrent_creator_tracker_home.opsfet.ch", "passkey", OPS_PASSKEY)
    source = folder(old_config(), ["https://home.opsfet.ch/announce  # SECURE_PASSKEY_STORED",
                                   "https://flacsfor.me/announce  # SECURE_PASSKEY_STORED"])
    run = invoke("config", "import-mk-torrent", "--from", source, "--json")
    assert run.exit_code == 0, run.stderr
    data = run.json()
    assert {(m["service"], m["secret"], m["from"]) for m in data["secrets"]} == {
        ("qbittorrent", "PASSWORD", "keyring"), ("ops", "PASSKEY", "keyring")}
    # RED's passkey was "stored" but is not in the keyring: listed as skipped, with what to do.
    assert [s["item"] for s in data["skipped"]] == ["red PASSKEY"]
    assert "mktint auth login red --secret passkey" in data["skipped"][0]["reason"]
    assert data["plain_text_secrets"] == []
    assert stored(memory_keyring) == {"qbittorrent:PASSWORD": QBIT_PASSWORD, "ops:PASSKEY": OPS_PASSKEY}
    no_secret_in(config_text(isolated_home), run.stdout)


def test_unsupported_trackers_are_listed_not_imported(folder, isolated_home):
    source = folder(old_config(ggn_api_key="ggn-key-0123456789"),
                    ["udp://tracker.opentrackr.org:1337/announce",
                     "https://tracker.example.org/0123456789abcdef0123/announce"])
    run = invoke("config", "import-mk-torrent", "--from", source, "--json")
    assert run.exit_code == 0
    data = run.json()
    assert data["unsupported_trackers"] == [
        {"tracker": "ggn", "from": "ggn_api_key"},
        {"tracker": "tracker.opentrackr.org:1337", "from": "trackers.txt"},
        {"tracker": "tracker.example.org", "from": "trackers.txt"},
    ]
    assert "ggn-key-0123456789" not in run.stdout + config_text(isolated_home)
    assert set(mktint_config(isolated_home)["services"]) == {"qbittorrent"}


def test_conflicts_are_listed_and_kept_without_confirmation(folder, isolated_home, config_file, memory_keyring):
    config_file('[services.qbittorrent]\nusername = "alice"\ncategory = "audiobooks"\n\n'
                '[services.audnexus]\nregion = "uk"\n')
    memory_keyring.set_password("mktint", "red:API_KEY", "red-api-key-already-there")
    source = folder(old_config(red_api_key=RED_KEY))

    plan = invoke("config", "import-mk-torrent", "--from", source, "--dry-run", "--json").json()
    assert actions(plan)["services.qbittorrent.username"] == "conflict"
    assert actions(plan)["services.qbittorrent.category"] == "unchanged"
    assert sorted(plan["conflicts"]) == ["red:API_KEY", "services.qbittorrent.username"]

    # No terminal and no --yes: refuse, write nothing.
    before = config_text(isolated_home)
    run = invoke("config", "import-mk-torrent", "--from", source)
    assert run.exit_code == 2
    assert "services.qbittorrent.username is 'alice' in mktint; mk_torrent has 'bob'" in run.stderr
    assert "--yes" in run.stderr
    assert config_text(isolated_home) == before
    assert stored(memory_keyring) == {"red:API_KEY": "red-api-key-already-there"}


def test_declined_conflicts_keep_the_mktint_values(folder, isolated_home, config_file, memory_keyring,
                                                   monkeypatch):
    from mktint.core.output import Output

    config_file('[services.qbittorrent]\nusername = "alice"\n')
    monkeypatch.setattr(Output, "confirm", lambda self, question, assume_yes=False: False)
    run = invoke("config", "import-mk-torrent", "--from", folder(old_config()), "--json")
    assert run.exit_code == 0, run.stderr
    assert actions(run.json())["services.qbittorrent.username"] == "keep"
    written = mktint_config(isolated_home)["services"]["qbittorrent"]
    assert written["username"] == "alice"
    assert written["url"] == "https://10.0.0.5:8081"  # additions still go in


def test_yes_overwrites_conflicts_and_keeps_other_keys(folder, isolated_home, config_file, memory_keyring):
    config_file('[services.qbittorrent]\nusername = "alice"\n\n[services.audnexus]\nregion = "uk"\n')
    memory_keyring.set_password("mktint", "red:API_KEY", "red-api-key-already-there")
    run = invoke("config", "import-mk-torrent", "--from", folder(old_config(red_api_key=RED_KEY)),
                 "--yes", "--json")
    assert run.exit_code == 0, run.stderr
    data = run.json()
    assert actions(data)["services.qbittorrent.username"] == "overwrite"
    written = mktint_config(isolated_home)
    assert written["services"]["qbittorrent"]["username"] == "bob"
    assert written["services"]["audnexus"] == {"region": "uk"}
    assert stored(memory_keyring)["red:API_KEY"] == RED_KEY


def test_a_second_import_has_nothing_to_do(folder, isolated_home):
    source = folder(old_config())
    assert invoke("config", "import-mk-torrent", "--from", source).exit_code == 0
    again = invoke("config", "import-mk-torrent", "--from", source, "--json")
    assert again.exit_code == 0
    assert set(actions(again.json()).values()) == {"unchanged"}
    assert again.json()["applied"] is False
    assert "nothing to import" in again.stderr


def test_missing_folder_exits_5_and_bad_json_exits_3(tmp_path):
    run = invoke("config", "import-mk-torrent", "--from", tmp_path / "nowhere")
    assert run.exit_code == 5
    assert "no mk_torrent config" in run.stderr
    (tmp_path / "config.json").write_text("{not json")
    run = invoke("config", "import-mk-torrent", "--from", tmp_path)
    assert run.exit_code == 3
    assert "cannot read" in run.stderr


# --- the Fernet-encrypted store ---------------------------------------------------------------

def write_encrypted(source, password: str, data: dict) -> None:
    """Encrypt like mk_torrent does: PBKDF2-SHA256, 100 000 rounds, the salt file beside it."""
    fernet = pytest.importorskip("cryptography.fernet")
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

    salt = b"0123456789abcdef"
    (source / "salt").write_bytes(salt)
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=100_000)
    key = base64.urlsafe_b64encode(kdf.derive(password.encode()))
    (source / "secure_config.enc").write_bytes(fernet.Fernet(key).encrypt(json.dumps(data).encode()))


ENCRYPTED = {"qbittorrent": {"bob@10.0.0.5:8081": QBIT_PASSWORD},
             "tracker_flacsfor.me": {"passkey": RED_PASSKEY},
             "torrent_creator_tracker_red": {"api_key": RED_KEY}}


def test_encrypted_store_without_a_terminal_is_skipped(folder, isolated_home, memory_keyring):
    source = folder(old_config(), ["https://flacsfor.me/announce  # SECURE_PASSKEY_STORED"])
    write_encrypted(source, "master-pass", ENCRYPTED)
    run = invoke("config", "import-mk-torrent", "--from", source, "--json")
    assert run.exit_code == 0
    skipped = {s["item"]: s["reason"] for s in run.json()["skipped"]}
    assert "typed on a terminal" in skipped[f"secrets in {source / 'secure_config.enc'}"]
    assert stored(memory_keyring) == {}


def test_encrypted_store_without_cryptography_is_skipped(folder, monkeypatch):
    from mktint.workflows import migrate_mk_torrent

    source = folder(old_config())
    (source / "secure_config.enc").write_bytes(b"gAAAA-not-read")
    monkeypatch.setattr(migrate_mk_torrent, "cryptography_available", lambda: False)
    run = invoke("config", "import-mk-torrent", "--from", source, "--dry-run", "--json")
    assert "'cryptography' is not installed" in run.json()["skipped"][0]["reason"]


def test_encrypted_store_with_the_master_password(folder, isolated_home, memory_keyring, monkeypatch):
    from mktint.cli import config as config_cli

    source = folder(old_config(), ["https://flacsfor.me/announce  # SECURE_PASSKEY_STORED"])
    write_encrypted(source, "master-pass", ENCRYPTED)
    monkeypatch.setattr(config_cli, "_ask_master_password", lambda: "wrong")
    run = invoke("config", "import-mk-torrent", "--from", source, "--dry-run", "--json")
    assert run.json()["skipped"][0]["reason"] == "wrong master password"
    (source / "master_key").write_bytes(b"not-read")
    run = invoke("config", "import-mk-torrent", "--from", source, "--dry-run", "--json")
    assert "key in master_key, which mktint does not read" in run.json()["skipped"][0]["reason"]

    monkeypatch.setattr(config_cli, "_ask_master_password", lambda: "master-pass")
    run = invoke("config", "import-mk-torrent", "--from", source, "--json")
    assert run.exit_code == 0, run.stderr
    data = run.json()
    assert data["skipped"] == []
    assert {(m["service"], m["secret"], m["from"]) for m in data["secrets"]} == {
        ("qbittorrent", "PASSWORD", "encrypted file"), ("red", "PASSKEY", "encrypted file"),
        ("red", "API_KEY", "encrypted file")}
    assert stored(memory_keyring) == {"qbittorrent:PASSWORD": QBIT_PASSWORD, "red:PASSKEY": RED_PASSKEY,
                                      "red:API_KEY": RED_KEY}
    no_secret_in(run.stdout, run.stderr, config_text(isolated_home))


# --- pure helpers ------------------------------------------------------------------------------

@pytest.mark.parametrize("line, url, passkey, stored_flag", [
    ("https://flacsfor.me/abcdef0123456789abcd/announce", "https://flacsfor.me/{passkey}/announce",
     "abcdef0123456789abcd", False),
    ("https://home.opsfet.ch/announce  # SECURE_PASSKEY_STORED", "https://home.opsfet.ch/{passkey}/announce",
     None, True),
    ("https://t.example/announce.php?passkey=abcdef0123456789", "https://t.example/announce.php?passkey={passkey}",
     "abcdef0123456789", False),
    ("udp://tracker.opentrackr.org:1337/announce", "udp://tracker.opentrackr.org:1337/announce", None, False),
])
def test_parse_tracker_line(line, url, passkey, stored_flag):
    from mktint.workflows.migrate_mk_torrent import parse_tracker_line

    tracker = parse_tracker_line(line)
    assert (tracker.url, tracker.passkey, tracker.stored_passkey) == (url, passkey, stored_flag)


def test_comments_and_blank_lines_are_not_trackers():
    from mktint.workflows.migrate_mk_torrent import parse_tracker_line

    assert parse_tracker_line("") is None
    assert parse_tracker_line("# a comment") is None
    assert parse_tracker_line("not a url") is None


@pytest.mark.parametrize("domain, service", [
    ("flacsfor.me", "red"), ("redacted.sh", "red"), ("home.opsfet.ch", "ops"),
    ("orpheus.network", "ops"), ("t.myanonamouse.net", "mam"), ("tracker.example.org", None)])
def test_tracker_service(domain, service):
    from mktint.workflows.migrate_mk_torrent import tracker_service

    assert tracker_service(domain) == service


def test_qbit_url():
    from mktint.workflows.migrate_mk_torrent import qbit_url

    assert qbit_url({"qbit_host": "localhost", "qbit_port": 8080}) == "http://localhost:8080"
    assert qbit_url({"qbit_host": "nas", "qbit_port": 443, "qbit_https": True}) == "https://nas:443"
    assert qbit_url({"qbit_host": "https://qb.example/"}) == "https://qb.example"


def test_the_global_config_option_chooses_the_file_written(folder, tmp_path, isolated_home):
    target = tmp_path / "elsewhere" / "mktint.toml"
    run = invoke("--config", target, "config", "import-mk-torrent", "--from", folder(old_config()), "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["config_path"] == str(target)
    assert tomllib.loads(target.read_text())["services"]["qbittorrent"]["username"] == "bob"
    assert not (isolated_home / ".config" / "mktint" / "config.toml").exists()


def test_odd_value_types_do_not_crash(folder, isolated_home):
    source = folder(old_config(default_tags="a, b", docker_mode=True, docker_mappings=["/x:/y"]))
    run = invoke("config", "import-mk-torrent", "--from", source, "--json")
    assert run.exit_code == 0, run.stderr
    data = run.json()
    assert {s["key"]: s["value"] for s in data["settings"]}["services.qbittorrent.tags"] == ["a", "b"]
    assert {"key": "docker_mappings", "reason": "not a host → container table"} in data["ignored_keys"]
