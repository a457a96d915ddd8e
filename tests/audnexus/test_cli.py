"""`mktint book ...` through the CLI, against the emulator."""

import json

import pytest

from tests.emulators.audnexus import (BOOKS, CHAPTERS, HAIL_MARY, NEW_RELEASE, WEIR,
                                      audnexus_emulator)
from tests.support.cli import invoke


@pytest.fixture
def emu(emulator, configure):
    configure(emulator.url)
    return emulator


def test_show_human(emu):
    run = invoke("book", "show", HAIL_MARY)
    assert run.exit_code == 0, run.stderr
    assert "Title\tProject Hail Mary\n" in run.stdout
    assert "Runtime\t16 h 10 min\n" in run.stdout
    assert "\n\nRyland Grace is the sole survivor" in run.stdout


def test_show_json_and_raw(emu):
    data = invoke("book", "show", HAIL_MARY, "--json").json()
    assert data["title"] == "Project Hail Mary" and data["year"] == 2021
    assert data["series"] is None and "chapters" not in data
    raw = invoke("book", "show", HAIL_MARY, "--raw").json()
    assert raw == {**BOOKS[HAIL_MARY], "region": "us"}
    assert len(emu.log) == 1  # the second call came from the cache


def test_show_with_chapters(emu):
    data = invoke("book", "show", HAIL_MARY, "--chapters", "--json").json()
    assert [c["title"] for c in data["chapters"]["chapters"]][:2] == ["Opening Credits", "Chapter 1"]
    human = invoke("book", "show", HAIL_MARY, "--chapters")
    assert "2\t20815\t1562398\tChapter 1\n" in human.stdout


def test_show_with_chapters_when_there_are_none_yet(emu):
    run = invoke("book", "show", NEW_RELEASE, "--chapters", "--json")
    assert run.exit_code == 0
    assert run.json()["chapters"] is None
    assert "warning: audnexus has no chapters for B0NEWBOOK1" in run.stderr


def test_show_raw_with_chapters_is_refused(emu):
    run = invoke("book", "show", HAIL_MARY, "--chapters", "--raw")
    assert run.exit_code == 2
    assert "book chapters ASIN --raw" in run.stderr
    assert emu.log == []


@pytest.mark.parametrize("args", [
    ("book", "show", "not-an-asin", "--json"),
    ("book", "show", HAIL_MARY, "--region", "xx", "--json"),
    ("book", "show", HAIL_MARY, "--json", "--raw"),
    ("book", "chapters", "B0SHORT", "--json"),
    ("book", "author", "x", "--json"),
    ("book", "authors", "a", "--json"),
    ("book", "description", "nope", "--json"),
    ("book", "search", "x", "--region", "mars", "--json"),
])
def test_usage_errors_exit_2_and_send_nothing(emu, args):
    run = invoke(*args)
    assert run.exit_code == 2, run.stderr
    assert run.error_json()["code"] == "usage"
    assert emu.log == []


def test_region_option_is_case_insensitive(emu):
    assert invoke("book", "show", HAIL_MARY, "--region", "UK", "--json").json()["region"] == "uk"
    assert emu.log[-1]["query"]["region"] == "uk"


def test_not_found_exits_5(emu):
    run = invoke("book", "show", "B0MISSING1", "--json")
    assert run.exit_code == 5
    error = run.error_json()
    assert error["code"] == "not_found" and error["service"] == "audnexus"
    run = invoke("book", "chapters", NEW_RELEASE)
    assert run.exit_code == 5
    assert "new releases often have no chapter data yet" in run.stderr


def test_chapters(emu):
    data = invoke("book", "chapters", HAIL_MARY, "--json").json()
    assert data["runtime_ms"] == 5183213 and data["is_accurate"] is True
    assert data["chapters"][2] == {"title": "Chapter 2", "start_ms": 1583213, "length_ms": 3600000}
    assert invoke("book", "chapters", HAIL_MARY, "--raw").json() == {**CHAPTERS[HAIL_MARY], "region": "us"}
    lines = invoke("book", "chapters", HAIL_MARY).stdout.splitlines()
    assert lines == ["1\t0\t20815\tOpening Credits", "2\t20815\t1562398\tChapter 1",
                     "3\t1583213\t3600000\tChapter 2"]


def test_inaccurate_chapters_warn(emu):
    emu.chapters[NEW_RELEASE] = {"asin": NEW_RELEASE, "isAccurate": False, "chapters": [
        {"title": "One", "startOffsetMs": 0, "lengthMs": 1000}]}
    run = invoke("book", "chapters", NEW_RELEASE)
    assert run.stdout == "1\t0\t1000\tOne\n"
    assert "not accurate" in run.stderr


def test_author(emu):
    data = invoke("book", "author", WEIR, "--json").json()
    assert data["name"] == "Andy Weir"
    assert data["description"] == "ANDY WEIR built a career as a software engineer…"
    assert invoke("book", "author", WEIR, "--raw").json()["description"].startswith("<p>")
    assert "Name\tAndy Weir\n" in invoke("book", "author", WEIR).stdout


