"""`mktint torrent` — create, inspect, verify and retarget .torrent files."""

from __future__ import annotations

import os
from pathlib import Path

import click

from mktint.cli.options import complete_service_names, json_option, pass_state
from mktint.cli.upload_options import exclude_refused_option


class _TrackerKinds:
    """``tracker_kinds()``, read when a completion asks: the kinds table (and the site
    table it imports) cost ≈ 4 ms, paid before hashing by every ``torrent create``."""

    def __contains__(self, kind: object) -> bool:
        from mktint.core.kinds import tracker_kinds

        return kind in tracker_kinds()


TRACKERS = _TrackerKinds()


@click.group()
def torrent() -> None:
    """Create, inspect, verify and retarget .torrent files.

    \b
    Examples:
      mktint torrent create "Book (2020)" --target red --target mam
      mktint torrent info book.torrent --json | jq -r .infohash
      mktint torrent verify book.torrent "/data/Book (2020)"
      mktint torrent retarget book.red.torrent --target ops -o book.ops.torrent
    """


def _piece_size(_ctx, _param, value: str) -> int | None:
    if value is None or value.strip().lower() == "auto":
        return None
    from mktint.core.units import parse_size
    from mktint.torrent.create import check_piece_length

    try:
        size = parse_size(value)
    except Exception as e:
        raise click.BadParameter(f"{value!r} is not a size like 256KiB, 4MiB or auto ({e})")
    try:
        return check_piece_length(size)
    except Exception as e:
        raise click.BadParameter(str(e))


def _settle_before_hashing() -> None:
    """What exists before hashing (the modules, click's objects) lives until the process
    ends: ``gc.freeze()`` keeps the cyclic collector from walking all of it again during
    hashing (at exit, ``cli.root.main`` does the same for every command)."""
    import gc

    gc.freeze()


def _tiers(urls: tuple[str, ...]) -> list[list[str]]:
    """Each -a is one tier; commas inside one -a separate URLs of the same tier."""
    return [[u.strip() for u in url.split(",") if u.strip()] for url in urls if url.strip()]


def _write_problem(path: Path, error: OSError):
    from mktint.core.errors import OperationFailed

    return OperationFailed(f"cannot write {path}: {error.strerror or error}",
                           hint="choose a writable output folder with -o")


def _check_writable(path: Path, force: bool) -> None:
    from mktint.core.errors import Conflict, OperationFailed, UsageError

    if not path.parent.is_dir():
        raise UsageError(f"the folder {path.parent} does not exist",
                         hint="create it first, or choose another output with -o")
    if path.exists() and not force:
        raise Conflict(f"{path} already exists", hint="pass --force to overwrite it")
    if path.is_dir():
        raise OperationFailed(f"{path} is a folder, not a file")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise OperationFailed(f"cannot write into {path.parent}: permission denied",
                              hint="choose a writable output folder with -o")


def _write(path: Path, data: bytes, force: bool, mode: int | None) -> None:
    """Write a .torrent with ``mode`` (``Metainfo.file_mode``: 0600 when it holds a passkey)."""
    from mktint.core.errors import Conflict
    from mktint.core.paths import atomic_write

    try:
        atomic_write(path, data, mode=mode, overwrite=force)
    except FileExistsError:
        raise Conflict(f"{path} already exists", hint="pass --force to overwrite it") from None
    except OSError as e:
        raise _write_problem(path, e) from None


def output_paths(state, output: str | None, name: str, targets: list[str | None]) -> list[Path]:
    """Where each torrent goes (see docs/torrent.md, "Output files")."""
    from mktint.core.errors import UsageError

    if output is None:
        configured = state.factory.config.defaults.get("output_dir")
        folder = Path(configured).expanduser() if configured else Path.cwd()
        is_dir = True
    else:
        folder = Path(output).expanduser()
        is_dir = folder.is_dir() or output.endswith(("/", os.sep)) or len(targets) > 1
    if len(targets) > 1:
        if output is not None and output.endswith(".torrent") and not folder.is_dir():
            raise UsageError("several --target need -o to be a folder, not a .torrent file",
                             hint="the files are named <name>.<target>.torrent in that folder")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise _write_problem(folder, e) from None
        return [folder / file_name(name, t) for t in targets]
    if is_dir:
        if not folder.is_dir():
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise _write_problem(folder, e) from None
        return [folder / file_name(name, targets[0] if targets else None)]
    return [folder]


