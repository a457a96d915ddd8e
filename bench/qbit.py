"""mktint's qBittorrent client against qbittorrent-api on live qbittorrent-nox (not a test).

    python3 bench/qbit.py [--add 200] [--list 2000] [--repeat 3]

Also the ``qbittorrent`` section of ``bench/run.py``, which calls :func:`bench_qbit`.

Starts one throw-away qbittorrent-nox per side (tests/support/qbittorrent.py), both at
once, then runs the two sides interleaved (mktint, qbittorrent-api, mktint, ...):

- add: N small .torrent files in one call, fresh torrents each round; both sides then
  wait until every torrent is listed (mktint's ``add`` polls by itself; qbittorrent-api's
  returns at once, so the bench polls for it — the same work);
- list: every torrent of a client holding M torrents.

Figures are medians of ``repeat`` rounds, as a ratio to qbittorrent-api.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.qbittorrent import PASSWORD, USERNAME, QbtServer, bencode  # noqa: E402

SIDES = ("qbittorrent-api", "mktint")  # the anchor first


def torrents(count: int, seed: str) -> list[tuple[str, bytes, str]]:
    """``count`` tiny distinct torrents: (file name, bytes, infohash)."""
    out = []
    for i in range(count):
        content = hashlib.sha256(f"{seed}-{i}".encode()).digest() * 8
        info = {"name": f"{seed}-{i}", "length": len(content), "piece length": 16384,
                "pieces": hashlib.sha1(content).digest()}
        out.append((f"{seed}-{i}.torrent", bencode({"info": info}), hashlib.sha1(bencode(info)).hexdigest()))
    return out


def wait_listed(list_hashes, hashes) -> None:
    deadline = time.monotonic() + 120
    missing = set(hashes)
    while missing and time.monotonic() < deadline:
        missing -= set(list_hashes())
        if missing:
            time.sleep(0.01)  # as fine as mktint's own polling, so neither side waits longer
    if missing:
        raise RuntimeError(f"{len(missing)} torrent(s) not listed after 120 s")


class MktintSide:
    def __init__(self, server: QbtServer):
        from mktint.core.config import ServiceConfig
        from mktint.core.credentials import Credentials
        from mktint.services.qbittorrent import QBittorrentClient

        os.environ["MKTINT_BENCH_PASSWORD"] = PASSWORD
        config = ServiceConfig("bench", "qbittorrent", {"url": server.url, "username": USERNAME,
                                                       "timeout": 120.0}, {})
        self.client = QBittorrentClient(config, Credentials())
        self.client.webapi_version  # log in and read the version outside the timing

    def add(self, batch) -> None:
        self.client.add([(n, d) for n, d, _ in batch], stopped=True, wait=120)

    def listed(self) -> list[str]:
        return [t["hash"] for t in self.client.torrents()]

    def watch(self) -> tuple[int, int]:
        """A watch's first poll (the full list) and its next one (nothing changed)."""
        from mktint.services.qbittorrent.sync import Watcher

        watcher = Watcher(self.client)
        watcher.poll()
        return watcher.count, len(watcher.poll())


class ApiSide:
    def __init__(self, server: QbtServer):
        import qbittorrentapi

        self.client = qbittorrentapi.Client(host=server.url, username=USERNAME, password=PASSWORD,
                                            REQUESTS_ARGS={"timeout": 120})
        self.client.auth_log_in()

    def add(self, batch) -> None:
        self.client.torrents_add(torrent_files={n: d for n, d, _ in batch}, is_paused=True)
        hashes = [h for *_, h in batch]
        wait_listed(lambda: [t.hash for t in self.client.torrents_info(torrent_hashes=hashes)], hashes)

    def listed(self) -> list[str]:
        return [t.hash for t in self.client.torrents_info()]

    def watch(self) -> tuple[int, int]:
        first = self.client.sync_maindata(rid=0)
        following = self.client.sync_maindata(rid=first.rid)
        return len(first.get("torrents", {})), len(following.get("torrents", {}))


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _figures(times: list[float], anchor: list[float]) -> dict:
    median = statistics.median(times)
    return {"median_s": median, "runs_s": [round(t, 4) for t in times],
            "ratio": round(median / statistics.median(anchor), 3)}


def bench_qbit(add: int = 200, list_: int = 2000, repeat: int = 3) -> dict:
    """Add ``add`` torrents and list ``list_``, both sides interleaved; medians and ratios."""
    os.environ.setdefault("XDG_STATE_HOME", tempfile.mkdtemp(prefix="mktint-bench-state-"))
    roots = {side: Path(tempfile.mkdtemp(prefix=f"mktint-bench-{side}-")) for side in SIDES}
    servers = {side: QbtServer(roots[side]) for side in SIDES}
    try:
        for server in servers.values():
            server.start()
        sides = {"mktint": MktintSide(servers["mktint"]), "qbittorrent-api": ApiSide(servers["qbittorrent-api"])}
        add_times: dict[str, list[float]] = {side: [] for side in SIDES}
        for round_ in range(repeat):
            for side in SIDES:
                batch = torrents(add, f"{side}-{round_}")
                add_times[side].append(_timed(lambda: sides[side].add(batch)))
        counts = {}
        for side in SIDES:  # fill both clients up to list_ torrents, outside the timing
            more = torrents(max(0, list_ - add * repeat), side + "-more")
            for i in range(0, len(more), 250):
                sides[side].add(more[i:i + 250])
            counts[side] = len(sides[side].listed())
        list_times: dict[str, list[float]] = {side: [] for side in SIDES}
        for _ in range(repeat):
            for side in SIDES:
                list_times[side].append(_timed(sides[side].listed))
    finally:
        for server in servers.values():
            server.stop()
        for root in roots.values():
            shutil.rmtree(root, ignore_errors=True)
    anchor = "qbittorrent-api"
    return {
        f"add {add}": {side: _figures(add_times[side], add_times[anchor]) for side in SIDES},
        f"list {list_}": {side: {**_figures(list_times[side], list_times[anchor]), "torrents": counts[side]}
                          for side in SIDES},
    }


