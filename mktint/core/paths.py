"""Where mktint keeps its files (XDG base directories) and how it writes them safely."""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

APP = "mktint"


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var)
    base = Path(value) if value and os.path.isabs(value) else Path.home() / fallback
    return base / APP


def config_dir() -> Path:
    return _xdg("XDG_CONFIG_HOME", ".config")


def state_dir() -> Path:
    """Session cookies, rate-limiter windows, publish journals."""
    return _xdg("XDG_STATE_HOME", ".local/state")


def cache_dir() -> Path:
    return _xdg("XDG_CACHE_HOME", ".cache")


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) readable by the owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


PRIVATE = 0o600  # the mode of every file holding a secret, whatever the umask
_TEMP_SUFFIX = ".part"


def current_umask() -> int:
    """The process umask (read from /proc where possible: setting it is process-wide)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: Path, data: bytes | str, *, mode: int | None = None,
                 overwrite: bool = True) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder.

    A reader never sees a half-written file and a failure leaves no partial file. With
    ``overwrite=False`` an existing file is kept and :class:`FileExistsError` raised — the
    check and the rename are one step (``os.link``), so a racing writer cannot be clobbered.
    ``mode``: exactly these bits (``PRIVATE`` for secrets); None: 0666 less the umask, like
    any new file.

    The temporary file ``.NAME.XXXXXXXX.part`` is locked (``flock``) while it is written. A
    process killed before the rename leaves it behind; the next write of ``path`` removes
    such leftovers, recognised as unlocked (their writer is gone) and older than
    ``STALE_TEMP_AGE`` (a live writer's file is unlocked for the instant between its
    creation and its lock; another writer must not take it then).
    """
    import fcntl

    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    prefix = f".{path.name}."
    _remove_stale_temp_files(path.parent, prefix)
    fd, tmp = _new_temp_file(path.parent, prefix)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
            os.fchmod(f.fileno(), (0o666 & ~current_umask()) if mode is None else mode)
            if overwrite:
                os.replace(tmp, path)
            else:
                os.link(tmp, path)
                os.unlink(tmp)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(e, OSError) and e.filename is None:  # a failed write names no file
            raise OSError(e.errno, e.strerror, str(path)) from None
        raise


STALE_TEMP_AGE = 60.0  # seconds


def _new_temp_file(folder: Path, prefix: str) -> tuple[int, str]:
    """A new, empty ``PREFIX + 8 hex digits + .part`` file, mode 0600: what
    ``tempfile.mkstemp`` does (exclusive create, no symlink followed), without the 3 ms of
    imports (shutil, random) that module costs every command writing a file."""
    for _ in range(100):
        name = os.path.join(folder, f"{prefix}{os.urandom(4).hex()}{_TEMP_SUFFIX}")
        try:
            return os.open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600), name
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(folder))


def _remove_stale_temp_files(folder: Path, prefix: str) -> None:
    """Delete ``prefix*.part`` files in ``folder`` whose writer died (nobody holds the lock)."""
    import fcntl

    try:
        names = [n for n in os.listdir(folder)
                 if n.startswith(prefix) and n.endswith(_TEMP_SUFFIX)
                 and len(n) == len(prefix) + 8 + len(_TEMP_SUFFIX)]  # 8 random characters
    except OSError:
        return  # the write itself reports an unusable folder
    for name in names:
        stale = os.path.join(folder, name)
        try:
            fd = os.open(stale, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            if time.time() - os.fstat(fd).st_mtime < STALE_TEMP_AGE:
                continue
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            # Still the same file (its writer may have renamed it and another reused the name)?
            if os.path.samestat(os.fstat(fd), os.lstat(stale)):
                os.unlink(stale)
        except OSError:
            pass  # locked by a live writer, or already gone
        finally:
            os.close(fd)


# Size limits for what mktint reads from files and stdin: a larger input (or /dev/zero)
# is refused with a clear error instead of being read into memory.
# qBittorrent refuses .torrent files over 100 MiB by default (its WebUI preference
# torrent_file_size_limit = 104857600; qBittorrent src/base/bittorrent/sessionimpl.cpp).
TORRENT_FILE_LIMIT = 100 * 1024 * 1024
TEXT_FILE_LIMIT = 1024 * 1024  # descriptions and templates
TOKEN_LIMIT = 64 * 1024  # a secret given on stdin


def read_limited(path: str | os.PathLike, limit: int, what: str) -> bytes:
    """The bytes of ``path``, at most ``limit`` of them; larger is a UsageError."""
    from mktint.core.errors import UsageError

    with open(path, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise UsageError(f"{path} is larger than {limit // 1024:,} KiB, too large for {what}",
                         hint=f"is it the right file? {what} is never that large")
    return data
