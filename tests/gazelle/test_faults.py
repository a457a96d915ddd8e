"""Never upload twice: lost answers, timeouts, rate limits — against the emulator."""

import pytest

from tests.emulators import bencode
from tests.gazelle.conftest import KEYS
from tests.gazelle.test_cli import upload_args, write_torrent
from tests.support.cli import invoke, second_run_stops_while_the_first_uploads


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
        base_url, source = "https://site/", "RED"

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


# -- #21: a lost answer is looked up by what the site stores; one upload at a time ------------

def test_an_html_answer_to_an_upload_is_looked_up_like_a_lost_answer(site, flavour, tmp_path):
    path = write_torrent(tmp_path, flavour)
    site.html_next_upload = True
    run = invoke(*upload_args(flavour, path, "--json"))
    assert run.exit_code == 0, run.stderr
    assert run.json()["recovered"] is True and len(site.torrents) == 1
    assert len(uploads_posted(site)) == 1


def test_a_rewritten_torrent_is_found_after_a_lost_answer(site, flavour, tmp_path):
    """The site drops an unknown info key (a new infohash); the answer is lost: recovery
    looks up the infohash the site gives it, finds it, and saves the site's copy."""
    path = write_torrent(tmp_path, flavour, extra={"x-unknown": "dropped by the site"})
    site.drop_next_upload = "stored"
    run = invoke(*upload_args(flavour, path, "--json"))
    assert run.exit_code == 0, run.stderr
    result = run.json()
    assert result["recovered"] is True and result["rewritten"] is True
    [stored] = site.torrents.values()
    assert result["infohash"] == stored["infohash"].lower() != result["local_infohash"]
    assert result["seed_file"].endswith(f".{flavour}.site.torrent")
    again = invoke(*upload_args(flavour, path))
    assert len(uploads_posted(site)) == 1 and again.exit_code != 0


def test_a_lookalike_on_the_site_is_never_called_safe(site, flavour, tmp_path):
    """Not found by infohash, but the site has a torrent of the same title and size that
    mktint cannot match: the outcome is unknown, and a rerun is not called safe."""
    site.seed("Jane Doe - A Quiet Book", [(["whole.mp3"], 12000)])
    path = write_torrent(tmp_path, flavour)  # 5000 + 7000 bytes, another infohash
    site.drop_next_upload = "lost"
    run = invoke(*upload_args(flavour, path, "--json"))
    assert run.exit_code == 7
    error = run.error_json()
    assert "outcome is unknown" in error["message"] and "same title and size" in error["message"]
    assert "safe" not in error["hint"] and "do NOT upload again" in error["hint"]


def test_two_uploads_of_one_torrent_at_once_send_one(site, flavour, tmp_path):
    """Two `red upload` processes at once: the second stops with "another mktint is
    publishing this" (exit 1) while the first holds the lock, and never uploads."""
    path = write_torrent(tmp_path, flavour)
    site.hang_next_upload = 4.0  # the first upload is answered late
    args = upload_args(flavour, path)
    second_run_stops_while_the_first_uploads(args, args, lambda: uploads_posted(site))
    assert len(uploads_posted(site)) == 1 and len(site.torrents) == 1
    third = invoke(*upload_args(flavour, path))
    assert third.exit_code == 6  # afterwards: the duplicate check


def test_two_names_for_one_site_share_one_upload_lock(site, flavour, tmp_path, config_file,
                                                      monkeypatch, isolated_home):
    """The upload lock is the site's (scheme, host, port: the rate limiter's ``site_key``),
    not a service name's or a URL spelling's: a second `red upload` of the torrent through
    another name for the site, spelled with a user and password, stops with "another mktint
    is publishing this" while the first holds the lock; no lock file is named after the
    password."""
    alt = f"{flavour}-alt"
    spelled = site.url.replace("http://", "http://mktint:Lockpass99@")
    config_file(f'[services.{flavour}]\nurl = "{site.url}"\n'
                f'[services.{alt}]\nkind = "gazelle"\nflavour = "{flavour}"\nurl = "{spelled}/"\n')
    monkeypatch.setenv(f"MKTINT_{flavour.upper()}_ALT_API_KEY", KEYS[flavour])
    path = write_torrent(tmp_path, flavour)
    site.hang_next_upload = 4.0  # the first upload is answered late

    def args(service):
        args = upload_args(flavour, path)
        args[args.index("-s") + 1] = service
        return args

    second_run_stops_while_the_first_uploads(args(flavour), args(alt), lambda: uploads_posted(site))
    assert len(uploads_posted(site)) == 1 and len(site.torrents) == 1
    locks = [p.name for p in isolated_home.rglob("*.lock")]
    assert any(name.startswith("upload-") for name in locks), locks
    assert not any("Lockpass99" in name for name in locks), locks
