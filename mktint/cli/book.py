"""`mktint book`: audiobook metadata from Audnexus, release descriptions, and the local
commands `inspect` and `fix-paths` (from ``mktint.cli.book_local``)."""

from __future__ import annotations

from pathlib import Path

import click

from mktint.cli.book_local import fix_paths, inspect
from mktint.cli.completers import complete_folders
from mktint.cli.options import json_option, pass_state, service_option
from mktint.cli.state import AppState
from mktint.core.kinds import KINDS

REGIONS = KINDS["audnexus"].fields["region"].choices


@click.group()
def book() -> None:
    """Audiobook metadata from Audnexus (books, chapters, authors) and release descriptions.

    Answers are cached on disk for `cache_hours` (24 h by default, set in
    [services.audnexus]); --refresh asks the server again.

    \b
    Examples:
      mktint book show B08G9PRS1K
      mktint book search hail mary
      mktint book inspect "/data/Project Hail Mary {ASIN.B08G9PRS1K}"
      mktint book description B08G9PRS1K > description.txt
    """


book.add_command(inspect)
book.add_command(fix_paths)


def _service():
    return service_option("audnexus", "audnexus")


region_option = click.option(
    "--region", type=click.Choice(REGIONS, case_sensitive=False), default=None,
    help="Audible region (default: `region` of the service, else us).")
refresh_option = click.option("--refresh", is_flag=True,
                              help="Ignore the on-disk cache and ask the server again.")
raw_option = click.option("--raw", is_flag=True,
                          help="Print the server's JSON answer unchanged.")


def lookup_options(command):
    """The options every Audnexus lookup takes: --region, --refresh, --raw, --json, -s."""
    for option in (pass_state, _service(), json_option, raw_option, refresh_option, region_option):
        command = option(command)
    return command


def _client(state: AppState, service_name: str):
    return state.factory.service(service_name, "audnexus")


def _lookup(state: AppState, service_name: str, raw: bool, what: str, *args):
    """``client.<what>(*args)``; with --raw, print ``client.<what>_raw(*args)`` and return None."""
    client = _client(state, service_name)
    if raw:
        state.output.print_json(getattr(client, f"{what}_raw")(*args))
        return None
    return getattr(client, what)(*args)


def _check_asin(asin: str) -> str:
    """An ASIN, or the ASIN in the name of an existing folder or file given instead."""
    from mktint.core.asin import find_asin, is_asin, validate_asin
    from mktint.core.errors import UsageError

    path = Path(asin)
    if not is_asin(asin) and path.exists():
        found = find_asin(path.resolve().name)
        if found is None:
            raise UsageError(f"no ASIN in the name of {path}",
                             hint="name it like 'Title {ASIN.B08G9PRS1K}' or give the ASIN")
        return found
    return validate_asin(asin)


def _check_raw(state: AppState, raw: bool) -> None:
    from mktint.core.errors import UsageError

    if raw and state.output.json:
        raise UsageError("--json and --raw cannot be used together",
                         hint="--json prints mktint's model, --raw the server's answer")


def _ms(value: int | None) -> str:
    if value is None:
        return ""
    seconds = int(value) // 1000
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def _print_chapters(state: AppState, chapters) -> None:
    from mktint.core.output import Column

    rows = [{"n": i, "start_ms": c.start_ms, "length_ms": c.length_ms, "title": c.title}
            for i, c in enumerate(chapters.chapters, 1)]
    state.output.table(rows, [Column("n", "#", justify="right"),
                              Column("start_ms", "START", _ms, justify="right"),
                              Column("length_ms", "LENGTH", _ms, justify="right"),
                              Column("title", "TITLE")])
    if chapters.is_accurate is False:
        state.output.warn("Audible marks these chapter times as not accurate")


