"""`mktint publish` end to end: the Gazelle, Audnexus and MAM emulators, a live
qbittorrent-nox, real MP3s; failures at each step and the resumes that follow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mktint.core import paths
from tests.emulators.audnexus import HAIL_MARY
from tests.publish.conftest import RED_PASSKEY
from tests.qbit.helpers import wait_for
from tests.support.cli import invoke, second_run_stops_while_the_first_uploads


def publish(book, *extra):
    return invoke("publish", book, "--to", "red", "--to", "mam", "--yes", "--json", *extra)


def journal_files():
    folder = paths.state_dir() / "publish"
    return sorted(folder.glob("*.json")) if folder.exists() else []


def count_hashing(monkeypatch):
    """Count hashing passes (calls of the torrent engine's create)."""
    from mktint.torrent import create as engine

    calls = []
    real = engine.create

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "create", counted)
    return calls


def in_client(world, infohash):
    client = world.client()
    try:
        return client.torrents(hashes=[infohash])
    finally:
        client.close()


def test_publish_to_red_and_mam(world, book, tmp_path, monkeypatch):
    hashing = count_hashing(monkeypatch)
    out = tmp_path / "out"
    run = publish(book, "-o", out)
    assert run.exit_code == 0, run.stderr
    assert len(hashing) == 1  # one pass for both targets
    result = run.json()
    red, mam = result["targets"]
    assert set(red) == {"name", "torrent", "infohash", "upload", "bundle", "client"}
    assert result["dry_run"] is False and result["journal"] == str(journal_files()[0])

    # metadata: Audnexus by the ASIN in the folder name; format/bitrate from the MP3s
    assert [r["path"] for r in world.audnexus.log] == [f"/books/{HAIL_MARY}"]
    [form] = world.red.uploads
    assert form["title"] == "Andy Weir - Project Hail Mary" and form["year"] == "2021"
    assert (form["format"], form["bitrate"], form["other_bitrate"]) == ("MP3", "Other", "64")
    assert form["tags"] == "science.fiction.fantasy,science.fiction,hard.science.fiction"
    assert red["upload"]["torrent_id"] == 1001 and red["upload"]["url"].endswith("torrentid=1001")
    assert red["torrent"] == str(out / f"{book.name}.red.torrent")
    assert (Path(red["torrent"]).stat().st_mode & 0o777) == 0o600  # its announce has the passkey

    # seeding on RED: added started, save path the folder's parent, client category/tags
    [seeding] = in_client(world, red["infohash"])
    assert seeding["save_path"].rstrip("/") == str(book.parent)
    assert seeding["category"] == "audiobooks" and "mktint" in seeding["tags"]
    settled = wait_for(red["infohash"], lambda t: not t["state"].startswith("checking"))
    assert settled["state"] in ("stalledUP", "uploading", "queuedUP")  # seeding, no recheck
    assert red["client"]["status"] == "added" and red["client"]["stopped"] is False

    # MAM: the bundle (nothing sent to MAM), the torrent added stopped with mam-pending
    assert world.mam.requests == []
    bundle = out / f"{book.name}.mam-upload"
    assert mam["torrent"] == str(bundle / f"{book.name}.torrent")
    assert "Ryland Grace" in (bundle / "description.txt").read_text()
    assert mam["infohash"] in (bundle / "UPLOAD.txt").read_text()
    [waiting] = in_client(world, mam["infohash"])
    assert "mam-pending" in waiting["tags"]
    assert wait_for(mam["infohash"], lambda t: t["state"].startswith("stopped"))["state"] == "stoppedUP"
    assert mam["client"]["stopped"] is True and mam["upload"] is None

    # a rerun has nothing left to do: no upload, no hashing, the same summary
    again = publish(book, "-o", out)
    assert again.exit_code == 0, again.stderr
    assert len(world.red.uploads) == 1 and len(hashing) == 1
    assert again.json() == result
    assert RED_PASSKEY not in run.stdout + run.stderr + again.stdout + again.stderr


