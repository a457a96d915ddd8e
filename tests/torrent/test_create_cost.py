"""What `torrent create` does besides hashing stays small (bench/run.py, creation and scale)."""

import stat

from mktint.torrent import metainfo
from tests.support.cli import invoke, run_subprocess

RED_KEY = "passkey-0123456789abcdef0123"


def test_create_does_not_parse_the_torrent_it_just_made(tmp_path, monkeypatch):
    # Parsing a 20,000-file torrent again to choose its file mode took longer than hashing it.
    def parsed_again(*_args, **_kwargs):
        raise AssertionError("torrent create parsed its own output again")

    monkeypatch.setattr(metainfo.Metainfo, "parse", classmethod(parsed_again))
    monkeypatch.setenv("MKTINT_RED_PASSKEY", RED_KEY)
    folder = tmp_path / "Book"
    folder.mkdir()
    for i in range(3):
        (folder / f"{i}.mp3").write_bytes(bytes([i]) * 20000)
    red, public = tmp_path / "red.torrent", tmp_path / "public.torrent"
    run = invoke("torrent", "create", folder, "--target", "red", "-o", red)
    assert run.exit_code == 0, run.stderr
    assert invoke("torrent", "create", folder, "--public", "-o", public).exit_code == 0
    assert stat.S_IMODE(red.stat().st_mode) == 0o600  # its announce URL holds the passkey


def imported_modules(run) -> set[str]:
    """Module names from a ``python -X importtime`` run."""
    return {line.rsplit("|", 1)[1].strip()
            for line in run.stderr.splitlines() if line.startswith("import time:") and "|" in line}


def test_create_without_a_target_imports_no_tracker_tables(tmp_path):
    # The kinds and site tables and the trackers workflow cost ≈ 5 ms before hashing starts.
    (tmp_path / "a.bin").write_bytes(b"x")
    run = run_subprocess("torrent", "create", tmp_path / "a.bin", "-o", tmp_path / "a.torrent",
                         python_flags=("-X", "importtime"))
    assert run.exit_code == 0, run.stderr[-500:]
    assert not imported_modules(run) & {"mktint.core.kinds", "mktint.core.sites",
                                        "mktint.workflows.trackers.base"}


def test_target_completion_still_offers_the_tracker_services(tmp_path):
    env = {"_MKTINT_COMPLETE": "bash_complete", "COMP_WORDS": "mktint torrent create x --target ",
           "COMP_CWORD": "5", "MKTINT_CONFIG": str(tmp_path / "none.toml")}
    offered = run_subprocess(env=env).stdout.splitlines()
    assert {"plain,red", "plain,ops", "plain,mam"} <= set(offered)
    assert "plain,qbittorrent" not in offered and "plain,audnexus" not in offered
    env["COMP_WORDS"], env["COMP_CWORD"] = "mktint torrent retarget x.torrent --target ", "5"
    assert "plain,ops" in run_subprocess(env=env).stdout.splitlines()
