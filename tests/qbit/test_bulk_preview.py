"""Destructive actions ask; bulk actions can be previewed; bulk start leaves mam-pending
torrents alone (issue 24). Real qbittorrent-nox; prompts on a real pseudo-terminal."""

from __future__ import annotations

import time

from mktint.core.output import SHORT_HASH
from mktint.workflows.publish import MAM_PENDING_TAG
from tests.qbit.helpers import WAIT_LIMIT, added, one, unique_torrent, wait_for
from tests.qbit.terminal import Terminal
from tests.support.cli import invoke


def listed(infohash) -> bool:
    return infohash in [t["hash"] for t in invoke("qbit", "list", "--json").json()]


def eventually(predicate) -> bool:
    deadline = time.monotonic() + WAIT_LIMIT
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def is_stopped(infohash) -> bool:
    return one(infohash)["state"].startswith("stopped")


def test_delete_files_asks_on_a_terminal_listing_what_goes(qb, tmp_path):
    torrent, infohash, folder = unique_torrent(tmp_path)
    run = invoke("qbit", "add", torrent, "--save-path", folder, "--json")
    assert run.json()[0]["status"] == "added"
    data = folder / one(infohash)["name"]
    assert data.exists()

    terminal = Terminal("qbit", "remove", infohash[:8], "--delete-files")
    terminal.expect("[y/N]")
    terminal.send("n\n")
    assert terminal.finish() == 1
    assert f"  {infohash[:SHORT_HASH]}  " in terminal.text and str(data) in terminal.text
    assert "delete their files" in terminal.text and "nothing removed" in terminal.text
    assert listed(infohash) and data.exists()

    terminal = Terminal("qbit", "remove", infohash, "--delete-files")
    terminal.expect("[y/N]")
    terminal.send("y\n")
    assert terminal.finish() == 0, terminal.text
    assert not listed(infohash)
    assert eventually(lambda: not data.exists())


def test_delete_files_without_a_terminal_needs_yes(qb, tmp_path):
    infohash, _ = added(tmp_path)
    run = invoke("qbit", "remove", infohash, "--delete-files", "--json")
    assert run.exit_code == 2
    assert "--yes" in run.error_json()["hint"]
    assert listed(infohash)
    # --yes confirms without a terminal
    run = invoke("qbit", "remove", infohash, "--delete-files", "--yes", "--json")
    assert run.exit_code == 0 and run.json()["count"] == 1
    assert not listed(infohash)


def test_stop_and_start_all_dry_run_change_nothing(qb_fresh, tmp_path):
    running, _ = added(tmp_path)
    stopped, _ = added(tmp_path, "--stopped")
    wait_for(stopped, lambda t: t["state"].startswith("stopped"))  # after checkingResumeData
    run = invoke("qbit", "stop", "--all", "--dry-run", "--json")
    assert run.exit_code == 0, run.stderr
    data = run.json()
    assert data["dry_run"] is True and data["count"] == 2
    assert [(c["hash"], c["to"]) for c in data["changes"]] == [(running, "stopped")]
    human = invoke("qbit", "stop", "--all", "--dry-run")
    assert human.stdout.splitlines() == [f"{running}\t{one(running)['name']}\t{data['changes'][0]['from']}\tstopped"]
    assert "would stop 1 of 2 torrent(s) (1 already stopped)" in human.stderr
    assert not is_stopped(running)

    run = invoke("qbit", "start", "--all", "--dry-run", "--json")
    assert [(c["hash"], c["to"]) for c in run.json()["changes"]] == [(stopped, "running")]
    assert is_stopped(stopped)