def test_a_torrent_the_site_rewrote_is_seeded_from_the_sites_copy(world, book, config_file):
    # A source the site does not use: the site rewrites the torrent (another infohash).
    config_file(world.config.read_text().replace("[services.red]\n", '[services.red]\nsource = "OLD"\n'))
    run = invoke("publish", book, "--to", "red", "--yes", "--json")
    assert run.exit_code == 0, run.stderr
    [red] = run.json()["targets"]
    upload = red["upload"]
    assert upload["rewritten"] is True and red["infohash"] == upload["infohash"] != upload["local_infohash"]
    assert red["torrent"].endswith(".red.site.torrent") and Path(red["torrent"]).exists()
    assert red["client"]["infohash"] == red["infohash"]
    assert in_client(world, red["infohash"]) and in_client(world, upload["local_infohash"]) == []


def publish_with_upload(book, wrap):
    """Publish to red through the workflow, the red tracker's upload wrapped by ``wrap`` —
    a tracker injected through the factory, no module patched."""
    from mktint.core.factory import Factory
    from mktint.workflows.publish import PublishRequest, publish as run_publish
    from mktint.workflows.trackers.gazelle import GazelleTracker

    class Wrapped(GazelleTracker):
        def upload(self, *args, **kwargs):
            return wrap(super().upload, *args, **kwargs)

    factory = Factory()
    factory.provide("red", tracker=Wrapped(factory, factory.service_config("red")))
    try:
        return run_publish(factory, PublishRequest(path=book, targets=["red"]))
    finally:
        factory.close()


def test_client_down_after_the_upload_exits_7_and_a_rerun_completes_without_a_second_upload(
        world_own_client, book):
    from mktint.core.errors import TemporaryError

    world = world_own_client

    def upload_then_client_dies(upload, *args, **kwargs):
        outcome = upload(*args, **kwargs)
        world.qbit.stop()
        return outcome

    with pytest.raises(TemporaryError) as stopped:  # exit 7
        publish_with_upload(book, upload_then_client_dies)
    [journal] = journal_files()
    assert "publish stopped at step client:red" in stopped.value.message
    assert str(journal) in stopped.value.hint
    assert len(world.red.uploads) == 1

    world.qbit.start()
    again = invoke("publish", book, "--to", "red", "--yes", "--json")
    assert again.exit_code == 0, again.stderr
    assert len(world.red.uploads) == 1  # the upload was not repeated
    [red] = again.json()["targets"]
    assert red["client"]["status"] == "added" and in_client(world, red["infohash"])


def test_a_crash_between_hashing_and_upload_resumes_without_hashing_again(world, book, monkeypatch):
    hashing = count_hashing(monkeypatch)

    def crash(upload, *args, **kwargs):
        raise RuntimeError("simulated crash before the request")

    with pytest.raises(RuntimeError, match="simulated crash"):
        publish_with_upload(book, crash)
    [path] = journal_files()
    steps = json.loads(path.read_text())["steps"]
    assert steps["torrents"]["status"] == "done" and steps["upload:red"]["status"] == "started"
    assert world.red.uploads == []

    again = invoke("publish", book, "--to", "red", "--yes", "--json", "--tags", "changed.later")
    assert again.exit_code == 0, again.stderr
    assert len(hashing) == 1 and len(world.red.uploads) == 1
    assert "flags of this run are ignored" in again.stderr  # the torrents exist already
    assert world.red.uploads[0]["tags"] == "science.fiction.fantasy,science.fiction,hard.science.fiction"
    assert "the last run was cut off" in again.stderr
    [red] = again.json()["targets"]
    assert red["upload"]["recovered"] is False and red["client"]["status"] == "added"


def crash_after_the_site_stored_it(upload, *args, **kwargs):
    upload(*args, **kwargs)
    raise RuntimeError("simulated crash after the upload")


def test_resume_after_upload_started_finds_the_torrent_on_the_site(world, book):
    with pytest.raises(RuntimeError):
        publish_with_upload(book, crash_after_the_site_stored_it)
    assert len(world.red.uploads) == 1

    again = invoke("publish", book, "--to", "red", "--yes", "--json")
    assert again.exit_code == 0, again.stderr
    assert len(world.red.uploads) == 1  # found by infohash: no second upload
    assert "it had landed" in again.stderr
    [red] = again.json()["targets"]
    assert red["upload"]["recovered"] is True and red["upload"]["torrent_id"] == 1001
    assert in_client(world, red["infohash"])


