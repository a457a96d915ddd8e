"""The piece hasher shared by ``create`` and ``verify``.

One reader (the calling thread) reads the files in order with ``readinto`` into a small
pool of reused piece-sized buffers and hands each whole piece to a ``ThreadPoolExecutor``
of ``hashlib.sha1`` workers (hashlib releases the GIL). The pool holds ``threads + 2``
buffers, so memory stays at a few pieces per worker whatever the size of the data.
"""

from __future__ import annotations

import hashlib
import io
import os
import queue
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Sequence

from mktint.core.errors import OperationFailed


class ChangedDuringHashing(OperationFailed):
    code = "file_changed"


@dataclass(frozen=True)
class Source:
    """One file of the piece stream.

    ``path=None`` reads as ``length`` zero bytes (a missing file in ``verify``). With
    ``stat=(size, mtime_ns)`` the file must keep that size and mtime while it is read.
    ``available`` caps how many bytes are read from the file (the rest reads as zeros).
    """

    path: str | None
    length: int
    stat: tuple[int, int] | None = None
    available: int | None = None

    @property
    def display(self) -> str:
        return show_name(self.path or "")


def show_name(name: str) -> str:
    """A file name for messages: undecodable bytes shown as ``\\xNN``."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def default_threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def open_for_reading(path: str) -> io.FileIO:
    """``path`` opened unbuffered for ``readinto`` (a seam for tests)."""
    return io.FileIO(path, "rb")


def read_error(display: str, error: OSError) -> OperationFailed:
    return OperationFailed(f"cannot read {display}: {error.strerror or error}",
                           hint="check that the file exists and is readable")


def hash_pieces(sources: Sequence[Source], piece_length: int, *, threads: int | None = None,
                progress: Callable[[int], None] | None = None) -> bytes:
    """The concatenated SHA-1 digests of the pieces of ``sources`` read as one stream."""
    threads = threads or default_threads()
    total = sum(s.length for s in sources)
    count = -(-total // piece_length)
    digests: list[bytes | None] = [None] * count
    free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()
    for _ in range(min(threads + 2, max(count, 1))):
        free.put(bytearray(piece_length))
    zeros = memoryview(bytes(piece_length)) if any(
        s.path is None or s.available is not None for s in sources) else None

    def work(index: int, buffer: bytearray, size: int) -> None:
        try:
            digests[index] = hashlib.sha1(memoryview(buffer)[:size]).digest()
        finally:
            free.put(buffer)  # the reader may be waiting for it

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sha1") as pool:
        futures = []
        state = {"index": 0, "buffer": free.get(), "fill": 0}

        def submit() -> None:
            futures.append(pool.submit(work, state["index"], state["buffer"], state["fill"]))
            if progress is not None:
                progress(state["fill"])
            state["index"] += 1
            state["fill"] = 0
            state["buffer"] = free.get() if state["index"] < count else None

        try:
            for source in sources:
                _read_source(source, piece_length, state, submit, zeros)
            if state["fill"]:
                submit()
        finally:
            # Wait for queued pieces before leaving (also when the reader failed), then
            # surface any worker error.
            for future in futures:
                future.result()
    return b"".join(digests)  # type: ignore[arg-type]


def _read_source(source: Source, piece_length: int, state: dict, submit, zeros) -> None:
    remaining = source.length
    readable = remaining if source.available is None else min(source.available, remaining)
    handle = None
    if source.path is not None and (readable or source.stat is not None):
        try:
            handle = open_for_reading(source.path)
        except OSError as e:
            raise read_error(source.display, e) from None
    try:
        if handle is not None and source.stat is not None:
            _check_unchanged(handle.fileno(), source)
        while remaining:
            buffer = memoryview(state["buffer"])
            want = min(remaining, piece_length - state["fill"])
            start = state["fill"]
            from_file = min(want, readable) if handle is not None else 0
            got = 0
            while got < from_file:
                try:
                    n = handle.readinto(buffer[start + got:start + from_file])
                except OSError as e:
                    raise read_error(source.display, e) from None
                if n == 0:
                    raise ChangedDuringHashing(
                        f"{source.display} changed while it was being hashed (it is shorter "
                        f"than {source.length} bytes now)", hint="run the command again when "
                        "nothing is writing to the files")
                got += n
            if from_file < want:
                buffer[start + from_file:start + want] = zeros[:want - from_file]
            readable -= from_file
            remaining -= want
            state["fill"] += want
            if state["fill"] == piece_length:
                submit()
        if handle is not None and source.stat is not None:
            _check_unchanged(handle.fileno(), source)
    finally:
        if handle is not None:
            handle.close()


def _check_unchanged(fd: int, source: Source) -> None:
    st = os.fstat(fd)
    if (st.st_size, st.st_mtime_ns) != source.stat:
        raise ChangedDuringHashing(
            f"{source.display} changed while it was being hashed (size or modification time)",
            hint="run the command again when nothing is writing to the files")
