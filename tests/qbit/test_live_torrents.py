"""Every `mktint qbit` command against real qbittorrent-nox 4.5.2, 5.1 and 5.3 (each test runs
once per version: the ``qb`` fixture)."""

from __future__ import annotations

import hashlib

from mktint.services.qbittorrent.metainfo import torrent_id
from tests.qbit.helpers import added, one, unique_torrent, wait_for
from tests.support.cli import invoke


def test_version(qb):
    run = invoke("qbit", "version", "--json")
    assert run.exit_code == 0, run.stderr
    data = run.json()
    assert data["app_version"] == qb.app_version
    assert data["webapi_version"] == qb.webapi_version
    assert "libtorrent" in data["build_info"]


def test_add_checks_data_to_100_percent_and_lists_normalised_fields(qb, tmp_path):
    infohash, _ = added(tmp_path, "--category", "", "--tags", "live,mktint")
    torrent = wait_for(infohash, lambda t: t["progress"] == 1)
    assert torrent["progress"] == 1
    assert torrent["state"] in ("stalledUP", "uploading", "queuedUP", "stoppedUP")
    assert sorted(torrent["tags"]) == ["live", "mktint"]
    assert torrent["added_on"].endswith("+00:00")
    for key in ("hash", "name", "state", "progress", "size", "category", "tags", "save_path",
                "added_on", "ratio", "upspeed", "dlspeed", "tracker"):
        assert key in torrent


def test_add_reports_added_exists_and_failed_in_one_run(qb, tmp_path):
    first, first_torrent = added(tmp_path)
    torrent_a, _, _ = unique_torrent(tmp_path)
    existing = tmp_path / "again.torrent"
    existing.write_bytes(first_torrent.read_bytes())
    bad = tmp_path / "bad.torrent"
    bad.write_bytes(b"this is not bencode")
    run = invoke("qbit", "add", torrent_a, existing, bad, "--stopped", "--json")
    assert run.exit_code == 1
    statuses = {r["source"]: r["status"] for r in run.json()}
    assert statuses == {str(torrent_a): "added", str(existing): "exists", str(bad): "failed"}
    assert one(first)["hash"] == first


def test_add_only_existing_exits_zero(qb, tmp_path):
    infohash, torrent = added(tmp_path)
    run = invoke("qbit", "add", torrent, "--json")
    assert run.exit_code == 0
    assert run.json()[0] == {"source": str(torrent), "infohash": infohash,
                             "name": one(infohash)["name"], "status": "exists",
                             "message": "already in the client"}


def test_add_missing_file_is_a_usage_error(qb, tmp_path):
    run = invoke("qbit", "add", tmp_path / "nope.torrent")
    assert run.exit_code == 2
    assert "cannot read" in run.stderr


def test_add_applies_path_map_to_save_path(qbittorrent_each, config_file, monkeypatch, tmp_path):
    from tests.support.qbittorrent import PASSWORD, write_qbit_config

    torrent, infohash, folder = unique_torrent(tmp_path)
    host = tmp_path / "host-view"
    write_qbit_config(config_file, qbittorrent_each,
                      extra=f'[services.qb.path_map]\n"{host}" = "{tmp_path}"\n')
    monkeypatch.setenv("MKTINT_QB_PASSWORD", PASSWORD)
    run = invoke("qbit", "add", torrent, "--save-path", host / folder.name, "--stopped", "--json")
    assert run.exit_code == 0, run.stderr
    assert one(infohash)["save_path"].rstrip("/") == str(folder)


def test_stop_and_start_and_the_paused_filter_on_every_version(qb, tmp_path):
    infohash, _ = added(tmp_path)
    run = invoke("qbit", "stop", infohash, "--json")
    assert run.exit_code == 0, run.stderr
    name = one(infohash)["name"]
    assert run.json() == {"action": "stop", "count": 1, "torrents": [{"hash": infohash, "name": name}],
                          "dry_run": False, "skipped": [],
                          "changes": [{"hash": infohash, "name": name, "from": run.json()["changes"][0]["from"],
                                       "to": "stopped"}]}
    assert wait_for(infohash, lambda t: t["state"].startswith("stopped"))["state"].startswith("stopped")
    stopped = invoke("qbit", "list", "--filter", "stopped", "--json").json()
    assert infohash in [t["hash"] for t in stopped]
    paused = invoke("qbit", "list", "--filter", "paused", "--json").json()
    assert [t["hash"] for t in paused] == [t["hash"] for t in stopped]
    assert invoke("qbit", "start", infohash).exit_code == 0
    assert not wait_for(infohash, lambda t: not t["state"].startswith("stopped"))["state"].startswith("stopped")


def test_hashes_from_stdin_recheck_and_reannounce(qb, tmp_path):
    a, _ = added(tmp_path)
    b, _ = added(tmp_path)
    run = invoke("qbit", "recheck", "-", "--json", input=f"{a}\n\n{b.upper()}\n")
    assert run.exit_code == 0, run.stderr
    assert sorted(t["hash"] for t in run.json()["torrents"]) == sorted([a, b])
    run = invoke("qbit", "reannounce", a, "--json")
    assert run.exit_code == 0 and run.json()["count"] == 1