def test_authors(emu):
    assert invoke("book", "authors", "andy", "weir", "--json").json() == [
        {"asin": WEIR, "name": "Andy Weir"}]
    assert emu.log[-1]["query"]["name"] == "andy weir"
    assert invoke("book", "authors", "Weir").stdout == f"{WEIR}\tAndy Weir\n"
    assert invoke("book", "authors", "weir", "--raw").json() == [{"asin": WEIR, "name": "Andy Weir"}]
    nobody = invoke("book", "authors", "nobody at all", "--json")
    assert nobody.json() == [] and "no author matches" in nobody.stderr


def test_search(emu):
    data = invoke("book", "search", "hail", "mary", "--json").json()
    assert [b["asin"] for b in data] == [HAIL_MARY]
    assert data[0]["summary"].startswith("Winner")
    assert invoke("book", "search", "hail mary", "--raw").json()[0]["summary"].startswith("<p>")
    assert invoke("book", "search", "corey").stdout == \
        "B00N1K4YUS\tGods of Risk\tJames S. A. Corey\t2012\t78\n"


def test_search_unsupported(configure):
    with audnexus_emulator(search_supported=False) as emu:
        configure(emu.url)
        run = invoke("book", "search", "hail", "--json")
    assert run.exit_code == 1
    assert run.error_json()["message"] == f"book search is not supported by this server ({emu.url})"


def test_rate_limited_exits_7(emu):
    emu.throttle(3, retry_after=600)
    run = invoke("book", "show", HAIL_MARY, "--json")
    assert run.exit_code == 7
    assert run.error_json()["code"] == "rate_limited"


def test_refresh_and_cache_hours(emu, configure):
    invoke("book", "show", HAIL_MARY)
    invoke("book", "show", HAIL_MARY)
    assert len(emu.log) == 1
    invoke("book", "show", HAIL_MARY, "--refresh")
    assert len(emu.log) == 2
    configure(emu.url, cache_hours=0)
    invoke("book", "show", HAIL_MARY)
    assert len(emu.log) == 3


def test_expired_cache_entries_are_fetched_again(emu, isolated_home):
    invoke("book", "show", HAIL_MARY)
    (entry,) = (isolated_home / ".cache" / "mktint" / "audnexus").glob("*.json")
    stored = json.loads(entry.read_text())
    stored["stored_at"] -= 24 * 3600 + 1
    entry.write_text(json.dumps(stored))
    invoke("book", "show", HAIL_MARY)
    assert len(emu.log) == 2


def test_description(emu, tmp_path, config_file):
    run = invoke("book", "description", HAIL_MARY)
    assert run.exit_code == 0
    assert "[b]Chapters:[/b] 3\n" in run.stdout
    assert run.stdout.endswith("[/quote]\n")
    data = invoke("book", "description", HAIL_MARY, "--json").json()
    assert data == {"asin": HAIL_MARY, "description": run.stdout}

    template = tmp_path / "t.txt"
    template.write_text("{title} — {chapter_count} chapters\n")
    run = invoke("book", "description", HAIL_MARY, "--template", template)
    assert run.stdout == "Project Hail Mary — 3 chapters\n"
    run = invoke("book", "description", HAIL_MARY, "--template", template, "--no-chapters")
    assert run.stdout == "Project Hail Mary —  chapters\n"

    config_file(f'[defaults]\ndescription_template = "{template}"\n'
                f'[services.audnexus]\nurl = "{emu.url}"\n')
    assert invoke("book", "description", HAIL_MARY).stdout == "Project Hail Mary — 3 chapters\n"


def test_description_without_chapters_and_bad_template(emu, tmp_path):
    run = invoke("book", "description", NEW_RELEASE)
    assert run.exit_code == 0
    assert "Chapters:" not in run.stdout
    assert "no chapter data for B0NEWBOOK1 yet" in run.stderr
    bad = tmp_path / "bad.txt"
    bad.write_text("{titel}")
    run = invoke("book", "description", HAIL_MARY, "--template", bad)
    assert run.exit_code == 2
    assert "unknown placeholder {titel}" in run.stderr and "known placeholders:" in run.stderr
    missing = invoke("book", "description", HAIL_MARY, "--template", tmp_path / "none.txt")
    assert missing.exit_code == 2 and "does not exist" in missing.stderr


def test_wrong_service_kind_is_refused(emu):
    run = invoke("book", "show", HAIL_MARY, "-s", "red")
    assert run.exit_code == 2
    assert "needs audnexus" in run.stderr


def test_group_help_lists_every_command_with_examples():
    run = invoke("book", "--help")
    for command in ("show", "chapters", "author", "authors", "search", "description"):
        assert f"  {command} " in run.stdout
        sub = invoke("book", command, "--help")
        assert sub.exit_code == 0 and "Examples:" in sub.stdout, command


def test_a_folder_named_with_an_asin_stands_for_it(emu, tmp_path):
    folder = tmp_path / "Project Hail Mary {ASIN.B08G9PRS1K} [mktint]"
    folder.mkdir()
    assert invoke("book", "show", folder, "--json").json()["asin"] == HAIL_MARY
    assert invoke("book", "chapters", folder, "--json").json()["asin"] == HAIL_MARY
    unnamed = tmp_path / "Project Hail Mary"
    unnamed.mkdir()
    run = invoke("book", "description", unnamed, "--json")
    assert run.exit_code == 2
    assert "no ASIN in the name of" in run.error_json()["message"]
    assert len(emu.log) == 2