def file_name(name: str, target: str | None) -> str:
    """One rule, one target or several: ``NAME.TARGET.torrent`` for a tracker, else ``NAME.torrent``."""
    return f"{name}.{target}.torrent" if target else f"{name}.torrent"


CREATE_EPILOG = """\b
Examples:
  mktint torrent create "Book (2020)" -a https://tracker.example/announce --source EX
  mktint torrent create "Book (2020)" --target red --target ops -o ~/torrents/
  mktint torrent create book.m4b --public --piece-size 1MiB -o book.torrent --json
"""


@torrent.command(epilog=CREATE_EPILOG)
@click.argument("path", type=click.Path(readable=False))
@click.option("-o", "--output", metavar="FILE|DIR",
              help="Output file, or folder for <name>.torrent (default: [defaults] output_dir or .).")
@click.option("--private/--public", default=True, show_default=True,
              help="Set the private flag (no DHT/PEX).")
@click.option("--source", metavar="S", help="info.source string (changes the infohash).")
@click.option("-a", "--announce", "announce", metavar="URL", multiple=True,
              help="Announce URL; repeat for more tiers, commas for URLs of one tier.")
@click.option("--web-seed", "web_seeds", metavar="URL", multiple=True, help="Web seed URL (BEP 19); repeatable.")
@click.option("--comment", metavar="TEXT", help="Comment stored in the torrent.")
@click.option("--no-date", is_flag=True, help="Leave out the creation date.")
@click.option("--piece-size", "piece_length", metavar="auto|SIZE", default="auto",
              callback=_piece_size, help="Piece size: auto, or a power of two 16KiB–64MiB.")
@click.option("--exclude", "exclude", metavar="GLOB", multiple=True,
              help="Leave out files or folders whose name or relative path matches; repeatable.")
@click.option("--include-hidden", is_flag=True, help="Keep hidden files and OS junk (.DS_Store…).")
@click.option("--target", "targets", metavar="NAME", multiple=True,
              shell_complete=complete_service_names(TRACKERS),
              help="Tracker service (red, ops, mam…) to make a torrent for; repeatable.")
