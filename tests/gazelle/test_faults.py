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


def test_after_a_successful_upload_later_failures_are_warnings_not_errors():
    """The torrent is on the site: failing to compare or download must not hide that."""
    from mktint.core.errors import TemporaryError
    from mktint.core.sites import FLAVOURS, Site
    from mktint.services.gazelle import UploadAnswer
    from mktint.workflows.gazelle_upload import UploadFields, upload

    class FlakyAfterUpload:
        name, flavour_info, site = "red", FLAVOURS["red"], Site.builtin("red")

        def find_by_infohash(self, infohash):
            return None

        def upload(self, form, torrent, filename, progress=None):
            return UploadAnswer.parse({"torrentid": 5, "groupid": 6, "private": False,
                                       "source": True})

        def torrent_url(self, torrent_id, group_id=None):
            return f"https://site/torrents.php?id={group_id}&torrentid={torrent_id}"

        def torrent(self, id=None, hash=None):
            raise TemporaryError("site busy")

        def download(self, torrent_id):
            raise TemporaryError("site busy")

    data = bencode.make_torrent("A - B", [(["01.mp3"], 10)], source="RED")
    fields = UploadFields(title="A - B", year=2020, format="MP3", bitrate="320", tags=["x.y"],
                          description="long enough text")
    outcome = upload(FlakyAfterUpload(), data, fields)
    assert (outcome.torrent_id, outcome.group_id) == (5, 6)
    assert outcome.rewritten is True and outcome.site_torrent is None
    assert len(outcome.warnings) == 2 and "mktint red download 5" in outcome.warnings[1]
