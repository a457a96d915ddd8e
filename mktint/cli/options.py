"""Options and helpers shared by the commands."""

from __future__ import annotations

from typing import Callable

import click

from mktint.cli.state import AppState

pass_state = click.make_pass_decorator(AppState, ensure=True)


def state_of(ctx: click.Context) -> AppState:
    return ctx.ensure_object(AppState)


def _flag_setter(name: str) -> Callable:
    def set_flag(ctx: click.Context, _param, value):
        if value:  # an absent flag never undoes one given at another level
            state_of(ctx).set_flag(name, value)
        return value

    return set_flag


_set_json = _flag_setter("json")
json_option = click.option(
    "--json", "as_json", is_flag=True, expose_value=False, is_eager=True, callback=_set_json,
    help="Print JSON (one object or array) on stdout.")

# The global flags. The root command takes them, and so does every subcommand (as hidden
# copies, see ``inherit_global_options``), so that they work before or after the
# subcommand, as in gh: `mktint --debug qbit list` and `mktint qbit list --debug`.
GLOBAL_FLAGS = "--config PATH, --debug, -q/--quiet, --no-color, --json"


def global_options(*, root: bool, json_callback: Callable = _set_json) -> list[click.Option]:
    """The global options; ``root`` ones read their environment variables and show in help."""
    hidden = not root
    return [
        click.Option(["--config", "config_path"], metavar="PATH", expose_value=False,
                     envvar="MKTINT_CONFIG" if root else None, hidden=hidden,
                     callback=_flag_setter("config_path"),
                     help="Config file (default: $XDG_CONFIG_HOME/mktint/config.toml)."),
        click.Option(["--debug"], is_flag=True, expose_value=False, hidden=hidden,
                     callback=_flag_setter("debug"),
                     help="Trace requests on stderr (secrets masked); full tracebacks. Also MKTINT_DEBUG=1."),
        click.Option(["-q", "--quiet"], is_flag=True, expose_value=False, hidden=hidden,
                     callback=_flag_setter("quiet"), help="Print only data and errors."),
        click.Option(["--no-color"], is_flag=True, expose_value=False, hidden=hidden,
                     callback=_flag_setter("no_color"), help="No colours (also NO_COLOR=1)."),
        click.Option(["--json", "as_json"], is_flag=True, expose_value=False, hidden=hidden,
                     is_eager=True, callback=json_callback,
                     help="Print JSON on stdout (commands that return data); errors as JSON on stderr."),
    ]


def _check_json(ctx: click.Context, _param, value: bool) -> bool:
    """``--json`` on a command that prints no data: refuse it, wherever it was given."""
    if value:
        state_of(ctx).set_flag("json", True)
    if state_of(ctx).json and not isinstance(ctx.command, click.Group):
        raise click.UsageError(f"`{ctx.command_path}` prints no data, so it has no --json output",
                               ctx=ctx)
    return value


# The hidden copies, made once and shared by every command (an Option keeps no state of
# the command it belongs to; making 250 of them cost a completion 3 ms): a group's --json
# is passed on to its subcommand, a command's is checked against the data it prints.
_HIDDEN_COPIES = {True: global_options(root=False, json_callback=_set_json),
                  False: global_options(root=False, json_callback=_check_json)}


def inherit_global_options(command: click.Command) -> click.Command:
    """Give ``command`` and everything under it hidden copies of the global options.

    An option the command already has (health's own ``-q``) is kept as it is. A command
    reached twice (``red`` and ``ops`` share theirs) is given them once.
    """
    note = f"\b\nGlobal options work here too: {GLOBAL_FLAGS} (see mktint --help)."
    if command.epilog and note in command.epilog:
        return command
    command.epilog = f"{command.epilog}\n\n{note}" if command.epilog else note
    taken = {opt for param in command.params for opt in param.opts + param.secondary_opts}
    for option in _HIDDEN_COPIES[isinstance(command, click.Group)]:
        if not taken & set(option.opts):
            command.params.append(option)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            inherit_global_options(sub)
    return command


def complete_service_names(kinds: tuple[str, ...]) -> Callable:
    """A completer of service names of the given kinds, read from the config; never fails."""

    def complete(ctx: click.Context, _param, incomplete: str):
        try:
            from mktint.core import config

            loaded = config.load(state_of(ctx).config_path)
            return sorted(name for name, s in loaded.services.items()
                          if s.kind in kinds and name.startswith(incomplete))
        except Exception:
            return []

    return complete


def service_option(kind: str, default: str | None, *, help_text: str | None = None):
    """``-s/--service NAME``: which configured instance of ``kind`` a group works on.

    With ``default=None`` the default comes from ``[defaults] client``.
    """
    shown = default or "[defaults] client, else qbittorrent"
    return click.option(
        "-s", "--service", "service_name", metavar="NAME", default=default,
        shell_complete=complete_service_names((kind,)),
        help=help_text or f"Which {kind} service to use (default: {shown}).")


def resolve_service(state: AppState, name: str | None, kind: str):
    """The client for ``name`` (or the default client for qbittorrent)."""
    factory = state.factory
    if name is None:
        name = factory.config.default_client()
    return factory.service(name, kind)


class SizeParam(click.ParamType):
    """A size such as ``4MiB`` or ``10G`` (see ``mktint.core.units.parse_size``)."""

    name = "SIZE"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        from mktint.core.errors import UsageError
        from mktint.core.units import parse_size

        try:
            return parse_size(value)
        except UsageError as e:
            self.fail(f"{e.message} ({e.hint})", param, ctx)


SIZE = SizeParam()


class SecondsParam(click.FloatRange):
    """A number of seconds: finite and within [min, max] (FloatRange lets nan through)."""

    name = "SECONDS"

    def convert(self, value, param, ctx):
        import math

        seconds = super().convert(value, param, ctx)
        if not math.isfinite(seconds):
            self.fail(f"{value!r} is not a finite number of seconds", param, ctx)
        return seconds


def seconds(min: float = 0.0, max: float = 86400.0) -> SecondsParam:  # noqa: A002 (click's names)
    return SecondsParam(min=min, max=max)