def crash_after_a_rewritten_upload(world, book, config_file):
    """Publish with a source the site does not use (it rewrites the torrent: another
    infohash), cut off after the site stored it; the config as it was is returned."""
    good = world.config.read_text()
    config_file(good.replace("[services.red]\n", '[services.red]\nsource = "OLD"\n'))

    with pytest.raises(RuntimeError):
        publish_with_upload(book, crash_after_the_site_stored_it)
    assert len(world.red.uploads) == 1
    return good


def test_resume_after_an_upload_the_site_rewrote_finds_and_seeds_the_sites_copy(
        world, book, config_file):
    """Cut off after the upload was sent, the site having rewritten the torrent (the
    configured source was wrong, and is fixed before the rerun): the rerun finds it by the
    site's infohash (the same look-up as a lost answer), records it and seeds the site's
    copy, with no second upload and no duplicate stop (it was exit 6)."""
    config_file(crash_after_a_rewritten_upload(world, book, config_file))
    again = invoke("publish", book, "--to", "red", "--yes", "--json")
    assert again.exit_code == 0, again.stderr
    assert [p for p in world.red.request_paths if "action=upload" in p] == ["/ajax.php?action=upload"]
    assert "it had landed" in again.stderr
    [red] = again.json()["targets"]
    upload = red["upload"]
    assert upload["recovered"] is True and upload["rewritten"] is True
    assert red["infohash"] == upload["infohash"] != upload["local_infohash"]
    assert red["torrent"].endswith(".red.site.torrent") and Path(red["torrent"]).exists()
    assert in_client(world, red["infohash"]) and in_client(world, upload["local_infohash"]) == []
    # The journal holds it: a third run is done before, and uploads nothing.
    third = invoke("publish", book, "--to", "red", "--yes", "--json")
    assert third.exit_code == 0, third.stderr
    assert len(world.red.uploads) == 1


def test_resume_after_an_unpredictable_rewrite_stops_at_the_lookalike(world, book, config_file):
    """The same, the config unchanged: no infohash finds the site's torrent, but one of the
    same title and size is there — the rerun stops (exit 7, "do NOT upload again") and
    never uploads a second time."""
    crash_after_a_rewritten_upload(world, book, config_file)
    again = invoke("publish", book, "--to", "red", "--yes")
    assert again.exit_code == 7, again.stderr
    assert "same title and size" in again.stderr and "do NOT upload again" in again.stderr
    assert [p for p in world.red.request_paths if "action=upload" in p] == ["/ajax.php?action=upload"]


def test_dry_run_checks_everything_and_leaves_no_trace(world, book, monkeypatch):
    run = publish(book, "--dry-run")
    assert run.exit_code == 0, run.stderr
    result = run.json()
    assert result["dry_run"] is True and result["journal"] is None
    red, mam = result["targets"]
    assert red["upload"]["dry_run"] is True and red["upload"]["derived"]["dryrun"] is True
    assert red["torrent"] is None and red["client"] is None and len(red["infohash"]) == 40
    assert mam["bundle"] is None and mam["client"] is None
    assert world.red.uploads == []
    assert [r.action for r in world.red.requests].count("upload") == 1  # the dryrun=1 request
    assert journal_files() == [] and not (paths.state_dir() / "publish").exists()
    assert in_client(world, red["infohash"]) == [] and in_client(world, mam["infohash"]) == []
    assert not list(book.parent.glob("*.torrent"))


def test_preflight_reports_every_problem_before_hashing(world, book, config_file, monkeypatch):
    from tests.support.httpserver import free_port

    hashing = count_hashing(monkeypatch)
    config_file("".join(line for line in world.config.read_text().splitlines(keepends=True)
                        if not line.startswith("announce"))
                .replace(world.qbit.url, f"http://127.0.0.1:{free_port()}"))
    monkeypatch.delenv("MKTINT_RED_API_KEY")
    (book / ("x" * 200 + ".mp3")).write_bytes(b"\0")
    run = invoke("publish", book, "--to", "red", "--to", "mam", "--tags", "Not A Tag", "--yes")
    assert run.exit_code == 2, run.stderr  # a bad flag outranks the rest
    for expected in ("red: --tags: tags use lower-case", "red: no API key stored",
                     "red: path counts 252 characters, more than 180",
                     "mam: no announce URL configured", "client qb:",
                     "data: audio: 1 of 3 audio files cannot be read"):  # the 1-byte .mp3
        assert expected in run.stderr, run.stderr
    assert "cannot publish, 6 problems (nothing was hashed or uploaded)" in run.stderr
    assert hashing == [] and world.red.requests == []
    assert journal_files() == [] and "journal" not in run.stderr  # nothing to resume


