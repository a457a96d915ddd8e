"""The kinds of service mktint talks to: their config schema, secrets and client class.

This table is read by config validation (which must stay cheap: no client is imported
here) and by the factory (which imports a client class only when one is built).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from mktint.core.sites import FLAVOURS


class Field(NamedTuple):
    """One config key: its type, its default and a one-line description."""

    type: str  # "str", "int", "float", "bool", "list", "table", "bool|str"
    help: str
    default: Any = None
    choices: tuple[str, ...] | None = None


class Kind(NamedTuple):
    name: str
    client: str  # "module:Class", imported lazily by the factory
    fields: dict[str, Field]
    secrets: tuple[str, ...]  # secret names, e.g. ("API_KEY", "PASSKEY")
    required_secrets: tuple[str, ...] = ()  # at least one of these must be present
    description: str = ""
    # A tracker kind: "module:Class" of its target (mktint.workflows.trackers), the one
    # object torrent create --target, the upload commands and publish use. None: not a
    # tracker.
    tracker: str | None = None


COMMON_FIELDS: dict[str, Field] = {
    "kind": Field("str", "which kind of service this is"),
    "url": Field("str", "base URL of the service"),
    "timeout": Field("float", "read timeout in seconds (connect timeout is 5 s)", 30.0),
    "deadline": Field("float", "seconds one request may take in all: every byte of the answer, "
                               "retries and redirects", 60.0),
    "verify_tls": Field("bool|str", "verify TLS certificates: true, false, or a CA bundle path", True),
}

KINDS: dict[str, Kind] = {
    "qbittorrent": Kind(
        name="qbittorrent",
        client="mktint.services.qbittorrent:QBittorrentClient",
        description="a qBittorrent WebUI",
        fields={
            "username": Field("str", "WebUI user name", "admin"),
            "category": Field("str", "category given to torrents mktint adds"),
            "tags": Field("list", "tags given to torrents mktint adds", []),
            "path_map": Field("table", "host path prefix → path prefix inside the client (Docker)", {}),
        },
        secrets=("PASSWORD", "API_KEY"),
    ),
    "gazelle": Kind(
        name="gazelle",
        client="mktint.services.gazelle:GazelleClient",
        description="a Gazelle tracker with a JSON API (RED, OPS)",
        fields={
            "flavour": Field("str", "which site's rules apply (rate limit, auth header, source, "
                                    "path limit, formats; see mktint/core/sites.py)", None,
                             tuple(FLAVOURS)),
            "announce": Field("str", "announce URL; {passkey} is filled from the credential store"),
            "source": Field("str", "info.source written into torrents for this tracker"),
            "path_limit": Field("int", "longest allowed 'folder/file' path in characters"),
        },
        secrets=("API_KEY", "PASSKEY"),
        required_secrets=("API_KEY",),
        tracker="mktint.workflows.trackers.gazelle:GazelleTracker",
    ),
    "mam": Kind(
        name="mam",
        client="mktint.services.mam:MamClient",
        description="MyAnonamouse (no upload API)",
        fields={
            "announce": Field("str", "your personal announce URL, copied from the site; "
                                     "{passkey} is filled from the credential store"),
            "source": Field("str", "info.source written into torrents for MAM", "MAM"),
            "seedbox_url": Field("str", "dynamic-seedbox endpoint (registers a seedbox's IP)",
                                 "https://t.myanonamouse.net/json/dynamicSeedbox.php"),
        },
        secrets=("MAM_ID", "PASSKEY"),
        required_secrets=("MAM_ID",),
        tracker="mktint.workflows.trackers.mam:MamTracker",
    ),
    "audnexus": Kind(
        name="audnexus",
        client="mktint.services.audnexus:AudnexusClient",
        description="Audnexus audiobook metadata (public, no credentials)",
        fields={
            "region": Field("str", "Audible region", "us",
                            ("au", "ca", "de", "es", "fr", "in", "it", "jp", "us", "uk")),
            "cache_hours": Field("float", "how long fetched metadata is reused", 24.0),
        },
        secrets=(),
    ),
}

# Instances that exist with no config at all. A [services.<name>] table with one of these
# names may leave out `kind` and inherits these values.
BUILTIN_SERVICES: dict[str, dict[str, Any]] = {
    "qbittorrent": {"kind": "qbittorrent", "url": "http://127.0.0.1:8080"},
    **{name: {"kind": "gazelle", "url": f.url, "flavour": name, "announce": f.announce}
       for name, f in FLAVOURS.items()},
    "mam": {"kind": "mam", "url": "https://www.myanonamouse.net"},
    "audnexus": {"kind": "audnexus", "url": "https://api.audnex.us", "region": "us"},
}

DEFAULTS_FIELDS: dict[str, Field] = {
    "client": Field("str", "qBittorrent service used when -s/--service or --client is not given",
                    "qbittorrent"),
    "output_dir": Field("str", "folder where `torrent create` writes when -o is not given"),
    "description_template": Field("str", "template file for release descriptions "
                                  "(`book description`, publish); built-in layout if unset"),
}

SECRET_NAMES = ("PASSWORD", "API_KEY", "PASSKEY", "MAM_ID")


def tracker_kinds() -> tuple[str, ...]:
    """The kinds of service that are trackers (a torrent can be made and published for)."""
    return tuple(name for name, kind in KINDS.items() if kind.tracker)


def fields_of(kind: str) -> dict[str, Field]:
    return {**COMMON_FIELDS, **KINDS[kind].fields}
