"""Import an mk_torrent set-up: its config.json, trackers.txt and stored secrets.

mk_torrent (the earlier interactive torrent creator) keeps ``config.json`` and
``trackers.txt`` in ``~/.config/torrent_creator``, passwords in the system keyring
(service ``torrent_creator_qbittorrent``, account ``user@host:port``; tracker passkeys under
``torrent_creator_tracker_<domain>``, account ``passkey``) or in a Fernet-encrypted
``secure_config.enc`` whose key is derived from a master password (PBKDF2-SHA256, 100 000
rounds, the ``salt`` file beside it).

:func:`plan` reads all that and compares it with the mktint config and credential store;
:func:`apply` writes the config through :mod:`mktint.core.config` and moves each secret
into the credential store. No secret ever goes into config.toml, and nothing already set
is overwritten unless the caller says so.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit, urlunsplit

from mktint.core import config as config_module
from mktint.core import redact
from mktint.core.credentials import Credentials
from mktint.core.errors import ConfigError, NotFound

KEYRING_QBIT = "torrent_creator_qbittorrent"
KEYRING_TRACKER = "torrent_creator_tracker_{}"
ENCRYPTED_FILE = "secure_config.enc"
SALT_FILE = "salt"
PBKDF2_ROUNDS = 100_000
MASK = redact.MASK

# Keys of config.json that hold secrets in plain text (besides `<tracker>_api_key`).
PLAIN_SECRET_KEYS = ("qbit_password",)
# Keys with no mktint equivalent, and why.
IGNORED_KEYS = {
    "default_source": "mktint sets info.source per tracker (services.NAME.source)",
    "default_private": "mktint always makes tracker torrents private",
    "docker_container": "mktint talks to qBittorrent over its WebUI only",
    "default_piece_size": "mktint picks piece sizes per tracker (torrent create --piece-length)",
    "default_torrent_format": "mktint writes v1 torrents (what the trackers accept)",
}

ADD, UNCHANGED, CONFLICT, OVERWRITE, KEEP = "add", "unchanged", "conflict", "overwrite", "keep"


def default_source_dir() -> Path:
    return Path.home() / ".config" / "torrent_creator"


def tracker_service(domain: str) -> str | None:
    """The mktint service for an announce host, or None when mktint does not know it."""
    domain = domain.lower().split(":")[0]
    if domain.endswith("flacsfor.me") or "redacted" in domain:
        return "red"
    if domain.endswith("opsfet.ch") or "orpheus" in domain:
        return "ops"
    if "myanonamouse" in domain:
        return "mam"
    return None


@dataclass
class Setting:
    key: str  # dotted: services.NAME.KEY or defaults.KEY
    value: Any
    origin: str  # where in the old set-up it came from
    action: str = ADD
    current: Any = None

    def to_dict(self) -> dict:
        return {"key": self.key, "value": self.value, "from": self.origin,
                "action": self.action, "current": self.current}


@dataclass
class SecretMove:
    service: str
    secret: str
    value: str = field(repr=False)
    origin: str  # keyring | config.json | trackers.txt | encrypted file
    action: str = ADD
    stored_in: str | None = None

    def to_dict(self) -> dict:
        return {"service": self.service, "secret": self.secret, "value": MASK,
                "from": self.origin, "action": self.action, "stored_in": self.stored_in}


@dataclass
class Plan:
    source: Path
    config_path: Path
    settings: list[Setting] = field(default_factory=list)
    secrets: list[SecretMove] = field(default_factory=list)
    plain_text: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    unsupported: list[dict] = field(default_factory=list)
    ignored: list[dict] = field(default_factory=list)
    applied: bool = False

    @property
    def conflicts(self) -> list[Setting | SecretMove]:
        return [item for item in (*self.settings, *self.secrets) if item.action == CONFLICT]

    @property
    def changes(self) -> list[Setting | SecretMove]:
        return [item for item in (*self.settings, *self.secrets)
                if item.action in (ADD, CONFLICT, OVERWRITE)]

    def to_dict(self) -> dict:
        return {
            "source": str(self.source),
            "config_path": str(self.config_path),
            "applied": self.applied,
            "settings": [s.to_dict() for s in self.settings],
            "secrets": [s.to_dict() for s in self.secrets],
            "conflicts": [s.key if isinstance(s, Setting) else f"{s.service}:{s.secret}"
                          for s in self.conflicts],
            "plain_text_secrets": self.plain_text,
            "skipped": self.skipped,
            "unsupported_trackers": self.unsupported,
            "ignored_keys": self.ignored,
        }


# --- reading the old set-up ---------------------------------------------------------------

def read_config_json(source: Path) -> dict[str, Any]:
    path = source / "config.json"
    if not path.is_file():
        raise NotFound(f"no mk_torrent config at {path}",
                       hint="point --from at the folder holding config.json "
                            "(mk_torrent keeps it in ~/.config/torrent_creator)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise ConfigError(f"cannot read {path}: {e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object at the top")
    for key in (*PLAIN_SECRET_KEYS, *(k for k in data if k.endswith("_api_key"))):
        if isinstance(data.get(key), str):
            redact.register(data[key])
    return data


@dataclass
class Tracker:
    url: str  # the announce URL with any passkey replaced by {passkey}
    domain: str
    passkey: str | None  # the passkey written in the line itself (plain text)
    stored_passkey: bool  # mk_torrent's "SECURE_PASSKEY_STORED" placeholder


_PASSKEY_MARK = "SECURE_PASSKEY_STORED"
_PASSKEY_SEGMENT = re.compile(r"^[A-Za-z0-9_-]{16,}$")


def parse_tracker_line(line: str) -> Tracker | None:
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    text, _, comment = line.partition("#")
    text = text.strip()
    parts = urlsplit(text)
    if not parts.netloc:
        return None
    stored = _PASSKEY_MARK in comment
    segments = parts.path.split("/")
    passkey = None
    if len(segments) >= 3 and segments[-1].startswith("announce") and _PASSKEY_SEGMENT.match(segments[-2]):
        passkey = segments[-2]
        segments[-2] = "{passkey}"
        text = urlunsplit(parts._replace(path="/".join(segments)))
    elif "passkey" in parse_qs(parts.query):
        passkey = parse_qs(parts.query)["passkey"][0]
        text = text.replace(passkey, "{passkey}")
    elif stored:
        # mk_torrent stripped the passkey: ".../<passkey>/announce" became ".../announce".
        text = urlunsplit(parts._replace(path=parts.path.replace("/announce", "/{passkey}/announce", 1)))
    if passkey:
        redact.register(passkey)
    return Tracker(text, parts.netloc, passkey, stored)


def read_trackers(source: Path) -> list[Tracker]:
    path = source / "trackers.txt"
    if not path.is_file():
        return []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read {path}: {e}") from None
    return [t for t in map(parse_tracker_line, lines) if t is not None]


def keyring_get(service: str, account: str) -> str | None:
    """A secret from the system keyring (mk_torrent's entries), or None."""
    try:
        import keyring

        value = keyring.get_password(service, account)
    except Exception:  # no keyring, locked keyring: the same as no entry
        return None
    if value:
        redact.register(value)
    return value or None


def decrypt_secure_file(source: Path, password: str) -> dict[str, dict[str, str]]:
    """mk_torrent's encrypted store: ``{service: {account: secret}}``.

    Raises ImportError without the ``cryptography`` package, ValueError on a wrong password.
    """
    from cryptography.fernet import Fernet, InvalidToken
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

    salt = (source / SALT_FILE).read_bytes()
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=PBKDF2_ROUNDS)
    key = base64.urlsafe_b64encode(kdf.derive(password.encode()))
    try:
        clear = Fernet(key).decrypt((source / ENCRYPTED_FILE).read_bytes())
    except InvalidToken:
        raise ValueError("wrong master password") from None
    data = json.loads(clear.decode("utf-8"))
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ValueError("unexpected content (not mk_torrent's {service: {account: secret}})")
    for accounts in data.values():
        for value in accounts.values():
            redact.register(str(value))
    return data


