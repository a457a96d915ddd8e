"""Issue 13 against real qbittorrent-nox 4.5.2, 5.1 and 5.3: RSS, search, transfer, prefs, watch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from mktint.services.qbittorrent.client import normalise
from tests.qbit.helpers import WAIT_LIMIT, added
from tests.support.cli import REPO, interruptible, invoke
from tests.support.httpserver import QuietHandler, serve

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Test tracker</title><link>http://127.0.0.1/</link>
<description>books</description>
<item><title>Brandon Sanderson - Mistborn [M4B]</title><guid>book-1</guid>
<enclosure url="http://127.0.0.1:9/dl/1.torrent" type="application/x-bittorrent" length="1"/>
<pubDate>Mon, 02 Jan 2023 10:00:00 +0000</pubDate></item>
<item><title>Other Author - Something Else [MP3]</title><guid>book-2</guid>
<enclosure url="http://127.0.0.1:9/dl/2.torrent" type="application/x-bittorrent" length="1"/>
<pubDate>Mon, 02 Jan 2023 11:00:00 +0000</pubDate></item>
</channel></rss>"""


class FeedHandler(QuietHandler):
    def do_GET(self):
        self.send_body(200, FEED, "application/rss+xml")


def poll(predicate, what):
    deadline = time.monotonic() + WAIT_LIMIT
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            assert value, f"gave up waiting for {what}"
            return value
        time.sleep(0.2)


def test_rss_feed_items_and_rules(qb):
    name = f"feed-{uuid.uuid4().hex[:6]}"
    rule = f"rule-{uuid.uuid4().hex[:6]}"
    with serve(FeedHandler) as feed:
        url = f"{feed.url}/rss/{name}"
        run = invoke("qbit", "rss", "add", url, "--path", name, "--json")
        assert run.exit_code == 0, run.stderr
        assert run.json() == {"url": url, "path": name}
        again = invoke("qbit", "rss", "add", url, "--path", name)
        assert again.exit_code == 6, again.stderr

        assert invoke("qbit", "rss", "refresh", name).exit_code == 0

        def articles():
            r = invoke("qbit", "rss", "items", name, "--json")
            assert r.exit_code == 0, r.stderr
            return r.json() if len(r.json()) == 2 else None

        items = poll(articles, "the feed's articles")
    assert {i["title"] for i in items} == {"Brandon Sanderson - Mistborn [M4B]",
                                           "Other Author - Something Else [MP3]"}
    assert {i["torrent_url"] for i in items} == {"http://127.0.0.1:9/dl/1.torrent",
                                                 "http://127.0.0.1:9/dl/2.torrent"}
    assert all(i["feed"] == name for i in items)
    assert sorted(i["date"] for i in items) == ["2023-01-02T10:00:00+00:00", "2023-01-02T11:00:00+00:00"]
    feeds = {f["path"]: f for f in invoke("qbit", "rss", "feeds", "--json").json()}
    assert feeds[name]["url"] == url and feeds[name]["articles"] == 2
    assert feeds[name]["title"] == "Test tracker"

    run = invoke("qbit", "rss", "rule", "set", rule, "--must-contain", "Sanderson", "--feed", url,
                 "--category", "audiobooks", "--disabled", "--json")
    assert run.exit_code == 0, run.stderr
    stored = run.json()
    assert stored["must_contain"] == "Sanderson" and stored["feeds"] == [url]
    assert stored["enabled"] is False and stored["category"] == "audiobooks"
    listed = {r["name"]: r for r in invoke("qbit", "rss", "rules", "--json").json()}
    assert listed[rule] == stored

    matches = invoke("qbit", "rss", "rule", "matches", rule, "--json")
    assert matches.exit_code == 0, matches.stderr
    assert matches.json() == [{"feed": name, "title": "Brandon Sanderson - Mistborn [M4B]"}]

    # Changing one field keeps the others.
    changed = invoke("qbit", "rss", "rule", "set", rule, "--must-contain", "Author", "--json").json()
    assert changed["feeds"] == [url] and changed["enabled"] is False
    assert invoke("qbit", "rss", "rule", "matches", rule, "--json").json() == [
        {"feed": name, "title": "Other Author - Something Else [MP3]"}]

    assert invoke("qbit", "rss", "rule", "remove", rule).exit_code == 0
    assert rule not in {r["name"] for r in invoke("qbit", "rss", "rules", "--json").json()}
    gone = invoke("qbit", "rss", "rule", "remove", rule)
    assert gone.exit_code == 5 and rule in gone.stderr

    assert invoke("qbit", "rss", "remove", name).exit_code == 0
    assert name not in {f["path"] for f in invoke("qbit", "rss", "feeds", "--json").json()}
    missing = invoke("qbit", "rss", "items", name)
    assert missing.exit_code == 5 and "no RSS feed" in missing.stderr
    assert invoke("qbit", "rss", "remove", name).exit_code == 5


