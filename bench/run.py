#!/usr/bin/env python3
"""mktint benchmarks: side-by-side ratios against the tools users would pick instead.

    python bench/run.py [--quick] [--only SECTION ...] [--repeat N] [--creation PART ...]

Sections: creation (vs mktorrent and torf, 1 GiB warm and cold, 20,000 small files, the
SHA-1 limit, hashing alone, fixed start-up cost, peak RSS on a sparse 100 GiB tree), targets
(1/2/3 --target), startup, latency (qbit list and completion against a live qBittorrent),
qbittorrent (vs qbittorrent-api on live qbittorrent-nox, bench/qbit.py), scale (qbit list and
watch at 1,000 and 10,000 torrents; create and verify at 20,000 and 200,000 files), publish
(folder → two targets → upload → seeding vs hashing alone) and ratelimit (30 requests to the
Gazelle emulator).

Every figure is the median of at least 3 runs; runs of the tools being compared are
interleaved (A B C A B C ...) so that a busy moment hurts all of them alike, and each
figure is quoted as a ratio to an anchor measured in the same run. Prints a table and
writes bench/results.json. Benchmarks are not tests: nothing here fails on a number.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO / "bench" / "data"
RESULTS = REPO / "bench" / "results.json"
MiB = 1024 * 1024
PY = sys.executable
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


# -- measuring -------------------------------------------------------------------------

TIME = shutil.which("time", path="/usr/bin:/bin")


def timed_run(argv: list[str], env: dict | None = None, cwd: Path | None = None,
              rss: bool = False, ok: tuple[int, ...] = (0,)) -> tuple[float, int | None]:
    """Wall seconds and, with ``rss``, peak RSS (KiB) of one command, which must succeed.

    Linux carries a process's RSS high-water mark over exec, so a child forked from this
    (large) Python process would report at least this process's RSS. With ``rss`` the
    command runs under GNU time (small), which reports the true peak; the wall time then
    includes that extra fork and exec (about a millisecond), for every contender alike.
    """
    report = None
    if rss and TIME:
        report = tempfile.NamedTemporaryFile(prefix="mktint-bench-rss-", delete=False)
        report.close()
        argv = [TIME, "-f", "%M", "-o", report.name, *argv]
    started = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          env=env or ENV, cwd=cwd)
    elapsed = time.perf_counter() - started
    if proc.returncode not in ok:
        raise RuntimeError(f"{argv[:6]}... exited {proc.returncode}: "
                           f"{proc.stderr.decode(errors='replace')[-500:]}")
    peak = None
    if report is not None:
        peak = int(Path(report.name).read_text().split()[-1])
        os.unlink(report.name)
    return elapsed, peak


def interleaved(contenders: dict[str, callable], repeat: int) -> dict[str, dict]:
    """Run each contender ``repeat`` times, interleaved; median seconds and peak RSS."""
    times = {name: [] for name in contenders}
    rss = {name: None for name in contenders}
    for _ in range(repeat):
        for name, run in contenders.items():
            seconds, peak = run()
            times[name].append(seconds)
            if peak is not None:
                rss[name] = max(rss[name] or 0, peak)
    results = {name: {"median_s": statistics.median(t), "runs_s": [round(x, 4) for x in t]}
               for name, t in times.items()}
    for name, peak in rss.items():
        if peak is not None:
            results[name]["peak_rss_mib"] = round(peak / 1024, 1)
    return results


def with_ratios(results: dict[str, dict], anchor: str) -> dict[str, dict]:
    base = results[anchor]["median_s"]
    for entry in results.values():
        entry["ratio"] = round(entry["median_s"] / base, 3)
    return results


# -- the machine -----------------------------------------------------------------------

def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    versions = {"python": platform.python_version()}
    for tool, args in (("mktorrent", ["mktorrent", "-h"]), ("qbittorrent-nox", ["qbittorrent-nox", "--version"])):
        if shutil.which(tool):
            out = subprocess.run(args, capture_output=True, text=True).stdout.splitlines()
            versions[tool] = out[0].strip() if out else "?"
    from importlib import metadata

    for dist in ("torf", "qbittorrent-api", "click", "requests"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(memory / 1024**3, 1),
            "platform": platform.platform(), "versions": versions}


def load() -> list[float]:
    """The 1, 5 and 15 minute load averages (other users of a shared machine show here)."""
    return [round(x, 2) for x in os.getloadavg()]


def sha1_limit(total: int, threads: int) -> float:
    """All-core SHA-1 throughput (bytes/s) hashing 4 MiB pieces from memory (best of 3)."""
    piece = os.urandom(4 * MiB)
    count = max(threads, total // len(piece))

    def work(n):
        for _ in range(n):
            hashlib.sha1(piece).digest()

    per = [count // threads + (1 if i < count % threads else 0) for i in range(threads)]
    best = 0.0
    for _ in range(3):
        started = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(work, per))
        best = max(best, count * len(piece) / (time.perf_counter() - started))
    return best


# -- data ------------------------------------------------------------------------------

def make_big_tree(size: int) -> Path:
    root = DATA / f"big-{size // MiB}MiB"
    files = 8
    if root.exists() and sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) == size:
        return root
    shutil.rmtree(root, ignore_errors=True)
    (root / "disc 2").mkdir(parents=True)
    block = os.urandom(MiB)
    for i in range(files):
        path = root / ("disc 2" if i % 2 else "") / f"part {i:02d}.m4b"
        with open(path, "wb") as f:
            for _ in range(size // files // MiB):
                f.write(block)
    return root


def make_small_tree(count: int) -> Path:
    root = DATA / f"small-{count}"
    if root.exists() and sum(1 for p in root.rglob("*") if p.is_file()) == count:
        return root
    shutil.rmtree(root, ignore_errors=True)
    data = os.urandom(16 * 1024)
    for i in range(count):
        folder = root / f"d{i // 500:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{i:05d}.txt").write_bytes(data[: 512 + (i * 37) % 8192])
    return root


def make_sparse_tree(size: int) -> Path:
    """``size`` bytes in 1 GiB files that are all holes: nothing on disk, zeros to read."""
    root = DATA / f"sparse-{size // 1024**3}GiB"
    files = max(1, size // 1024**3)
    root.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        with open(root / f"part {i:03d}.bin", "ab") as f:
            f.truncate(size // files)
    return root


def evict(root: Path) -> None:
    """Drop ``root``'s files from the page cache (and only them).

    ``echo 3 > /proc/sys/vm/drop_caches`` would empty the cache of every user of this
    shared machine and slow their runs; POSIX_FADV_DONTNEED on our own (clean) files makes
    exactly these reads cold.
    """
    for path in root.rglob("*"):
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def warm(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            with open(path, "rb") as f:
                while f.read(8 * MiB):
                    pass


# -- contenders ------------------------------------------------------------------------

def mktint_create(root: Path, out: Path, threads: int, piece: str | None, targets=()) -> callable:
    def run():
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        argv = [PY, "-m", "mktint", "torrent", "create", str(root), "-o", str(out / "t.torrent"),
                "--no-date", "--threads", str(threads), "--force"]
        if piece:
            argv += ["--piece-size", piece]
        if targets:
            argv = argv[:6] + ["-o", str(out)] + argv[8:]
            for target in targets:
                argv += ["--target", target]
        else:
            argv += ["--private", "--source", "RED"]
        return timed_run(argv, env={**ENV, "MKTINT_CONFIG": str(DATA / "bench-config.toml")}, rss=True)
    return run


def mktorrent_create(root: Path, out: Path, threads: int, piece_log2: int | None) -> callable:
    def run():
        target = out / "m.torrent"
        target.unlink(missing_ok=True)
        out.mkdir(parents=True, exist_ok=True)
        argv = ["mktorrent", "-p", "-s", "RED", "-t", str(threads), "-d", "-a", "https://t.invalid/a",
                "-o", str(target), str(root)]
        if piece_log2:
            argv[1:1] = ["-l", str(piece_log2)]
        return timed_run(argv, rss=True)
    return run


def torf_create(root: Path, out: Path, threads: int, piece: int | None) -> callable:
    script = textwrap.dedent("""
        import sys, torf
        t = torf.Torrent(sys.argv[1], private=True, source="RED", trackers=["https://t.invalid/a"],
                         creation_date=None, piece_size=int(sys.argv[3]) if sys.argv[3] != "auto" else None)
        t.generate(threads=int(sys.argv[4]))
        t.write(sys.argv[2], overwrite=True)
    """)

    def run():
        out.mkdir(parents=True, exist_ok=True)
        return timed_run([PY, "-c", script, str(root), str(out / "torf.torrent"),
                          str(piece) if piece else "auto", str(threads)], rss=True)
    return run


# -- sections ----------------------------------------------------------------------------

def cold(root: Path, run: callable) -> callable:
    def cold_run():
        evict(root)
        return run()
    return cold_run


def hashing_only(root: Path, threads: int, piece: int) -> callable:
    """mktint's hash engine on ``root`` in this process: no interpreter start, no imports."""
    from mktint.torrent import create as engine
    from mktint.torrent.hashing import hash_pieces

    sources = engine.sources(engine.scan(str(root)))

    def run():
        started = time.perf_counter()
        hash_pieces(sources, piece, threads=threads)
        return time.perf_counter() - started, None
    return run


