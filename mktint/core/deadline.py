"""A deadline on a whole request, however slowly its bytes arrive.

A socket timeout bounds each read, not the request: a server that sends one byte every
two seconds never trips a 3-second read timeout and can hold a command forever. Here every
socket that requests opens is wrapped so that each read and write first cuts its timeout
to the time left before the deadline of the request running in this thread, and fails
with ``socket.timeout`` once it has passed. urllib3 turns that into its usual read
timeout, so the caller sees one kind of failure whether the server was silent or slow.

:func:`within` sets the deadline for the requests of this thread; :func:`mount` installs
the wrapping on a ``requests.Session``.
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import time
from typing import Iterator

from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_current = threading.local()


@contextlib.contextmanager
def within(deadline: float) -> Iterator[None]:
    """Requests sent by this thread inside the block end by ``deadline`` (monotonic)."""
    previous = getattr(_current, "deadline", None)
    _current.deadline = deadline if previous is None else min(previous, deadline)
    try:
        yield
    finally:
        _current.deadline = previous


def left() -> float | None:
    """Seconds left before this thread's deadline (None: no deadline)."""
    deadline = getattr(_current, "deadline", None)
    return None if deadline is None else deadline - time.monotonic()


class DeadlineSocket:
    """A connected socket (plain or TLS) whose reads and writes stop at the deadline."""

    def __init__(self, sock: socket.socket):
        self._sock = sock
        self._timeout = sock.gettimeout()

    def settimeout(self, value: float | None) -> None:
        self._timeout = value
        self._sock.settimeout(value)

    def gettimeout(self) -> float | None:
        return self._timeout

    def _arm(self) -> None:
        remaining = left()
        if remaining is None:
            self._sock.settimeout(self._timeout)
            return
        if remaining <= 0:
            raise socket.timeout("the request's deadline has passed")
        self._sock.settimeout(remaining if self._timeout is None else min(self._timeout, remaining))

    def recv(self, *args):
        self._arm()
        return self._sock.recv(*args)

    def recv_into(self, *args):
        self._arm()
        return self._sock.recv_into(*args)

    def send(self, *args):
        self._arm()
        return self._sock.send(*args)

    def sendall(self, *args):
        self._arm()
        return self._sock.sendall(*args)

    def makefile(self, mode: str = "r", buffering: int | None = None, **_kwargs):
        # http.client reads the answer through makefile("rb"): route it through recv_into.
        # The file holds the socket open (as socket.makefile does): http.client closes
        # the connection of a "Connection: close" answer before its body is read.
        if mode != "rb":
            raise ValueError(f"unsupported makefile mode {mode!r}")
        self._sock._io_refs += 1
        return io.BufferedReader(socket.SocketIO(self, "rb"), buffering or io.DEFAULT_BUFFER_SIZE)

    def _decref_socketios(self) -> None:  # SocketIO.close() calls this
        self._sock._decref_socketios()

    def __getattr__(self, name: str):
        return getattr(self._sock, name)


def _wrap(conn) -> None:
    """Connect now (urllib3 would on the first send) and wrap the new socket."""
    if conn.is_closed:
        conn.connect()
    if conn.sock is not None and not isinstance(conn.sock, DeadlineSocket):
        conn.sock = DeadlineSocket(conn.sock)


# The pools wrap each connection's socket in _validate_conn, the hook urllib3 calls on every
# connection before a request, rather than replacing ConnectionCls: test recorders (vcrpy)
# substitute their own connection class there.
class _Pool(HTTPConnectionPool):
    def _validate_conn(self, conn) -> None:
        super()._validate_conn(conn)
        _wrap(conn)


class _TLSPool(HTTPSConnectionPool):
    def _validate_conn(self, conn) -> None:
        super()._validate_conn(conn)
        _wrap(conn)


class _Adapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}

    def proxy_manager_for(self, proxy, **kwargs):
        manager = super().proxy_manager_for(proxy, **kwargs)
        manager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}
        return manager


def mount(session) -> None:
    """Make every connection of ``session`` honour :func:`within`."""
    adapter = _Adapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