def test_a_client_that_is_down_before_anything_starts_exits_7_with_nothing_done(
        world_own_client, book, monkeypatch):
    hashing = count_hashing(monkeypatch)
    world_own_client.qbit.stop()
    run = invoke("publish", book, "--to", "red", "--yes")
    assert run.exit_code == 7, run.stderr
    assert "client qb: cannot reach qb" in run.stderr and "1 problem " in run.stderr
    assert hashing == [] and world_own_client.red.uploads == [] and journal_files() == []


def test_mam_only_without_an_asin_needs_no_metadata(world, book, tmp_path):
    plain = book.rename(book.with_name("Some Book"))
    run = invoke("publish", plain, "--to", "mam", "--yes", "--json", "-o", tmp_path / "out")
    assert run.exit_code == 0, run.stderr
    [mam] = run.json()["targets"]
    assert world.audnexus.log == [] and world.mam.requests == [] and world.red.requests == []
    assert mam["bundle"]["description"] is None and mam["bundle"]["asin"] is None
    assert "mktint mam prepare --asin" in Path(mam["bundle"]["instructions"]).read_text()
    assert mam["client"]["stopped"] is True and in_client(world, mam["infohash"])


def test_an_unknown_asin_from_the_folder_name_is_a_warning_given_by_flag_an_error(world, book):
    folder = book.rename(book.with_name("Jane Doe - A Quiet Book {ASIN.B0UNKNOWN1}"))
    flags = ["--title", "Jane Doe - A Quiet Book", "--year", "2020", "--tags", "fiction",
             "--description", "A quiet book, read aloud."]
    run = invoke("publish", folder, "--to", "red", "--dry-run", "--json", *flags)
    assert run.exit_code == 0, run.stderr
    assert "the ASIN B0UNKNOWN1 in the folder name" in run.stderr
    assert run.json()["targets"][0]["upload"]["derived"]["title"] == "Jane Doe - A Quiet Book"
    given = invoke("publish", folder, "--to", "red", "--dry-run", "--asin", "B0UNKNOWN1", *flags)
    assert given.exit_code == 5 and "publish stopped at step metadata" in given.stderr
    assert world.red.uploads == []


def test_dry_run_to_ops_sends_no_upload(world, book, monkeypatch):
    """OPS has no server-side dry run (its upload handler never reads dryrun): a publish
    dry run must check everything locally and send no upload at all (#18)."""
    from tests.emulators.gazelle import gazelle_emulator

    with gazelle_emulator("ops", api_key="ops-key-0123456789abcdef") as ops:
        with world.config.open("a") as f:
            f.write(f'\n[services.ops]\nurl = "{ops.url}"\n')
        monkeypatch.setenv("MKTINT_OPS_API_KEY", "ops-key-0123456789abcdef")
        run = invoke("publish", book, "--to", "ops", "--dry-run", "--yes", "--json")
        assert run.exit_code == 0, run.stderr
        [target] = run.json()["targets"]
        assert target["upload"]["dry_run"] is True and target["upload"]["server_checked"] is False
        assert target["upload"]["derived"]["bitrate"] == "64"
        assert ops.uploads == [] and ops.torrents == {}
        assert [r.action for r in ops.requests].count("upload") == 0
        human = invoke("publish", book, "--to", "ops", "--dry-run", "--yes")
        assert human.exit_code == 0, human.stderr
        assert "not asked" in human.stdout
        assert [r.action for r in ops.requests].count("upload") == 0


