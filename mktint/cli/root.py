"""The root command: global options, lazy subcommands, and the one place errors become exits.

Start-up budget: ``mktint --help`` and completion import click and this package's tables
only. Each subcommand module is imported when that command (or its ``--help``) runs, and
command modules import heavy libraries (requests, rich, keyring) inside their functions.
"""

from __future__ import annotations

import importlib
import sys

import click

from mktint import __version__
from mktint.cli.state import AppState

# name → (module, attribute, one-line help). The help lives here so that `mktint --help`
# and completing a command name never import the command modules.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "torrent": ("mktint.cli.torrent", "torrent", "Create, inspect, verify and retarget .torrent files."),
    "qbit": ("mktint.cli.qbit", "qbit", "Drive qBittorrent through its WebUI API."),
    "red": ("mktint.cli.red", "red", "Gazelle trackers (RED, OPS): search, download, upload."),
    "mam": ("mktint.cli.mam", "mam", "MyAnonamouse: status, seedbox IP, upload bundles."),
    "book": ("mktint.cli.book", "book", "Audiobook metadata from Audnexus and local files."),
    "auth": ("mktint.cli.auth", "auth", "Store, check and remove credentials."),
    "health": ("mktint.cli.health", "health", "Check every service for cron and monitoring."),
    "config": ("mktint.cli.config", "config", "Show, create and edit the configuration file."),
    "completion": ("mktint.cli.completion", "completion", "Print shell completion scripts."),
    "publish": ("mktint.cli.publish", "publish", "From a folder to a seeding upload, in one command."),
}

EXIT_CODES_HELP = """\b
Exit codes:
  0 success            4 authentication failed or required
  1 operation failed   5 not found
  2 usage error        6 conflict (already exists, duplicate)
  3 config error       7 temporary: unavailable, timed out, rate limited
  130 interrupted      (mktint health uses 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)
"""


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def __init__(self, *args, lazy_commands: dict[str, tuple[str, str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_commands = lazy_commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy_commands and name not in self.commands:
            module_name, attribute, _ = self.lazy_commands[name]
            self.add_command(getattr(importlib.import_module(module_name), attribute), name)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, self.lazy_commands[name][2]) for name in sorted(self.lazy_commands)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def shell_complete(self, ctx: click.Context, incomplete: str):
        from click.shell_completion import CompletionItem

        items = [CompletionItem(name, help=help_text)
                 for name, (_, _, help_text) in sorted(self.lazy_commands.items())
                 if name.startswith(incomplete)]
        return items + click.Command.shell_complete(self, ctx, incomplete)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """Run, and turn every outcome into an exit status (see ``mktint.cli.errors``)."""
        from mktint.cli.errors import run_and_exit

        state = AppState()
        run_and_exit(lambda: super(LazyGroup, self).main(
            args, prog_name or "mktint", complete_var, standalone_mode=False, obj=state, **extra),
            state)


@click.group(cls=LazyGroup, lazy_commands=COMMANDS, epilog=EXIT_CODES_HELP,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--config", "config_path", metavar="PATH", envvar="MKTINT_CONFIG",
              help="Config file (default: $XDG_CONFIG_HOME/mktint/config.toml).")
@click.option("--debug", is_flag=True, envvar="MKTINT_DEBUG",
              help="Trace requests on stderr (secrets masked); full tracebacks.")
@click.option("-q", "--quiet", is_flag=True, help="Print only data and errors.")
@click.option("--no-color", is_flag=True, help="No colours (also NO_COLOR=1).")
@click.version_option(__version__, "--version", prog_name="mktint", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, debug: bool, quiet: bool, no_color: bool) -> None:
    """mktint — publish and seed audiobooks on private trackers.

    Data goes to stdout (--json on every command that returns data); progress, warnings
    and prompts go to stderr.
    """
    state: AppState = ctx.ensure_object(AppState)
    state.configure(config_path=config_path, debug=debug, quiet=quiet, no_color=no_color)
    ctx.call_on_close(state.close)


def main() -> None:
    cli.main(args=sys.argv[1:], prog_name="mktint")
