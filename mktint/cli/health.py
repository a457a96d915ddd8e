"""`mktint health`: one answer for a person, a cron job and a monitoring system."""

from __future__ import annotations

import click

from mktint.cli.options import SIZE, json_option, pass_state, seconds
from mktint.cli.state import AppState

UNKNOWN_EXIT = 3


class MonitoringCommand(click.Command):
    """Usage errors exit 3 (UNKNOWN), as monitoring plugins must, not click's 2."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as e:
            e.exit_code = UNKNOWN_EXIT
            raise

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.UsageError as e:
            e.exit_code = UNKNOWN_EXIT
            raise


@click.command(cls=MonitoringCommand, epilog="""\b
Examples:
  mktint health                                  # a table of every configured service
  mktint health -q || echo broken                # cron: silent when all is well
  mktint health --nagios -s home -s red --crit-latency 2
  mktint health --json | jq '.services[] | select(.status != "ok")'
\b
Exit: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (usage and config errors too).""")
@click.option("-s", "--service", "services", multiple=True, metavar="NAME",
              help="Check only this service (repeatable; `local` = config, credentials, disk).")
@click.option("--timeout", type=seconds(min=0.1), default=8.0, show_default=True,
              help="Seconds the whole run may take.")
@click.option("--min-free", type=SIZE, help="Warn when a checked path has less free space (e.g. 50GiB).")
@click.option("--path", "paths", multiple=True, metavar="PATH", help="Also check free space here (repeatable).")
@click.option("--warn-latency", type=seconds(), metavar="SECONDS",
              help="WARNING when a service takes longer to answer.")
@click.option("--crit-latency", type=seconds(), metavar="SECONDS",
              help="CRITICAL when a service takes longer to answer.")
@json_option
@click.option("--nagios", is_flag=True, help="Monitoring-plugin output: status line with perfdata.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing when everything is OK.")
@pass_state
def health(state: AppState, services, timeout, min_free, paths, warn_latency, crit_latency,
           nagios, quiet) -> None:
    """Check every configured service (or those named with -s) concurrently."""
    from mktint.workflows import health as checks

    as_json = state.output.json
    if as_json and nagios:
        raise click.UsageError("choose one of --json and --nagios", ctx=click.get_current_context())
    options = checks.Options(timeout=timeout, min_free=min_free, warn_latency=warn_latency,
                             crit_latency=crit_latency, paths=paths)
    report = checks.run(state.factory, tuple(services), options)
    out = state.output
    if not ((quiet or state.quiet) and report.status == checks.OK):
        if as_json:
            out.print_json(report.to_dict())
        elif nagios:
            for line in nagios_lines(report, options):
                out.line(line)
        else:
            _table(out, report)
    raise click.exceptions.Exit(checks.EXIT_STATUS[report.status])


def nagios_lines(report, options) -> list[str]:
    def threshold(value):
        return "" if value is None else f"{value:g}"

    perfdata = " ".join(
        f"'{r.name}_latency'={r.latency_ms / 1000:.3f}s;{threshold(options.warn_latency)};"
        f"{threshold(options.crit_latency)};0"
        for r in report.services if r.latency_ms is not None)
    bad = [r for r in report.services if r.status != "ok"]
    summary = ("; ".join(f"{r.name} {r.status.upper()}: {r.message}" for r in bad) if bad
               else f"{len(report.services)} checks OK")
    first = f"MKTINT {report.status.upper()}: {summary}" + (f" | {perfdata}" if perfdata else "")
    return [first] + [f"{r.name} ({r.kind}) {r.status.upper()}: {r.message}" for r in report.services]


def _table(out, report) -> None:
    from mktint.core.output import Column

    rows = [{**r.to_dict(), "status": r.status.upper(),
             "latency": None if r.latency_ms is None else f"{r.latency_ms:.0f} ms"}
            for r in report.services]
    out.table(rows, [Column("name", "SERVICE"), Column("kind", "KIND"), Column("status", "STATUS"),
                     Column("latency", "LATENCY", justify="right"), Column("message", "MESSAGE")])
    out.info(f"overall: {report.status.upper()}")