def test_publish_to_a_third_gazelle_site_from_config_alone(world, book, monkeypatch):
    """`[services.red2]` with kind, flavour, url and announce only: publish makes its
    torrent (the flavour's source), uploads, and seeds it (#19)."""
    from mktint.torrent.metainfo import Metainfo
    from tests.emulators.gazelle import gazelle_emulator

    with gazelle_emulator("red", api_key="red2-key-0123456789abcdef",
                          passkey="passkey-red2-0123456789ab") as red2:
        with world.config.open("a") as f:
            f.write(f'\n[services.red2]\nkind = "gazelle"\nflavour = "red"\nurl = "{red2.url}"\n'
                    'announce = "https://t.red2.example/{passkey}/announce"\n')
        monkeypatch.setenv("MKTINT_RED2_API_KEY", "red2-key-0123456789abcdef")
        run = invoke("publish", book, "--to", "red2", "--yes", "--json")
        assert run.exit_code == 0, run.stderr
        [target] = run.json()["targets"]
        meta = Metainfo.parse(Path(target["torrent"]).read_bytes())
        assert meta.source == "RED" and "passkey-red2-0123456789ab" in meta.announce
        assert len(red2.uploads) == 1 and world.red.uploads == []
        assert target["upload"]["url"].startswith(red2.url)
        assert in_client(world, target["infohash"])


def test_red_upload_and_publish_name_the_sites_copy_alike(world, book, tmp_path, config_file):
    """One naming rule for the site's copy of a rewritten torrent (#19): publish saves
    NAME.red.site.torrent next to NAME.red.torrent, and `red upload NAME.red.torrent` saves
    the same name."""
    from tests.emulators import bencode

    config_file(world.config.read_text().replace("[services.red]\n", '[services.red]\nsource = "OLD"\n'))
    run = invoke("publish", book, "--to", "red", "--yes", "--json")
    assert run.exit_code == 0, run.stderr
    published = Path(run.json()["targets"][0]["torrent"])
    # The same kind of file through `red upload`: a rewritten torrent of another book.
    local = tmp_path / published.name.replace(".red.site.torrent", ".red.torrent")
    local.write_bytes(bencode.make_torrent("Other Book", [(["01.mp3"], 100)], source="OLD"))
    upload = invoke("red", "upload", local, "--title", "Jane Doe - Other Book", "--year", "2021",
                    "--format", "MP3", "--bitrate", "320", "--tags", "fiction",
                    "--description", "Another quiet book.", "--yes", "--json")
    assert upload.exit_code == 0, upload.stderr
    assert Path(upload.json()["seed_file"]).name == published.name


def test_a_new_tracker_kind_is_one_module_and_one_registry_line(world, book, monkeypatch):
    """publish drives a test-only tracker kind end to end (#19): it knows no kind."""
    import json as _json

    from mktint.core.kinds import KINDS
    from tests.publish.fake_tracker import KIND

    monkeypatch.setitem(KINDS, "fake", KIND)  # the one registry line
    with world.config.open("a") as f:
        f.write('\n[services.fake]\nkind = "fake"\nannounce = "https://fake.example/announce"\n')
    run = invoke("publish", book, "--to", "fake", "--to", "red", "--yes", "--json")
    assert run.exit_code == 0, run.stderr
    fake, red = run.json()["targets"]
    receipt = _json.loads(Path(fake["upload"]["receipt"]).read_text())
    assert receipt == {"title": "Andy Weir - Project Hail Mary", "infohash": fake["infohash"]}
    from mktint.torrent.metainfo import Metainfo

    meta = Metainfo.parse(Path(fake["torrent"]).read_bytes())
    assert (meta.source, meta.announce) == ("FAKE", "https://fake.example/announce")
    assert fake["client"]["stopped"] is True and fake["client"]["tags"] == ["fake"]
    assert in_client(world, fake["infohash"]) and red["upload"]["url"]
    again = invoke("publish", book, "--to", "fake", "--to", "red", "--yes", "--json")
    assert again.exit_code == 0 and len(world.red.uploads) == 1  # resumed: all done before


def test_two_publish_runs_of_one_folder_upload_once(world, book):
    """A second `publish` of the same job while the first runs stops with "another mktint
    is publishing this" (exit 1) and sends nothing (#21); real processes."""
    world.red.hang_next_upload = 4.0  # the first run holds its lock for a while
    args = ["publish", book, "--to", "red", "--yes"]
    second_run_stops_while_the_first_uploads(
        args, args, lambda: any("action=upload" in p for p in world.red.request_paths))
    assert [p for p in world.red.request_paths if "action=upload" in p] == ["/ajax.php?action=upload"]
