"""Where secrets come from, and where `mktint auth login` puts them.

Lookup order for secret SECRET of service NAME (SECRET is PASSWORD, API_KEY, PASSKEY or
MAM_ID):

1. environment variable ``MKTINT_<NAME>_<SECRET>``;
2. the secrets file ``$XDG_CONFIG_HOME/mktint/secrets.toml`` (mode 0600; a group- or
   world-readable file is refused);
3. the system keyring: service ``mktint``, username ``<NAME>:<SECRET>``.

A keyring that is missing, or keyring's ``fail``/``null`` backend, counts as absent —
quietly. Storing prefers the keyring and falls back to the secrets file; a value stored in
the keyring removes the file's copy. So the file holds a secret only when it was written
where no keyring could be reached (cron, a container) or by hand, and then it is the newer
one: it wins over a keyring entry that process could not update. When both hold a value
and they differ, a warning says which one is used (and ``auth status`` shows it). Every
secret is registered with the redactor the moment it is read.

A secret the server replaces on every use (MAM's ``mam_id``) is used through
:meth:`Credentials.rotating`: an exclusive lock shared by every mktint process is held from
reading the value until its replacement is stored, where the old value was. An environment
variable cannot be written back, so the replacement goes to the keyring (else the file)
with a fingerprint (SHA-256) of the variable's value; while the variable still holds that
value, the stored descendant wins over it. A different value in the variable wins again.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import stat
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from mktint.core import locks, paths, redact
from mktint.core.config import env_name
from mktint.core.errors import ConfigError, MissingCredential

KEYRING_SERVICE = "mktint"
SOURCE_ENV, SOURCE_KEYRING, SOURCE_FILE = "env", "keyring", "file"
LOOKUP_ORDER = (SOURCE_ENV, SOURCE_FILE, SOURCE_KEYRING)  # the first one holding a value wins
log = logging.getLogger(__name__)
notices = logging.getLogger("mktint.notice")  # shown on stderr by the CLI


@dataclass(frozen=True)
class Found:
    value: str
    source: str  # env | keyring | file


def keyring_username(service: str, secret: str) -> str:
    return f"{service}:{secret}"


def keyring_reachable() -> bool:
    """Whether keyring could find a usable backend, judged without importing it.

    Importing keyring and choosing its backend costs 100–200 ms (its macOS backend loads
    ctypes, SecretService pulls in secretstorage and cryptography), paid by every command
    that looks up a secret. keyring picks (keyring/core.py ``_detect_backend``): the
    ``PYTHON_KEYRING_BACKEND`` variable, else ``keyringrc.cfg`` in its config root
    (keyring/util/platform_.py), else the best viable backend, including third-party ones
    registered under the ``keyring.backends`` entry point. On Linux and the BSDs each
    bundled backend (SecretService, KWallet, libsecret) talks over the D-Bus session bus
    (jeepney reads ``DBUS_SESSION_BUS_ADDRESS``; libdbus and GLib also try
    ``$XDG_RUNTIME_DIR/bus`` and X11 autolaunch). Without any of these, keyring would end
    at its ``fail`` backend, so it is not imported at all.
    """
    if "keyring" in sys.modules or os.environ.get("PYTHON_KEYRING_BACKEND"):
        return True
    if sys.platform in ("darwin", "win32") or os.environ.get("DBUS_SESSION_BUS_ADDRESS") \
            or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return True
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.exists(os.path.join(runtime, "bus")):
        return True
    config_home = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    if os.path.exists(os.path.join(config_home, "python_keyring", "keyringrc.cfg")):
        return True
    return _third_party_backend_installed()


def _third_party_backend_installed() -> bool:
    """A distribution other than keyring registers a ``keyring.backends`` entry point.

    Read from the ``entry_points.txt`` files directly: importing importlib.metadata
    costs about 20 ms, the scan under one.
    """
    for entry in sys.path:
        try:
            folder = os.scandir(entry or ".")
        except OSError:
            continue
        with folder:
            for item in folder:
                if not item.name.endswith((".dist-info", ".egg-info")) \
                        or item.name.lower().startswith("keyring-"):
                    continue
                try:
                    with open(os.path.join(item.path, "entry_points.txt"), encoding="utf-8") as f:
                        if "[keyring.backends]" in f.read():
                            return True
                except (OSError, UnicodeDecodeError):
                    continue
    return False


class _Keyring:
    """The system keyring, or nothing: every failure reads as 'not available'."""

    def __init__(self) -> None:
        self._backend = None
        self._probed = False

    @property
    def backend(self):
        if not self._probed:
            self._probed = True
            if not keyring_reachable():
                log.debug("keyring skipped: no D-Bus session, keyring config or backend plugin")
                return None
            try:
                import keyring
                from keyring.backends import fail, null

                backend = keyring.get_keyring()
                if not isinstance(backend, (fail.Keyring, null.Keyring)) and backend.priority > 0:
                    self._backend = backend
            except Exception as e:  # a broken keyring install is the same as none
                log.debug("keyring unavailable: %s", e)
        return self._backend

    def get(self, service: str, secret: str) -> str | None:
        if self.backend is None:
            return None
        try:
            return self.backend.get_password(KEYRING_SERVICE, keyring_username(service, secret))
        except Exception as e:
            log.debug("keyring read failed: %s", e)
            return None

    def set(self, service: str, secret: str, value: str) -> bool:
        if self.backend is None:
            return False
        try:
            self.backend.set_password(KEYRING_SERVICE, keyring_username(service, secret), value)
            return True
        except Exception as e:
            log.debug("keyring write failed, using the secrets file: %s", e)
            return False

    def delete(self, service: str, secret: str) -> bool:
        if self.get(service, secret) is None:
            return False
        try:
            self.backend.delete_password(KEYRING_SERVICE, keyring_username(service, secret))
            return True
        except Exception as e:
            log.debug("keyring delete failed: %s", e)
            return False


class SecretsFile:
    """A TOML file ``[service] SECRET = "value"``, readable by its owner only."""

    def __init__(self, path: Path):
        self.path = path

    def _load(self) -> dict[str, dict[str, str]]:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return {}
        if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(
                f"secrets file {self.path} is readable by other users "
                f"(mode {stat.S_IMODE(st.st_mode):04o}); refusing to use it",
                hint=f"run: chmod 600 {self.path}",
            )
        try:
            data = tomllib.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise ConfigError(f"cannot read secrets file {self.path}: {e}") from None
        for values in data.values():
            if isinstance(values, dict):
                for value in values.values():
                    if isinstance(value, str):
                        redact.register(value)
        return data

    def get(self, service: str, secret: str) -> str | None:
        value = self._load().get(service, {}).get(secret)
        return value if isinstance(value, str) and value else None

    def set(self, service: str, secret: str, value: str) -> None:
        with self._editing() as data:
            data.setdefault(service, {})[secret] = value

    def delete(self, service: str, secret: str) -> bool:
        with self._editing() as data:
            if secret not in data.get(service, {}):
                return False
            del data[service][secret]
            if not data[service]:
                del data[service]
            return True

    @contextlib.contextmanager
    def _editing(self) -> Iterator[dict]:
        """Read, let the caller change, write back whole — one process at a time, so a
        rotated MAM cookie and an ``auth login`` of another service never undo each other."""
        import tomli_w

        paths.ensure_private_dir(self.path.parent)
        with locks.held(self.path.with_name(f".{self.path.name}.lock")):
            data = self._load()
            before = tomli_w.dumps(data)
            yield data
            after = tomli_w.dumps(data)
            if after != before:
                paths.atomic_write(self.path, after, mode=0o600)


class Credentials:
    """The one resolver for secrets."""

    def __init__(self, secrets_path: Path | None = None):
        self.file = SecretsFile(secrets_path or paths.config_dir() / "secrets.toml")
        self.keyring = _Keyring()
        self._warned: set[tuple[str, str]] = set()  # secrets whose two stored copies differ

    def find(self, service: str, secret: str) -> Found | None:
        env = os.environ.get(env_name(service, secret))
        if env and not self._replaced(service, secret, env):
            value, source = env, SOURCE_ENV
        else:
            copies = self.stored(service, secret)
            source = next((s for s in LOOKUP_ORDER if s in copies), None)
            value = copies.get(source) if source else None
            if len(set(copies.values())) > 1 and (service, secret) not in self._warned:
                self._warned.add((service, secret))
                notices.warning("the %s of %s in the keyring differs from the one in %s; "
                                "using the file's (it is read first). Run `mktint auth login %s "
                                "--secret %s` to keep one value", secret, service,
                                self.file.path, service, secret)
            if not value:
                value, source = env, SOURCE_ENV
        if not value:
            return None
        redact.register(value)
        return Found(value, source)

    def stored(self, service: str, secret: str) -> dict[str, str]:
        """The stored copies of a secret: ``{"file": ..., "keyring": ...}``, present ones only."""
        copies = {SOURCE_FILE: self.file.get(service, secret),
                  SOURCE_KEYRING: self.keyring.get(service, secret)}
        copies = {source: value for source, value in copies.items() if value}
        for value in copies.values():
            redact.register(value)
        return copies

    def shadowed(self, service: str, secret: str) -> list[str]:
        """Stores holding a different, unused value of a secret (for `auth status`)."""
        found = self.find(service, secret)
        if found is None:
            return []
        return [s for s, v in self.stored(service, secret).items() if v != found.value]

    def get(self, service: str, secret: str) -> str | None:
        found = self.find(service, secret)
        return found.value if found else None

    def require(self, service: str, secret: str) -> str:
        value = self.get(service, secret)
        if value is None:
            raise MissingCredential(
                f"no {secret} stored for service {service!r}",
                service=service,
                hint=f"run `mktint auth login {service} --secret {secret}` or set {env_name(service, secret)}",
            )
        return value

    def store(self, service: str, secret: str, value: str) -> str:
        """Save a secret; returns where it went (keyring, else the 0600 file)."""
        redact.register(value)
        if self.keyring.set(service, secret, value):
            self.file.delete(service, secret)  # an older copy there would be read first
            return SOURCE_KEYRING
        self.file.set(service, secret, value)
        return SOURCE_FILE

    @contextlib.contextmanager
    def rotating(self, service: str, secret: str) -> Iterator["Rotation"]:
        """Hold a secret the server replaces on each use, for one use (see the module text)."""
        directory = paths.ensure_private_dir(paths.state_dir() / "credentials")
        with locks.held(directory / f"{_file_key(service, secret)}.lock"):
            yield Rotation(self, service, secret, self.find(service, secret))

    def _record(self, service: str, secret: str) -> Path:
        """Where the fingerprint of the environment value a stored secret replaced is kept."""
        return paths.state_dir() / "credentials" / f"{_file_key(service, secret)}.json"

    def _replaced(self, service: str, secret: str, env_value: str) -> bool:
        """Whether the stored value of this secret is the server's replacement of ``env_value``."""
        try:
            recorded = json.loads(self._record(service, secret).read_text()).get("replaced_env_sha256")
        except (OSError, ValueError, AttributeError):
            return False
        return isinstance(recorded, str) and hmac.compare_digest(recorded, _sha256(env_value))

    def delete(self, service: str, secret: str) -> list[str]:
        """Remove a stored secret from the keyring and the file; returns where it was."""
        removed = []
        if self.keyring.delete(service, secret):
            removed.append(SOURCE_KEYRING)
        if self.file.delete(service, secret):
            removed.append(SOURCE_FILE)
        return removed


