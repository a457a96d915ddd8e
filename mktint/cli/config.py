"""`mktint config`: path, show, init, get, set, unset, validate."""

from __future__ import annotations

import json

import click

from mktint.cli.completers import complete_config_keys
from mktint.cli.options import json_option, pass_state
from mktint.cli.state import AppState


@click.group()
def config() -> None:
    """Show, create and edit the configuration file (no secrets live there).

    \b
    Examples:
      mktint config init
      mktint config set services.home.kind qbittorrent
      mktint config show --json | jq '.services.red'
      mktint config validate
    """


def _location(state: AppState):
    from mktint.core import config as config_module

    return config_module.locate(state.config_path)


@config.command()
@json_option
@pass_state
def path(state: AppState) -> None:
    """Print the path of the config file in use.

    \b
    Example:
      $EDITOR "$(mktint config path)"
    """
    location = _location(state)
    state.output.emit({"path": str(location), "exists": location.is_file()},
                      lambda: state.output.line(str(location)))


@config.command()
@pass_state
def init(state: AppState) -> None:
    """Write a commented starter file (never overwrites an existing one).

    \b
    Example:
      mktint config init && mktint config show
    """
    from mktint.core import config as config_module

    location = _location(state)
    config_module.init(location)
    state.output.line(str(location))
    state.output.success(f"wrote {location}")


def as_text(value) -> str:
    """A value as `config set` takes it back: lists `a,b`, tables inline TOML, true/false.

    `config get` and `config show` both print values this way.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(as_text(v) for v in value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(str(k))} = {json.dumps(v)}" for k, v in value.items()) + " }" \
            if value else "{}"
    return str(value)


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

    \b
    Examples:
      mktint config show
      mktint config show --json | jq -r '.services | keys[]'
    """
    from mktint.core.output import Column

    effective = _effective(state)

    def human() -> None:
        out = state.output
        rows = [{"key": f"defaults.{k}", "value": as_text(v["value"]), "origin": v["origin"]}
                for k, v in effective["defaults"].items()]
        for name, values in effective["services"].items():
            rows += [{"key": f"services.{name}.{k}", "value": as_text(v["value"]), "origin": v["origin"]}
                     for k, v in values.items()]
        status = "" if effective["exists"] else " (not created yet: built-in defaults only)"
        out.info(f"config file: {effective['path']}{status}")
        out.table(rows, [Column("key", "KEY"), Column("value", "VALUE"), Column("origin", "ORIGIN")])

    state.output.emit(effective, human)


@config.command()
@click.argument("key", shell_complete=complete_config_keys)
@json_option
@pass_state
def get(state: AppState, key: str) -> None:
    """Print one effective value, such as `services.red.url` or `defaults.client`.

    \b
    Example:
      mktint config get services.qbittorrent.url
    """
    from mktint.core.errors import ConfigError, NotFound

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
    else:
        state.output.line(as_text(value))


@config.command("set")
@click.argument("key", shell_complete=complete_config_keys)
@click.argument("value")
@pass_state
def set_(state: AppState, key: str, value: str) -> None:
    """Set KEY to VALUE in the config file, keeping everything else.

    \b
    Lists take `a,b,c`; tables take TOML: '{ "/host/path" = "/client/path" }'.
    Examples (a new service needs its kind first):
      mktint config set services.seedbox.kind qbittorrent
      mktint config set services.seedbox.url http://10.0.0.5:8080
    """
    from mktint.core import config as config_module

    location = _location(state)
    stored = config_module.set_value(location, key, value)
    state.output.success(f"{key} = {as_text(stored)} in {location}")


@config.command()
@click.argument("key", shell_complete=complete_config_keys)
@pass_state
def unset(state: AppState, key: str) -> None:
    """Remove KEY from the config file (its built-in default applies again).

    \b
    Example:
      mktint config unset services.red.announce
    """
    from mktint.core import config as config_module

    location = _location(state)
    config_module.unset_value(location, key)
    state.output.success(f"removed {key} from {location}")


