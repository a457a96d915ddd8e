"""Pure parts of issue 13: the maindata watcher, preference types, paths, the source-bug range."""

from __future__ import annotations

import pytest

from mktint.core.errors import NotFound, UsageError
from mktint.services.qbittorrent import creator, prefs, rss
from mktint.services.qbittorrent.sync import Watcher, matches_filter

A, B = "a" * 40, "b" * 40


class Scripted:
    """Answers sync/maindata from a list, and records the rid of each call."""

    name = "qb"

    def __init__(self, *answers):
        self.answers, self.rids = list(answers), []

    def json(self, endpoint, params=None):
        assert endpoint == "sync/maindata"
        self.rids.append(params["rid"])
        return self.answers.pop(0)


def full(rid, torrents, **extra):
    return {"rid": rid, "full_update": True, "torrents": torrents, **extra}


def test_watcher_reports_changes_only_and_follows_rid():
    client = Scripted(
        full(1, {A: {"name": "one", "state": "stalledUP", "category": "books", "tags": ""}},
             server_state={"dl_info_speed": 0}),
        {"rid": 2, "torrents": {A: {"state": "pausedUP", "completion_on": 1700000000},
                                B: {"name": "two", "state": "downloading", "magnet_uri": "magnet:?xt=x"}}},
        {"rid": 3, "torrents_removed": [A], "server_state": {"dl_info_speed": 10}},
    )
    watcher = Watcher(client, server=True)
    assert watcher.poll() == []  # the first answer is the baseline
    assert watcher.count == 1
    events = watcher.poll()
    assert [(e["event"], e["hash"], e["name"]) for e in events] == [("changed", A, "one"), ("added", B, "two")]
    # 5.x state names whatever the server, ISO times
    assert events[0]["changes"] == {"state": "stoppedUP", "completion_on": "2023-11-14T22:13:20+00:00"}
    assert events[1]["torrent"]["state"] == "downloading" and events[1]["torrent"]["hash"] == B
    assert "magnet_uri" not in events[1]["torrent"]
    events = watcher.poll()
    assert [e["event"] for e in events] == ["removed", "server"]
    assert events[0]["name"] == "one" and events[1]["changes"] == {"dl_info_speed": 10}
    assert client.rids == [0, 1, 2]
    assert watcher.count == 1


def test_watcher_filters_and_a_resent_full_update():
    client = Scripted(
        full(1, {A: {"name": "one", "state": "stalledUP", "category": "books", "tags": "red"},
                 B: {"name": "two", "state": "stalledUP", "category": "other", "tags": ""}}),
        {"rid": 2, "torrents": {A: {"upspeed": 5}, B: {"upspeed": 5}}},
        # the server lost our rid: a full list again; B is gone, A unchanged except its state
        full(3, {A: {"name": "one", "state": "error", "category": "books", "tags": "red", "upspeed": 5}}),
    )
    watcher = Watcher(client, category="books", tag="red")
    watcher.poll()
    assert [(e["hash"], e["changes"]) for e in watcher.poll()] == [(A, {"upspeed": 5})]
    events = watcher.poll()
    assert [(e["event"], e["hash"]) for e in events] == [("changed", A)]  # B did not match
    assert events[0]["changes"] == {"state": "error"}
    assert watcher.count == 1


def test_watcher_reports_a_torrent_leaving_the_filter():
    client = Scripted(full(1, {A: {"name": "one", "state": "error"}}),
                      {"rid": 2, "torrents": {A: {"state": "stalledUP"}}},
                      {"rid": 3, "torrents": {A: {"state": "uploading"}}})
    watcher = Watcher(client, state_filter="errored")
    watcher.poll()
    assert [e["changes"] for e in watcher.poll()] == [{"state": "stalledUP"}]
    assert watcher.poll() == []


