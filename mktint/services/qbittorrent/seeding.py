"""Confirming that qBittorrent seeds the torrents it was just given: complete and uploading.

An added torrent is checked first (``checkingResumeData``, ``checkingUP``/``checkingDL``;
one added with skip-check goes straight to seeding) and then shows what it found. The
states and their order come from qBittorrent's ``TorrentImpl::updateState``
(src/base/bittorrent/torrentimpl.cpp): ``missingFiles`` and ``error`` win over every
other state; a torrent *waiting* for its turn to be checked is not shown as checking but
as downloading (``stalledDL``, ``queuedDL``) with the progress it had, so a downloading
state is only final once the wait is over. The state a client reports is refreshed about
once a second, so ``missingFiles``/``error`` count once they have held for ``SETTLE``
seconds (right after a recheck the old state is still shown; after a restart, longer).

When the first true state shows: qBittorrent takes a torrent's state from libtorrent's
status only when it refreshes all of them, on a free-running timer of ``RefreshInterval``
(1.5 s by default; ``SessionImpl::enqueueRefresh``, src/base/bittorrent/sessionimpl.cpp,
the same in 4.5 and 5.x). Until then an added torrent shows the status libtorrent had when
it announced the add (``checkingResumeData``: ``NativeTorrentExtension``,
``TorrentImpl::TorrentImpl``/``updateState``), even though a skip-check add seeds a few
milliseconds later. No other field tells sooner and as truly: ``torrents/files`` reports
1.0 for every file of a skip-check add from the start (``TorrentImpl::filesProgress``),
whether the files are there or not. So the wait is for that refresh, which may come at any
moment of its period after the adds: the rounds come every ``POLL_FIRST`` seconds for
``QUICK_FOR`` seconds (a period and its slack), then ever more slowly.
"""

from __future__ import annotations

from typing import Collection, Sequence

from mktint.core.errors import NotFound, OperationFailed
from mktint.core.units import human_size
from mktint.services.qbittorrent.polling import Poll

SEEDING = frozenset({"uploading", "stalledUP", "forcedUP", "queuedUP"})
FAILED = {"missingFiles": "qBittorrent cannot find the files",
          "error": "qBittorrent reports an error for it"}
# How long to wait: a base for the add and the first announce, plus the time a full check
# of the data needs at a modest disk speed (a skip-check add needs no check at all).
BASE_WAIT = 60.0
CHECK_BYTES_PER_SECOND = 50 * 1024 * 1024
POLL_FIRST, POLL_MAX = 0.05, 1.0
QUICK_FOR = 2.0  # the default refresh period, 1.5 s, and Qt's 5 % timer slack, and a loaded machine
SETTLE = 3.0
RESTART_SETTLE = 20.0


def wait_seeding(client, infohashes: Sequence[str], *, recheck_failed: Collection[str] = (),
                 timeout: float | None = None) -> dict[str, dict]:
    """Each torrent's row (by infohash) once all of them are complete and seeding, watched
    together: one torrents/info for the set each round, so torrents added one after the
    other cost one wait, not one each. OperationFailed (``details["infohash"]`` names the
    torrent) when qBittorrent reports missing files or an error for one, or when one is not
    complete by the deadline (``timeout``, default ``BASE_WAIT`` plus a check of their
    total size: qBittorrent checks torrents one at a time).

    ``recheck_failed``: the torrents that were already in the client; one of them showing
    missing files or an error is started again first, which makes qBittorrent look at the
    files again (the data may have been put back since).
    """
    import time

    rows = _rows(client, infohashes)
    restarted = [h for h in infohashes if h in recheck_failed and rows[h]["state"] in FAILED]
    if restarted:
        # Starting it is the recheck: qBittorrent clears the error and, for missing files,
        # reloads the torrent, which checks the files again (TorrentImpl::start). A forced
        # recheck on top races with that reload and can stay in checkingUP (seen on 4.5.2).
        client.start(restarted)
    if timeout is None:
        total = sum(row.get("size") or 0 for row in rows.values())
        timeout = BASE_WAIT + total / CHECK_BYTES_PER_SECOND
    poll = Poll(timeout, POLL_FIRST, POLL_MAX, hold=QUICK_FOR)
    failing_since: dict[str, float] = {}
    # The state a restarted torrent shows is the old one until qBittorrent next refreshes
    # it (TorrentImpl::start clears the missing files and reloads; m_state changes only in
    # updateState, src/base/bittorrent/torrentimpl.cpp), which a loaded machine can delay
    # past SETTLE: its failed state counts after RESTART_SETTLE, or SETTLE once it has
    # been seen in another state.
    unconfirmed = set(restarted)
    while True:
        now = time.monotonic()
        waiting = []
        for infohash in infohashes:
            row = rows[infohash]
            state, progress = row["state"], row.get("progress") or 0.0
            if state in SEEDING and progress >= 1:
                continue
            if state in FAILED:
                settle = RESTART_SETTLE if infohash in unconfirmed else SETTLE
                if now - failing_since.setdefault(infohash, now) >= settle:
                    raise _failed(client, infohash, row)
            else:
                failing_since.pop(infohash, None)
                unconfirmed.discard(infohash)
            waiting.append(infohash)
        if not waiting:
            return rows
        if poll.expired:
            raise _late(client, waiting[0], rows[waiting[0]], timeout)
        poll.pause()
        rows.update(_rows(client, waiting))


def _rows(client, infohashes: Sequence[str]) -> dict[str, dict]:
    found = {(row.get("hash") or "").lower(): row for row in client.torrents(hashes=infohashes)}
    for infohash in infohashes:
        if infohash.lower() not in found:
            raise NotFound(f"{client.name}: no torrent {infohash}", service=client.name,
                           details={"infohash": infohash})
    return {infohash: found[infohash.lower()] for infohash in infohashes}


def _where(row: dict) -> str:
    return row.get("save_path") or "its save path"


def _failed(client, infohash: str, row: dict) -> OperationFailed:
    state, progress = row["state"], row.get("progress") or 0.0
    return OperationFailed(
        f"{client.name}: {row['name']}: {FAILED[state]} (state {state}, "
        f"{progress:.1%} complete)", service=client.name, details={"infohash": infohash},
        hint=f"check that the data is in {_where(row)} under the names the torrent lists "
             f"(mktint torrent verify)")


def _late(client, infohash: str, row: dict, timeout: float) -> OperationFailed:
    state, progress = row["state"], row.get("progress") or 0.0
    return OperationFailed(
        f"{client.name}: {row['name']} is not seeding after {timeout:.0f} s: state "
        f"{state}, {progress:.1%} of {human_size(row.get('size') or 0)} complete",
        service=client.name, details={"infohash": infohash},
        hint=f"compare the data in {_where(row)} with the torrent (mktint torrent verify); "
             f"follow it with: mktint qbit list")
