"""Every `--json` command, run for real, prints the shape docs/json.md documents.

The commands run against the suite's emulators (Gazelle, Audnexus, MAM, qBittorrent 5.x)
and a live qbittorrent-nox. docs/json.md has one table row per command: the command, the
shape (`object`, `array` of objects, `array` of strings, `lines` of JSON objects) and its
keys (for an array, the keys of each element). Every key at any depth is snake_case, except
below the keys the reference marks `(open)`: maps keyed by data (preference names, config
keys) and `--raw`, which passes the service's own document through.
"""

from __future__ import annotations

import json
import os
import re
import shutil

import click
import pytest

from tests.publish.conftest import mp3_64k  # noqa: F401  (fixture)
from tests.support.cli import REPO, invoke

REFERENCE_FILE = REPO / "docs" / "json.md"
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
DUMP = os.environ.get("MKTINT_JSON_DUMP")  # write what ran to this file (to update the docs)


def parse_reference() -> dict[str, dict]:
    """Table rows `| `mktint X` | shape | keys | notes |` of docs/json.md, by command."""
    rows = {}
    for line in REFERENCE_FILE.read_text().splitlines():
        match = re.match(r"^\|\s*`mktint ([a-z -]+)`\s*\|\s*([a-z ]+?)\s*\|([^|]*)\|", line)
        if not match:
            continue
        keys, optional, open_keys = set(), set(), set()
        for item in re.finditer(r"`([a-z0-9_]+)(\??)`( \(open\))?", match.group(3)):
            keys.add(item.group(1))
            if item.group(2):
                optional.add(item.group(1))
            if item.group(3):
                open_keys.add(item.group(1))
        rows[match.group(1).strip()] = {"shape": match.group(2), "keys": keys,
                                        "optional": optional, "open": open_keys}
    return rows


REFERENCE = parse_reference()


def json_commands() -> set[str]:
    """Every command that offers --json (not the hidden global copy)."""
    from mktint.cli.root import cli

    ctx = click.Context(cli)
    found = set()

    def walk(command, path):
        if getattr(command, "alias_of", None):  # `mktint ops` = `mktint red -s ops`
            return
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), path + [name])
        if any(p.name == "as_json" and not p.hidden for p in command.params) and path:
            found.add(" ".join(path))

    walk(cli, [])
    return found


