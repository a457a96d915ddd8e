"""A real qbittorrent-nox for live tests (Debian's 4.5.2: admin/adminadmin).

``qbittorrent`` is one server for the whole session (fast; tests must not assume an
empty client: they make their own unique torrents). ``qbittorrent_fresh`` is a server of
the test's own, for restarts, login failures and ``--all``. Each runs on free loopback
ports with a throw-away profile (REFERENCE.md §1); DHT, LSD, PeX and UPnP are off.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from mktint.torrent.bencode import encode as bencode
from tests.support.httpserver import free_port

USERNAME = "admin"
PASSWORD = "adminadmin"
START_TIMEOUT = 30.0

CONFIG = """\
[LegalNotice]
Accepted=true

[BitTorrent]
Session\\Port={torrent_port}
Session\\DefaultSavePath={downloads}
Session\\DHTEnabled=false
Session\\LSDEnabled=false
Session\\PeXEnabled=false
Session\\AnonymousModeEnabled=true

[Preferences]
WebUI\\Port={port}
WebUI\\Address=127.0.0.1
WebUI\\LocalHostAuth=true
WebUI\\CSRFProtection=true
WebUI\\HostHeaderValidation=true
Connection\\UPnP=false
General\\Locale=en
"""


class QbtServer:
    def __init__(self, root: Path):
        self.profile = root / "profile"
        self.downloads = root / "downloads"
        self.log = root / "qbittorrent.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def _write_config(self) -> None:
        config = self.profile / "qBittorrent" / "config" / "qBittorrent.conf"
        config.parent.mkdir(parents=True, exist_ok=True)
        self.downloads.mkdir(parents=True, exist_ok=True)
        config.write_text(CONFIG.format(port=self.port, torrent_port=free_port(),
                                        downloads=self.downloads))

    def start(self) -> None:
        if not self.profile.exists():
            self._write_config()
        binary = shutil.which("qbittorrent-nox")
        if binary is None:
            pytest.skip("qbittorrent-nox is not installed (scripts/test installs it)")
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [binary, f"--profile={self.profile}", f"--webui-port={self.port}"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"qbittorrent-nox exited: {self.log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(f"{self.url}/api/v2/app/version", timeout=1).close()
                return
            except urllib.error.HTTPError:  # 403 without a session: it is up
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"qbittorrent-nox did not answer on {self.url}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        """Stop and start again: every session cookie becomes invalid."""
        self.stop()
        self.start()


@contextlib.contextmanager
def running_server(root: Path) -> Iterator[QbtServer]:
    """A server with its profile under ``root``, started now and stopped at the end."""
    server = QbtServer(root)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def qbittorrent(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("qbt-shared")) as server:
        yield server


@pytest.fixture
def qbittorrent_fresh(tmp_path):
    with running_server(tmp_path / "qbt") as server:
        yield server


def write_qbit_config(config_file, server: QbtServer, name: str = "qb", extra: str = "") -> Path:
    """A config whose default client is ``[services.<name>]`` at ``server``."""
    return config_file(f'[defaults]\nclient = "{name}"\n\n[services.{name}]\nkind = "qbittorrent"\n'
                       f'url = "{server.url}"\nusername = "{USERNAME}"\n{extra}')


def use_qbit(config_file, monkeypatch, server: QbtServer) -> QbtServer:
    """Make ``server`` the default client, service ``qb``, its password in the environment."""
    write_qbit_config(config_file, server)
    monkeypatch.setenv("MKTINT_QB_PASSWORD", PASSWORD)
    return server


# -- .torrent files for tests -------------------------------------------------------------

def make_torrent(folder: Path, name: str, content: bytes | None = None,
                 announce: str = "http://127.0.0.1:9/announce", piece_length: int = 16384) -> tuple[Path, str]:
    """Write data ``folder/name`` (one file) and ``folder/name.torrent``; returns (torrent, infohash)."""
    content = content if content is not None else os.urandom(20000)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)
    pieces = b"".join(hashlib.sha1(content[i:i + piece_length]).digest()
                      for i in range(0, len(content), piece_length))
    info = {"name": name, "length": len(content), "piece length": piece_length, "pieces": pieces}
    torrent = folder / f"{name}.torrent"
    torrent.write_bytes(bencode({"announce": announce, "info": info}))
    return torrent, hashlib.sha1(bencode(info)).hexdigest()
