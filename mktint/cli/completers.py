"""Shell completion beyond click's own: words that only a qBittorrent server knows
(categories, tags and torrent hashes described by the torrent's name), config keys, and
paths handed to the shell's own file or folder completion.

Rules: never prompt, never print, never fail — any error completes nothing. One
second in all (the server is asked in a helper thread with 1 s timeouts and no retry;
the completion answers empty when the second is up). Answers are cached for 60 s in
``$XDG_CACHE_HOME/mktint/completion/`` so that pressing Tab again is instant. Nothing
heavy (requests) is imported unless a server word is actually being completed.
"""

from __future__ import annotations

import threading
from typing import Callable

import click

from mktint.cli.options import state_of

BUDGET = 1.0  # seconds for one completion, connection and login included
TTL = 60.0  # seconds an answer is reused
HASH_TTL = 10.0  # torrents come and go faster than categories and tags
CACHE_NAMESPACE = "completion"


def _fetch(config_path: str | None, service_name: str | None, what: str) -> list:
    """``what`` ("categories", "tags", or "hashes": [hash, name] pairs) of a qBittorrent
    service, through the cache. A server that refuses the connection completes nothing,
    before the cache or the HTTP stack is loaded (a stopped server answers at once)."""
    from mktint.core.factory import Factory

    factory = Factory(config_path)
    name = service_name or factory.config.default_client()
    service = factory.service_config(name, "qbittorrent")
    _probe(service["url"])
    key = f"{name}\0{service['url']}\0{what}"

    def ask_server() -> list:
        client = factory.service(name, "qbittorrent")
        client.timeout = (BUDGET, BUDGET)
        client.max_attempts = 1
        try:
            if what == "hashes":
                return [[t["hash"], t["name"] or ""] for t in client.torrents()]
            return sorted(getattr(client, what)())
        finally:
            client.close()

    from mktint.core.cache import Cache

    words = Cache(CACHE_NAMESPACE, HASH_TTL if what == "hashes" else TTL).fetch(key, ask_server)
    if not isinstance(words, list):
        return []
    if what == "hashes":
        return [w for w in words if isinstance(w, list) and len(w) == 2
                and all(isinstance(x, str) for x in w)]
    return [w for w in words if isinstance(w, str)]


def _probe(url: str) -> None:
    """Raise OSError when nothing listens at ``url``'s host and port (refused at once).

    A Tab with the server stopped must cost no more than a third of ``import click``, so
    this imports neither requests, keyring, the client nor the cache; it even uses
    ``_socket``, the C module under ``socket``, whose Python layer spends 2.5 ms building
    enums (``socket.create_connection`` does what the loop below does). Skipped when a
    proxy is set (requests would use it).
    """
    import _socket
    import os
    from urllib.parse import urlsplit

    if any(os.environ.get(v) for v in ("http_proxy", "https_proxy", "all_proxy",
                                       "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")):
        return
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname or ""
    # bytes: a str host is encoded with the idna codec, one more module to import
    host_bytes = host.encode("ascii") if host.isascii() else host.encode("idna")
    error: OSError = OSError(f"no address for {host}")
    for family, kind, proto, _name, address in _socket.getaddrinfo(
            host_bytes, port, 0, _socket.SOCK_STREAM):
        sock = _socket.socket(family, kind, proto)
        try:
            sock.settimeout(BUDGET)
            sock.connect(address)
            return
        except OSError as e:
            error = e
        finally:
            sock.close()
    raise error


def server_words(config_path: str | None, service_name: str | None, what: str,
                 budget: float = BUDGET) -> list:
    """The server's words, or [] on any error or when ``budget`` seconds run out."""
    result: list[list[str]] = []

    def run() -> None:
        try:
            result.append(_fetch(config_path, service_name, what))
        except BaseException:  # completion must never fail, whatever went wrong
            pass

    worker = threading.Thread(target=run, name="mktint-completion", daemon=True)
    worker.start()
    worker.join(budget)
    return result[0] if result else []


def qbit_completer(what: str, *, service_key: str, comma_list: bool = False) -> Callable:
    """A ``shell_complete`` callback completing qBittorrent ``what`` ("categories"/"tags").

    ``service_key`` is the ``ctx.meta`` key where the qbit group records ``-s NAME``.
    With ``comma_list`` the word is a comma-separated list and its last item is completed.
    """

    def complete(ctx: click.Context, _param, incomplete: str):
        try:
            head, _, last = incomplete.rpartition(",") if comma_list else ("", "", incomplete)
            given = set(head.split(",")) if head else set()
            words = server_words(state_of(ctx).config_path, ctx.meta.get(service_key), what)
            prefix = head + "," if head else ""
            return [prefix + w for w in words if w.startswith(last) and w not in given]
        except Exception:
            return []

    return complete


def hash_completer(*, service_key: str) -> Callable:
    """A ``shell_complete`` callback completing torrent hashes; each is described by the
    torrent's name (shown by zsh and fish). Same rules and budget as ``qbit_completer``."""

    def complete(ctx: click.Context, _param, incomplete: str):
        try:
            from click.shell_completion import CompletionItem

            pairs = server_words(state_of(ctx).config_path, ctx.meta.get(service_key), "hashes")
            typed = incomplete.lower()
            return [CompletionItem(h, help=name) for h, name in pairs if h.startswith(typed)]
        except Exception:
            return []

    return complete


def _shell_paths(kind: str) -> Callable:
    """Hand the word to the shell's own path completion (``kind``: "file" or "dir")."""

    def complete(_ctx: click.Context, _param, incomplete: str):
        from click.shell_completion import CompletionItem

        return [CompletionItem(incomplete, type=kind)]

    return complete


complete_files = _shell_paths("file")  # qbit add: .torrent files (magnets and URLs are typed)
complete_folders = _shell_paths("dir")  # book show|chapters|description: a book folder


def complete_config_keys(ctx: click.Context, _param, incomplete: str) -> list[str]:
    """`config get|set|unset KEY`: defaults.* and services.NAME.* of the services known."""
    try:
        from mktint.core import config
        from mktint.core.kinds import DEFAULTS_FIELDS, fields_of

        loaded = config.load(state_of(ctx).config_path)
        keys = [f"defaults.{key}" for key in DEFAULTS_FIELDS]
        for name, service in sorted(loaded.services.items()):
            keys += [f"services.{name}.{key}" for key in fields_of(service.kind)]
        return [key for key in keys if key.startswith(incomplete)]
    except Exception:  # completion never fails
        return []