def engine_after_click(root: Path, threads: int, piece: int) -> callable:
    """A new interpreter that imports click and then runs mktint's hash engine: what any
    click command hashing with this engine pays at least (no mktint CLI, no output file)."""
    script = textwrap.dedent("""
        import sys, click
        from mktint.torrent import create as engine
        from mktint.torrent.hashing import hash_pieces
        hash_pieces(engine.sources(engine.scan(sys.argv[1])), int(sys.argv[2]), threads=int(sys.argv[3]))
    """)
    return lambda: timed_run([PY, "-c", script, str(root), str(piece), str(threads)])


CREATION_PARTS = ("big", "fixed_cost", "cold", "small_files", "sparse")


def bench_creation(quick: bool, repeat: int, parts: tuple[str, ...] = CREATION_PARTS) -> dict:
    threads = os.cpu_count() or 1
    size = (256 if quick else 1024) * MiB
    big = make_big_tree(size)
    warm(big)
    out = Path(tempfile.mkdtemp(prefix="mktint-bench-"))
    report = {"data_bytes": size, "threads": threads}
    try:
        if "big" in parts:
            report["big"], limit = creation_big(big, out, threads, size, repeat)
            report["sha1_limit_bytes_per_s"] = round(limit)
        if "fixed_cost" in parts:
            report["fixed_cost"] = creation_fixed_cost(out, threads, repeat)
        if "cold" in parts:
            report["cold"] = creation_cold(big, out, threads, repeat)
        if "small_files" in parts:
            report["small_files"] = creation_small_files(out, threads, quick, repeat)
        if "sparse" in parts:
            report["sparse"] = creation_sparse(out, threads, quick)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return report


