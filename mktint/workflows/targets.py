"""Tracker targets for torrent creation: what a torrent for service NAME must contain.

A target is a configured service of kind ``gazelle`` (RED, OPS) or ``mam``. Its torrent is
private, carries the service's ``source`` (built-in RED/OPS/MAM; otherwise the upper-cased
service name) and announces to the service's ``announce`` URL, with ``{passkey}`` filled
from the credential store (secret ``PASSKEY``) or, for Gazelle, fetched once from the
tracker and stored.
"""

from __future__ import annotations


from mktint.core import redact
from mktint.core.errors import ConfigError, UsageError
from mktint.torrent.create import FilePlan, TorrentSpec
from mktint.torrent.rules import long_paths

TARGET_KINDS = ("gazelle", "mam")
DEFAULT_PATH_LIMIT = 180


def _target_config(factory, name: str):
    service = factory.service_config(name)
    if service.kind not in TARGET_KINDS:
        raise UsageError(f"service {name!r} is a {service.kind} service, not a tracker",
                         hint="--target takes a gazelle or mam service (red, ops, mam)")
    return service


def resolve_target(factory, name: str) -> TorrentSpec:
    """The spec of a torrent for tracker service ``name`` (may fetch and store a passkey)."""
    service = _target_config(factory, name)
    announce = service.get("announce")
    if not announce:
        raise ConfigError(f"no announce URL configured for {name}", service=name,
                          hint="copy your personal announce URL from the tracker's site, then: "
                               f"mktint config set services.{name}.announce URL")
    if "{passkey}" in announce:
        passkey = factory.credentials.get(name, "PASSKEY")
        if not passkey and service.kind == "gazelle":
            passkey = factory.service(name, "gazelle").fetch_passkey()
        elif not passkey:
            passkey = factory.credentials.require(name, "PASSKEY")  # MissingCredential, exit 3
        redact.register(passkey)
        announce = announce.replace("{passkey}", passkey)
    else:
        redact.register(announce)  # a personal announce URL (MAM) is a secret as a whole
    return TorrentSpec(target=name, private=True, source=service.get("source") or name.upper(),
                       announce=[[announce]])


def preflight(factory, name: str, plan: FilePlan) -> list[str]:
    """What the tracker would refuse about ``plan``; checked before any hashing."""
    service = _target_config(factory, name)
    problems = []
    if service.kind == "gazelle":
        limit = service.get("path_limit") or DEFAULT_PATH_LIMIT
        parts = [f.parts for f in plan.files]
        for long in long_paths(plan.name, parts, limit):
            problems.append(f"{name}: path has {long.length} characters, more than {limit}: "
                            f"{long.path}")
    return problems
