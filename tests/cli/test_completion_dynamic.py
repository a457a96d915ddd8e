"""Completion of service names by kind, and of qBittorrent categories and tags from the server.

Every completion runs as a real `_MKTINT_COMPLETE` subprocess, as a shell would run it.
"""

import uuid

from tests.cli.test_root import HEAVY, imported_modules
from tests.support.cli import invoke, run_subprocess
from tests.support.httpserver import silent_socket
from tests.support.qbittorrent import PASSWORD, write_qbit_config


def complete(words: str, env: dict | None = None, python_flags=()):
    full_env = {"_MKTINT_COMPLETE": "bash_complete", "COMP_WORDS": words,
                "COMP_CWORD": str(len(words.split(" ")) - 1), **(env or {})}
    return run_subprocess(env=full_env, python_flags=python_flags, input="")


def words(run) -> list[str]:
    assert run.exit_code == 0 and "Traceback" not in run.stderr, run.stderr[-500:]
    return [line.split(",", 1)[1] for line in run.stdout.splitlines() if line]


def test_target_completes_tracker_services_only(config_file):
    config_file('[services.seedbox]\nkind = "qbittorrent"\n[services.red2]\nkind = "gazelle"\n')
    create = words(complete("mktint torrent create book --target "))
    assert set(create) == {"mam", "ops", "red", "red2"}
    assert words(complete("mktint torrent retarget a.torrent --target r")) == ["red", "red2"]
    assert words(complete("mktint qbit -s ")) == ["qbittorrent", "seedbox"]


def test_static_option_completion_stays_light():
    run = complete("mktint qbit list --filter stal", python_flags=("-X", "importtime"))
    assert "plain,stalled" in run.stdout
    assert not imported_modules(run) & set(HEAVY)


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def test_categories_and_tags_come_from_the_server_and_are_cached(qbittorrent, config_file, monkeypatch):
    write_qbit_config(config_file, qbittorrent)
    monkeypatch.setenv("MKTINT_QB_PASSWORD", PASSWORD)
    cat, tag_a, tag_b = unique("cmpcat"), unique("cmptag"), unique("cmptag")
    assert invoke("qbit", "category", "add", cat).exit_code == 0
    assert invoke("qbit", "tag", "add", tag_a, tag_b).exit_code == 0

    assert cat in words(complete(f"mktint qbit list --category {cat[:7]}"))
    assert words(complete(f"mktint qbit set-category {cat}")) == [cat]
    assert words(complete(f"mktint qbit add x.torrent --category {cat}")) == [cat]
    # a comma list: the last item is completed, items already given are not offered again
    assert words(complete(f"mktint qbit add x.torrent --tags {tag_a},{tag_b}")) == [f"{tag_a},{tag_b}"]
    offered = words(complete(f"mktint qbit torrent-tag add {tag_a},cmptag"))
    assert f"{tag_a},{tag_b}" in offered and f"{tag_a},{tag_a}" not in offered
    assert tag_a in words(complete("mktint qbit list --tag cmptag"))

    # asked directly with the session the commands above cached: a new category shows at once
    later = unique("cmpcat")
    assert invoke("qbit", "category", "add", later).exit_code == 0
    assert later in words(complete("mktint qbit list --category cmpcat"))

    # the full client (here because a proxy is set) keeps its answer for 60 s
    proxy = {"http_proxy": "http://127.0.0.1:9", "no_proxy": "127.0.0.1,localhost"}
    assert later in words(complete("mktint qbit list --category cmpcat", env=proxy))
    latest = unique("cmpcat")
    assert invoke("qbit", "category", "add", latest).exit_code == 0
    assert latest not in words(complete("mktint qbit list --category cmpcat", env=proxy))
    assert latest in words(complete("mktint qbit list --category cmpcat"))


def test_the_service_given_with_s_is_asked(qbittorrent, config_file, monkeypatch):
    config_file(f'[services.other]\nkind = "qbittorrent"\nurl = "{qbittorrent.url}"\n')
    monkeypatch.setenv("MKTINT_OTHER_PASSWORD", PASSWORD)
    cat = unique("cmpcat")
    assert invoke("qbit", "-s", "other", "category", "add", cat).exit_code == 0
    assert words(complete(f"mktint qbit -s other list --category {cat}")) == [cat]
    assert words(complete(f"mktint qbit list -s other --category {cat}")) == [cat]
    # the default client (built-in qbittorrent at 127.0.0.1:8080) is another server
    assert cat not in words(complete(f"mktint qbit list --category {cat}"))


def test_a_silent_server_completes_nothing(config_file):
    with silent_socket() as url:
        config_file(f'[defaults]\nclient = "qb"\n[services.qb]\nkind = "qbittorrent"\nurl = "{url}"\n')
        assert words(complete("mktint qbit list --category ")) == []


def test_a_wrong_password_completes_nothing_and_never_prompts(qbittorrent_fresh, config_file):
    # a server of its own: failed logins count towards qBittorrent's IP ban
    write_qbit_config(config_file, qbittorrent_fresh)
    run = complete("mktint qbit list --tag ", env={"MKTINT_QB_PASSWORD": "wrong"})
    assert words(run) == [] and run.stderr == ""
    # no password at all: nothing, no prompt
    run = complete("mktint qbit list --tag ")
    assert words(run) == [] and run.stderr == ""


def test_a_service_of_another_kind_completes_nothing(config_file):
    config_file("")
    assert words(complete("mktint qbit -s red list --category ")) == []


def test_a_stopped_server_completes_nothing_without_loading_the_http_stack(config_file):
    from tests.support.httpserver import free_port

    config_file(f'[defaults]\nclient = "qb"\n[services.qb]\nkind = "qbittorrent"\n'
                f'url = "http://127.0.0.1:{free_port()}"\n')
    for option in ("--category", "--tag"):
        run = complete(f"mktint qbit list {option} ", env={"MKTINT_QB_PASSWORD": "x"},
                       python_flags=("-X", "importtime"))
        assert words(run) == []
        assert not imported_modules(run) & set(HEAVY), imported_modules(run) & set(HEAVY)


# What a Tab pays for beyond click when the server is stopped is the config and a connect.
# These modules cost 1–2.5 ms each (hashlib's OpenSSL set-up, socket's enums, dataclass
# creation, logging) and were each imported by that path once; a completion must answer
# within 1.5x `python -c "import click"` (issues 20 and 23; measured by bench/run.py
# --only latency, where the figure is).
NOT_FOR_A_STOPPED_SERVER = ("hashlib", "logging", "json", "socket", "dataclasses", "selectors")


def test_a_stopped_server_costs_only_the_config_and_one_connect(config_file):
    from tests.support.httpserver import free_port

    config_file(f'[services.down]\nkind = "qbittorrent"\nurl = "http://127.0.0.1:{free_port()}"\n')
    run = complete("mktint qbit -s down list --category ", env={"MKTINT_DOWN_PASSWORD": "x"},
                   python_flags=("-X", "importtime"))
    assert words(run) == []
    loaded = imported_modules(run)
    assert "tomllib" in loaded and "_socket" in loaded  # it did read the config and connect
    assert not loaded & set(NOT_FOR_A_STOPPED_SERVER), loaded & set(NOT_FOR_A_STOPPED_SERVER)