def test_set_category_and_torrent_tag_dry_runs(qb, tmp_path):
    tag = f"dry-{tmp_path.name[-6:]}"
    infohash, _ = added(tmp_path, "--tags", tag)
    other, _ = added(tmp_path, "--tags", f"{tag},keep")
    assert invoke("qbit", "category", "add", tag).exit_code in (0, 6)

    run = invoke("qbit", "set-category", tag, "--tag", tag, "--dry-run", "--json")
    assert run.exit_code == 0, run.stderr
    assert sorted((c["hash"], c["from"], c["to"]) for c in run.json()["changes"]) == \
        sorted([(infohash, "", tag), (other, "", tag)])
    assert one(infohash)["category"] == ""

    run = invoke("qbit", "torrent-tag", "add", "keep", "--tag", tag, "--dry-run", "--json")
    assert run.json()["changes"] == [{"hash": infohash, "name": one(infohash)["name"],
                                      "from": [tag], "to": [tag, "keep"]}]
    assert one(infohash)["tags"] == [tag]
    run = invoke("qbit", "torrent-tag", "remove", "keep", "--tag", tag, "--dry-run")
    assert run.stdout.splitlines() == [f"{other}\t{one(other)['name']}\t{','.join(one(other)['tags'])}\t{tag}"]
    assert "would change the tags of 1 of 2 torrent(s)" in run.stderr
    assert sorted(one(other)["tags"]) == sorted([tag, "keep"])


def test_tracker_replace_dry_run_lists_exactly_the_changes(qb, tmp_path):
    old = "http://127.0.0.1:9/dryold0123456789/announce"
    new = "http://127.0.0.1:9/drynew0123456789/announce"
    changing, _ = added(tmp_path, announce=old)
    both, _ = added(tmp_path, announce=old)
    # give `both` the new URL as well: it keeps the old one, and the edit would be refused
    from mktint.core.factory import Factory

    client = Factory().service("qb", "qbittorrent")
    client.post("torrents/addTrackers", data={"hash": both, "urls": new})
    run = invoke("qbit", "tracker", "replace", "--old", old, "--new", new, changing, both,
                 "--dry-run", "--json")
    assert run.exit_code == 0, run.stderr
    data = run.json()
    assert [c["hash"] for c in data["changes"]] == [changing] and data["count"] == 1
    assert "dryold" not in run.stdout and "drynew" not in run.stdout  # passkeys masked
    human = invoke("qbit", "tracker", "replace", "--old", old, "--new", new, changing, both, "--dry-run")
    assert [line.split("\t")[0] for line in human.stdout.splitlines()] == [changing]
    assert "already has the new URL" in human.stderr and "would change 1 of 2" in human.stderr
    assert old in [t["url"] for t in client.trackers(changing)]  # unchanged (the CLI masks passkeys)


def test_bulk_start_leaves_mam_pending_torrents_alone(qb_fresh, tmp_path):
    pending, _ = added(tmp_path, "--stopped", "--tags", MAM_PENDING_TAG)
    plain, _ = added(tmp_path, "--stopped")
    for infohash in (pending, plain):  # after checkingResumeData
        wait_for(infohash, lambda t: t["state"].startswith("stopped"))
    # the README recipe: everything stopped, piped back into start
    hashes = invoke("qbit", "list", "--filter", "stopped", "--json").json()
    run = invoke("qbit", "start", "-", "--json", input="".join(t["hash"] + "\n" for t in hashes))
    assert run.exit_code == 0, run.stderr
    data = run.json()
    assert [t["hash"] for t in data["torrents"]] == [plain]
    assert [t["hash"] for t in data["skipped"]] == [pending]
    assert f"tagged {MAM_PENDING_TAG} alone" in run.stderr
    assert not wait_for(plain, lambda t: not t["state"].startswith("stopped"))["state"].startswith("stopped")
    assert is_stopped(pending)

    run = invoke("qbit", "start", "--all", "--dry-run", "--json")
    assert run.json()["skipped"] == [{"hash": pending, "name": one(pending)["name"]}]
    assert invoke("qbit", "start", "--filter", "stopped").exit_code == 0
    assert is_stopped(pending)

    # named by hash on the command line, it starts
    run = invoke("qbit", "start", pending[:8], "--json")
    assert run.exit_code == 0 and run.json()["skipped"] == []
    assert not wait_for(pending, lambda t: not t["state"].startswith("stopped"))["state"].startswith("stopped")


def test_start_by_the_mam_pending_tag_starts_them(qb_fresh, tmp_path):
    pending, _ = added(tmp_path, "--stopped", "--tags", MAM_PENDING_TAG)
    run = invoke("qbit", "start", "--tag", MAM_PENDING_TAG, "--json")
    assert run.exit_code == 0 and [t["hash"] for t in run.json()["torrents"]] == [pending]
