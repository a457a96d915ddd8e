"""The configuration file: where it lives, how it is validated, and the effective view.

Location: ``--config PATH``, else ``$MKTINT_CONFIG``, else
``$XDG_CONFIG_HOME/mktint/config.toml``. The file holds no secrets. It is validated on
load: malformed TOML names the line and column; an unknown kind, an unknown key or a
value of the wrong type names the key and what is allowed. Every such error exits 3.

Effective values come from three places, and :meth:`ServiceConfig.origin` tells which:
the built-in default instances, the file, and the environment
(``MKTINT_<SERVICE>_URL`` and ``MKTINT_<SERVICE>_USERNAME``, handy in containers).
"""

from __future__ import annotations

import copy
import math
import os
import tomllib
from pathlib import Path
from typing import Any, NamedTuple

from mktint.core import paths
from mktint.core.errors import ConfigError, Conflict, NotFound
from mktint.core.kinds import BUILTIN_SERVICES, COMMON_FIELDS, DEFAULTS_FIELDS, KINDS, Field, fields_of

ENV_OVERRIDES = ("url", "username")
ORIGIN_DEFAULT, ORIGIN_FILE, ORIGIN_ENV = "default", "file", "env"


def locate(explicit: str | os.PathLike | None = None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("MKTINT_CONFIG")
    if env:
        return Path(env).expanduser()
    return paths.config_dir() / "config.toml"


def base_url(url: str) -> str:
    """A service's URL as clients join endpoints to it (and key its cached session by): one
    trailing slash."""
    return url.rstrip("/") + "/"


def env_name(service: str, suffix: str) -> str:
    """``MKTINT_<SERVICE>_<SUFFIX>``: service upper-cased, ``-`` turned into ``_``."""
    return f"MKTINT_{service.upper().replace('-', '_')}_{suffix.upper()}"


class ServiceConfig:
    """One service's effective values, and where each came from (``origins``: key →
    ORIGIN_*; a key not in it has its default). A plain class, not a dataclass: config is
    read on every completion, and building a dataclass costs start-up time."""

    def __init__(self, name: str, kind: str, values: dict[str, Any], origins: dict[str, str]):
        self.name, self.kind, self.values, self.origins = name, kind, values, origins

    def __repr__(self) -> str:
        return f"ServiceConfig({self.name!r}, {self.kind!r}, {self.values!r}, {self.origins!r})"

    def get(self, key: str, default: Any = None) -> Any:
        value = self.values.get(key)
        return default if value is None else value

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def origin(self, key: str) -> str:
        return self.origins.get(key, ORIGIN_DEFAULT)


class Config(NamedTuple):
    path: Path
    exists: bool
    raw: dict[str, Any]
    services: dict[str, ServiceConfig]
    defaults: dict[str, Any]
    defaults_origins: dict[str, str]

    def service(self, name: str) -> ServiceConfig:
        try:
            return self.services[name]
        except KeyError:
            raise NotFound(
                f"no service named {name!r}",
                hint="known services: " + ", ".join(sorted(self.services))
                + f". Add a [services.{name}] table to {self.path} to define it.",
            ) from None

    def services_of_kind(self, kind: str) -> list[ServiceConfig]:
        return [s for s in self.services.values() if s.kind == kind]

    def configured_services(self) -> list[ServiceConfig]:
        """Services named in the file (the built-in defaults only when the file names none)."""
        named = self.raw.get("services", {})
        return [s for n, s in self.services.items() if n in named]

    def default_client(self) -> str:
        return self.defaults.get("client") or "qbittorrent"


def load(path: str | os.PathLike | None = None) -> Config:
    """Read, validate and resolve the configuration (a missing file is an empty one)."""
    location = locate(path)
    raw: dict[str, Any] = {}
    exists = location.is_file()
    if exists:
        try:
            text = location.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"cannot read config file {location}: {e}") from None
        raw = parse(text, location)
    elif location.exists():
        raise ConfigError(f"config path {location} is not a file")
    return resolve(raw, location, exists=exists)


