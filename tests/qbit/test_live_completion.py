"""Completion against each real qBittorrent (4.5.2, 5.1, 5.3) with the session an earlier
run cached: one plain GET, no HTTP library (services/qbittorrent/quick.py), and the full
client when that session has expired; and against a WebUI that lets loopback clients in
without a login."""

import json

from tests.cli.test_completion_dynamic import complete, unique, words
from tests.cli.test_root import imported_modules
from tests.support.cli import invoke
from tests.support.qbittorrent import PASSWORD, running_server, write_qbit_config


def test_with_a_cached_session_a_completion_loads_no_http_library(qbittorrent_each, config_file, monkeypatch):
    write_qbit_config(config_file, qbittorrent_each)
    monkeypatch.setenv("MKTINT_QB_PASSWORD", PASSWORD)
    cat = unique("cmpcat")
    assert invoke("qbit", "category", "add", cat).exit_code == 0  # logs in: the session is cached
    run = complete(f"mktint qbit list --category {cat}", python_flags=("-X", "importtime"))
    assert words(run) == [cat]
    assert not imported_modules(run) & {"requests", "urllib3", "http", "ssl", "hashlib"}


def test_an_expired_session_is_renewed_by_the_full_client(qbittorrent_each, config_file, monkeypatch):
    from mktint.core import paths

    write_qbit_config(config_file, qbittorrent_each)
    monkeypatch.setenv("MKTINT_QB_PASSWORD", PASSWORD)
    cat = unique("cmpcat")
    assert invoke("qbit", "category", "add", cat).exit_code == 0
    cache = paths.state_dir() / "qbittorrent" / "qb.cookies.json"
    stale = cache.read_text()
    for cookie in json.loads(stale)["cookies"]:
        stale = stale.replace(cookie["value"], "expired" + cookie["value"][7:])
    cache.write_text(stale)  # the server answers 403 to this session
    assert words(complete(f"mktint qbit list --category {cat}")) == [cat]
    assert cache.read_text() != stale  # the full client logged in and cached the new session


def test_a_webui_without_login_for_loopback_is_asked_without_a_session(tmp_path, config_file):
    with running_server(tmp_path / "qbt", local_host_auth=False) as server:
        write_qbit_config(config_file, server)  # no password anywhere: none is needed
        cat = unique("cmpcat")
        assert invoke("qbit", "category", "add", cat).exit_code == 0
        run = complete(f"mktint qbit list --category {cat}", python_flags=("-X", "importtime"))
        assert words(run) == [cat]
        assert not imported_modules(run) & {"requests", "urllib3", "http", "ssl", "hashlib"}
