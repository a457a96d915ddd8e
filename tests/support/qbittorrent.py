"""Real qbittorrent-nox servers for live tests: 4.5.2, 5.1 and 5.3.

- 4.5.2 is Debian 12's package on the host. 5.1.0 and 5.3.0 run inside the Debian trixie
  roots that ``scripts/qbittorrent-roots`` caches (``~/.cache/mktint-test/trixie-5.1``,
  ``trixie-5.3``; ``$MKTINT_TEST_CACHE`` overrides the folder). A 5.x server runs as
  ``unshare --mount`` → ``chroot ROOT qbittorrent-nox --confirm-legal-notice``: in its own
  mount namespace a tmpfs is mounted on ROOT/tmp, ROOT/proc gets a proc, and the test
  folder (the server folder's parent: pytest's base temp for the shared server, the test's
  own tmp_path for a fresh one) is bind-mounted at the same path inside, so save paths,
  .torrent files and data mean the same thing inside and out. The mounts exist only in
  that namespace and vanish with the process, however it ends: nothing is ever mounted in
  the host's view and nothing is created inside the root. Needs root; without it (or
  without the roots) the 5.x servers skip and say why.
- Every server runs on free loopback ports with a throw-away profile; DHT, LSD, PeX and
  UPnP are off; login is exercised for real (``LocalHostAuth=true``) with ``admin`` and a
  PBKDF2 password written into ``qBittorrent.conf`` (≥ 4.6.1 has no default password).
- ``qbittorrent`` (one 4.5.2 for the whole session: tests must not assume an empty client)
  and ``qbittorrent_fresh`` (a 4.5.2 of the test's own) are the defaults other suites use.
  ``qbittorrent_each`` / ``qbittorrent_each_fresh`` are the same, once per version.
"""

from __future__ import annotations

import base64
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
START_TIMEOUT = 60.0

VERSIONS = ("4.5.2", "5.1", "5.3")
DEFAULT_VERSION = "4.5.2"
# What each real server reports (REFERENCE.md §1 table; seen on the Debian packages).
APP_VERSIONS = {"4.5.2": "v4.5.2", "5.1": "v5.1.0", "5.3": "v5.3.0"}
WEBAPI_VERSIONS = {"4.5.2": "2.8.19", "5.1": "2.11.4", "5.3": "2.16.2"}
# Read at import: the tests' autouse fixtures point HOME at a temporary folder.
CACHE = Path(os.environ.get("MKTINT_TEST_CACHE") or Path.home() / ".cache" / "mktint-test")
ROOTS = {"5.1": CACHE / "trixie-5.1", "5.3": CACHE / "trixie-5.3"}

# Keys under [Preferences]\WebUI are read by 4.5.2 and 5.1 and migrated to [WebUI] by 5.3
# (src/base/preferences.cpp, src/app/upgrade.cpp migrateWebUISettings).
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
{bittorrent}
[Network]
PortForwardingEnabled=false

[Preferences]
WebUI\\Port={port}
WebUI\\Address=127.0.0.1
WebUI\\LocalHostAuth={local_host_auth}
WebUI\\CSRFProtection=true
WebUI\\HostHeaderValidation=true
WebUI\\Username={username}
WebUI\\Password_PBKDF2="{password_hash}"
Connection\\UPnP=false
General\\Locale=en
"""


def password_hash(password: str, salt: bytes | None = None) -> str:
    """qBittorrent's stored form: PBKDF2-HMAC-SHA512, 100000 rounds, 64-byte key, 16-byte
    salt (src/base/utils/password.cpp)."""
    salt = salt if salt is not None else os.urandom(16)
    key = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, 100000, 64)
    return f"@ByteArray({base64.b64encode(salt).decode()}:{base64.b64encode(key).decode()})"


def unavailable(version: str) -> str | None:
    """Why a server of ``version`` cannot run here, or None."""
    if version not in VERSIONS:
        raise ValueError(f"no qBittorrent {version!r} for tests; choose one of {VERSIONS}")
    if version == "4.5.2":
        if shutil.which("qbittorrent-nox") is None:
            return "qbittorrent-nox is not installed (scripts/test installs it)"
        return None
    if os.geteuid() != 0:
        return f"qBittorrent {version} runs in a chroot, which needs root"
    if shutil.which("unshare") is None:
        return f"qBittorrent {version} needs unshare (util-linux)"
    if not (ROOTS[version] / ".mktint-ready").exists():
        return f"no Debian trixie root with qBittorrent {version} at {ROOTS[version]} (run scripts/qbittorrent-roots)"
    return None


# The 5.x start-up, run by sh outside the root with $1 = root, $2 = shared folder, then the
# qbittorrent-nox arguments. The mounts live only in this process's mount namespace.
CHROOT_SCRIPT = """set -e
root=$1 share=$2; shift 2
mount -t proc proc "$root/proc"
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
mkdir -p "$root$share"
mount --bind "$share" "$root$share"
exec chroot "$root" env -i PATH=/usr/bin:/bin HOME=/tmp QT_QPA_PLATFORM=offscreen LANG=C.UTF-8 \
    qbittorrent-nox "$@"
