"""`mktint qbit search` against the 5.x emulator: streaming, limits, and job clean-up."""

from __future__ import annotations

import json

import pytest

from mktint.core.factory import Factory
from mktint.services.qbittorrent import search
from tests.emulators.qbittorrent5 import Qbt5Handler, Qbt5State
from tests.support.cli import invoke
from tests.support.httpserver import serve
from tests.support.qbittorrent import PASSWORD

PLUGIN = {"name": "jackett", "fullName": "Jackett", "version": "4.0", "enabled": True,
          "url": "http://127.0.0.1:9117", "supportedCategories": [{"id": "all", "name": "All"},
                                                                  {"id": "books", "name": "Books"}]}


def result(n: int) -> dict:
    return {"fileName": f"Book {n}", "fileUrl": f"http://127.0.0.1:9/{n}.torrent", "fileSize": 1000 * n,
            "nbSeeders": n, "nbLeechers": 0, "siteUrl": "http://127.0.0.1:9", "descrLink": f"http://127.0.0.1:9/{n}",
            "engineName": "jackett"}


@pytest.fixture
def emulated(config_file, monkeypatch):
    state = Qbt5State("5.2")
    state.plugins = [PLUGIN, {**PLUGIN, "name": "off", "enabled": False}]
    state.search_results = [result(n) for n in range(1, 6)]
    with serve(Qbt5Handler, qbt=state) as server:
        config_file(f'[defaults]\nclient = "qb"\n[services.qb]\nkind = "qbittorrent"\nurl = "{server.url}"\n')
        monkeypatch.setenv("MKTINT_QB_PASSWORD", PASSWORD)
        yield state


def test_plugins_are_listed(emulated):
    rows = invoke("qbit", "search", "plugins", "--json").json()
    assert rows[0] == {"name": "jackett", "full_name": "Jackett", "version": "4.0", "enabled": True,
                       "url": "http://127.0.0.1:9117", "categories": ["all", "books"]}
    assert rows[1]["enabled"] is False


def test_run_streams_json_lines_and_deletes_the_job(emulated):
    run = invoke("qbit", "search", "run", "book", "--category", "books", "--json")
    assert run.exit_code == 0, run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 5
    first = json.loads(lines[0])
    assert first == {"name": "Book 1", "url": "http://127.0.0.1:9/1.torrent", "size": 1000, "seeders": 1,
                     "leechers": 0, "site": "http://127.0.0.1:9", "description_url": "http://127.0.0.1:9/1",
                     "plugin": "jackett"}
    start = next(p for _, e, p, _ in emulated.requests if e == "search/start")
    assert (start["pattern"], start["plugins"], start["category"]) == ("book", "enabled", "books")
    assert emulated.jobs == {} and emulated.deleted_jobs == [1]


def test_limit_stops_early_and_still_deletes(emulated):
    run = invoke("qbit", "search", "run", "book", "--plugin", "jackett", "--limit", "3", "--json")
    assert run.exit_code == 0, run.stderr
    assert len(run.stdout.splitlines()) == 3
    start = next(p for _, e, p, _ in emulated.requests if e == "search/start")
    assert start["plugins"] == "jackett"
    assert [e for _, e, _, _ in emulated.requests][-2:] == ["search/stop", "search/delete"]
    assert emulated.jobs == {}


def test_disabled_plugin_is_refused_before_starting(emulated):
    run = invoke("qbit", "search", "run", "book", "--plugin", "off")
    assert run.exit_code == 2 and "enabled plugins: jackett" in run.stderr
    assert "search/start" not in [e for _, e, _, _ in emulated.requests]


def test_interrupted_search_is_stopped_and_deleted(emulated):
    client = Factory().service("qb", "qbittorrent")
    results = search.run(client, "book")
    assert next(results)["name"] == "Book 1"
    assert emulated.jobs  # running on the server
    with pytest.raises(KeyboardInterrupt):
        results.throw(KeyboardInterrupt)
    assert emulated.jobs == {} and emulated.deleted_jobs == [1]


def test_too_many_searches_is_exit_7(emulated):
    emulated.jobs = {n: {"params": {}, "given": 0, "status": "Running"} for n in range(1, 6)}
    run = invoke("qbit", "search", "run", "book")
    assert run.exit_code == 7 and "too many searches" in run.stderr


def test_download_through_a_plugin(emulated):
    run = invoke("qbit", "search", "download", "http://127.0.0.1:9/1.torrent", "--plugin", "jackett", "--json")
    assert run.exit_code == 0, run.stderr
    assert emulated.downloads == [{"torrentUrl": "http://127.0.0.1:9/1.torrent", "pluginName": "jackett"}]


def test_ctrl_c_while_printing_still_deletes_the_job(emulated, monkeypatch):
    from mktint.core.output import Output

    def interrupted(self, value):
        raise KeyboardInterrupt

    monkeypatch.setattr(Output, "json_line", interrupted)
    run = invoke("qbit", "search", "run", "book", "--json")
    assert run.exit_code == 130 and "interrupted" in run.stderr
    assert emulated.jobs == {} and emulated.deleted_jobs == [1]
