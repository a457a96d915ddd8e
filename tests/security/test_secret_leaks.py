"""Known secrets never leak: every command group run with --debug, as real processes,
against the emulators and the live qbittorrent-nox. No secret may appear in stdout, stderr
or any file under the isolated HOME (config, state, cache) except the 0600 stores
(secrets.toml and the qBittorrent cookie cache), and those stores must be 0600.
Cassettes are scanned by tests/test_cassette_secrets.py.
"""

from __future__ import annotations

import contextlib
import json
import stat
from pathlib import Path

import pytest

from tests.emulators import bencode
from tests.emulators.audnexus import HAIL_MARY, audnexus_emulator
from tests.emulators.gazelle import gazelle_emulator
from tests.emulators.mam import mam_server
from tests.support.cli import run_subprocess
from tests.support.qbittorrent import PASSWORD, make_torrent

RED_KEY = "red-api-key-leakcheck0123456789"
OPS_KEY = "ops-api-key-leakcheck0123456789"
RED_PASSKEY = "passkey-redleak0123456789abcd"
OPS_PASSKEY = "passkey-opsleak0123456789abcd"
MAM_ID = "mam-id-leakcheck0123456789abcdef"
MAM_PASSKEY = "passkey-mamleak0123456789abcd"
SECRETS = (RED_KEY, OPS_KEY, RED_PASSKEY, OPS_PASSKEY, MAM_ID, MAM_PASSKEY, PASSWORD)


def private_stores(home: Path) -> set[Path]:
    stores = {home / ".config/mktint/secrets.toml"}
    stores |= set((home / ".local/state/mktint/qbittorrent").glob("*.cookies.json"))
    return {p for p in stores if p.exists()}


def found_in(text: str, secrets) -> list[str]:
    return [s for s in secrets if s in text]


@pytest.fixture
def world(qbittorrent, config_file, isolated_home):
    with contextlib.ExitStack() as stack:
        red = stack.enter_context(gazelle_emulator("red", api_key=RED_KEY, passkey=RED_PASSKEY))
        ops = stack.enter_context(gazelle_emulator("ops", api_key=OPS_KEY, passkey=OPS_PASSKEY))
        mam = stack.enter_context(mam_server(mam_id=MAM_ID))
        audnexus = stack.enter_context(audnexus_emulator())
        config_file(
            '[defaults]\nclient = "qb"\n\n'
            f'[services.qb]\nkind = "qbittorrent"\nurl = "{qbittorrent.url}"\nusername = "admin"\n\n'
            f'[services.red]\nurl = "{red.url}"\n\n[services.ops]\nurl = "{ops.url}"\n\n'
            f'[services.mam]\nurl = "{mam.url}"\nseedbox_url = "{mam.seedbox_url}"\n'
            'announce = "https://t.example/{passkey}/announce"\n\n'
            f'[services.audnexus]\nurl = "{audnexus.url}"\n')
        yield isolated_home