def cryptography_available() -> bool:
    try:
        import cryptography.fernet  # noqa: F401
    except ImportError:
        return False
    return True


# --- the plan ---------------------------------------------------------------------------------

def qbit_url(old: dict[str, Any]) -> str:
    host = str(old.get("qbit_host") or "localhost").strip().rstrip("/")
    if "://" in host:
        return host
    scheme = "https" if old.get("qbit_https") else "http"
    port = old.get("qbit_port")
    return f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"


def plan(source: Path, config_path: Path, credentials: Credentials, *,
         master_password: Callable[[], str | None] | None = None) -> Plan:
    """What an import would do. ``master_password()`` is asked only if an encrypted store exists
    and may return None (no terminal): its secrets are then listed as skipped."""
    old = read_config_json(source)
    result = Plan(source, config_path)
    config_json = str(source / "config.json")
    secrets: dict[tuple[str, str], SecretMove | None] = {}  # None: named but not found yet

    def add_secret(service: str, secret: str, value: str | None, origin: str) -> None:
        if value and (service, secret) not in secrets:
            secrets[(service, secret)] = SecretMove(service, secret, value, origin)

    # qBittorrent
    qb = "services.qbittorrent"
    result.settings.append(Setting(f"{qb}.url", qbit_url(old), "qbit_host, qbit_port, qbit_https"))
    username = old.get("qbit_username")
    if username:
        result.settings.append(Setting(f"{qb}.username", str(username), "qbit_username"))
    if old.get("default_category"):
        result.settings.append(Setting(f"{qb}.category", str(old["default_category"]), "default_category"))
    tags = old.get("default_tags")
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",") if t.strip()]
    if tags and isinstance(tags, list):
        result.settings.append(Setting(f"{qb}.tags", [str(t) for t in tags], "default_tags"))
    mappings = old.get("docker_mappings") or {}
    if not isinstance(mappings, dict):
        result.ignored.append({"key": "docker_mappings", "reason": "not a host → container table"})
    elif old.get("docker_mode") and mappings:
        result.settings.append(Setting(f"{qb}.path_map", {str(k): str(v) for k, v in mappings.items()},
                                       "docker_mappings"))
    elif mappings:
        result.ignored.append({"key": "docker_mappings", "reason": "docker_mode is off in config.json"})
    if old.get("output_directory"):
        result.settings.append(Setting("defaults.output_dir", str(old["output_directory"]), "output_directory"))

    account = f"{username or 'admin'}@{old.get('qbit_host') or 'localhost'}:{old.get('qbit_port') or 8080}"
    add_secret("qbittorrent", "PASSWORD", keyring_get(KEYRING_QBIT, account), "keyring")

    # Plain-text secrets in config.json
    for key, value in old.items():
        if not (key in PLAIN_SECRET_KEYS or key.endswith("_api_key")) or not value:
            continue
        result.plain_text.append({"file": config_json, "key": key,
                                  "advice": "delete this key once imported"})
        if key == "qbit_password":
            add_secret("qbittorrent", "PASSWORD", str(value), "config.json")
            continue
        tracker = key[: -len("_api_key")]
        if tracker in ("red", "ops"):
            add_secret(tracker, "API_KEY", str(value), "config.json")
        else:
            result.unsupported.append({"tracker": tracker, "from": key})

    # Trackers (the first line of each tracker counts)
    seen: set[str] = set()
    for tracker in read_trackers(source):
        service = tracker_service(tracker.domain)
        if service is None:
            result.unsupported.append({"tracker": tracker.domain, "from": "trackers.txt"})
            continue
        if service in seen:
            result.ignored.append({"key": f"trackers.txt: {tracker.domain}",
                                   "reason": f"a second announce URL for {service}; the first one is used"})
            continue
        seen.add(service)
        if tracker.passkey:
            result.plain_text.append({"file": str(source / "trackers.txt"), "key": tracker.domain,
                                      "advice": "the announce URL holds your passkey in plain text; "
                                                "remove the line once imported"})
            add_secret(service, "PASSKEY", tracker.passkey, "trackers.txt")
        elif tracker.stored_passkey:
            add_secret(service, "PASSKEY",
                       keyring_get(KEYRING_TRACKER.format(tracker.domain), "passkey"), "keyring")
        result.settings.append(Setting(f"services.{service}.announce", tracker.url, "trackers.txt"))
        if tracker.stored_passkey or tracker.passkey:
            secrets.setdefault((service, "PASSKEY"), None)  # still missing: maybe encrypted

    for key, reason in IGNORED_KEYS.items():
        if old.get(key) not in (None, "", [], {}):
            result.ignored.append({"key": key, "reason": reason})

    _read_encrypted(source, old, account, secrets, add_secret, result, master_password)
    for (service, secret), move in secrets.items():
        if move is None:
            result.skipped.append({"item": f"{service} {secret}",
                                   "reason": "announce URL names a stored passkey that was not found "
                                             "in the keyring; store it with "
                                             f"`mktint auth login {service} --secret passkey`"})
    result.secrets = [m for m in secrets.values() if m is not None]
    _compare(result, config_path, credentials)
    return result