def creation_big(big: Path, out: Path, threads: int, size: int, repeat: int) -> tuple[dict, float]:
    """The 1 GiB contenders, each one's share of the SHA-1 limit, and that limit."""
    limit = sha1_limit(size, threads)
    big_results = with_ratios(interleaved({
        "mktorrent": mktorrent_create(big, out / "a", threads, 22),
        "mktint": mktint_create(big, out / "b", threads, "4MiB"),
        "torf": torf_create(big, out / "c", threads, 4 * MiB),
        "mktint hashing alone (in-process)": hashing_only(big, threads, 4 * MiB),
        "python, import click, mktint hashing": engine_after_click(big, threads, 4 * MiB),
    }, repeat), "mktorrent")
    # Measured again after the contenders, the best of both: a busy moment of this shared
    # machine during one measurement would make every share look better than it is.
    limit = max(limit, sha1_limit(size, threads))
    for entry in big_results.values():
        entry["share_of_sha1_limit"] = round(size / entry["median_s"] / limit, 3)
    return big_results, limit


def creation_fixed_cost(out: Path, threads: int, repeat: int) -> dict:
    """The same commands on a folder holding one byte."""
    tiny = DATA / "tiny"
    tiny.mkdir(parents=True, exist_ok=True)
    (tiny / "one byte.txt").write_bytes(b"x")
    return with_ratios(interleaved({
        "python -c pass": lambda: timed_run([PY, "-c", "pass"]),
        "python -c 'import click'": lambda: timed_run([PY, "-c", "import click"]),
        "mktorrent, 1 byte": mktorrent_create(tiny, out / "g", threads, None),
        "mktint, 1 byte": mktint_create(tiny, out / "h", threads, None),
    }, max(repeat, 10)), "python -c pass")


def creation_cold(big: Path, out: Path, threads: int, repeat: int) -> dict:
    results = with_ratios(interleaved({
        "mktorrent": cold(big, mktorrent_create(big, out / "a", threads, 22)),
        "mktint": cold(big, mktint_create(big, out / "b", threads, "4MiB")),
    }, repeat), "mktorrent")
    warm(big)
    return results


def creation_small_files(out: Path, threads: int, quick: bool, repeat: int) -> dict:
    count = 4000 if quick else 20000
    small = make_small_tree(count)
    warm(small)
    return {"files": count, **with_ratios(interleaved({
        "mktorrent": mktorrent_create(small, out / "d", threads, None),
        "mktint": mktint_create(small, out / "e", threads, None),
        "torf": torf_create(small, out / "f", threads, None),
    }, repeat), "mktorrent")}