def snake_case_problems(value, path="$", open_keys=frozenset()) -> list[str]:
    problems = []
    if isinstance(value, dict):
        for key, item in value.items():
            if not SNAKE.match(key):
                problems.append(f"{path}.{key}")
            if key not in open_keys:
                problems += snake_case_problems(item, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            problems += snake_case_problems(item, f"{path}[]", open_keys)
    return problems


def check(command: str, document) -> None:
    """``document`` (one command's JSON) has the documented shape and keys."""
    if DUMP:
        with open(DUMP, "a") as f:
            f.write(json.dumps({"command": command, "document": document}) + "\n")
        return
    entry = REFERENCE.get(command)
    assert entry, f"`mktint {command}` is missing from docs/json.md"
    shape = entry["shape"]
    if shape in ("array", "array of strings", "lines"):
        assert isinstance(document, list), f"{command}: documented as {shape}, got {type(document).__name__}"
        items = document
    else:
        assert isinstance(document, dict), f"{command}: documented as an {shape}, got {type(document).__name__}"
        items = [document]
    if shape == "array of strings":
        assert all(isinstance(i, str) for i in items), command
        return
    if shape == "map":  # keys are data (preference names)
        return
    for item in items:
        assert isinstance(item, dict), f"{command}: elements must be objects"
        assert set(item) <= entry["keys"], f"{command}: undocumented keys {set(item) - entry['keys']}"
        assert entry["keys"] - set(item) <= entry["optional"], \
            f"{command}: documented keys missing {entry['keys'] - set(item)}"
    problems = snake_case_problems(document, open_keys=frozenset(entry["open"]))
    assert not problems, f"{command}: keys not in snake_case: {problems}"


# Commands that print JSON Lines as results arrive (documented as `lines`).
STREAMS = {"qbit watch", "qbit search run"}

def run_json(command: str, *args, ok=(0,), input=None) -> object:
    run = invoke(*command.split(), *map(str, args), "--json", input=input)
    assert run.exit_code in ok, f"{command}: exit {run.exit_code}: {run.stderr}"
    if command in STREAMS:
        document = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    else:
        document = run.json()
    check(command, document)
    return document


# -- the scenarios: together they run every command of the reference ----------------------

LOCAL = {"config path", "config show", "config get", "config validate", "config import-mk-torrent",
         "torrent create", "torrent info", "torrent verify", "torrent retarget",
         "book fix-paths", "book inspect", "health", "auth status"}
REMOTE = {"auth login", "auth logout", "red whoami", "red search", "red group", "red torrent",
          "red download", "red upload", "mam status", "mam seedbox", "mam prepare",
          "book show", "book chapters", "book author", "book authors", "book search",
          "book description", "publish",
          "qbit add", "qbit list", "qbit info", "qbit export", "qbit stop", "qbit start",
          "qbit recheck", "qbit reannounce", "qbit set-category", "qbit remove",
          "qbit category add", "qbit category edit", "qbit category list", "qbit category remove",
          "qbit tag add", "qbit tag list", "qbit tag remove", "qbit torrent-tag add",
          "qbit torrent-tag remove", "qbit tracker list", "qbit tracker replace",
          "qbit transfer", "qbit transfer limit", "qbit version", "qbit watch", "qbit prefs get", "qbit prefs set",
          "qbit rss add", "qbit rss feeds", "qbit rss items", "qbit rss refresh", "qbit rss remove",
          "qbit rss rule set", "qbit rss rules", "qbit rss rule matches", "qbit rss rule remove"}
EMULATED_QBIT5 = {"qbit create", "qbit search plugins", "qbit search run", "qbit search download"}


def test_the_reference_covers_every_json_command_and_the_scenarios_run_them_all():
    assert set(REFERENCE) == json_commands(), (
        f"missing from docs/json.md: {json_commands() - set(REFERENCE)}; "
        f"documented but gone: {set(REFERENCE) - json_commands()}")
    assert LOCAL | REMOTE | EMULATED_QBIT5 == set(REFERENCE)


def test_local_commands(tmp_path, config_file, mp3_64k):
    from tests.migrate.test_import_mk_torrent import old_config

    config_file(f'[defaults]\noutput_dir = "{tmp_path / "out"}"\n\n'
                '[services.home]\nkind = "qbittorrent"\ntags = ["a", "b"]\n')
    run_json("config path")
    run_json("config show")
    run_json("config get", "services.home.tags")
    run_json("config validate")
    mk = tmp_path / "torrent_creator"
    mk.mkdir()
    (mk / "config.json").write_text(json.dumps(old_config()))
    run_json("config import-mk-torrent", "--from", mk, "--dry-run")

    book = tmp_path / "Andy Weir - Project Hail Mary {ASIN.B08G9PRS1K}"
    book.mkdir()
    shutil.copyfile(mp3_64k, book / "01.mp3")
    made = run_json("torrent create", book, "--source", "RED", "-a", "https://t.example/a",
                      "-o", tmp_path / "book.torrent")
    run_json("torrent info", tmp_path / "book.torrent")
    run_json("torrent verify", tmp_path / "book.torrent", book)
    run_json("torrent retarget", tmp_path / "book.torrent", "--source", "OPS",
             "-a", "https://t.example/b", "-o", tmp_path / "ops.torrent")
    run_json("book fix-paths", book, "--tracker", "red")
    run_json("book inspect", book, "--offline")
    run_json("health", "-s", "local", ok=(0, 1))
    run_json("auth status", ok=(0, 4))
    assert made


@pytest.fixture
def world(config_file, monkeypatch, qbittorrent):
    """RED and OPS emulators, Audnexus, MAM and the session's live qbittorrent-nox."""
    from tests.emulators.audnexus import audnexus_emulator
    from tests.emulators.gazelle import gazelle_emulator
    from tests.emulators.mam import mam_server
    from tests.gazelle.conftest import KEYS, PASSKEY
    from tests.support.qbittorrent import PASSWORD, USERNAME

    with gazelle_emulator("red", api_key=KEYS["red"], passkey=PASSKEY) as red, \
            gazelle_emulator("ops", api_key=KEYS["ops"], passkey=PASSKEY) as ops, \
            audnexus_emulator() as audnexus, mam_server() as mam:
        config_file(
            f'[defaults]\nclient = "qb"\n\n'
            f'[services.qb]\nkind = "qbittorrent"\nurl = "{qbittorrent.url}"\n'
            f'username = "{USERNAME}"\n\n'
            f'[services.red]\nurl = "{red.url}"\n\n[services.ops]\nurl = "{ops.url}"\n\n'
            f'[services.mam]\nurl = "{mam.url}"\nseedbox_url = "{mam.seedbox_url}"\n'
            f'announce = "https://t.example/tracker.php/{{passkey}}/announce"\n\n'
            f'[services.audnexus]\nurl = "{audnexus.url}"\n')
        monkeypatch.setenv("MKTINT_QB_PASSWORD", PASSWORD)
        monkeypatch.setenv("MKTINT_RED_API_KEY", KEYS["red"])
        monkeypatch.setenv("MKTINT_MAM_MAM_ID", mam.mam_id)
        monkeypatch.setenv("MKTINT_MAM_PASSKEY", "passkey-mam-0123456789abcdef")
        yield {"red": red, "ops": ops}


def test_remote_commands(world, tmp_path, mp3_64k):
    from tests.emulators.audnexus import HAIL_MARY
    from tests.gazelle.conftest import KEYS
    from tests.gazelle.test_cli import upload_args, write_torrent
    from tests.qbit.helpers import unique_torrent

    ops_key = KEYS["ops"]
    run_json("auth login", "ops", "--with-token", input=ops_key + "\n")
    run_json("red whoami", "-s", "ops")
    seeded = world["ops"].seed("Jane Doe - Another Book", [(["01.mp3"], 5000)])
    run_json("red search", "another", "-s", "ops")
    run_json("red group", seeded["group_id"], "-s", "ops")
    run_json("red torrent", seeded["torrent_id"], "-s", "ops")
    run_json("red download", seeded["torrent_id"], "-s", "ops", "-o", tmp_path / "site.torrent")
    run_json("red upload", *upload_args("ops", write_torrent(tmp_path, "ops"), "--dry-run")[2:])
    run_json("auth logout", "ops")

    run_json("mam status")
    run_json("mam seedbox")
    run_json("book show", HAIL_MARY)
    run_json("book chapters", HAIL_MARY)
    run_json("book author", "B00G0WYW92")
    run_json("book authors", "weir")
    run_json("book search", "hail mary")
    run_json("book description", HAIL_MARY)

    book = tmp_path / "library" / f"Andy Weir - Project Hail Mary {{ASIN.{HAIL_MARY}}}"
    book.mkdir(parents=True)
    shutil.copyfile(mp3_64k, book / "01 - Part One.mp3")
    (book / "notes.txt").write_text(os.urandom(16).hex())
    run_json("mam prepare", book, "-o", tmp_path / "bundles")
    # one second of audio, not Audnexus' 970 minutes: accepted, to see the whole preview
    run_json("publish", book, "--to", "red", "--dry-run", "--yes", "--accept", "runtime")

    torrent, infohash, folder = unique_torrent(tmp_path)
    run_json("qbit add", torrent, "--save-path", folder)
    run_json("qbit list")
    run_json("qbit info", infohash)
    run_json("qbit export", infohash, "-o", tmp_path / "exported.torrent")
    run_json("qbit stop", infohash)
    run_json("qbit start", infohash)
    run_json("qbit recheck", infohash)
    run_json("qbit reannounce", infohash)
    category, tag = f"cat-{infohash[:6]}", f"tag-{infohash[:6]}"
    run_json("qbit category add", category)
    run_json("qbit category edit", category, "--save-path", tmp_path / "elsewhere")
    run_json("qbit category list")
    run_json("qbit set-category", category, infohash)
    run_json("qbit tag add", tag)
    run_json("qbit tag list")
    run_json("qbit torrent-tag add", tag, infohash)
    run_json("qbit torrent-tag remove", tag, infohash)
    run_json("qbit tag remove", tag)
    run_json("qbit tracker list", infohash)
    run_json("qbit tracker replace", infohash, "--old", "http://127.0.0.1:9/announce",
             "--new", "http://127.0.0.1:9/announce2")
    run_json("qbit transfer")
    run_json("qbit transfer limit", "--down", "0")
    run_json("qbit version")
    run_json("qbit watch", "--count", "1", "--interval", "0.1")
    run_json("qbit prefs get", "save_path", "dht")
    run_json("qbit prefs set", "dht=false")
    run_json("qbit remove", infohash, "--delete-files", "--yes")
    run_json("qbit category remove", category)

    from tests.qbit.test_live_more import FeedHandler
    from tests.support.httpserver import serve

    with serve(FeedHandler) as feed:
        name = f"feed-{infohash[:6]}"
        run_json("qbit rss add", f"{feed.url}/rss/{name}", "--path", name)
        run_json("qbit rss refresh", name)
        run_json("qbit rss feeds")
        run_json("qbit rss items", name)
        run_json("qbit rss rule set", name, "--must-contain", "Sanderson", "--feed", f"{feed.url}/rss/{name}")
        run_json("qbit rss rules")
        run_json("qbit rss rule matches", name)
        run_json("qbit rss rule remove", name)
        run_json("qbit rss remove", name)


@pytest.fixture
def qbit5(config_file, monkeypatch):
    from tests.emulators.qbittorrent5 import Qbt5Handler, Qbt5State
    from tests.qbit.test_search_emulated import PLUGIN, result
    from tests.support.httpserver import serve
    from tests.support.qbittorrent import PASSWORD

    state = Qbt5State("5.2")
    state.plugins = [PLUGIN]
    state.search_results = [result(n) for n in range(1, 3)]
    with serve(Qbt5Handler, qbt=state) as server:
        config_file(f'[defaults]\nclient = "qb"\n[services.qb]\nkind = "qbittorrent"\nurl = "{server.url}"\n')
        monkeypatch.setenv("MKTINT_QB_PASSWORD", PASSWORD)
        yield state


def test_qbittorrent_5_commands(qbit5, tmp_path):
    folder = tmp_path / "srv" / "Author - Book"
    folder.mkdir(parents=True)
    (folder / "01.m4b").write_bytes(b"a" * 40000)
    run_json("qbit create", folder, "-o", tmp_path / "made.torrent")
    run_json("qbit search plugins")
    run_json("qbit search run", "book")
    run_json("qbit search download", "http://127.0.0.1:9/1.torrent", "--plugin", "jackett")