def _read_encrypted(source, old, account, secrets, add_secret, result, master_password) -> None:
    if not (source / ENCRYPTED_FILE).is_file():
        return
    what = f"secrets in {source / ENCRYPTED_FILE}"
    if not cryptography_available():
        result.skipped.append({"item": what, "reason": "the Python package 'cryptography' is not "
                                                       "installed; install it to read this file"})
        return
    password = master_password() if master_password else None
    if not password:
        result.skipped.append({"item": what, "reason": "needs mk_torrent's master password, "
                                                       "typed on a terminal"})
        return
    try:
        data = decrypt_secure_file(source, password)
    except ValueError as e:
        reason = str(e)
        if (source / "master_key").is_file():
            reason += ("; if you never set a master password, mk_torrent encrypted this file with the "
                       "key in master_key, which mktint does not read: store those secrets with "
                       "`mktint auth login`")
        result.skipped.append({"item": what, "reason": reason})
        return
    except OSError as e:
        result.skipped.append({"item": what, "reason": f"cannot read it: {e}"})
        return
    for name, accounts in data.items():
        for acct, value in accounts.items():
            if name == "qbittorrent":
                if acct == account:
                    add_secret("qbittorrent", "PASSWORD", value, "encrypted file")
                continue
            tracker = name.removeprefix("torrent_creator_").removeprefix("tracker_")
            service = tracker_service(tracker) or (tracker if tracker in ("red", "ops", "mam") else None)
            secret = {"passkey": "PASSKEY", "api_key": "API_KEY", "mam_id": "MAM_ID"}.get(acct.lower())
            if service is None or secret is None:
                result.unsupported.append({"tracker": tracker, "from": ENCRYPTED_FILE})
                continue
            if secrets.get((service, secret)) is None:
                secrets.pop((service, secret), None)
            add_secret(service, secret, value, "encrypted file")