def creation_sparse(out: Path, threads: int, quick: bool) -> dict:
    sparse_size = (8 if quick else 100) * 1024**3
    sparse = make_sparse_tree(sparse_size)
    # One run: peak RSS is the figure here (mktorrent reads holes 4x slower than mktint:
    # 24 s for 8 GiB, so it would add minutes without telling anything about mktint).
    results = with_ratios(interleaved({
        "mktint": mktint_create(sparse, out / "j", threads, None),
    }, 1), "mktint")
    evict(sparse)  # 100 GiB of zero pages is no use to anyone
    return {"bytes": sparse_size, **results}


def bench_targets(quick: bool, repeat: int) -> dict:
    threads = os.cpu_count() or 1
    big = make_big_tree((256 if quick else 1024) * MiB)
    warm(big)
    (DATA / "bench-config.toml").write_text("".join(
        f'[services.t{i}]\nkind = "gazelle"\nflavour = "red"\nsource = "T{i}"\n'
        f'announce = "https://t{i}.invalid/announce"\n' for i in (1, 2, 3)))
    out = Path(tempfile.mkdtemp(prefix="mktint-bench-"))
    try:
        return with_ratios(interleaved({
            f"{n} target{'s' if n > 1 else ''}": mktint_create(big, out / str(n), threads, "4MiB",
                                                             [f"t{i}" for i in range(1, n + 1)])
            for n in (1, 2, 3)}, repeat), "1 target")
    finally:
        shutil.rmtree(out, ignore_errors=True)


def bench_startup(quick: bool, repeat: int) -> dict:
    sample = DATA / "startup-book.torrent"  # an audiobook's shape: 40 chapter files
    if not sample.exists():
        book = DATA / "book"
        book.mkdir(parents=True, exist_ok=True)
        for i in range(40):
            (book / f"Chapter {i + 1:02d}.mp3").write_bytes(os.urandom(256 * 1024))
        subprocess.run([PY, "-m", "mktint", "torrent", "create", str(book), "-o", str(sample),
                        "--force", "--public"], env=ENV, check=True, capture_output=True)
    completion_env = {**ENV, "_MKTINT_COMPLETE": "bash_complete", "COMP_WORDS": "mktint qbit ",
                      "COMP_CWORD": "2"}
    contenders = {
        "python -c pass": lambda: timed_run([PY, "-c", "pass"]),
        "python -c 'import click'": lambda: timed_run([PY, "-c", "import click"]),
        "mktint --help": lambda: timed_run([PY, "-m", "mktint", "--help"]),
        "completion request": lambda: timed_run([PY, "-m", "mktint"], env=completion_env),
        "mktint torrent info": lambda: timed_run([PY, "-m", "mktint", "torrent", "info", str(sample)]),
    }
    return with_ratios(interleaved(contenders, max(repeat, 10)), "python -c 'import click'")


