"""Confirming that qBittorrent seeds a torrent it was just given: complete and uploading.

An added torrent is checked first (``checkingResumeData``, ``checkingUP``/``checkingDL``;
one added with skip-check goes straight to seeding) and then shows what it found. The
states and their order come from qBittorrent's ``TorrentImpl::updateState``
(src/base/bittorrent/torrentimpl.cpp): ``missingFiles`` and ``error`` win over every
other state; a torrent *waiting* for its turn to be checked is not shown as checking but
as downloading (``stalledDL``, ``queuedDL``) with the progress it had, so a downloading
state is only final once the wait is over. The state a client reports is refreshed about
once a second, so ``missingFiles``/``error`` count once they have held for ``SETTLE``
seconds (right after a recheck the old state is still shown).
"""

from __future__ import annotations

from mktint.core.errors import OperationFailed
from mktint.core.units import human_size
from mktint.services.qbittorrent.polling import Poll

SEEDING = frozenset({"uploading", "stalledUP", "forcedUP", "queuedUP"})
FAILED = {"missingFiles": "qBittorrent cannot find the files",
          "error": "qBittorrent reports an error for it"}
# How long to wait: a base for the add and the first announce, plus the time a full check
# of the data needs at a modest disk speed (a skip-check add needs no check at all).
BASE_WAIT = 60.0
CHECK_BYTES_PER_SECOND = 50 * 1024 * 1024
POLL_FIRST, POLL_MAX = 0.1, 1.0
SETTLE = 3.0


def wait_seeding(client, infohash: str, *, recheck_failed: bool = False,
                 timeout: float | None = None) -> dict:
    """The torrent's row once it is complete and seeding; OperationFailed when qBittorrent
    reports missing files or an error, or when it is not complete by the deadline
    (``timeout``, default ``BASE_WAIT`` plus a check of its size).

    ``recheck_failed``: a torrent that was already in the client and shows missing files
    or an error is started again first, which makes qBittorrent look at the files again
    (the data may have been put back since).
    """
    import time

    row = client.torrent(infohash)
    if recheck_failed and row["state"] in FAILED:
        # Starting it is the recheck: qBittorrent clears the error and, for missing files,
        # reloads the torrent, which checks the files again (TorrentImpl::resume). A forced
        # recheck on top races with that reload and can stay in checkingUP (seen on 4.5.2).
        client.start([infohash])
    if timeout is None:
        timeout = BASE_WAIT + (row.get("size") or 0) / CHECK_BYTES_PER_SECOND
    poll = Poll(timeout, POLL_FIRST, POLL_MAX)
    failing_since = None
    while True:
        state, progress = row["state"], row.get("progress") or 0.0
        if state in SEEDING and progress >= 1:
            return row
        where = row.get("save_path") or "its save path"
        now = time.monotonic()
        failing_since = (failing_since or now) if state in FAILED else None
        if failing_since is not None and now - failing_since >= SETTLE:
            raise OperationFailed(
                f"{client.name}: {row['name']}: {FAILED[state]} (state {state}, "
                f"{progress:.1%} complete)", service=client.name,
                hint=f"check that the data is in {where} under the names the torrent lists "
                     f"(mktint torrent verify)")
        if poll.expired:
            raise OperationFailed(
                f"{client.name}: {row['name']} is not seeding after {timeout:.0f} s: state "
                f"{state}, {progress:.1%} of {human_size(row.get('size') or 0)} complete",
                service=client.name,
                hint=f"compare the data in {where} with the torrent (mktint torrent verify); "
                     f"follow it with: mktint qbit list")
        poll.pause()
        row = client.torrent(infohash)