def test_unknown_and_malformed_hashes(qb):
    run = invoke("qbit", "stop", "0" * 40, "--json")
    assert run.exit_code == 5
    assert run.error_json()["code"] == "not_found"
    run = invoke("qbit", "info", "xyz")
    assert run.exit_code == 2 and "not a torrent hash" in run.stderr
    assert invoke("qbit", "info", "0" * 40).exit_code == 5


def test_list_filters_sort_limit(qb, tmp_path):
    a, _ = added(tmp_path, "--tags", "sorted-test")
    b, _ = added(tmp_path, "--tags", "sorted-test")
    run = invoke("qbit", "list", "--tag", "sorted-test", "--sort", "name", "--json")
    names = [t["name"] for t in run.json()]
    assert names == sorted(names) and len(names) == 2
    run = invoke("qbit", "list", "--tag", "sorted-test", "--sort", "name", "--reverse", "--limit", "1", "--json")
    assert [t["name"] for t in run.json()] == [max(names)]
    assert invoke("qbit", "list", "--sort", "bogus").exit_code == 2
    piped = invoke("qbit", "list", "--tag", "sorted-test")
    assert {line.split("\t")[0] for line in piped.stdout.splitlines()} == {a, b}


def test_unknown_filter_is_refused_before_anything_is_sent(config_file, monkeypatch):
    # The service points at a closed port: exit 2 (not 7) proves nothing was sent.
    from tests.support.httpserver import free_port

    config_file(f'[services.qbittorrent]\nurl = "http://127.0.0.1:{free_port()}"\n')
    for args in (("list", "--filter", "pausd"), ("remove", "--filter", "pausd"),
                 ("stop", "--filter", "nope", "--all")):
        run = invoke("qbit", *args, "--json")
        assert run.exit_code == 2, (args, run.stderr)
        assert "unknown filter" in run.error_json()["message"]


def test_info_shows_properties_trackers_and_files(qb, tmp_path):
    infohash, _ = added(tmp_path)
    run = invoke("qbit", "info", infohash, "--json")
    assert run.exit_code == 0, run.stderr
    data = run.json()
    assert data["hash"] == infohash and data["properties"]["piece_size"] == 16384
    pseudo = {t["url"] for t in data["trackers"] if t["pseudo"]}
    assert pseudo == {"** [DHT] **", "** [PeX] **", "** [LSD] **"}
    assert [t["url"] for t in data["trackers"] if not t["pseudo"]] == ["http://127.0.0.1:9/announce"]
    assert data["files"] == [{"name": data["name"], "size": 20000, "progress": data["files"][0]["progress"],
                              "priority": 1}]


def test_remove_refuses_without_selection_and_dry_run_keeps_torrents(qb, tmp_path):
    run = invoke("qbit", "remove", "--json")
    assert run.exit_code == 2
    assert "no torrents selected" in run.error_json()["message"]
    infohash, _ = added(tmp_path, "--tags", "doomed")
    run = invoke("qbit", "remove", "--tag", "doomed", "--dry-run", "--json")
    assert run.exit_code == 0
    assert run.json()["dry_run"] is True and [t["hash"] for t in run.json()["torrents"]] == [infohash]
    assert one(infohash)["hash"] == infohash
    run = invoke("qbit", "remove", infohash, "--delete-files", "--yes", "--json")
    assert run.exit_code == 0 and run.json()["count"] == 1
    assert infohash not in [t["hash"] for t in invoke("qbit", "list", "--json").json()]


def test_remove_all_needs_the_flag(qb_fresh, tmp_path):
    a, _ = added(tmp_path)
    b, _ = added(tmp_path)
    assert invoke("qbit", "remove", "--all", a).exit_code == 2
    run = invoke("qbit", "remove", "--all", "--json")
    assert run.exit_code == 0
    assert sorted(t["hash"] for t in run.json()["torrents"]) == sorted([a, b])
    assert invoke("qbit", "list", "--json").json() == []


def test_categories_and_set_category(qb, tmp_path):
    name = f"cat-{tmp_path.name[-6:]}"
    run = invoke("qbit", "category", "add", name, "--save-path", str(tmp_path / "c"), "--json")
    assert run.exit_code == 0, run.stderr
    assert invoke("qbit", "category", "add", name).exit_code == 6
    assert invoke("qbit", "category", "edit", name, "--save-path", str(tmp_path / "d")).exit_code == 0
    listed = {c["name"]: c for c in invoke("qbit", "category", "list", "--json").json()}
    assert listed[name]["save_path"].rstrip("/") == str(tmp_path / "d")
    infohash, _ = added(tmp_path)
    run = invoke("qbit", "set-category", name, infohash, "--json")
    assert run.exit_code == 0 and run.json()["count"] == 1
    assert [t["hash"] for t in invoke("qbit", "list", "--category", name, "--json").json()] == [infohash]
    assert invoke("qbit", "set-category", "no-such-category", infohash).exit_code == 5
    assert invoke("qbit", "category", "remove", name).exit_code == 0
    assert name not in {c["name"] for c in invoke("qbit", "category", "list", "--json").json()}
    assert invoke("qbit", "category", "remove", name).exit_code == 5


