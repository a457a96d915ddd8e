"""Options and helpers shared by the commands."""

from __future__ import annotations

from typing import Callable

import click

from mktint.cli.state import AppState

pass_state = click.make_pass_decorator(AppState, ensure=True)


def _set_json(ctx: click.Context, _param, value: bool) -> bool:
    if value:
        ctx.ensure_object(AppState).output.json = True
    return value


json_option = click.option(
    "--json", "as_json", is_flag=True, expose_value=False, is_eager=True, callback=_set_json,
    help="Print JSON (one object or array) on stdout.")


def complete_service_names(kinds: tuple[str, ...]) -> Callable:
    """A completer of service names of the given kinds, read from the config; never fails."""

    def complete(ctx: click.Context, _param, incomplete: str):
        try:
            from mktint.core import config

            path = ctx.find_root().params.get("config_path")
            loaded = config.load(path)
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