def _book_pairs(b) -> list[tuple[str, object]]:
    from mktint.workflows.description import format_runtime, placeholder_values

    values = placeholder_values(b)
    return [
        ("ASIN", b.asin), ("Title", b.title), ("Subtitle", b.subtitle),
        ("Authors", ", ".join(b.authors)), ("Narrators", ", ".join(b.narrators)),
        ("Series", values["series"] or None), ("Also in", values["series_secondary"] or None),
        ("Publisher", b.publisher), ("Released", b.release_date), ("Language", b.language),
        ("Runtime", format_runtime(b.runtime_minutes) or None),
        ("Genres", ", ".join(b.genres)), ("Tags", ", ".join(b.tags)), ("ISBN", b.isbn),
        ("Rating", b.rating), ("Region", b.region), ("Cover", b.image),
    ]


@book.command()
@click.argument("asin", metavar="ASIN|FOLDER", shell_complete=complete_folders)
@click.option("--chapters", "with_chapters", is_flag=True, help="Also fetch and show the chapters.")
@lookup_options
def show(state: AppState, asin: str, with_chapters: bool, region: str | None, refresh: bool,
         raw: bool, service_name: str) -> None:
    """Show a book's metadata.

    \b
    Examples:
      mktint book show B08G9PRS1K
      mktint book show B08G9PRS1K --chapters --region uk
      mktint book show B08G9PRS1K --json | jq -r .title
      mktint book show B08G9PRS1K --raw > hail-mary.json
      mktint book show "./Project Hail Mary {ASIN.B08G9PRS1K}"
    """
    from mktint.core.errors import NotFound, UsageError

    _check_raw(state, raw)
    asin = _check_asin(asin)
    if raw and with_chapters:
        raise UsageError("--raw prints one server answer; use `mktint book chapters ASIN --raw` "
                         "for the chapters")
    client = _client(state, service_name)
    if raw:
        state.output.print_json(client.book_raw(asin, region, refresh))
        return
    found = client.book(asin, region, refresh)
    chapters = None
    if with_chapters:
        try:
            chapters = client.chapters(asin, region, refresh)
        except NotFound as e:
            state.output.warn(f"{e.message}; {e.hint}" if e.hint else e.message)

    def human() -> None:
        state.output.record([(k, v) for k, v in _book_pairs(found) if v not in (None, "")])
        if found.summary:
            state.output.line()
            state.output.line(found.summary)
        if chapters is not None:
            state.output.line()
            _print_chapters(state, chapters)

    data = found.to_dict()
    if with_chapters:
        data["chapters"] = chapters.to_dict() if chapters is not None else None
    state.output.emit(data, human)


@book.command()
@click.argument("asin", metavar="ASIN|FOLDER", shell_complete=complete_folders)
@lookup_options
def chapters(state: AppState, asin: str, region: str | None, refresh: bool, raw: bool,
             service_name: str) -> None:
    """List a book's chapters (exit 5 when the server has none yet).

    \b
    Examples:
      mktint book chapters B08G9PRS1K
      mktint book chapters B08G9PRS1K --json | jq '.chapters | length'
    """
    _check_raw(state, raw)
    asin = _check_asin(asin)
    found = _lookup(state, service_name, raw, "chapters", asin, region, refresh)
    if found is None:
        return
    state.output.emit(found, lambda: _print_chapters(state, found))


@book.command()
@click.argument("asin")
@lookup_options
def author(state: AppState, asin: str, region: str | None, refresh: bool, raw: bool,
           service_name: str) -> None:
    """Show an author by ASIN.

    \b
    Examples:
      mktint book author B00G0WYW92
      mktint book authors "andy weir" --json | jq -r '.[0].asin' | xargs mktint book author
    """
    from mktint.core.asin import validate_asin

    _check_raw(state, raw)
    asin = validate_asin(asin)
    found = _lookup(state, service_name, raw, "author", asin, region, refresh)
    if found is None:
        return

    def human() -> None:
        pairs = [("ASIN", found.asin), ("Name", found.name), ("Genres", ", ".join(found.genres)),
                 ("Similar", ", ".join(s["name"] for s in found.similar)),
                 ("Region", found.region), ("Image", found.image)]
        state.output.record([(k, v) for k, v in pairs if v not in (None, "")])
        if found.description:
            state.output.line()
            state.output.line(found.description)

    state.output.emit(found, human)


