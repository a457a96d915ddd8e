"""Tracker targets for torrent creation: what a torrent for service NAME must contain.

A target is a configured service of kind ``gazelle`` (RED, OPS) or ``mam``. Its torrent is
private, carries the service's ``source`` (built-in RED/OPS/MAM; otherwise the upper-cased
service name) and announces to the service's ``announce`` URL, with ``{passkey}`` filled
from the credential store (secret ``PASSKEY``) or, for Gazelle, fetched once from the
tracker and stored.
"""

from __future__ import annotations


import dataclasses

from mktint.core import redact
from mktint.core.errors import ConfigError, OperationFailed, UsageError
from mktint.core.sites import Site, refused_files
from mktint.torrent.create import FilePlan, TorrentSpec

TARGET_KINDS = ("gazelle", "mam")


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
    source = Site.of(service).source if service.kind == "gazelle" else service.get("source")
    return TorrentSpec(target=name, private=True, source=source or name.upper(),
                       announce=[[announce]])


def preflight(factory, name: str, plan: FilePlan, category: str = "audiobooks") -> list[str]:
    """What the tracker would refuse about ``plan`` (files, path lengths); checked before
    any hashing. ``category`` is the upload category (audiobooks, music, ... share one
    list of allowed files)."""
    from mktint.workflows.gazelle_upload import file_problems

    service = _target_config(factory, name)
    if service.kind != "gazelle":
        return []
    return [f"{name}: {p.message}" for p in
            file_problems(Site.of(service), category, plan.name, [f.parts for f in plan.files])]


def exclude_refused(factory, names: list[str], plan: FilePlan,
                    category: str = "audiobooks") -> tuple[FilePlan, list[str]]:
    """``plan`` without the files any of the Gazelle targets ``names`` would refuse, and
    the paths left out. A single-file torrent or a refused folder name cannot be fixed so:
    those stay, for preflight to report."""
    refused: set[str] = set()
    for name in names:
        service = _target_config(factory, name)
        if service.kind == "gazelle":
            for r in refused_files(Site.of(service).flavour, category, plan.name,
                                   [f.parts for f in plan.files]):
                if r.excludable:
                    refused.add(r.path)
    if not refused:
        return plan, []
    kept = [f for f in plan.files if "/".join([plan.name, *f.parts]) not in refused]
    if not kept:
        raise OperationFailed(f"every file of {plan.name} is one the tracker refuses",
                              hint="nothing would be left to upload")
    return dataclasses.replace(plan, files=kept), sorted(refused)
