"""Every `mktint red` command, live against the Gazelle emulator, for RED and OPS."""

import pytest

from tests.emulators import bencode
from tests.gazelle.conftest import KEYS, PASSKEY
from tests.support.cli import invoke

TITLE = "Tom O'Brien & Co - The \"Big\" <Book>"


def upload_args(flavour, path, *extra):
    bitrate = ["--bitrate", "64"] if flavour == "ops" else ["--bitrate", "Other", "--other-bitrate", "64"]
    return ["red", "upload", str(path), "-s", flavour, "--title", "Jane Doe - A Quiet Book",
            "--year", "2021", "--format", "MP3", *bitrate, "--tags", "fiction,audiobook",
            "--description", "A quiet book, read aloud.", "--yes", *extra]


def write_torrent(tmp_path, flavour, name="Jane Doe - A Quiet Book", **kwargs):
    kwargs.setdefault("source", flavour.upper())
    path = tmp_path / "book.torrent"
    path.write_bytes(bencode.make_torrent(name, [(["01.mp3"], 5000), (["02.mp3"], 7000)], **kwargs))
    return path


def test_whoami_shows_the_account_and_stores_the_passkey(site, flavour):
    run = invoke("red", "whoami", "-s", flavour, "--json")
    assert run.exit_code == 0, run.stderr
    data = run.json()
    assert data == {"service": flavour, "flavour": flavour, "username": "tester", "user_id": 4242,
                    "user_class": "Power User", "ratio": 52.63, "required_ratio": 0.6,
                    "uploaded": 123456789012, "downloaded": 2345678901, "passkey_stored": True}
    assert PASSKEY not in run.stdout + run.stderr
    from mktint.core.credentials import Credentials

    assert Credentials().get(flavour, "PASSKEY") == PASSKEY
    human = invoke("red", "whoami", "-s", flavour)
    assert "username\ttester" in human.stdout and PASSKEY not in human.stdout


def test_auth_header_form_per_flavour_and_bad_key_exits_4(site, flavour, monkeypatch):
    monkeypatch.setenv(f"MKTINT_{flavour.upper()}_API_KEY", "wrong-key-1234")
    run = invoke("red", "whoami", "-s", flavour, "--json")
    assert run.exit_code == 4
    assert run.error_json()["code"] == "auth"
    assert "wrong-key-1234" not in run.stderr
    # The key went in the Authorization header only, never in the URL.
    assert site.requests[-1].status == (200 if flavour == "ops" else 401)


def test_search_unescapes_every_string(site, flavour):
    seeded = site.seed(TITLE, [(["01.mp3"], 5000)])
    run = invoke("red", "search", "big book", "-s", flavour, "--category", "audiobooks", "--json")
    assert run.exit_code == 0, run.stderr
    data = run.json()
    assert len(data) == 1
    row = data[0]
    assert row["name"] == TITLE
    assert row["torrent_id"] == seeded["torrent_id"] and row["group_id"] == seeded["group_id"]
    assert row["size"] == 5000 and row["category"] == "Audiobooks"
    assert row["url"].endswith(f"torrents.php?id={seeded['group_id']}&torrentid={seeded['torrent_id']}")
    assert invoke("red", "search", "nothing", "-s", flavour, "--json").json() == []
    bad = invoke("red", "search", "x", "-s", flavour, "--category", "films")
    assert bad.exit_code == 2 and "audiobooks" in bad.stderr


def test_group_and_torrent_by_id_and_hash(site, flavour):
    seeded = site.seed(TITLE, [(["Disc 1", "01.mp3"], 5000), (["02.mp3"], 70)])
    group = invoke("red", "group", str(seeded["group_id"]), "-s", flavour, "--json").json()
    assert group["name"] == TITLE and group["category"] == "Audiobooks"
    assert group["description"] == f"About {TITLE}: a long description."
    assert [t["infohash"] for t in group["torrents"]] == [seeded["infohash"]]

    by_id = invoke("red", "torrent", str(seeded["torrent_id"]), "-s", flavour, "--json").json()
    assert by_id["infohash"] == seeded["infohash"]
    assert by_id["description"] == "Ripped & tagged <carefully>."
    assert by_id["files"] == [{"path": "Disc 1/01.mp3", "size": 5000}, {"path": "02.mp3", "size": 70}]
    assert by_id["file_path"] == TITLE and by_id["time"].endswith("+00:00")
    by_hash = invoke("red", "torrent", "--hash", seeded["infohash"], "-s", flavour, "--json")
    assert by_hash.json() == by_id
    # The hash travels upper case.
    assert f"hash={seeded['infohash'].upper()}" in site.request_paths[-1]

    missing = invoke("red", "torrent", "--hash", "0" * 40, "-s", flavour, "--json")
    assert missing.exit_code == 5 and missing.error_json()["code"] == "not_found"
    assert invoke("red", "torrent", "-s", flavour).exit_code == 2
    assert invoke("red", "torrent", "--hash", "xyz", "-s", flavour).exit_code == 2