@book.command()
@click.argument("name", nargs=-1, required=True)
@lookup_options
def authors(state: AppState, name: tuple[str, ...], region: str | None, refresh: bool, raw: bool,
            service_name: str) -> None:
    """Find authors by name (at least 2 characters; up to 25 matches).

    \b
    Examples:
      mktint book authors andy weir
      mktint book authors "corey" --json
    """
    from mktint.core.output import Column

    _check_raw(state, raw)
    query = " ".join(name)
    found = _lookup(state, service_name, raw, "search_authors", query, region, refresh)
    if found is None:
        return
    state.output.emit(found, lambda: state.output.table(
        found, [Column("asin", "ASIN"), Column("name", "NAME")]))
    if not found:
        state.output.info(f"no author matches {query!r}")


@book.command()
@click.argument("query", nargs=-1, required=True)
@lookup_options
def search(state: AppState, query: tuple[str, ...], region: str | None, refresh: bool, raw: bool,
           service_name: str) -> None:
    """Search books by title or author (newer Audnexus servers; up to 10 matches).

    \b
    Examples:
      mktint book search project hail mary
      mktint book search "weir" --json | jq -r '.[] | "\\(.asin) \\(.title)"'
    """
    from mktint.core.output import Column

    _check_raw(state, raw)
    text = " ".join(query)
    found = _lookup(state, service_name, raw, "search_books", text, region, refresh)
    if found is None:
        return
    rows = [{"asin": b.asin, "title": b.title, "authors": ", ".join(b.authors), "year": b.year,
             "runtime_minutes": b.runtime_minutes} for b in found]
    state.output.emit(found, lambda: state.output.table(rows, [
        Column("asin", "ASIN"), Column("title", "TITLE"), Column("authors", "AUTHORS"),
        Column("year", "YEAR"), Column("runtime_minutes", "MIN", justify="right")]))
    if not found:
        state.output.info(f"no book matches {text!r}")


@book.command()
@click.argument("asin", metavar="ASIN|FOLDER", shell_complete=complete_folders)
@click.option("-t", "--template", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Template file with {placeholders} (default: [defaults] description_template, "
                   "else the built-in layout).")
@click.option("--no-chapters", is_flag=True, help="Do not fetch chapters (no chapter count).")
@region_option
@refresh_option
@json_option
@_service()
@pass_state
def description(state: AppState, asin: str, template: Path | None, no_chapters: bool,
                region: str | None, refresh: bool, service_name: str) -> None:
    """Print a release description in BBCode for a tracker upload.

    \b
    Placeholders for templates: see docs/book.md, or write an unknown one and the error
    lists them. {{ and }} are literal braces.

    \b
    Examples:
      mktint book description B08G9PRS1K > description.txt
      mktint book description B08G9PRS1K --template ~/.config/mktint/description.txt
    """
    from mktint.core.errors import NotFound
    from mktint.workflows.description import render_description

    asin = _check_asin(asin)
    if template is None:
        configured = state.factory.config.defaults.get("description_template")
        template = Path(configured).expanduser() if configured else None
    client = _client(state, service_name)
    found = client.book(asin, region, refresh)
    chapters = None
    if not no_chapters:
        try:
            chapters = client.chapters(asin, region, refresh)
        except NotFound:
            state.output.info(f"no chapter data for {asin} yet: the description has no chapter count")
    text = render_description(found, chapters, template)
    state.output.emit({"asin": asin, "description": text},
                      lambda: state.output.line(text.rstrip("\n")))