@exclude_refused_option
@click.option("--threads", type=click.IntRange(1, 256), metavar="N",
              help="At most N hashing threads (default: CPU cores).")
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@json_option
@pass_state
def create(state, path, output, private, source, announce, web_seeds, comment, no_date,
           piece_length, exclude, include_hidden, targets, exclude_refused, threads, force) -> None:
    """Create a v1 torrent of a file or folder.

    Several --target hash the data once and write one torrent per tracker.
    """
    from mktint.core.errors import OperationFailed, UsageError
    from mktint.torrent import create as engine

    targets = list(dict.fromkeys(targets))
    if targets and (source or announce or not private):
        raise UsageError("--target sets the source, announce and private flag itself",
                         hint="leave out --source, --announce and --public with --target")
    plan = engine.scan(path, exclude=exclude, include_hidden=include_hidden)
    warning = engine.skipped_warning(plan)
    if warning:
        state.output.warn(warning)
    if exclude_refused and not targets:
        raise UsageError("--exclude-refused needs --target (the site decides which files it refuses)")
    problems = []
    left_out: list[str] = []
    trackers = [state.factory.tracker(t) for t in targets]  # config only when asked for
    if exclude_refused:
        from mktint.workflows.trackers.base import exclude_refused as leave_out

        plan, left_out = leave_out(trackers, plan)
        if left_out:
            state.output.warn(f"left out {len(left_out)} file(s) the tracker(s) refuse: "
                              + ", ".join(left_out))
    problems = [p for t in trackers for p in t.plan_problems(plan)]
    if problems:
        for problem in problems:
            state.output.error(str(problem))
        raise OperationFailed(f"{len(problems)} problem(s) for the tracker(s); nothing was hashed",
                              hint="rename or leave out the files listed above (--exclude GLOB, "
                                   "or --exclude-refused), and shorten long paths "
                                   "(mktint book fix-paths)")
    extra = dict(web_seeds=tuple(web_seeds), comment=comment, no_date=no_date)
    if targets:
        specs = [engine.TorrentSpec(**{**t.spec().__dict__, **extra}) for t in trackers]
    else:
        specs = [engine.TorrentSpec(private=private, source=source, announce=_tiers(announce), **extra)]
    paths = output_paths(state, output, plan.name, [s.target for s in specs])
    for p in paths:
        _check_writable(p, force)

    _settle_before_hashing()
    with state.output.progress("Hashing", plan.total_size) as bar:
        made = engine.create(plan, specs, piece_length=piece_length, threads=threads,
                             progress=bar.advance)
    for p, t in zip(paths, made):
        _write(p, t.data, force, t.file_mode)

    length = piece_length or engine.auto_piece_length(plan.total_size)
    data = {"name": plan.name, "total_size": plan.total_size, "piece_length": length,
            "piece_count": -(-plan.total_size // length), "file_count": len(plan.files),
            "skipped": plan.skipped, "refused_left_out": left_out,
            "torrents": [{"target": t.spec.target, "path": str(p.resolve()), "infohash": t.infohash,
                          "source": t.spec.source, "private": t.spec.private}
                         for p, t in zip(paths, made)]}

    def human() -> None:
        for row in data["torrents"]:
            state.output.line(f"{row['infohash']}\t{row['path']}")

    state.output.emit(data, human)


INFO_EPILOG = """\b
Examples:
  mktint torrent info book.torrent
  mktint torrent info book.torrent --json | jq -r .infohash
"""


def _load(path: str):
    from mktint.core.errors import OperationFailed, UsageError
    from mktint.core.paths import TORRENT_FILE_LIMIT, read_limited
    from mktint.torrent.metainfo import Metainfo

    try:
        data = read_limited(path, TORRENT_FILE_LIMIT, "a .torrent file")
    except FileNotFoundError:
        raise UsageError(f"{path} does not exist") from None
    except OSError as e:
        raise OperationFailed(f"cannot read {path}: {e.strerror or e}") from None
    try:
        return data, Metainfo.parse(data)
    except OperationFailed as e:
        e.message = f"{path}: {e.message}"
        raise


@torrent.command(epilog=INFO_EPILOG)
@click.argument("file", type=click.Path(dir_okay=False, readable=False))
@json_option
@pass_state
def info(state, file) -> None:
    """Show a .torrent file: name, infohash, trackers, files."""
    from mktint.core.output import Column
    from mktint.core.units import human_size

    # Passkeys in announce URLs are registered with the redactor when the file is parsed,
    # so every output below masks them: this output ends up in logs and pastes.
    _, meta = _load(file)
    data = meta.to_dict()

    def human() -> None:
        tty = state.output.stdout_is_tty
        state.output.record([
            ("name", meta.name), ("infohash", meta.infohash),
            ("total_size", f"{human_size(meta.total_size)} ({meta.total_size} bytes)" if tty
             else meta.total_size),
            ("piece_length", human_size(meta.piece_length) if tty else meta.piece_length),
            ("piece_count", meta.piece_count), ("private", meta.private), ("source", meta.source),
            ("announce", data["announce"]),
            ("announce_list", " | ".join(",".join(t) for t in data["announce_list"]) or None),
            ("web_seeds", meta.web_seeds or None), ("comment", meta.comment),
            ("created_by", meta.created_by), ("creation_date", meta.creation_date),
            ("files", len(meta.files))])
        state.output.line()
        state.output.table(data["files"], [Column("length", "Size", human_size, "right"),
                                           Column("path", "Path")])

    state.output.emit(data, human)


VERIFY_EPILOG = """\b
DATA_PATH is the content itself: the file of a single-file torrent (or the folder
holding it), or the folder holding the files of a multi-file torrent.
Exit 0 when complete, 1 otherwise.

\b
Examples:
  mktint torrent verify book.torrent "/data/Book (2020)"
  mktint torrent verify book.torrent "/data/Book (2020)" --json | jq .bad_files
"""


@torrent.command(epilog=VERIFY_EPILOG)
@click.argument("file", type=click.Path(dir_okay=False, readable=False))
@click.argument("data_path", type=click.Path(readable=False))
@click.option("--threads", type=click.IntRange(1, 256), metavar="N",
              help="At most N hashing threads (default: CPU cores).")
@json_option
@pass_state
def verify(state, file, data_path, threads) -> None:
    """Rehash data on disk against a torrent's pieces."""
    from mktint.core.errors import OperationFailed
    from mktint.torrent.verify import verify as run_verify

    _, meta = _load(file)
    _settle_before_hashing()
    with state.output.progress("Verifying", meta.total_size) as bar:
        result = run_verify(meta, data_path, threads=threads, progress=bar.advance)
    data = {"name": meta.name, "infohash": meta.infohash, **result.to_dict()}

    def human() -> None:
        if result.complete:
            state.output.line(f"complete\t{meta.piece_count} pieces\t{meta.name}")
        for what, text in result.rows():
            state.output.line(f"{what}\t{text}")

    state.output.emit(data, human)
    if not result.complete:
        raise OperationFailed(
            f"{meta.name}: {len(result.bad_pieces)} of {meta.piece_count} pieces bad, "
            f"{len(result.missing)} file(s) missing, {len(result.wrong_size)} of the wrong size")


RETARGET_EPILOG = """\b
Examples:
  mktint torrent retarget book.red.torrent --target ops -o book.ops.torrent
  mktint torrent retarget book.torrent --source EX -a https://tracker.example/announce -o out/
"""


@torrent.command(epilog=RETARGET_EPILOG)
@click.argument("file", type=click.Path(dir_okay=False, readable=False))
@click.option("--target", metavar="NAME", shell_complete=complete_service_names(TRACKERS),
              help="Tracker service to retarget to (sets source and announce).")
@click.option("--source", metavar="S", help="New info.source (without --target).")
@click.option("-a", "--announce", "announce", metavar="URL", multiple=True,
              help="New announce URL (without --target); repeat for more tiers.")
@click.option("--private/--public", default=True, show_default=True,
              help="Private flag of the new torrent (without --target).")
@click.option("-o", "--output", required=True, metavar="FILE|DIR",
              help="Output file, or folder for <name>.torrent.")
@click.option("--force", is_flag=True, help="Overwrite an existing output file.")
@json_option
@pass_state
def retarget(state, file, target, source, announce, private, output, force) -> None:
    """Copy a torrent for another tracker, without rehashing."""
    from mktint.core.errors import UsageError
    from mktint.torrent.metainfo import Metainfo
    from mktint.torrent.metainfo import retarget as make
    if target and (source or announce or not private):
        raise UsageError("give either --target or --source/--announce, not both")
    if not target and not (source or announce):
        raise UsageError("say where the torrent goes: --target NAME, or --source and --announce")
    data, meta = _load(file)
    if target:
        spec = state.factory.tracker(target).spec()
        source, tiers, private = spec.source, spec.announce, spec.private
    else:
        tiers = _tiers(announce)
    path = output_paths(state, output, meta.name, [target])[0]
    _check_writable(path, force)
    new = make(data, source=source, announce=tiers, private=private)
    new_meta = Metainfo.parse(new)
    _write(path, new, force, new_meta.file_mode)
    result = {"infohash": new_meta.infohash, "previous_infohash": meta.infohash,
              "path": str(path.resolve()), "source": new_meta.source, "private": new_meta.private}
    state.output.emit(result, lambda: state.output.line(new_meta.infohash))