def bench_latency(quick: bool, repeat: int) -> dict:
    """Everyday commands against a live qBittorrent, as a person or a script runs them.

    ``mktint qbit list --json`` with a cached session (one run beforehand logs in), against
    ``python -c 'import click, requests'``: the libraries it cannot do without. A completion
    request that asks the server (``mktint qbit list --category <TAB>``, its 60 s answer
    cache emptied before each run) with the server up and down (a closed port: refused at
    once), against ``python -c 'import click'``. The environment is a headless machine's:
    no D-Bus session, so no keyring, the password in ``MKTINT_<NAME>_PASSWORD``.
    """
    from tests.support.httpserver import free_port
    from tests.support.qbittorrent import PASSWORD, QbtServer

    root = Path(tempfile.mkdtemp(prefix="mktint-bench-latency-"))
    server = QbtServer(root / "qbt")
    try:
        server.start()
        home = root / "home"
        (home / "config").mkdir(parents=True)
        config = home / "config" / "config.toml"
        config.write_text(f'[services.up]\nkind = "qbittorrent"\nurl = "{server.url}"\n\n'
                          f'[services.down]\nkind = "qbittorrent"\nurl = "http://127.0.0.1:{free_port()}"\n')
        env = {name: value for name, value in ENV.items()
               if name not in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY", "PYTHON_KEYRING_BACKEND")}
        env.update({"HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
                    "XDG_STATE_HOME": str(home / "state"), "XDG_CACHE_HOME": str(home / "cache"),
                    "XDG_RUNTIME_DIR": str(home), "MKTINT_CONFIG": str(config),
                    "MKTINT_UP_PASSWORD": PASSWORD, "MKTINT_DOWN_PASSWORD": PASSWORD})
        qbit_list = [PY, "-m", "mktint", "qbit", "-s", "up", "list", "--json"]
        timed_run(qbit_list, env=env)  # log in once: the cookie is cached for the runs below

        def completion(service: str) -> callable:
            words = f"mktint qbit -s {service} list --category "
            complete_env = {**env, "_MKTINT_COMPLETE": "bash_complete", "COMP_WORDS": words,
                            "COMP_CWORD": str(len(words.split()))}

            def run():
                shutil.rmtree(home / "cache", ignore_errors=True)
                return timed_run([PY, "-m", "mktint"], env=complete_env)
            return run

        rounds = max(repeat, 10)
        listing = with_ratios(interleaved({
            "python -c 'import click, requests'": lambda: timed_run([PY, "-c", "import click, requests"], env=env),
            "mktint qbit list --json": lambda: timed_run(qbit_list, env=env),
        }, rounds), "python -c 'import click, requests'")
        completing = with_ratios(interleaved({
            "python -c 'import click'": lambda: timed_run([PY, "-c", "import click"], env=env),
            "completion, server up": completion("up"),
            "completion, server down": completion("down"),
        }, rounds), "python -c 'import click'")
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return {"qbit_list": listing, "completion": completing}


def bench_qbittorrent(quick: bool, repeat: int) -> dict:
    from bench.qbit import bench_qbit

    return bench_qbit(add=50 if quick else 200, list_=500 if quick else 2000, repeat=repeat)


def holey_copy(root: Path, every: int) -> Path:
    """A hard-linked copy of ``root`` with every ``every``-th file missing."""
    copy = root.with_name(root.name + f"-missing-1-in-{every}")
    if copy.exists():
        return copy
    files = sorted(p for p in root.rglob("*") if p.is_file())
    for i, path in enumerate(files):
        if i % every:
            target = copy / path.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, target)
    return copy


def bench_scale(quick: bool, repeat: int) -> dict:
    """Growth with size: qBittorrent with 1,000 → 10,000 torrents, trees of 20,000 → 200,000 files.

    A tenfold size should cost tenfold time (linear), or less where a fixed cost dominates.
    """
    from bench.qbit import bench_scale as qbit_scale

    threads = os.cpu_count() or 1
    result = {"qbittorrent": qbit_scale((100, 1000) if quick else (1000, 10000), repeat, PY)}
    counts = (4000, 40000) if quick else (20000, 200000)
    out = Path(tempfile.mkdtemp(prefix="mktint-bench-"))
    files = {}
    try:
        for count in counts:
            tree = make_small_tree(count)
            holey = holey_copy(tree, 10)
            warm(tree)
            torrent = out / f"{count}.torrent"
            subprocess.run([PY, "-m", "mktint", "torrent", "create", str(tree), "-o", str(torrent),
                            "--public", "--force"], env=ENV, check=True, capture_output=True)
            verify = [PY, "-m", "mktint", "torrent", "verify", str(torrent)]
            files[str(count)] = with_ratios(interleaved({
                "mktorrent create": mktorrent_create(tree, out / "m", threads, None),
                "mktint create": mktint_create(tree, out / "c", threads, None),
                "mktint verify": lambda v=verify, t=tree: timed_run([*v, str(t)], rss=True),
                "mktint verify, 1 in 10 files missing": lambda v=verify, h=holey: timed_run(
                    [*v, str(h)], rss=True, ok=(0, 1)),
            }, repeat), "mktorrent create")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    small, large = (str(c) for c in counts)
    result["files"] = {**{f"{n} files": files[n] for n in files},
                       f"growth {small} → {large}": {
                           name: round(files[large][name]["median_s"] / files[small][name]["median_s"], 2)
                           for name in files[small]}}
    return result


