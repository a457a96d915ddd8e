"""Shell completion beyond click's own: words that only a qBittorrent server knows
(categories, tags and torrent hashes described by the torrent's name), config keys, and
paths handed to the shell's own file or folder completion.

Rules: never prompt, never print, never fail — any error completes nothing. One
second in all (the server is asked in a helper thread with 1 s timeouts and no retry;
the completion answers empty when the second is up). A server with a session cached by
an earlier run (or one that lets loopback clients in without a login) is asked with one
plain GET (``services/qbittorrent/quick.py``: no HTTP
library, so a Tab costs about what ``import click`` costs, and a new category shows at
once); otherwise the full client asks, and its answers are cached for 60 s in
``$XDG_CACHE_HOME/mktint/completion/`` so that pressing Tab again is instant. Torrent
hashes are cached for 10 s however they were asked (a large library's list is slow to
make). A stopped server (connection refused) completes nothing at once.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import click

from mktint.cli.options import state_of

BUDGET = 1.0  # seconds for one completion, connection and login included
TTL = 60.0  # seconds an answer is reused
HASH_TTL = 10.0  # torrents come and go faster than categories and tags
CACHE_NAMESPACE = "completion"


# What each kind of server word is: the endpoint that lists it, and the words in its answer
# (the raw JSON of GET api/v2/<endpoint>, whichever way it was fetched).
WORDS: dict[str, tuple[str, Callable[[Any], list]]] = {
    "categories": ("torrents/categories", sorted),  # a dict: its keys
    "tags": ("torrents/tags", sorted),
    "hashes": ("torrents/info", lambda data: [[t["hash"], t["name"] or ""] for t in data]),
}
# A whole library's torrents can take the server a second: they are kept HASH_TTL seconds
# however they were asked. Categories and tags are a few words, asked afresh on every Tab
# when the plain GET can (a category made a moment ago shows at once).
CACHED_EVEN_WHEN_QUICK = frozenset({"hashes"})


def _fetch(config_path: str | None, service_name: str | None, what: str) -> list:
    """``what`` ("categories", "tags", or "hashes": [hash, name] pairs) of a qBittorrent
    service.

    One plain GET with the session an earlier run cached, if any (``quick``: no requests);
    when that cannot answer (a 403 for no session or an expired one, https, a proxy) the
    full client asks, and its answers go through the cache (``TTL``). A refused connection ends it at
    once, before the cache or the HTTP stack loads.
    """
    from mktint.core import config
    from mktint.core.factory import Factory
    from mktint.services.qbittorrent import quick

    factory = Factory(config_path)
    name = service_name or factory.config.default_client()
    service = factory.service_config(name, "qbittorrent")
    endpoint, words_in = WORDS[what]
    base_url = config.base_url(service["url"])
    if what not in CACHED_EVEN_WHEN_QUICK:
        data = quick.get_json(name, base_url, endpoint, BUDGET)
        if data is not None:
            return _checked(what, words_in(data))
    if not quick.proxied():  # a stopped server: nothing, before the HTTP stack loads
        quick.connect(base_url, BUDGET).close()

    def ask_server() -> list:
        data = (quick.get_json(name, base_url, endpoint, BUDGET)
                if what in CACHED_EVEN_WHEN_QUICK else None)
        if data is None:
            data = _ask_the_full_client(factory, name, endpoint)
        return words_in(data)

    from mktint.core.cache import Cache

    key = f"{name}\0{service['url']}\0{what}"
    ttl = HASH_TTL if what == "hashes" else TTL
    return _checked(what, Cache(CACHE_NAMESPACE, ttl).fetch(key, ask_server))


def _ask_the_full_client(factory, name: str, endpoint: str):
    import logging  # the client's modules import it anyway

    # A Tab never prints: a notice (a keyring value differing from the file's) goes nowhere
    logging.getLogger("mktint.notice").addHandler(logging.NullHandler())
    client = factory.service(name, "qbittorrent")
    client.timeout = (BUDGET, BUDGET)
    client.max_attempts = 1
    try:
        return client.json(endpoint)
    finally:
        client.close()


def _checked(what: str, words) -> list:
    """Only well-formed words (an answer or a cache entry may hold anything)."""
    if not isinstance(words, list):
        return []
    if what == "hashes":
        return [w for w in words if isinstance(w, list) and len(w) == 2
                and all(isinstance(x, str) for x in w)]
    return [w for w in words if isinstance(w, str)]


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
