"""Fixtures for the Gazelle tests: the emulator, a configured service, and — until the
torrent engine's ``mktint.torrent.metainfo`` lands — a private stand-in for ``Metainfo``
with the attributes the upload workflow relies on (.infohash, .name, .files[].parts,
.files[].length, .private, .source, .is_v1_only)."""

from __future__ import annotations

import importlib.util
import sys
import types
from dataclasses import dataclass

import pytest

from tests.emulators import bencode
from tests.emulators.gazelle import gazelle_emulator

RED_KEY = "red-api-key-0123456789abcdef"
OPS_KEY = "ops-api-key-0123456789abcdef"
PASSKEY = "passkey-0123456789abcdef0123"


@dataclass(frozen=True)
class _File:
    parts: tuple[str, ...]
    length: int


class _StandInMetainfo:
    def __init__(self, data: bytes):
        from mktint.core.errors import UsageError

        try:
            info = bencode.decode(data)[b"info"]
            self.infohash = bencode.infohash(data)
        except (ValueError, KeyError, TypeError, IndexError):
            raise UsageError("not a valid .torrent file") from None
        self.name = info[b"name"].decode()
        if b"files" in info:
            self.files = [_File(tuple(p.decode() for p in f[b"path"]), f[b"length"])
                          for f in info[b"files"]]
        else:
            self.files = [_File((), info[b"length"])]
        self.private = info.get(b"private") == 1
        self.source = info[b"source"].decode() if b"source" in info else None
        self.is_v1_only = b"meta version" not in info and b"file tree" not in info

    @classmethod
    def parse(cls, data: bytes) -> "_StandInMetainfo":
        return cls(data)


@pytest.fixture(autouse=True)
def metainfo_module(monkeypatch):
    if importlib.util.find_spec("mktint.torrent.metainfo") is None:
        module = types.ModuleType("mktint.torrent.metainfo")
        module.Metainfo = _StandInMetainfo
        monkeypatch.setitem(sys.modules, "mktint.torrent.metainfo", module)


KEYS = {"red": RED_KEY, "ops": OPS_KEY}


@pytest.fixture(params=["red", "ops"])
def flavour(request):
    return request.param


@pytest.fixture
def site(flavour, config_file, monkeypatch):
    """An emulated site of this flavour, configured as service ``red``/``ops``, key in env."""
    with gazelle_emulator(flavour, api_key=KEYS[flavour], passkey=PASSKEY) as emulator:
        config_file(f'[services.{flavour}]\nurl = "{emulator.url}"\n')
        monkeypatch.setenv(f"MKTINT_{flavour.upper()}_API_KEY", KEYS[flavour])
        yield emulator
