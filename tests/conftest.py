"""Every test runs with its own HOME and XDG directories, an in-memory keyring, no
MKTINT_* variables from the developer's shell, and no network beyond loopback."""

from __future__ import annotations

import ipaddress
import os
import socket

import pytest

from tests.support.memkeyring import MemoryKeyring
from tests.support.qbittorrent import qbittorrent, qbittorrent_fresh  # noqa: F401  (fixtures)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    for name in list(os.environ):
        # MKTINT_RECORD is the test suite's own switch (re-record cassettes), not mktint's.
        if (name.startswith("MKTINT_") and name != "MKTINT_RECORD") or name == "NO_COLOR":
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local/state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    # Subprocesses get keyring's null backend, so secrets land in the 0600 file.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    return home


@pytest.fixture(autouse=True)
def memory_keyring():
    import keyring

    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def fresh_redactor():
    from mktint.core import redact

    redact._clear_for_tests()
    yield
    redact._clear_for_tests()


_real_connect = socket.socket.connect


def _loopback_only(sock, address):
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            allowed = ipaddress.ip_address(host).is_loopback
        except ValueError:
            allowed = host == "localhost"
        if not allowed:
            raise OSError(f"network blocked in tests: {host}")
    return _real_connect(sock, address)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Tests talk to loopback servers only (emulators, qbittorrent-nox)."""
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


@pytest.fixture
def config_file(isolated_home):
    """Write the config file: ``config_file('[services.x] ...')`` returns its path."""

    def write(text: str):
        path = isolated_home / ".config" / "mktint" / "config.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    return write

