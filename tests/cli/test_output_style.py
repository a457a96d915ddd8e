"""One unit system on the progress bar, NO_COLOR means no styling, one way to print values."""

import io
import time

from mktint.core.output import Column, Output
from tests.support.cli import invoke


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_uses_binary_units_for_size_and_speed():
    err = Terminal()
    out = Output(stdout=Terminal(), stderr=err)
    with out.progress("Hashing", 3 * 1024**3) as task:
        for _ in range(3):
            task.advance(512 * 1024**2)
            time.sleep(0.05)  # lets rich measure a speed; not a timing assertion
        task.update()
    text = err.getvalue()
    assert "GiB" in text and ("MiB/s" in text or "GiB/s" in text), text[-300:]
    assert "MB/s" not in text and "GB/s" not in text and "kB/s" not in text


def test_no_color_means_no_bold_headers(monkeypatch):
    rows = [{"name": "a", "size": 1}]
    columns = [Column("name", "NAME"), Column("size", "SIZE")]
    styled = Terminal()
    Output(stdout=styled).table(rows, columns)
    assert "\x1b[1m" in styled.getvalue()  # a terminal gets bold headers

    monkeypatch.setenv("NO_COLOR", "1")
    plain = Terminal()
    Output(stdout=plain).table(rows, columns)
    Output(stdout=plain).record([("name", "a")])
    assert "\x1b[" not in plain.getvalue() and "NAME" in plain.getvalue()
    flag = Terminal()
    monkeypatch.delenv("NO_COLOR")
    Output(stdout=flag, no_color=True).table(rows, columns)
    assert "\x1b[" not in flag.getvalue()


def test_config_get_and_show_print_lists_and_tables_the_same_way(config_file):
    config_file('[services.home]\nkind = "qbittorrent"\ntags = ["a", "b"]\n'
                'path_map = { "/host" = "/client" }\n')
    assert invoke("config", "get", "services.home.tags").stdout == "a,b\n"
    shown = invoke("config", "show").stdout
    assert "services.home.tags\ta,b\tfile" in shown
    table = '{ "/host" = "/client" }'
    assert invoke("config", "get", "services.home.path_map").stdout == table + "\n"
    assert f"services.home.path_map\t{table}\tfile" in shown
    # what get prints, set takes back
    assert invoke("config", "set", "services.home.path_map", table).exit_code == 0
    assert invoke("config", "get", "services.home.path_map").stdout == table + "\n"