def test_download_writes_the_sites_torrent_atomically(site, flavour, tmp_path):
    seeded = site.seed(TITLE, [(["01.mp3"], 5000)])
    target = tmp_path / "out.torrent"
    run = invoke("red", "download", str(seeded["torrent_id"]), "-s", flavour, "-o", target, "--json")
    assert run.exit_code == 0, run.stderr
    data = target.read_bytes()
    assert bencode.infohash(data) == seeded["infohash"]
    assert PASSKEY.encode() in data and PASSKEY not in run.stdout
    assert run.json() == {"torrent_id": seeded["torrent_id"], "path": str(target), "size": len(data)}
    again = invoke("red", "download", str(seeded["torrent_id"]), "-s", flavour, "-o", target)
    assert again.exit_code == 6 and "--force" in again.stderr
    assert invoke("red", "download", str(seeded["torrent_id"]), "-s", flavour, "-o", target,
                  "--force").exit_code == 0
    missing = invoke("red", "download", "999999", "-s", flavour, "-o", tmp_path / "x.torrent")
    assert missing.exit_code == 5 and not (tmp_path / "x.torrent").exists()


@pytest.mark.parametrize("flavour", ["red"])  # OPS: test_ops_dry_run_sends_no_upload_at_all
def test_upload_dry_run_sends_dryrun_to_red_and_uploads_nothing(site, flavour, tmp_path):
    path = write_torrent(tmp_path, flavour)
    dry = invoke(*upload_args(flavour, path, "--dry-run", "--json"))
    assert dry.exit_code == 0, dry.stderr
    result = dry.json()
    assert result["dry_run"] is True and result["derived"]["dryrun"] is True
    assert result["server_checked"] is True
    assert result["torrent_id"] is None and result["seed_file"] is None
    assert site.torrents == {} and site.uploads == []
    form_sent = site.last_upload_body
    assert b'name="dryrun"' in form_sent and b'name="file_input"; filename="book.torrent"' in form_sent
    assert KEYS[flavour].encode() not in form_sent and b'name="vbr"' not in form_sent


@pytest.mark.parametrize("flavour", ["ops"])
def test_ops_dry_run_sends_no_upload_at_all(site, flavour, tmp_path):
    """OPS's upload handler never reads dryrun: a dry run must not send the form (#18)."""
    path = write_torrent(tmp_path, flavour)
    dry = invoke(*upload_args(flavour, path, "--dry-run", "--json"))
    assert dry.exit_code == 0, dry.stderr
    result = dry.json()
    assert result["dry_run"] is True and result["server_checked"] is False
    assert result["derived"]["title"] == "Jane Doe - A Quiet Book"  # the form that would go
    assert site.uploads == [] and site.torrents == {}
    assert [r.action for r in site.requests].count("upload") == 0
    human = invoke(*upload_args(flavour, path, "--dry-run"))
    assert human.exit_code == 0 and "the site was not asked" in human.stderr + human.stdout
    assert [r.action for r in site.requests].count("upload") == 0


def test_upload_then_duplicate(site, flavour, tmp_path):
    path = write_torrent(tmp_path, flavour)
    local = bencode.infohash(path.read_bytes())
    run = invoke(*upload_args(flavour, path, "--json"))
    assert run.exit_code == 0, run.stderr
    result = run.json()
    (torrent_id, stored), = site.torrents.items()
    assert result["torrent_id"] == torrent_id and result["group_id"] == stored["group_id"]
    assert result["infohash"] == local and result["dry_run"] is False
    assert result["url"] == f"{site.url}/torrents.php?id={stored['group_id']}&torrentid={torrent_id}"
    assert result["seed_file"] == str(path) and result["rewritten"] is False
    assert site.uploads[0]["title"] == "Jane Doe - A Quiet Book"
    if flavour == "red":
        assert site.uploads[0]["bitrate"] == "Other" and site.uploads[0]["other_bitrate"] == "64"

    dupe = invoke(*upload_args(flavour, path, "--json"))
    assert dupe.exit_code == 6 and result["url"] in dupe.stderr
    assert len(site.uploads) == 1
    assert [r.action for r in site.requests[-1:]] == ["torrent"]  # looked up, never posted