"""


class QbtServer:
    def __init__(self, root: Path, version: str = DEFAULT_VERSION, share: Path | None = None,
                 bittorrent: dict[str, str] | None = None, local_host_auth: bool = True):
        reason = unavailable(version)
        if reason:
            pytest.skip(reason)
        self.version = version
        self.app_version = APP_VERSIONS[version]
        self.webapi_version = WEBAPI_VERSIONS[version]
        self.profile = root / "profile"
        self.downloads = root / "downloads"
        self.log = root / "qbittorrent.log"
        self.share = (share or root.parent).resolve()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.bittorrent = bittorrent or {}  # extra [BitTorrent] keys, e.g. Session\\InterfaceAddress
        self.local_host_auth = local_host_auth  # False: the WebUI's "bypass authentication for localhost"
        if version != "4.5.2" and Path("/tmp") not in self.share.parents:
            pytest.skip(f"qBittorrent {version} shares test folders under /tmp only; {self.share} is not")

    @property
    def cookie_name(self) -> str:
        """The session cookie: ``SID`` up to 5.1, ``QBT_SID_<port>`` from 5.2."""
        return "SID" if self.version in ("4.5.2", "5.1") else f"QBT_SID_{self.port}"

    @property
    def server_log(self) -> Path:
        """qBittorrent's own log file (logins, bans)."""
        return self.profile / "qBittorrent" / "data" / "logs" / "qbittorrent.log"

    def _write_config(self) -> None:
        config = self.profile / "qBittorrent" / "config" / "qBittorrent.conf"
        config.parent.mkdir(parents=True, exist_ok=True)
        self.downloads.mkdir(parents=True, exist_ok=True)
        config.write_text(CONFIG.format(port=self.port, torrent_port=free_port(),
                                        downloads=self.downloads, username=USERNAME,
                                        password_hash=password_hash(PASSWORD),
                                        bittorrent="".join(f"{k}={v}\n" for k, v in
                                                           self.bittorrent.items()),
                                        local_host_auth=str(self.local_host_auth).lower()))

    def _command(self) -> list[str]:
        args = [f"--profile={self.profile}", f"--webui-port={self.port}"]
        if self.version == "4.5.2":  # 4.5.2 has no --confirm-legal-notice
            return [shutil.which("qbittorrent-nox"), *args]
        return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", CHROOT_SCRIPT,
                "qbt-chroot", str(ROOTS[self.version]), str(self.share), *args, "--confirm-legal-notice"]

    def start(self) -> None:
        if not self.profile.exists():
            self._write_config()
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                self._command(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                raise RuntimeError(f"qbittorrent-nox {self.version} exited: {self.log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(f"{self.url}/api/v2/app/version", timeout=1).close()
                return
            except urllib.error.HTTPError:  # 403 without a session: it is up
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"qbittorrent-nox {self.version} did not answer on {self.url}")

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
def running_server(root: Path, version: str = DEFAULT_VERSION, share: Path | None = None,
                   bittorrent: dict[str, str] | None = None,
                   local_host_auth: bool = True) -> Iterator[QbtServer]:
    """A server with its profile under ``root``, started now and stopped at the end.

    ``share``: the folder a 5.x server sees at the same path (default ``root``'s parent).
    ``bittorrent``: extra ``[BitTorrent]`` keys of qBittorrent.conf. ``local_host_auth=False``:
    the WebUI answers loopback clients without a login.
    """
    server = QbtServer(root, version, share, bittorrent, local_host_auth)
    try:
        server.start()
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


@pytest.fixture(scope="session", params=VERSIONS)
def qbittorrent_each(request, tmp_path_factory):
    """One shared server per real version (the test runs once per version)."""
    with running_server(tmp_path_factory.mktemp(f"qbt-{request.param}"), request.param) as server:
        yield server


@pytest.fixture
def qbittorrent_each_fresh(qbittorrent_each, tmp_path):
    """A server of the test's own, of the version ``qbittorrent_each`` is at."""
    with running_server(tmp_path / "qbt", qbittorrent_each.version) as server:
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