def make_book(size: int) -> Path:
    """An audiobook folder of ``size`` bytes: copies of one 64 kbps MP3 (ffmpeg), ASIN named."""
    from tests.emulators.audnexus import HAIL_MARY

    root = DATA / f"book-{size // MiB}MiB" / f"Andy Weir - Project Hail Mary {{ASIN.{HAIL_MARY}}}"
    parts = max(1, size // (8 * MiB))
    if root.exists() and len(list(root.glob("*.mp3"))) == parts:
        return root
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("ffmpeg is not installed (scripts/test installs it)")
    root.mkdir(parents=True, exist_ok=True)
    first = root / "Part 001.mp3"
    # 8 MiB of 64 kbps audio is 1048 s
    subprocess.run([ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "sine=frequency=440:duration=1048", "-ac", "2", "-c:a", "libmp3lame", "-b:a", "64k",
                    str(first)], check=True, capture_output=True)
    for i in range(2, parts + 1):
        shutil.copyfile(first, root / f"Part {i:03d}.mp3")
    return root


def bench_publish(quick: bool, repeat: int) -> dict:
    """``mktint publish`` to two Gazelle sites (the RED and OPS emulators) and a live
    qBittorrent, against hashing alone: ``mktint torrent create --target red --target ops``
    of the same folder. Each run changes a small note in the folder (a new infohash: the
    journal, the sites and the client all see a new release) and starts from a fresh state
    folder (no journal to resume from).

    Publish's time is also split where it starts waiting for qBittorrent to show the
    torrents seeding (its "waiting until" step on stderr): qBittorrent shows an added
    torrent's state only at its next refresh of all states, a free-running 1.5 s timer, so
    that wait is anything from 0 to 1.5 s. Each publish starts at a random moment of that
    period, as a user's would (the rate-limit pause alone, 7 periods, would start every run
    at the same moment of it). At least 5 rounds.
    """
    from tests.emulators.audnexus import HAIL_MARY, audnexus_emulator
    from tests.emulators.gazelle import gazelle_emulator
    from tests.support.qbittorrent import PASSWORD, USERNAME, QbtServer

    book = make_book((256 if quick else 1024) * MiB)
    warm(book)
    root = Path(tempfile.mkdtemp(prefix="mktint-bench-publish-"))
    server = QbtServer(root / "qbt")
    keys = {"red": "red-api-key-0123456789abcdef", "ops": "ops-api-key-0123456789abcdef"}
    try:
        server.start()
        with gazelle_emulator("red", api_key=keys["red"]) as red, \
                gazelle_emulator("ops", api_key=keys["ops"]) as ops, audnexus_emulator() as audnexus:
            # Audnexus agrees with the folder's runtime (1048 s a part; see make_book).
            audnexus.books[HAIL_MARY]["runtimeLengthMin"] = round(len(list(book.glob("*.mp3"))) * 1048 / 60)
            config = root / "config.toml"
            config.write_text(
                f'[defaults]\nclient = "qb"\n\n[services.qb]\nkind = "qbittorrent"\nurl = "{server.url}"\n'
                f'username = "{USERNAME}"\n\n[services.red]\nurl = "{red.url}"\n\n'
                f'[services.ops]\nurl = "{ops.url}"\n\n[services.audnexus]\nurl = "{audnexus.url}"\n')
            env = {**ENV, "MKTINT_CONFIG": str(config), "HOME": str(root), "XDG_CONFIG_HOME": str(root / "config"),
                   "XDG_STATE_HOME": str(root / "state"), "XDG_CACHE_HOME": str(root / "cache"),
                   "MKTINT_QB_PASSWORD": PASSWORD, "MKTINT_RED_API_KEY": keys["red"],
                   "MKTINT_OPS_API_KEY": keys["ops"]}
            last = [0.0]
            until_wait: list[float] = []  # each publish's seconds until its "waiting until" step

            def fresh(phase: float = 0.0) -> None:
                (book / "notes.txt").write_text(f"bench run {os.urandom(8).hex()}\n")
                shutil.rmtree(root / "state" / "mktint" / "publish", ignore_errors=True)  # no journal
                # OPS allows 5 requests per 10 s and mktint keeps to that: start each run with
                # a clear window, so that the figure is publish's own time, not a wait.
                time.sleep(max(0.0, last[0] + 10.5 - time.monotonic()) + phase)

            def publish():
                fresh(phase=random.uniform(0.0, 1.5))  # a random moment of qBittorrent's refresh
                argv = [PY, "-m", "mktint", "publish", str(book), "--to", "red", "--to", "ops",
                        "--yes", "--json", "-o", str(root / "out")]
                started = time.perf_counter()
                proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        env=env, text=True)
                waiting, lines = None, []
                for line in proc.stderr:  # the progress steps, a line each as they happen
                    if waiting is None and "waiting until" in line:
                        waiting = time.perf_counter() - started
                    lines.append(line)
                proc.wait()
                elapsed = time.perf_counter() - started
                last[0] = time.monotonic()
                if proc.returncode != 0 or waiting is None:
                    raise RuntimeError(f"publish exited {proc.returncode}: {''.join(lines)[-500:]}")
                until_wait.append(waiting)
                return elapsed, None

            def hashing():
                fresh()
                return timed_run([PY, "-m", "mktint", "torrent", "create", str(book), "--target", "red",
                                  "--target", "ops", "-o", str(root / "alone"), "--force"], env=env)

            publish()  # the passkeys are fetched and stored once; the qBittorrent session cached
            until_wait.clear()
            results = interleaved({"torrent create --target red --target ops": hashing,
                                   "publish --to red --to ops": publish}, max(repeat, 5))
            whole = results["publish --to red --to ops"]
            whole["uploads"] = len(red.uploads) + len(ops.uploads)
            whole["requests_seen"] = len(red.requests) + len(ops.requests)
            for name, parts in (("publish, until the wait for seeding", until_wait),
                                ("publish, the wait for seeding",
                                 [total - part for total, part in zip(whole["runs_s"], until_wait)])):
                results[name] = {"median_s": statistics.median(parts), "runs_s": [round(x, 4) for x in parts]}
            results = with_ratios(results, "torrent create --target red --target ops")
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    return {"data_bytes": sum(p.stat().st_size for p in book.iterdir()), "results": results}