def test_no_secret_leaks_from_any_command_group_with_debug(world, tmp_path):
    home = world
    runs = []

    def run(*args, input=None):
        result = run_subprocess("--debug", *args, input=input)
        runs.append((args, result))
        return result

    # Store every secret the way a user does (keyring is the null backend in subprocesses,
    # so they land in the 0600 secrets file).
    for service, secret, value in [("qb", "PASSWORD", PASSWORD), ("red", "API_KEY", RED_KEY),
                                   ("ops", "API_KEY", OPS_KEY), ("mam", "MAM_ID", MAM_ID)]:
        result = run("auth", "login", service, "--secret", secret, "--with-token", input=value + "\n")
        assert result.exit_code == 0, (service, result.stderr)
    assert run("auth", "login", "mam", "--secret", "PASSKEY", "--with-token", "--no-verify",
               input=MAM_PASSKEY + "\n").exit_code == 0

    data = tmp_path / "data"
    torrent, infohash = make_torrent(data, "leak-check.txt")
    commands = [
        ("auth", "status", "--json"),
        ("red", "whoami", "--json"),  # fetches and stores the passkey
        ("red", "whoami", "-s", "ops"),
        ("red", "search", "quiet"),
        ("mam", "status", "--json"),
        ("mam", "seedbox"),
        ("book", "show", HAIL_MARY, "--json"),
        ("book", "chapters", HAIL_MARY),
        ("torrent", "create", str(data / "leak-check.txt"), "--target", "red", "-o",
         str(tmp_path / "red.torrent"), "--json"),
        ("torrent", "create", str(data / "leak-check.txt"), "--target", "mam", "-o",
         str(tmp_path / "mam.torrent")),
        ("qbit", "version"),
        ("qbit", "add", str(torrent), "--json"),
        ("qbit", "list", "--json"),
        ("qbit", "info", infohash),
        ("health", "--json"),
        ("config", "show", "--json"),
    ]
    for args in commands:
        run(*args)
    # The qBittorrent session cookie is a secret too: take it from the 0600 cache.
    cookie_caches = list((home / ".local/state/mktint/qbittorrent").glob("*.cookies.json"))
    assert cookie_caches and stat.S_IMODE(cookie_caches[0].stat().st_mode) == 0o600
    session_ids = tuple(c["value"] for c in json.loads(cookie_caches[0].read_text())["cookies"])
    assert session_ids
    red_torrent = tmp_path / "red.torrent"
    red_hash = bencode.infohash(red_torrent.read_bytes())
    later = [
        ("torrent", "info", str(red_torrent)),
        ("torrent", "info", str(tmp_path / "mam.torrent"), "--json"),
        ("qbit", "list", "--json"),
        ("qbit", "add", str(red_torrent), "--stopped", "--json"),
        ("qbit", "tracker", "list", red_hash),
        ("qbit", "info", red_hash, "--json"),
        ("auth", "logout", "qb"),
    ]
    for args in later:
        run(*args)
    commands += later
    secrets = SECRETS + session_ids
    bad = [(args, found_in(result.stdout + result.stderr, secrets)) for args, result in runs]
    assert not [b for b in bad if b[1]], bad
    for args, result in runs:
        assert "Traceback" not in result.stderr, (args, result.stderr)
    assert any("debug:" in r.stderr for _, r in runs), "the --debug trace never ran"
    # health speaks the monitoring codes: 1 is WARNING (the shared qbittorrent-nox may
    # hold other tests' stalled torrents), still a full run of every check.
    failed = [(a, r.exit_code, r.stderr[-300:]) for a, r in runs
              if r.exit_code != 0 and not (a[0] == "health" and r.exit_code == 1)]
    assert not failed  # every command did its work: nothing passes by failing early

    # The passkeys did reach the .torrent files the user asked for (so the check above is
    # not vacuous), and the red passkey was stored from the site's answer.
    assert RED_PASSKEY.encode() in (tmp_path / "red.torrent").read_bytes()
    assert MAM_PASSKEY.encode() in (tmp_path / "mam.torrent").read_bytes()

    shown = {args[2]: r.stdout for args, r in runs if args[:2] == ("torrent", "info")}
    assert "https://flacsfor.me/***/announce" in shown[str(red_torrent)]
    assert json.loads(shown[str(tmp_path / "mam.torrent")])["announce"] == "https://t.example/***/announce"

    stores = private_stores(home)
    secrets_file = home / ".config/mktint/secrets.toml"
    assert secrets_file in stores and RED_PASSKEY in secrets_file.read_text()
    for path in stores:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for path in home.rglob("*"):
        if path.is_file() and path not in stores:
            text = path.read_bytes().decode("utf-8", "replace")
            assert not found_in(text, secrets), path


def test_group_readable_secrets_file_is_refused_by_the_cli(config_file, isolated_home):
    secrets_file = isolated_home / ".config/mktint/secrets.toml"
    secrets_file.parent.mkdir(parents=True, exist_ok=True)
    secrets_file.write_text(f'[red]\nAPI_KEY = "{RED_KEY}"\n')
    secrets_file.chmod(0o644)
    result = run_subprocess("red", "whoami", "--json")
    assert result.exit_code == 3, result.stderr
    error = next(line for line in result.stderr.splitlines() if line.startswith('{"error"'))
    assert "0644" in error and "secrets.toml" in error
    assert RED_KEY not in result.stdout + result.stderr


def test_announce_urls_of_unknown_trackers_are_shown_as_they_are(tmp_path):
    from tests.support.qbittorrent import bencode as encode

    info = {"name": "x", "length": 1, "piece length": 16384, "pieces": b"\0" * 20}
    path = tmp_path / "x.torrent"
    path.write_bytes(encode({"announce": "https://tracker.example/announce?k=1", "info": info,
                             "announce-list": [["https://home.opsfet.ch/" + OPS_PASSKEY + "/announce"]]}))
    result = run_subprocess("torrent", "info", str(path), "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["announce"] == "https://tracker.example/announce?k=1"
    assert data["announce_list"] == [["https://home.opsfet.ch/***/announce"]]  # built-in OPS