@config.command()
@json_option
@pass_state
def validate(state: AppState) -> None:
    """Check the config file; exit 3 naming the problem if it is invalid.

    \b
    Example:
      mktint config validate && echo ok
    """
    loaded = state.factory.config
    result = {"path": str(loaded.path), "exists": loaded.exists, "valid": True}
    message = f"{loaded.path}: valid" if loaded.exists else f"{loaded.path}: no file (built-in defaults)"
    state.output.emit(result, lambda: state.output.line(message))


@config.command("import-mk-torrent")
@click.option("--from", "source", metavar="DIR", type=click.Path(file_okay=False),
              help="mk_torrent's config folder (default: ~/.config/torrent_creator).")
@click.option("--dry-run", is_flag=True, help="Print the plan (secrets masked); change nothing.")
@click.option("-y", "--yes", is_flag=True, help="Overwrite conflicting values without asking.")
@json_option
@pass_state
def import_mk_torrent(state: AppState, source: str | None, dry_run: bool, yes: bool) -> None:
    """Import settings and secrets from mk_torrent.

    Writes [services.*] and [defaults] to the config file and moves every secret
    (keyring entries, plain-text keys, announce-URL passkeys) into mktint's credential
    store — never into config.toml. Values already set are kept unless you confirm.
    An encrypted mk_torrent store is read only with its master password typed on a
    terminal.

    \b
    Examples:
      mktint config import-mk-torrent --dry-run
      mktint config import-mk-torrent --from /backup/torrent_creator --yes
    """
    from pathlib import Path

    from mktint.workflows import migrate_mk_torrent as migrate

    out, factory = state.output, state.factory
    folder = Path(source).expanduser() if source else migrate.default_source_dir()
    plan = migrate.plan(folder, _location(state), factory.credentials,
                        master_password=_ask_master_password)
    if not dry_run and plan.changes:
        overwrite = False
        if plan.conflicts:
            for item in plan.conflicts:
                out.warn(_conflict_text(item))
            overwrite = out.confirm(f"overwrite {len(plan.conflicts)} value(s) already set in mktint?",
                                    assume_yes=yes)
        migrate.apply(plan, factory.credentials, overwrite=overwrite)
    out.emit({**plan.to_dict(), "dry_run": dry_run}, lambda: _show_plan(state, plan))
    if plan.applied:
        out.success(f"imported into {plan.config_path}; check it with `mktint config show` "
                    "and `mktint auth status`")
    elif not dry_run:
        out.info("nothing to import: mktint already has every value")


def _ask_master_password() -> str | None:
    """mk_torrent's master password, typed on a terminal; None when there is none."""
    import sys

    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return None
    return click.prompt("mk_torrent master password (Enter to skip)", hide_input=True,
                        default="", show_default=False, err=True) or None


def _show_plan(state: AppState, plan) -> None:
    line = state.output.line
    verb = "imported" if plan.applied else "plan"
    line(f"{verb}: {plan.source} -> {plan.config_path}")
    if plan.settings:
        line("settings:")
        for s in plan.settings:
            now = f"  (now {s.current!r})" if s.action in ("conflict", "keep", "overwrite") else ""
            line(f"  {s.action:<10} {s.key} = {s.value!r}{now}  [from {s.origin}]")
    if plan.secrets:
        line("secrets:")
        for m in plan.secrets:
            where = f" -> {m.stored_in}" if m.stored_in else ""
            line(f"  {m.action:<10} {m.service} {m.secret} = ***  [from {m.origin}]{where}")
    for title, items, fmt in (
        ("plain-text secrets (remove them from the old files)", plan.plain_text,
         lambda i: f"{i['file']}: {i['key']} — {i['advice']}"),
        ("skipped", plan.skipped, lambda i: f"{i['item']}: {i['reason']}"),
        ("unsupported trackers (not imported)", plan.unsupported, lambda i: f"{i['tracker']} (from {i['from']})"),
        ("not imported", plan.ignored, lambda i: f"{i['key']}: {i['reason']}"),
    ):
        if items:
            line(f"{title}:")
            for item in items:
                line(f"  {fmt(item)}")


def _conflict_text(item) -> str:
    if hasattr(item, "key"):
        return f"{item.key} is {item.current!r} in mktint; mk_torrent has {item.value!r}"
    return f"{item.service} {item.secret} is already stored ({item.stored_in}) with another value"