def bench_ratelimit(quick: bool, repeat: int) -> dict:
    """30 requests to the Gazelle emulator (RED: 10 per 10 s), two ways.

    - in one process: ``GazelleClient.index()`` 30 times in a row;
    - 30 ``mktint red whoami`` processes started at once (the cross-process limiter).

    A fresh emulator and fresh limiter state for every run. The theoretical minimum lets the
    first 10 go at once and then 10 per 10 s; the emulator counts every 429 it answers.
    """
    from tests.emulators.gazelle import PERIOD, gazelle_emulator

    requests, limit = 30, 10
    minimum = (-(-requests // limit) - 1) * PERIOD
    key = "red-api-key-0123456789abcdef"

    def in_process(site, home: Path) -> None:
        from mktint.core.config import ServiceConfig
        from mktint.core.credentials import Credentials
        from mktint.services.gazelle import GazelleClient

        os.environ["XDG_STATE_HOME"] = str(home / "state")  # the limiter's window file
        os.environ["MKTINT_BENCHRED_API_KEY"] = key
        client = GazelleClient(ServiceConfig("benchred", "gazelle", {"url": site.url, "flavour": "red"}, {}), Credentials())
        for _ in range(requests):
            client.index()
        client.close()

    def processes(site, home: Path) -> None:
        (home / "config.toml").write_text(f'[services.red]\nurl = "{site.url}"\n')
        env = {**ENV, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
               "XDG_STATE_HOME": str(home / "state"), "XDG_CACHE_HOME": str(home / "cache"),
               "MKTINT_CONFIG": str(home / "config.toml"), "MKTINT_RED_API_KEY": key}
        procs = [subprocess.Popen([PY, "-m", "mktint", "red", "whoami", "--json"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                 for _ in range(requests)]
        failed = [p.stderr.read().decode(errors="replace") for p in procs if p.wait() != 0]
        for p in procs:
            p.stderr.close()
        if failed:
            raise RuntimeError(f"{len(failed)} whoami run(s) failed: {failed[0][-300:]}")

    contenders = {f"{requests} x index() in one process": in_process,
                  f"{requests} x mktint red whoami at once": processes}
    runs = {name: [] for name in contenders}
    for _ in range(repeat):
        for name, run in contenders.items():
            home = Path(tempfile.mkdtemp(prefix="mktint-bench-home-"))
            try:
                with gazelle_emulator("red", api_key=key, limit=limit) as site:
                    started = time.perf_counter()
                    run(site, home)
                    runs[name].append((time.perf_counter() - started, site.rate_limited,
                                       len(site.requests)))
            finally:
                shutil.rmtree(home, ignore_errors=True)
    result = {"theoretical minimum": {"median_s": minimum, "runs_s": [minimum]}}
    for name, figures in runs.items():
        result[name] = {"median_s": statistics.median(t for t, _, _ in figures),
                        "runs_s": [round(t, 4) for t, _, _ in figures],
                        "http_429": max(r for _, r, _ in figures),
                        "requests_seen": max(n for _, _, n in figures)}
    return {"limit": f"{limit} per {PERIOD:g} s", "requests": requests,
            "results": with_ratios(result, "theoretical minimum")}


SECTIONS = {
    "creation": bench_creation,
    "targets": bench_targets,
    "startup": bench_startup,
    "latency": bench_latency,
    "qbittorrent": bench_qbittorrent,
    "scale": bench_scale,
    "publish": bench_publish,
    "ratelimit": bench_ratelimit,
}


# -- report ------------------------------------------------------------------------------

def table(title: str, results: dict) -> str:
    lines = [f"\n{title}", f"  {'contender':<38} {'median':>9} {'ratio':>7} {'peak RSS':>10}  extra"]
    for name, entry in results.items():
        if not isinstance(entry, dict) or "median_s" not in entry:
            continue
        extra = ""
        if "share_of_sha1_limit" in entry:
            extra = f"{entry['share_of_sha1_limit'] * 100:.0f}% of SHA-1 limit"
        for key in ("http_429", "requests_seen", "torrents", "uploads", "client_cpu_s"):
            if key in entry:
                extra += f" {key}={entry[key]}"
        rss = f"{entry['peak_rss_mib']:>8.1f}Mi" if "peak_rss_mib" in entry else f"{'-':>10}"
        lines.append(f"  {name:<38} {entry['median_s']:>8.3f}s {entry['ratio']:>6.2f}x {rss}  {extra}")
    return "\n".join(lines)


def show(title: str, value: dict) -> None:
    """Print every table of a section's results, however deeply nested; growth lines too."""
    if any(isinstance(v, dict) and "median_s" in v for v in value.values()):
        print(table(title, value))
    if title.split(" / ")[-1].startswith("growth"):
        print(f"\n{title}\n" + "\n".join(f"  {name:<38} {factor:>8.2f}x" for name, factor in value.items()))
        return
    for key, inner in value.items():
        if isinstance(inner, dict) and "median_s" not in inner:
            show(f"{title} / {key}", inner)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smaller data (256 MiB, 4,000 small files, 8 GiB sparse, 50/500 torrents, "
                             "scale at a tenth); with --only, one section in a minute or two")
    parser.add_argument("--only", nargs="+", choices=sorted(SECTIONS), help="run these sections only")
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender (at least 3)")
    parser.add_argument("--creation", nargs="+", choices=CREATION_PARTS, default=CREATION_PARTS,
                        metavar="PART", help="the parts of the creation section to run: "
                        f"{', '.join(CREATION_PARTS)} (default: all; the others keep their "
                        "figures from the previous results.json)")
    args = parser.parse_args()
    repeat = max(3, args.repeat)
    DATA.mkdir(parents=True, exist_ok=True)
    # An installed package has its bytecode compiled (pip does it); this checkout may not
    # (PYTHONDONTWRITEBYTECODE), and compiling on every start would be measured as start-up.
    compileall.compile_dir(REPO / "mktint", quiet=1)
    report = {"machine": machine(), "quick": args.quick, "repeat": repeat,
              "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "sections": {}}
    print(f"machine: {report['machine']['cpu']}, {report['machine']['cores']} cores, "
          f"{report['machine']['memory_gib']} GiB; {report['machine']['versions']}")
    print(f"load average at the start: {' '.join(map(str, load()))}"
          f"{' (quick: smaller data)' if args.quick else ''}")
    for name in args.only or SECTIONS:
        started = time.perf_counter()
        before = load()
        try:
            if name == "creation":
                report["sections"][name] = bench_creation(args.quick, repeat, tuple(args.creation))
            else:
                report["sections"][name] = SECTIONS[name](args.quick, repeat)
        except Exception as e:  # one broken section must not hide the others
            report["sections"][name] = {"error": f"{type(e).__name__}: {e}"}
            print(f"\n{name}: FAILED: {e}")
            continue
        section = report["sections"][name]
        section["when"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        section["load_average_before"] = before
        section["load_average"] = load()
        show(name, section)
        print(f"  ({time.perf_counter() - started:.0f} s; load average before: "
              f"{' '.join(map(str, before))}, after: {' '.join(map(str, section['load_average']))})")
    partial_creation = set(args.creation) != set(CREATION_PARTS)
    if (args.only or partial_creation) and RESULTS.exists():  # keep the rest of the last run
        previous = json.loads(RESULTS.read_text()).get("sections", {})
        if partial_creation and "creation" in report["sections"] and "creation" in previous:
            report["sections"]["creation"] = {**previous["creation"], **report["sections"]["creation"]}
        if args.only:
            report["sections"] = {**previous, **report["sections"]}
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
