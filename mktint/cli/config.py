"""`mktint config`: path, show, init, get, set, unset, validate."""

from __future__ import annotations

import click

from mktint.cli.options import json_option, pass_state
from mktint.cli.state import AppState


@click.group()
def config() -> None:
    """Show, create and edit the configuration file (no secrets live there)."""


def _location(state: AppState):
    from mktint.core import config as config_module

    return config_module.locate(state.config_path)


@config.command()
@json_option
@pass_state
def path(state: AppState) -> None:
    """Print the path of the config file in use."""
    location = _location(state)
    state.output.emit({"path": str(location), "exists": location.is_file()},
                      lambda: state.output.line(str(location)))


@config.command()
@pass_state
def init(state: AppState) -> None:
    """Write a commented starter file (never overwrites an existing one)."""
    from mktint.core import config as config_module

    location = _location(state)
    config_module.init(location)
    state.output.line(str(location))
    state.output.success(f"wrote {location}")


def _effective(state: AppState) -> dict:
    loaded = state.factory.config
    return {
        "path": str(loaded.path),
        "exists": loaded.exists,
        "defaults": {key: {"value": value, "origin": loaded.defaults_origins[key]}
                     for key, value in loaded.defaults.items()},
        "services": {
            name: {key: {"value": value, "origin": service.origin(key)}
                   for key, value in sorted(service.values.items())}
            for name, service in sorted(loaded.services.items())
        },
    }


@config.command()
@json_option
@pass_state
def show(state: AppState) -> None:
    """Print the effective configuration and where each value comes from.

    Origins: file (the config file), env (MKTINT_<SERVICE>_URL/_USERNAME) or default
    (built in). Secrets are never shown: see `mktint auth status`.
    """
    from mktint.core.output import Column

    effective = _effective(state)

    def human() -> None:
        out = state.output
        rows = [{"key": f"defaults.{k}", **v} for k, v in effective["defaults"].items()]
        for name, values in effective["services"].items():
            rows += [{"key": f"services.{name}.{k}", **v} for k, v in values.items()]
        status = "" if effective["exists"] else " (not created yet: built-in defaults only)"
        out.info(f"config file: {effective['path']}{status}")
        out.table(rows, [Column("key", "KEY"), Column("value", "VALUE"), Column("origin", "ORIGIN")])

    state.output.emit(effective, human)


@config.command()
@click.argument("key")
@json_option
@pass_state
def get(state: AppState, key: str) -> None:
    """Print one effective value, e.g. `services.red.url` or `defaults.client`."""
    from mktint.core.errors import ConfigError, NotFound
    from mktint.core.output import dumps

    loaded = state.factory.config
    parts = key.split(".")
    if len(parts) == 2 and parts[0] == "defaults" and parts[1] in loaded.defaults:
        value = loaded.defaults[parts[1]]
    elif len(parts) == 3 and parts[0] == "services":
        service = loaded.service(parts[1])
        if parts[2] not in service.values:
            raise NotFound(f"{key}: no such key for kind {service.kind!r}",
                           hint="allowed: " + ", ".join(service.values))
        value = service.values[parts[2]]
    else:
        raise ConfigError(f"{key!r} is not a config key",
                          hint="keys look like defaults.client or services.NAME.url")
    if state.output.json:
        state.output.print_json({"key": key, "value": value})
    elif isinstance(value, (dict, list)):
        state.output.line(dumps(value, indent=None))
    else:
        state.output.line("" if value is None else str(value))


@config.command("set")
@click.argument("key")
@click.argument("value")
@pass_state
def set_(state: AppState, key: str, value: str) -> None:
    """Set KEY to VALUE in the config file, keeping everything else.

    \b
    Lists take `a,b,c`; tables take TOML: '{ "/host/path" = "/client/path" }'.
    A new service needs its kind first:
      mktint config set services.seedbox.kind qbittorrent
      mktint config set services.seedbox.url http://10.0.0.5:8080
    """
    from mktint.core import config as config_module

    location = _location(state)
    stored = config_module.set_value(location, key, value)
    state.output.success(f"{key} = {stored!r} in {location}")


@config.command()
@click.argument("key")
@pass_state
def unset(state: AppState, key: str) -> None:
    """Remove KEY from the config file (its built-in default applies again)."""
    from mktint.core import config as config_module

    location = _location(state)
    config_module.unset_value(location, key)
    state.output.success(f"removed {key} from {location}")


@config.command()
@json_option
@pass_state
def validate(state: AppState) -> None:
    """Check the config file; exit 3 naming the problem if it is invalid."""
    loaded = state.factory.config
    result = {"path": str(loaded.path), "exists": loaded.exists, "valid": True}
    message = f"{loaded.path}: valid" if loaded.exists else f"{loaded.path}: no file (built-in defaults)"
    state.output.emit(result, lambda: state.output.line(message))