def parse(text: str, location: Path) -> dict[str, Any]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        # tomllib's message ends with "(at line L, column C)".
        raise ConfigError(
            f"{location}: malformed TOML: {e}",
            hint="fix the file, or run `mktint config validate` after editing it",
        ) from None
    validate(doc, location)
    return doc


def validate(doc: dict[str, Any], location: Path) -> None:
    def fail(key: str, problem: str) -> None:
        raise ConfigError(f"{location}: {key}: {problem}")

    for top in doc:
        if top not in ("defaults", "services"):
            fail(top, "unknown section; allowed: [defaults], [services.NAME]")
    defaults = doc.get("defaults", {})
    if not isinstance(defaults, dict):
        fail("defaults", "must be a table")
    for key, value in defaults.items():
        spec = DEFAULTS_FIELDS.get(key)
        if spec is None:
            fail(f"defaults.{key}", "unknown key; allowed: " + ", ".join(DEFAULTS_FIELDS))
        _check_type(f"defaults.{key}", value, spec, fail)

    services = doc.get("services", {})
    if not isinstance(services, dict):
        fail("services", "must hold tables: [services.NAME]")
    for name, table in services.items():
        where = f"services.{name}"
        if not isinstance(table, dict):
            fail(where, "must be a table")
        if not name.replace("-", "").replace("_", "").isalnum():
            fail(where, "service names may use letters, digits, '-' and '_' only")
        kind = table.get("kind", BUILTIN_SERVICES.get(name, {}).get("kind"))
        if kind is None:
            fail(f"{where}.kind", "missing; allowed: " + ", ".join(KINDS))
        if not isinstance(kind, str) or kind not in KINDS:
            fail(f"{where}.kind", f"unknown kind {kind!r}; allowed: " + ", ".join(KINDS))
        allowed = fields_of(kind)
        for key, value in table.items():
            spec = allowed.get(key)
            if spec is None:
                fail(f"{where}.{key}", f"unknown key for kind {kind!r}; allowed: " + ", ".join(allowed))
            _check_type(f"{where}.{key}", value, spec, fail)
    client = defaults.get("client")
    if client is not None:
        kind = services.get(client, {}).get("kind", BUILTIN_SERVICES.get(client, {}).get("kind"))
        if kind != "qbittorrent":
            fail("defaults.client", f"{client!r} is not a qbittorrent service")


# Numbers beyond these make no sense and break the libraries they reach (a socket timeout
# of 1e300 s overflows): seconds for time keys, and a general ceiling for every number.
MAX_NUMBER = 10**9
_BOUNDS = {"timeout": (0, 86400), "deadline": (0, 86400)}  # exclusive low, inclusive high

_TYPE_NAMES = {"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false",
               "list": "a list of strings", "table": "a table of strings",
               "bool|str": "true, false or a file path"}


def _check_type(key: str, value: Any, spec: Field, fail) -> None:
    ok = {
        "str": lambda v: isinstance(v, str),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "bool": lambda v: isinstance(v, bool),
        "list": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
        "table": lambda v: isinstance(v, dict) and all(isinstance(x, str) for x in v.values()),
        "bool|str": lambda v: isinstance(v, (bool, str)),
    }[spec.type](value)
    if not ok:
        fail(key, f"expected {_TYPE_NAMES[spec.type]}, got {value!r}")
    if spec.choices and value not in spec.choices:
        fail(key, f"{value!r} is not allowed; allowed: " + ", ".join(spec.choices))
    if key.endswith(".url") and not value.startswith(("http://", "https://")):
        fail(key, f"{value!r} is not an http:// or https:// URL")
    if spec.type in ("int", "float"):
        if not math.isfinite(value):
            fail(key, f"{value!r} is not a finite number")
        if value < 0:
            fail(key, "must not be negative")
        name = key.rsplit(".", 1)[-1]
        low, high = _BOUNDS.get(name, (None, MAX_NUMBER))
        if (low is not None and value <= low) or value > high:
            fail(key, f"{value!r} is out of range; allowed: "
                      + (f"more than {low:g} and " if low is not None else "") + f"at most {high:g}")