def _compare(result: Plan, config_path: Path, credentials: Credentials) -> None:
    loaded = config_module.load(config_path)
    for setting in result.settings:
        parts = setting.key.split(".")
        if parts[0] == "defaults":
            in_file = loaded.raw.get("defaults", {})
            effective = loaded.defaults.get(parts[1])
        else:
            in_file = loaded.raw.get("services", {}).get(parts[1], {})
            effective = loaded.services[parts[1]].values.get(parts[2]) if parts[1] in loaded.services else None
        key = parts[-1]
        if key in in_file:
            setting.current = in_file[key]
            setting.action = UNCHANGED if in_file[key] == setting.value else CONFLICT
        elif effective == setting.value:
            setting.current, setting.action = effective, UNCHANGED  # already the built-in default
    for move in result.secrets:
        found = credentials.find(move.service, move.secret)
        if found is None:
            continue
        move.stored_in = found.source
        move.action = UNCHANGED if found.value == move.value else CONFLICT


# --- applying it --------------------------------------------------------------------------------

def apply(result: Plan, credentials: Credentials, *, overwrite: bool) -> Plan:
    """Write the settings and store the secrets. Conflicts are overwritten only if asked."""
    for item in result.conflicts:
        item.action = OVERWRITE if overwrite else KEEP
    loaded = config_module.load(result.config_path)
    raw = copy.deepcopy(loaded.raw)
    writes = [s for s in result.settings if s.action in (ADD, OVERWRITE)]
    for setting in writes:
        parts = setting.key.split(".")
        node = raw
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = setting.value
    if writes:
        config_module.validate(raw, result.config_path)
        config_module.write(result.config_path, raw)
    for move in result.secrets:
        if move.action in (ADD, OVERWRITE):
            move.stored_in = credentials.store(move.service, move.secret, move.value)
    result.applied = True
    return result