def test_search_plugins_and_a_run_without_plugins(qb):
    run = invoke("qbit", "search", "plugins", "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json() == []  # a fresh profile has no search plugins
    run = invoke("qbit", "search", "run", "mistborn", "--json")
    assert run.exit_code == 0, run.stderr
    assert run.stdout == ""
    assert "no search plugin is enabled" in run.stderr
    named = invoke("qbit", "search", "run", "mistborn", "--plugin", "piratebay")
    assert named.exit_code == 2 and "no enabled search plugin 'piratebay'" in named.stderr


def test_transfer_info_and_limits(qb):
    run = invoke("qbit", "transfer", "--json")
    assert run.exit_code == 0, run.stderr
    info = run.json()
    assert set(info) == {"download_speed", "upload_speed", "downloaded", "uploaded", "download_limit",
                         "upload_limit", "dht_nodes", "connection_status"}
    assert info["connection_status"] in ("connected", "firewalled", "disconnected")
    try:
        run = invoke("qbit", "transfer", "limit", "--down", "1MiB/s", "--up", "512KiB", "--json")
        assert run.exit_code == 0, run.stderr
        assert (run.json()["download_limit"], run.json()["upload_limit"]) == (1048576, 524288)
        run = invoke("qbit", "transfer", "limit", "--up", "0", "--json")
        assert (run.json()["download_limit"], run.json()["upload_limit"]) == (1048576, 0)
    finally:
        invoke("qbit", "transfer", "limit", "--down", "0", "--up", "0")
    bad = invoke("qbit", "transfer", "limit", "--down", "fast")
    assert bad.exit_code == 2 and "--down" in bad.stderr
    assert invoke("qbit", "transfer", "limit").exit_code == 2


def test_prefs_get_and_typed_set(qb):
    run = invoke("qbit", "prefs", "get", "max_active_downloads", "queueing_enabled", "--json")
    assert run.exit_code == 0, run.stderr
    before = run.json()
    assert set(before) == {"max_active_downloads", "queueing_enabled"}
    assert isinstance(before["max_active_downloads"], int)
    try:
        run = invoke("qbit", "prefs", "set", "max_active_downloads=7",
                     f"queueing_enabled={str(not before['queueing_enabled']).lower()}", "--json")
        assert run.exit_code == 0, run.stderr
        assert run.json() == {"max_active_downloads": 7, "queueing_enabled": not before["queueing_enabled"]}
        assert invoke("qbit", "prefs", "get", "max_active_downloads", "--json").json() == {
            "max_active_downloads": 7}
    finally:
        invoke("qbit", "prefs", "set", f"max_active_downloads={before['max_active_downloads']}",
               f"queueing_enabled={str(before['queueing_enabled']).lower()}")
    wrong_type = invoke("qbit", "prefs", "set", "max_active_downloads=many")
    assert wrong_type.exit_code == 2 and "max_active_downloads takes an integer" in wrong_type.stderr
    wrong_bool = invoke("qbit", "prefs", "set", "queueing_enabled=maybe")
    assert wrong_bool.exit_code == 2 and "true or false" in wrong_bool.stderr
    unknown = invoke("qbit", "prefs", "set", "max_active_download=3")
    assert unknown.exit_code == 2 and "did you mean max_active_downloads" in unknown.stderr
    assert invoke("qbit", "prefs", "get", "max_active_downloads", "--json").json() == {
        "max_active_downloads": before["max_active_downloads"]}
    not_pair = invoke("qbit", "prefs", "set", "max_active_downloads")
    assert not_pair.exit_code == 2 and "KEY=VALUE" in not_pair.stderr
    everything = invoke("qbit", "prefs", "get", "--json").json()
    assert "adminadmin" not in invoke("qbit", "prefs", "get").stdout
    assert everything["web_ui_username"] == "admin"


def test_watch_is_bounded_by_count(qb, tmp_path):
    run = invoke("qbit", "watch", "--count", "2", "--interval", "0.1", "--json")
    assert run.exit_code == 0, run.stderr
    assert "watching" in run.stderr


def test_watch_streams_changes_until_sigint(qb, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "mktint", "qbit", "watch", "--interval", "0.2", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO,
                            preexec_fn=interruptible)
    try:
        started = proc.stderr.readline()  # the first poll has been made
        assert "watching" in started, started
        infohash, _ = added(tmp_path)
        events = []
        while True:
            line = proc.stdout.readline()
            assert line, "watch ended without reporting the new torrent"
            event = json.loads(line)
            events.append(event)
            if event["event"] == "added" and event["hash"] == infohash:
                break
        assert invoke("qbit", "remove", infohash, "--json").exit_code == 0
        while True:
            line = proc.stdout.readline()
            assert line, "watch ended without reporting the removal"
            event = json.loads(line)
            if event["event"] == "removed" and event["hash"] == infohash:
                break
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=WAIT_LIMIT)
        assert proc.returncode == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert events[-1]["name"].startswith("book-") and events[-1]["time"].endswith("+00:00")
    assert set(events[-1]["torrent"]) == set(normalise({}))  # the shape of `qbit list`


def test_create_needs_qbittorrent_5(qb, tmp_path):
    if qb.version != "4.5.2":
        pytest.skip("5.x creates torrents: test_live_versions.py::test_create_hybrid_prints_the_id_the_client_uses")
    run = invoke("qbit", "create", "/srv/data", "-o", tmp_path / "x.torrent")
    assert run.exit_code == 1
    assert "needs qBittorrent 5.0" in run.stderr and "4.5.2" in run.stderr
    assert not (tmp_path / "x.torrent").exists()


def test_watch_filter_rejects_unknown_names(qb):
    bad = invoke("qbit", "watch", "--filter", "bogus", "--count", "1")
    assert bad.exit_code == 2 and "unknown filter 'bogus'" in bad.stderr
    assert invoke("qbit", "watch", "--filter", "seeding", "--count", "1").exit_code == 0
