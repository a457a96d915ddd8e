"""mktint's qBittorrent client against qbittorrent-api on the same server (not a test).

    python3 bench/qbit.py [--add 200] [--list 2000] [--repeat 5]

Starts a throw-away qbittorrent-nox for each side (tests/support/qbittorrent.py), then:
- add: N small .torrent files in one call, best of ``--repeat`` rounds; both sides then poll until every torrent is
  listed (mktint's ``add`` does that itself; qbittorrent-api's returns at once, so the bench
  polls for it — the same work);
- list: M torrents listed, best of ``--repeat`` runs each.
Prints seconds per side and the ratio mktint / qbittorrent-api.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.qbittorrent import PASSWORD, USERNAME, QbtServer, bencode  # noqa: E402


def torrents(count: int, seed: str) -> list[tuple[str, bytes, str]]:
    out = []
    for i in range(count):
        content = hashlib.sha256(f"{seed}-{i}".encode()).digest() * 8
        info = {"name": f"{seed}-{i}", "length": len(content), "piece length": 16384,
                "pieces": hashlib.sha1(content).digest()}
        out.append((f"{seed}-{i}.torrent", bencode({"info": info}), hashlib.sha1(bencode(info)).hexdigest()))
    return out


def mktint_client(server: QbtServer):
    from mktint.core.config import ServiceConfig
    from mktint.core.credentials import Credentials
    from mktint.services.qbittorrent import QBittorrentClient

    os.environ["MKTINT_BENCH_PASSWORD"] = PASSWORD
    config = ServiceConfig("bench", "qbittorrent", {"url": server.url, "username": USERNAME,
                                                   "timeout": 120.0}, {})
    return QBittorrentClient(config, Credentials())


def api_client(server: QbtServer):
    import qbittorrentapi

    client = qbittorrentapi.Client(host=server.url, username=USERNAME, password=PASSWORD,
                                   REQUESTS_ARGS={"timeout": 120})
    client.auth_log_in()
    return client


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def wait_listed(list_hashes, hashes) -> None:
    deadline = time.monotonic() + 120
    while set(hashes) - set(list_hashes()) and time.monotonic() < deadline:
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--add", type=int, default=200)
    parser.add_argument("--list", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("XDG_STATE_HOME", tempfile.mkdtemp())
    results = {}
    for side in ("mktint", "qbittorrent-api"):
        server = QbtServer(Path(tempfile.mkdtemp(prefix=f"bench-{side}-")))
        server.start()
        try:
            client = mktint_client(server) if side == "mktint" else api_client(server)
            if side == "mktint":
                client.webapi_version  # log in and read the version outside the timing
            add_times = []
            for round_ in range(args.repeat):  # best of --repeat rounds, fresh torrents each
                batch = torrents(args.add, f"{side}-{round_}")
                hashes = [h for _, _, h in batch]
                start = time.perf_counter()
                if side == "mktint":
                    client.add([(n, d) for n, d, _ in batch], stopped=True, wait=120)
                else:
                    client.torrents_add(torrent_files={n: d for n, d, _ in batch}, is_paused=True)
                    wait_listed(lambda: [t.hash for t in client.torrents_info(torrent_hashes=hashes)], hashes)
                add_times.append(time.perf_counter() - start)
            add_time = min(add_times)
            more = torrents(max(0, args.list - args.add * args.repeat), side + "-more")
            for i in range(0, len(more), 250):
                chunk = more[i:i + 250]
                if side == "mktint":
                    client.add([(n, d) for n, d, _ in chunk], stopped=True, wait=120)
                else:
                    client.torrents_add(torrent_files={n: d for n, d, _ in chunk}, is_paused=True)
            if side == "mktint":
                wait_listed(lambda: [t["hash"] for t in client.torrents()], [h for *_, h in more])
                list_time = best(lambda: client.torrents(), args.repeat)
                count = len(client.torrents())
            else:
                wait_listed(lambda: [t.hash for t in client.torrents_info()], [h for *_, h in more])
                list_time = best(lambda: client.torrents_info(), args.repeat)
                count = len(client.torrents_info())
            results[side] = (add_time, list_time, count)
        finally:
            server.stop()
    (ma, ml, mc), (qa, ql, qc) = results["mktint"], results["qbittorrent-api"]
    print(f"add {args.add} torrents:  mktint {ma:.3f}s  qbittorrent-api {qa:.3f}s  ratio {ma / qa:.2f}")
    print(f"list {mc}/{qc} torrents: mktint {ml:.3f}s  qbittorrent-api {ql:.3f}s  ratio {ml / ql:.2f}")


if __name__ == "__main__":
    main()