class Rotation:
    """A secret held under its lock: send ``value``, then :meth:`replace` it with the new one."""

    def __init__(self, credentials: Credentials, service: str, secret: str, found: Found | None):
        self.credentials, self.service, self.secret, self.found = credentials, service, secret, found

    @property
    def value(self) -> str:
        return self.found.value if self.found else self.credentials.require(self.service, self.secret)

    def replace(self, sent: str, new: str) -> str:
        """Store ``new``, which the server gave in place of ``sent``; returns where it went.

        It goes where the found value was read from (the keyring, else the file) so that
        the next lookup finds it first. A replacement of the found value read from (or
        descending from) an environment variable is recorded against that variable's value.
        """
        creds, service, secret = self.credentials, self.service, self.secret
        redact.register(new)
        found = self.found if self.found and self.found.value == sent else None
        if found and found.source == SOURCE_FILE:
            creds.file.set(service, secret, new)
            where = SOURCE_FILE
        else:
            where = creds.store(service, secret, new)
        env = os.environ.get(env_name(service, secret))
        record = creds._record(service, secret)
        if found and env:
            paths.atomic_write(record, json.dumps({"replaced_env_sha256": _sha256(env)}), mode=0o600)
        elif record.exists():
            record.unlink()
        self.found = Found(new, where)
        return where


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _file_key(service: str, secret: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{service}.{secret}")


def credential_report(config, credentials: Credentials) -> list[dict]:
    """Per service with secrets: which are present and where from (never their values).

    ``ok`` is false when none of the kind's required secrets is present; ``configured``
    tells whether the service is named in the config file; ``shadowed`` names, per secret,
    the stores holding a different value that is not used (see ``LOOKUP_ORDER``).
    """
    from mktint.core.kinds import KINDS

    named = set(config.raw.get("services", {}))
    report = []
    for name, service in sorted(config.services.items()):
        kind = KINDS[service.kind]
        if not kind.secrets:
            continue
        sources, shadowed = {}, {}
        for secret in kind.secrets:
            found = credentials.find(name, secret)
            sources[secret] = found.source if found else None
            if other := credentials.shadowed(name, secret):
                shadowed[secret] = other
        ok = not kind.required_secrets or any(sources[s] for s in kind.required_secrets)
        report.append({"name": name, "kind": service.kind, "configured": name in named,
                       "secrets": sources, "shadowed": shadowed, "ok": ok})
    return report