def resolve(raw: dict[str, Any], location: Path, *, exists: bool = True) -> Config:
    file_services = raw.get("services", {})
    services: dict[str, ServiceConfig] = {}
    for name in {**BUILTIN_SERVICES, **file_services}:
        base = copy.deepcopy(BUILTIN_SERVICES.get(name, {}))
        table = file_services.get(name, {})
        kind = table.get("kind", base.get("kind"))
        if base.get("kind") not in (None, kind):
            base = {}  # a built-in name redefined as another kind keeps nothing built in
        values = {key: copy.deepcopy(spec.default) for key, spec in fields_of(kind).items()}
        origins = {key: ORIGIN_DEFAULT for key in values}
        values.update(base)
        values.update(table)
        origins.update({key: ORIGIN_FILE for key in table})
        for key in ENV_OVERRIDES:
            env_value = os.environ.get(env_name(name, key))
            if env_value and key in values:
                values[key] = env_value
                origins[key] = ORIGIN_ENV
        values["kind"] = kind
        services[name] = ServiceConfig(name, kind, values, origins)

    file_defaults = raw.get("defaults", {})
    defaults = {key: spec.default for key, spec in DEFAULTS_FIELDS.items()}
    defaults.update(file_defaults)
    defaults_origins = {key: ORIGIN_FILE if key in file_defaults else ORIGIN_DEFAULT for key in defaults}
    return Config(location, exists, raw, services, defaults, defaults_origins)


# --- editing -------------------------------------------------------------------------

def parse_value(key: str, text: str, spec: Field) -> Any:
    """Turn a command-line string into the typed value a config key wants."""
    def bad(expected: str) -> ConfigError:
        return ConfigError(f"{key}: expected {expected}, got {text!r}")

    if spec.type == "str":
        return text
    if spec.type == "int":
        try:
            return int(text)
        except ValueError:
            raise bad("an integer") from None
    if spec.type == "float":
        try:
            return float(text)
        except ValueError:
            raise bad("a number") from None
    if spec.type in ("bool", "bool|str"):
        lowered = text.lower()
        if lowered in ("true", "yes", "on", "1"):
            return True
        if lowered in ("false", "no", "off", "0"):
            return False
        if spec.type == "bool":
            raise bad("true or false")
        return text
    if spec.type == "list":
        if text.strip().startswith("["):
            return _toml_value(key, text, bad)
        return [part.strip() for part in text.split(",") if part.strip()]
    if spec.type == "table":
        return _toml_value(key, text, bad)
    raise AssertionError(spec.type)


def _toml_value(key: str, text: str, bad) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        raise bad('TOML syntax, e.g. ["a", "b"] or { "/host" = "/client" }') from None


def field_for(raw: dict[str, Any], dotted: str) -> tuple[list[str], Field]:
    """The key path and schema entry of ``defaults.KEY`` or ``services.NAME.KEY``."""
    parts = dotted.split(".")
    if len(parts) == 2 and parts[0] == "defaults":
        spec = DEFAULTS_FIELDS.get(parts[1])
        if spec is None:
            raise ConfigError(f"{dotted}: unknown key; allowed: "
                              + ", ".join(f"defaults.{k}" for k in DEFAULTS_FIELDS))
        return parts, spec
    if len(parts) == 3 and parts[0] == "services":
        name, key = parts[1], parts[2]
        if key == "kind":
            return parts, COMMON_FIELDS["kind"]
        table = raw.get("services", {}).get(name, {})
        kind = table.get("kind", BUILTIN_SERVICES.get(name, {}).get("kind"))
        if kind is None:
            raise ConfigError(f"services.{name} does not exist yet",
                              hint=f"set its kind first: mktint config set services.{name}.kind "
                                   + "|".join(KINDS))
        allowed = fields_of(kind)
        if key not in allowed:
            raise ConfigError(f"{dotted}: unknown key for kind {kind!r}; allowed: " + ", ".join(allowed))
        return parts, allowed[key]
    raise ConfigError(f"{dotted!r} is not a config key",
                      hint="keys look like defaults.client or services.NAME.url")