def test_a_duplicate_once_rewritten_by_the_site_exits_6_before_uploading(site, flavour, tmp_path):
    # A torrent that only differs in an info key the site strips: the local infohash is
    # unknown to the site, but the one the site would give it is a duplicate — found by
    # the duplicate check, so nothing is posted.
    first = write_torrent(tmp_path, flavour)
    assert invoke(*upload_args(flavour, first)).exit_code == 0
    second = tmp_path / "second.torrent"
    second.write_bytes(bencode.make_torrent("Jane Doe - A Quiet Book",
                                            [(["01.mp3"], 5000), (["02.mp3"], 7000)],
                                            source=flavour.upper(), extra={"x-cross-seed": "1"}))
    run = invoke(*upload_args(flavour, second, "--json"))
    assert run.exit_code == 6
    assert "already has this torrent" in run.error_json()["message"]
    assert [r.action for r in site.requests].count("upload") == 1
    assert len(site.torrents) == 1


def test_rewritten_torrent_saves_the_sites_copy_to_seed(site, flavour, tmp_path):
    path = write_torrent(tmp_path, flavour, extra={"x-unknown": "strip me"})
    run = invoke(*upload_args(flavour, path, "--json"))
    assert run.exit_code == 0, run.stderr
    result = run.json()
    seed = tmp_path / f"book.{flavour}.site.torrent"  # one naming rule with publish
    assert result["rewritten"] is True and result["seed_file"] == str(seed)
    (stored,) = site.torrents.values()
    assert result["infohash"] == stored["infohash"].lower() != result["local_infohash"]
    assert bencode.infohash(seed.read_bytes()) == result["infohash"]
    human = invoke("red", "torrent", str(result["torrent_id"]), "-s", flavour)
    assert human.exit_code == 0


def test_upload_of_something_that_is_not_a_torrent_exits_2(site, flavour, tmp_path):
    path = tmp_path / "notes.torrent"
    path.write_bytes(b"hello")
    run = invoke(*upload_args(flavour, path))
    assert run.exit_code == 2 and "notes.torrent" in run.stderr
    assert site.requests == []


def test_upload_preflight_fails_before_any_request(site, flavour, tmp_path):
    path = write_torrent(tmp_path, flavour, private=False)
    bad_flag = invoke(*upload_args(flavour, path, "--format", "OGG", "--json"))
    assert bad_flag.exit_code == 2
    message = bad_flag.error_json()["message"]
    assert "--format" in message and "MP3, FLAC" in message and "private" in message
    bad_torrent = invoke(*upload_args(flavour, path))
    assert bad_torrent.exit_code == 1 and "info.private" in bad_torrent.stderr
    assert site.requests == []


def test_upload_description_files_and_conflicting_flags(site, flavour, tmp_path):
    path = write_torrent(tmp_path, flavour)
    desc = tmp_path / "desc.txt"
    desc.write_text("[b]Long[/b] description from a file.\n")
    args = [a for a in upload_args(flavour, path, "--dry-run") if a != "--description"]
    args.remove("A quiet book, read aloud.")
    run = invoke(*args, "--description-file", desc, "--release-desc", "Ripped from CD.", "--json")
    assert run.exit_code == 0, run.stderr
    if flavour == "red":  # the site was asked (dryrun=1)
        assert b"[b]Long[/b] description from a file." in site.last_upload_body
    else:  # OPS has no dry run: the form is only shown
        assert run.json()["derived"]["album_desc"].strip() == "[b]Long[/b] description from a file."
    both = invoke(*args, "--description-file", desc, "--description", "also this one")
    assert both.exit_code == 2 and "not both" in both.stderr


def test_upload_without_yes_and_without_a_terminal_refuses(site, flavour, tmp_path):
    path = write_torrent(tmp_path, flavour)
    args = [a for a in upload_args(flavour, path) if a != "--yes"]
    run = invoke(*args)
    assert run.exit_code == 2 and "--yes" in run.stderr
    assert site.uploads == []


def test_source_rewritten_by_the_site_means_seeding_its_copy(site, flavour, tmp_path, config_file):
    # A service configured with a source the site does not use: the site answers
    # source:false and hands out a rewritten torrent.
    config_file(f'[services.{flavour}]\nurl = "{site.url}"\nsource = "OLD"\n')
    path = write_torrent(tmp_path, flavour, source="OLD")
    run = invoke(*upload_args(flavour, path, "--json"))
    assert run.exit_code == 0, run.stderr
    result = run.json()
    assert result["rewritten"] is True and result["infohash"] != result["local_infohash"]
    seed = tmp_path / f"book.{flavour}.site.torrent"  # one naming rule with publish
    assert result["seed_file"] == str(seed)
    assert bencode.decode(seed.read_bytes())[b"info"][b"source"] == flavour.upper().encode()