@pytest.mark.parametrize("name,torrent,expected", [
    ("seeding", {"state": "stalledUP"}, True), ("seeding", {"state": "stoppedUP"}, False),
    ("completed", {"state": "pausedUP"}, True), ("stopped", {"state": "pausedDL"}, True),
    ("paused", {"state": "stoppedDL"}, True), ("running", {"state": "pausedDL"}, False),
    ("active", {"state": "stalledUP", "upspeed": 1}, True), ("inactive", {"state": "uploading", "upspeed": 1}, False),
    ("checking", {"state": "checkingResumeData"}, True), ("errored", {"state": "missingFiles"}, True),
    ("downloading", {"state": "metaDL"}, True), ("stalled_uploading", {"state": "stalledDL"}, False),
])
def test_status_filters(name, torrent, expected):
    assert matches_filter(name, torrent) is expected


def test_unknown_filter_is_refused():
    with pytest.raises(UsageError):
        Watcher(Scripted(), state_filter="bogus")


@pytest.mark.parametrize("current,text,expected", [
    (True, "no", False), (False, "TRUE", True), (3, " 7 ", 7), (1.5, "2", 2.0), ("x", "a=b", "a=b"),
    ([], '["a"]', ["a"]), ({}, '{"k": 1}', {"k": 1}),
])
def test_preference_values_take_the_current_type(current, text, expected):
    value = prefs.convert("key", text, current)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("current,text,message", [
    (True, "maybe", "key takes true or false"), (3, "3.5", "key takes an integer"),
    (1.0, "x", "key takes a number"), ([], "{}", "key takes a JSON list"), ({}, "[", "key takes a JSON object"),
])
def test_preference_values_of_the_wrong_type_are_refused(current, text, message):
    with pytest.raises(UsageError, match=message):
        prefs.convert("key", text, current)


def test_secret_preferences_are_masked():
    assert prefs.is_secret("proxy_password") and prefs.is_secret("web_ui_api_key")
    assert not prefs.is_secret("web_ui_username")


class Configured:
    def __init__(self, path_map):
        self.config = {"path_map": path_map}


def test_path_map_in_reverse_takes_the_longest_prefix():
    client = Configured({"/srv": "/data", "/srv/books": "/data/audio"})
    assert creator.local_path(client, "/data/audio/Book") == "/srv/books/Book"
    assert creator.local_path(client, "/data/x") == "/srv/x"
    assert creator.local_path(client, "/elsewhere/x") is None
    assert creator.local_path(client, "/database") is None


@pytest.mark.parametrize("version,buggy", [("v5.0.0", True), ("v5.0.2", True), ("v5.0.3", False),
                                           ("v4.6.7", False), ("v5.1.0", False), ("junk", False)])
def test_source_bug_versions(version, buggy):
    assert creator.has_source_bug(version) is buggy


def test_rss_dates_become_iso_8601():
    assert rss.iso_date("Mon, 02 Jan 2023 10:00:00 +0100") == "2023-01-02T10:00:00+01:00"
    assert rss.iso_date("02 Jan 2023 10:00:00 GMT") == "2023-01-02T10:00:00+00:00"
    assert rss.iso_date("2023-01-02T10:00:00+00:00") == "2023-01-02T10:00:00+00:00"
    assert rss.iso_date("sometime") == "sometime" and rss.iso_date("") is None


class Feeds:
    name = "qb"

    def json(self, endpoint, params=None):
        assert (endpoint, params) == ("rss/items", {"withData": "true"})
        article = {"id": "1", "title": "t", "torrentURL": "u", "date": "Mon, 02 Jan 2023 10:00:00 +0000"}
        return {"Books": {"Fantasy": {"url": "https://a", "articles": [article]},
                          "Crime": {"url": "https://b", "articles": [article, article]}},
                "Top": {"url": "https://c", "articles": []}}


def test_rss_paths_join_folders_with_backslashes():
    assert [(f["path"], f["articles"]) for f in rss.feeds(Feeds())] == [
        ("Books\\Fantasy", 1), ("Books\\Crime", 2), ("Top", 0)]
    assert [a["feed"] for a in rss.items(Feeds(), "Books")] == ["Books\\Fantasy", "Books\\Crime", "Books\\Crime"]
    assert len(rss.items(Feeds(), "Books\\Crime")) == 2 and len(rss.items(Feeds())) == 3
    assert rss.items(Feeds(), "Top") == []
    with pytest.raises(NotFound):
        rss.items(Feeds(), "Book")  # a prefix of a name is not a folder
