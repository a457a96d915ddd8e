"""A new Gazelle site is configuration only (#19): `[services.red2]` with kind, flavour,
url, announce (and optionally source) — create, preflight, upload, recovery, publish and
fix-paths all agree, and the rate limit and auth header come from the flavour, never the
URL. Also: one way to pick a service (`mktint red -s ops …`, `mktint ops …`)."""

from __future__ import annotations

import pytest

from mktint.torrent.metainfo import Metainfo
from tests.emulators.gazelle import gazelle_emulator
from tests.support.cli import invoke
from tests.torrent.trees import write_tree

KEY = "red2-api-key-0123456789abcdef"
PASSKEY = "passkey-red2-0123456789abcdef"


@pytest.fixture
def red2(config_file, monkeypatch):
    """A RED-flavoured site at a URL that is neither RED's nor OPS's."""
    with gazelle_emulator("red", api_key=KEY, passkey=PASSKEY) as site:
        config_file(f'[services.red2]\nkind = "gazelle"\nflavour = "red"\nurl = "{site.url}"\n'
                    f'announce = "https://tracker.red2.example/{{passkey}}/announce"\n')
        monkeypatch.setenv("MKTINT_RED2_API_KEY", KEY)
        yield site


def upload_flags():
    return ["--title", "Jane Doe - A Quiet Book", "--year", "2021", "--format", "MP3",
            "--bitrate", "320", "--tags", "fiction,audiobook",
            "--description", "A quiet book, read aloud.",
            "--accept", "audio", "--yes"]  # the files are zeros named .mp3


def test_create_upload_and_recovery_agree_on_a_third_site(red2, tmp_path):
    tree = write_tree(tmp_path / "Jane Doe - A Quiet Book", {"01.mp3": 40_000, "cover.jpg": 100})
    made = invoke("torrent", "create", tree, "--target", "red2", "-o", tmp_path / "out", "--json")
    assert made.exit_code == 0, made.stderr
    [row] = made.json()["torrents"]
    assert row["source"] == "RED"  # the flavour's source, not "RED2"
    torrent = row["path"]
    meta = Metainfo.parse(open(torrent, "rb").read())
    assert meta.announce == f"https://tracker.red2.example/{PASSKEY}/announce"  # fetched once

    red2.drop_next_upload = "stored"  # the answer is lost: recovery looks it up
    run = invoke("red", "upload", torrent, "-s", "red2", "--data", tree, *upload_flags(), "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["recovered"] is True and len(red2.torrents) == 1
    again = invoke("red", "-s", "red2", "upload", torrent, "--data", tree, *upload_flags())
    assert again.exit_code == 6  # the duplicate check, on the same site


def test_preflight_and_fix_paths_use_the_flavours_limit(red2, tmp_path, monkeypatch):
    monkeypatch.setenv("MKTINT_RED2_PASSKEY", PASSKEY)
    tree = write_tree(tmp_path / "Book", {"a" * 200 + ".mp3": 5})
    run = invoke("torrent", "create", tree, "--target", "red2", "-o", tmp_path / "x.torrent")
    assert run.exit_code == 1 and "more than 180" in run.stderr
    plan = invoke("book", "fix-paths", tree, "--tracker", "red2", "--json")
    data = plan.json()
    assert data["limit"] == 180 and data["over_limit"][0]["length"] == 209


def test_publish_to_a_third_site_dry_run(red2, tmp_path, monkeypatch, config_file):
    from tests.support.httpserver import free_port

    # Only the site matters here: a client that is down is reported with everything else.
    folder = write_tree(tmp_path / "Jane Doe - A Quiet Book", {"01.mp3": 5000, "x.opus": 1})
    config_file(f'[services.red2]\nkind = "gazelle"\nflavour = "red"\nurl = "{red2.url}"\n'
                f'announce = "https://tracker.red2.example/{{passkey}}/announce"\n'
                f'[services.qb]\nkind = "qbittorrent"\nurl = "http://127.0.0.1:{free_port()}"\n')
    run = invoke("publish", folder, "--to", "red2", "--client", "qb", "--dry-run", "--yes",
                 *upload_flags()[:-1])
    assert run.exit_code != 0
    assert "red2: refuses" not in run.stderr  # problems are named by target, once
    assert "red2: red2 refuses Jane Doe - A Quiet Book/x.opus" in run.stderr
    assert "client qb" in run.stderr and "nothing was hashed or uploaded" in run.stderr


@pytest.mark.parametrize("flavour_line, message", [
    ("", "has no flavour; choose one of: red, ops"),
    ('flavour = "orpheus"\n', "'orpheus'"),
])
def test_a_custom_site_must_name_a_known_flavour(config_file, monkeypatch, flavour_line, message):
    # The URL says "orpheus": nothing is guessed from it any more.
    config_file(f'[services.mirror]\nkind = "gazelle"\nurl = "https://orpheus.example"\n'
                f'{flavour_line}')
    monkeypatch.setenv("MKTINT_MIRROR_API_KEY", KEY)
    run = invoke("red", "whoami", "-s", "mirror")
    assert run.exit_code == 3 and message in run.stderr


def test_rate_limit_and_auth_header_follow_the_flavour_not_the_url(config_file, monkeypatch):
    from mktint.core.factory import Factory

    with gazelle_emulator("ops", api_key=KEY) as site:
        config_file(f'[services.opsmirror]\nkind = "gazelle"\nflavour = "ops"\nurl = "{site.url}"\n')
        monkeypatch.setenv("MKTINT_OPSMIRROR_API_KEY", KEY)
        client = Factory().service("opsmirror", "gazelle")
        assert client.rate.limit == 5 and client.auth_headers()["Authorization"] == f"token {KEY}"
        assert invoke("red", "whoami", "-s", "opsmirror").exit_code == 0


@pytest.mark.parametrize("argv", [
    ["red", "-s", "ops", "whoami", "--json"],
    ["ops", "whoami", "--json"],
    ["red", "whoami", "-s", "ops", "--json"],
    ["ops", "-s", "red", "whoami", "-s", "ops", "--json"],  # after the command wins
])
def test_one_way_to_pick_the_service(config_file, monkeypatch, argv):
    with gazelle_emulator("ops", api_key=KEY, passkey=PASSKEY) as site:
        config_file(f'[services.ops]\nurl = "{site.url}"\n')
        monkeypatch.setenv("MKTINT_OPS_API_KEY", KEY)
        run = invoke(*argv)
        assert run.exit_code == 0, run.stderr
        assert run.json()["service"] == "ops"