def test_tags_and_torrent_tags(qb, tmp_path):
    tag = f"t-{tmp_path.name[-6:]}"
    assert invoke("qbit", "tag", "add", tag).exit_code == 0
    assert tag in invoke("qbit", "tag", "list", "--json").json()
    infohash, _ = added(tmp_path)
    run = invoke("qbit", "torrent-tag", "add", f"{tag},other-{tag}", infohash, "--json")
    assert run.exit_code == 0 and run.json()["tags"] == [tag, f"other-{tag}"]
    assert sorted(one(infohash)["tags"]) == sorted([tag, f"other-{tag}"])
    assert invoke("qbit", "torrent-tag", "remove", f"other-{tag}", "--tag", tag).exit_code == 0
    assert one(infohash)["tags"] == [tag]
    assert invoke("qbit", "tag", "remove", tag).exit_code == 0
    assert tag not in invoke("qbit", "tag", "list", "--json").json()
    assert one(infohash)["tags"] == []


def test_export_writes_the_clients_torrent(qb, tmp_path):
    infohash, torrent = added(tmp_path)
    target = tmp_path / "exported.torrent"
    run = invoke("qbit", "export", infohash, "-o", target, "--json")
    assert run.exit_code == 0, run.stderr
    assert torrent_id(target.read_bytes())[0] == infohash
    assert run.json() == {"hash": infohash, "path": str(target), "size": target.stat().st_size}
    before = hashlib.sha256(target.read_bytes()).hexdigest()
    target.write_bytes(b"mine")
    assert invoke("qbit", "export", infohash, "-o", target).exit_code == 6
    assert target.read_bytes() == b"mine"
    assert invoke("qbit", "export", infohash, "-o", target, "--force").exit_code == 0
    assert hashlib.sha256(target.read_bytes()).hexdigest() == before


def test_tracker_list_and_replace(qb, tmp_path):
    old = "http://127.0.0.1:9/passkey-old0123/announce"
    new = "http://127.0.0.1:9/passkey-new4567/announce"
    infohash, _ = added(tmp_path, announce=old)
    other, _ = added(tmp_path)
    run = invoke("qbit", "tracker", "replace", "--old", old, "--new", new, infohash, other,
                 "--dry-run", "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json()["checked"] == 2
    assert [t["hash"] for t in run.json()["torrents"]] == [infohash]
    assert old in [t["url"] for t in invoke("qbit", "tracker", "list", infohash, "--json").json()]
    run = invoke("qbit", "tracker", "replace", "--old", old, "--new", new, "--json")
    assert run.exit_code == 0 and infohash in [t["hash"] for t in run.json()["torrents"]]
    urls = [t["url"] for t in invoke("qbit", "tracker", "list", infohash, "--json").json()]
    assert new in urls and old not in urls


def test_checking_filter(qb, tmp_path):
    infohash, _ = added(tmp_path)
    wait_for(infohash, lambda t: t["progress"] == 1)
    run = invoke("qbit", "list", "--filter", "checking", "--json")
    assert run.exit_code == 0
    assert infohash not in [t["hash"] for t in run.json()]


def test_service_methods_for_other_commands(qb, tmp_path):
    from mktint.core.factory import Factory

    client = Factory().service("qb", "qbittorrent")
    assert ".".join(map(str, client.webapi_version)) == qb.webapi_version
    assert client.default_save_path().rstrip("/") == str(qb.downloads)
    assert client.free_space() > 0
    torrent, infohash, folder = unique_torrent(tmp_path)
    results = client.add([(torrent.name, torrent.read_bytes())], save_path=str(folder), tags=["api"])
    assert [(r.infohash, r.status) for r in results] == [(infohash, "added")]
    assert client.torrents(hashes=[infohash])[0]["tags"] == ["api"]
    assert client.add([(torrent.name, torrent.read_bytes())])[0].status == "exists"


def test_content_layout_and_rename(qb, tmp_path):
    torrent, infohash, folder = unique_torrent(tmp_path)
    run = invoke("qbit", "add", torrent, "--save-path", folder, "--content-layout", "Subfolder",
                 "--rename", "Renamed Book", "--stopped", "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json()[0]["name"] == "Renamed Book"
    files = invoke("qbit", "info", infohash, "--json").json()["files"]
    assert files[0]["name"] == f"{folder.name}/{folder.name}"  # Subfolder: one file gets a folder
    assert invoke("qbit", "add", torrent, torrent, "--rename", "x").exit_code == 2


def test_add_magnet_link(qb):
    infohash = hashlib.sha1(b"mktint magnet test").hexdigest()
    run = invoke("qbit", "add", f"magnet:?xt=urn:btih:{infohash}&dn=magnet-book", "--stopped", "--json")
    assert run.exit_code == 0, run.stderr
    assert [(r["infohash"], r["status"]) for r in run.json()] == [(infohash, "added")]
    assert invoke("qbit", "remove", infohash).exit_code == 0
