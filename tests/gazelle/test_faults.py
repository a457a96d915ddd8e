"""Never upload twice: lost answers, timeouts, rate limits — against the emulator."""

import pytest

from tests.emulators import bencode
from tests.gazelle.test_cli import upload_args, write_torrent
from tests.support.cli import invoke


def uploads_posted(site):
    """Upload requests as they arrived (answered or not)."""
    return [p for p in site.request_paths if "action=upload" in p]


def test_connection_dropped_after_the_body_ends_with_exactly_one_torrent(site, flavour, tmp_path):
    path = write_torrent(tmp_path, flavour)
    site.drop_next_upload = "stored"
    run = invoke(*upload_args(flavour, path, "--json"))
    assert run.exit_code == 0, run.stderr
    result = run.json()
    assert result["recovered"] is True
    (torrent_id, stored), = site.torrents.items()
    assert result["torrent_id"] == torrent_id and result["group_id"] == stored["group_id"]
    assert result["infohash"] == bencode.infohash(path.read_bytes())
    assert "answer was lost" in run.stderr
    assert len(uploads_posted(site)) == 1 and len(site.uploads) == 1
    # Running it again finds the torrent instead of uploading it again.
    again = invoke(*upload_args(flavour, path))
    assert again.exit_code == 6 and len(site.torrents) == 1 and len(uploads_posted(site)) == 1


def test_connection_dropped_and_nothing_landed_says_what_to_do(site, flavour, tmp_path):
    path = write_torrent(tmp_path, flavour)
    site.drop_next_upload = "lost"
    run = invoke(*upload_args(flavour, path, "--json"))
    assert run.exit_code == 7
    error = run.error_json()
    assert "not on" in error["message"] and "mktint red torrent" in error["hint"] and "--hash" in error["hint"]
    assert site.torrents == {} and len(uploads_posted(site)) == 1


def test_timeout_after_the_upload_looks_the_infohash_up(site, flavour, tmp_path, config_file):
    config_file(f'[services.{flavour}]\nurl = "{site.url}"\ntimeout = 0.5\n')
    path = write_torrent(tmp_path, flavour)
    site.hang_next_upload = 1.5
    run = invoke(*upload_args(flavour, path, "--json"))
    assert run.exit_code == 0, run.stderr
    assert run.json()["recovered"] is True
    assert len(site.torrents) == 1 and len(uploads_posted(site)) == 1


def test_rate_limited_upload_is_not_retried(site, flavour, tmp_path):
    path = write_torrent(tmp_path, flavour)
    site.throttle_next["upload"] = 1
    run = invoke(*upload_args(flavour, path, "--json"))
    assert run.exit_code == 7
    assert run.error_json()["code"] == "rate_limited"
    assert len(uploads_posted(site)) == 1 and site.torrents == {}


@pytest.mark.parametrize("flavour", ["red"])
def test_red_429_on_a_read_is_retried_after_retry_after(site):
    site.throttle_next["index"] = 1
    run = invoke("red", "whoami", "--json")
    assert run.exit_code == 0, run.stderr
    assert [r.status for r in site.requests] == [429, 200]


@pytest.mark.parametrize("flavour", ["ops"])
def test_ops_rate_limit_failure_with_http_200_exits_7(site):
    site.throttle_next["index"] = 1
    run = invoke("red", "whoami", "-s", "ops", "--json")
    assert run.exit_code == 7
    assert run.error_json()["code"] == "rate_limited"
    assert [r.status for r in site.requests] == [200]