def set_value(location: Path, dotted: str, text: str) -> Any:
    """Set one key in the file, validate, and write atomically.

    The file is edited as a tomlkit document, so its comments, order and layout (the
    commented starter file of `config init`) survive; a new table goes at the end.
    """
    import tomlkit

    raw = _read_raw(location)
    parts, spec = field_for(raw, dotted)
    value = parse_value(dotted, text, spec)
    document = _read_document(location)
    node = document
    for depth, part in enumerate(parts[:-1]):
        if part not in node:  # `services` holds only sub-tables: a super table, no [services] line
            node[part] = tomlkit.table(is_super_table=depth == 0 and part == "services")
        node = node[part]
    if isinstance(value, dict):
        inline = tomlkit.inline_table()
        inline.update(value)
        node[parts[-1]] = inline
    else:
        node[parts[-1]] = value
    _write_document(location, document)
    return value


def unset_value(location: Path, dotted: str) -> None:
    raw = _read_raw(location)
    parts, _ = field_for(raw, dotted)
    document = _read_document(location)
    node = document
    for part in parts[:-1]:
        node = node.get(part, {})
    if parts[-1] not in node:
        raise NotFound(f"{dotted} is not set in {location}")
    del node[parts[-1]]
    _write_document(location, document)


def _read_document(location: Path):
    """The file as a tomlkit document (comments and layout kept); already checked by parse()."""
    import tomlkit

    return tomlkit.parse(location.read_text(encoding="utf-8") if location.exists() else "")


def _write_document(location: Path, document) -> None:
    import tomlkit

    validate(document.unwrap(), location)
    location.parent.mkdir(parents=True, exist_ok=True)
    paths.atomic_write(location, tomlkit.dumps(document), mode=0o644)


def _read_raw(location: Path) -> dict[str, Any]:
    if not location.exists():
        return {}
    return parse(location.read_text(encoding="utf-8"), location)


def write(location: Path, raw: dict[str, Any]) -> None:
    import tomli_w

    location.parent.mkdir(parents=True, exist_ok=True)
    paths.atomic_write(location, tomli_w.dumps(raw), mode=0o644)


STARTER = """\
# mktint configuration — https://github.com/mktint/mktint#configuration
# No secrets go here: store them with `mktint auth login SERVICE`.
# Built-in services work without any table: qbittorrent (http://127.0.0.1:8080),
# red (https://redacted.sh), ops (https://orpheus.network), mam, audnexus.

[defaults]
# qBittorrent service used when -s/--service or --client is not given.
client = "qbittorrent"

# [services.qbittorrent]
# url = "http://127.0.0.1:8080"
# username = "admin"
# category = "audiobooks"
# tags = ["mktint"]
# path_map = { "/mnt/media" = "/data" }   # host path → path inside a Docker container

# [services.red]
# announce = "https://flacsfor.me/{passkey}/announce"   # {passkey} comes from `mktint red whoami`

# [services.mam]
# announce = "https://…"   # your personal announce URL, copied from the site

# [services.audnexus]
# region = "us"
"""


def init(location: Path) -> None:
    """Write the commented starter file; never overwrite an existing one."""
    location.parent.mkdir(parents=True, exist_ok=True)
    try:
        paths.atomic_write(location, STARTER, mode=0o644, overwrite=False)
    except FileExistsError:
        raise Conflict(f"{location} already exists; not overwriting it",
                       hint="edit it, or change keys with `mktint config set KEY VALUE`") from None