LIST_SCRIPT = """
import json, sys, qbittorrentapi
client = qbittorrentapi.Client(host=sys.argv[1], username=sys.argv[2], password=sys.argv[3])
json.dump([dict(t) for t in client.torrents_info()], sys.stdout)
"""


def bench_scale(sizes=(1000, 10000), repeat: int = 3, python: str = sys.executable) -> dict:
    """``qbit list`` and ``watch`` on one live qbittorrent-nox as it grows through ``sizes``.

    At each size, interleaved: the library calls (mktint's ``torrents()`` vs qbittorrent-api's
    ``torrents_info()``; a watch's two polls vs two ``sync_maindata`` calls) and the whole
    commands (``mktint qbit list --json`` with its cached session vs a qbittorrent-api
    script printing the same list as JSON, which logs in each run: it has no session cache).
    Torrents are added paused from generated .torrent files, outside the timing.
    """
    import subprocess

    root = Path(tempfile.mkdtemp(prefix="mktint-bench-scale-"))
    saved_state = os.environ.get("XDG_STATE_HOME")
    os.environ["XDG_STATE_HOME"] = str(root / "state")  # the session cookie of both mktint sides
    server = QbtServer(root / "qbt")
    repo = str(Path(__file__).resolve().parents[1])
    (root / "config.toml").write_text(f'[services.bench]\nkind = "qbittorrent"\nurl = "{server.url}"\n'
                                      f'username = "{USERNAME}"\n')
    env = {**os.environ, "PYTHONPATH": repo, "MKTINT_CONFIG": str(root / "config.toml"),
           "MKTINT_BENCH_PASSWORD": PASSWORD, "XDG_STATE_HOME": str(root / "state")}
    cli = [python, "-m", "mktint", "qbit", "-s", "bench", "list", "--json"]
    script = [python, "-c", LIST_SCRIPT, "", USERNAME, PASSWORD]

    def run(argv) -> float:
        started = time.perf_counter()
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - started

    results = {}
    try:
        server.start()
        script[3] = server.url
        sides = {"mktint": MktintSide(server), "qbittorrent-api": ApiSide(server)}
        subprocess.run(cli, env=env, check=True, stdout=subprocess.DEVNULL)  # log in, cache
        have = 0
        for size in sizes:
            more = torrents(size - have, f"scale-{have}")
            for i in range(0, len(more), 500):
                sides["mktint"].add(more[i:i + 500])
            have = size
            time.sleep(2)  # let qBittorrent write the new torrents' resume data first
            for side in SIDES:  # and one untimed round, as warm-up
                sides[side].listed()
                sides[side].watch()
            times = {key: [] for key in ("list", "watch", "command")}
            checks = {}
            figures = {key: {side: [] for side in SIDES} for key in times}
            cpu = {key: {side: [] for side in SIDES} for key in ("list", "watch")}
            for _ in range(repeat):
                for side in SIDES:
                    for key, call in (("list", sides[side].listed), ("watch", sides[side].watch)):
                        started, cpu_started = time.perf_counter(), time.process_time()
                        value = call()
                        figures[key][side].append(time.perf_counter() - started)
                        cpu[key][side].append(time.process_time() - cpu_started)
                        if key == "watch":
                            checks[side] = value
                figures["command"]["qbittorrent-api"].append(run(script))
                figures["command"]["mktint"].append(run(cli))
            counts = {side: len(sides[side].listed()) for side in SIDES}
            results[str(size)] = {
                f"{key} {size}": {side: {**_figures(figures[key][side], figures[key]["qbittorrent-api"]),
                                         "torrents": counts[side]} for side in SIDES}
                for key in times}
            results[str(size)]["watch_counts"] = checks
            for key in cpu:  # the client's own work; the rest of the wall time is the server's
                for side in SIDES:
                    results[str(size)][f"{key} {size}"][side]["client_cpu_s"] = round(
                        statistics.median(cpu[key][side]), 4)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
        if saved_state is None:
            os.environ.pop("XDG_STATE_HOME", None)
        else:
            os.environ["XDG_STATE_HOME"] = saved_state
    first, last = (str(n) for n in (sizes[0], sizes[-1]))
    growth = {}
    for key in ("list", "watch", "command"):
        for side in SIDES:
            growth[f"{key} {side}"] = round(results[last][f"{key} {last}"][side]["median_s"]
                                            / results[first][f"{key} {first}"][side]["median_s"], 2)
    return {"sizes": list(sizes), "by_size": results, f"growth {first} → {last}": growth}


def main() -> None:
    parser = argparse.ArgumentParser(description="mktint vs qbittorrent-api on live qbittorrent-nox")
    parser.add_argument("--add", type=int, default=200)
    parser.add_argument("--list", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for task, results in bench_qbit(args.add, args.list, max(3, args.repeat)).items():
        mk, api = results["mktint"], results["qbittorrent-api"]
        print(f"{task}: mktint {mk['median_s']:.3f}s  qbittorrent-api {api['median_s']:.3f}s  "
              f"ratio {mk['ratio']:.2f}")


if __name__ == "__main__":
    main()
