"""GazelleClient: envelopes on every status, unescaping, auth header forms, credentials."""

import pytest

from mktint.core import redact
from mktint.core.errors import AuthError, NotFound, OperationFailed, ProtocolError, UsageError
from mktint.core.factory import Factory
from mktint.services.gazelle import category_id, normalize_infohash, unescape
from tests.gazelle.conftest import KEYS, PASSKEY
from tests.support.cli import invoke, run_subprocess
from tests.support.httpserver import QuietHandler, serve


def client_for(name):
    return Factory().service(name, "gazelle")


def test_unescape_reaches_every_string():
    assert unescape({"a": ["Tom&#039;s &amp; &quot;x&quot; &lt;b&gt;", 3, None],
                     "b": {"c": "&eacute;"}}) == {"a": ["Tom's & \"x\" <b>", 3, None],
                                                   "b": {"c": "é"}}


def test_auth_header_forms(site, flavour):
    headers = client_for(flavour).auth_headers()
    assert headers == {"Authorization": ("token " if flavour == "ops" else "") + KEYS[flavour]}


def test_red_emulator_refuses_the_token_form_and_ops_accepts_both(site, flavour, monkeypatch):
    client = client_for(flavour)
    result = None
    try:
        result = client.call("index", auth={"Authorization": f"token {KEYS[flavour]}"})
    except AuthError:
        pass
    assert (result is not None) == (flavour == "ops")
    assert client.call("index", auth={"Authorization": KEYS[flavour]})["username"] == "tester"


def test_confirm_credential_checks_the_given_key_once(site, flavour, monkeypatch):
    monkeypatch.delenv(f"MKTINT_{flavour.upper()}_API_KEY")
    client = client_for(flavour)
    assert client.confirm_credential("API_KEY", KEYS[flavour]) == "tester (Power User)"
    with pytest.raises(AuthError):
        client.confirm_credential("API_KEY", "not-the-key-9999")
    assert client.confirm_credential("PASSKEY", "passkey-whatever-1234") is None
    assert len(site.requests) == 2
    assert client.end_session() is None and len(site.requests) == 2


def test_auth_login_verifies_and_stores_the_key(site, flavour, monkeypatch):
    monkeypatch.delenv(f"MKTINT_{flavour.upper()}_API_KEY")
    run = invoke("auth", "login", flavour, "--with-token", "--json", input=KEYS[flavour] + "\n")
    assert run.exit_code == 0, run.stderr
    assert run.json()["verified"] is True and run.json()["account"] == "tester (Power User)"
    assert KEYS[flavour] not in run.stdout + run.stderr
    assert invoke("red", "whoami", "-s", flavour).exit_code == 0


def test_fetch_passkey_stores_it_and_masks_it(site, flavour):
    client = client_for(flavour)
    assert client.fetch_passkey() == PASSKEY
    assert client.credentials.get(flavour, "PASSKEY") == PASSKEY
    assert redact.redact(f"x {PASSKEY} y") == "x *** y"
    assert len(site.requests) == 1


def test_debug_trace_never_shows_the_key_or_passkey(site, flavour):
    run = run_subprocess("--debug", "red", "whoami", "-s", flavour)
    assert run.exit_code == 0
    assert "→ GET" in run.stderr
    for secret in (KEYS[flavour], PASSKEY, "authkey-0f0f0f0f"):
        assert secret not in run.stdout + run.stderr


def test_download_failure_is_parsed_from_json(site, flavour):
    with pytest.raises(NotFound):
        client_for(flavour).download(31337)


class Scripted(QuietHandler):
    def do_GET(self):
        status, body, ctype = self.server.answer
        self.send_body(status, body, ctype)


@pytest.mark.parametrize("answer, error", [
    ((400, '{"status": "failure", "error": "bad parameters &amp; more"}', "application/json"),
     OperationFailed),
    ((200, '{"status": "failure", "response": [], "error": "bad id parameter"}', "application/json"),
     NotFound),
    ((401, '{"status": "failure", "error": "bad credentials"}', "application/json"), AuthError),
    ((200, '{"response": {}}', "application/json"), ProtocolError),
    ((502, "<html>Bad gateway</html>", "text/html"), Exception),
])
def test_envelope_decides_on_every_status(config_file, monkeypatch, answer, error):
    with serve(Scripted, answer=answer) as server:
        config_file(f'[services.red]\nurl = "{server.url}"\n')
        monkeypatch.setenv("MKTINT_RED_API_KEY", KEYS["red"])
        client = client_for("red")
        client.max_attempts = 1
        with pytest.raises(error) as caught:
            client.call("torrent", params={"id": 1})
    if answer[0] == 400:
        assert caught.value.message == "red: torrent: bad parameters & more"


def test_category_and_infohash_helpers():
    assert category_id("Audiobooks") == 3 and category_id("ebooks") == 2
    assert category_id("E-Learning Videos") == 4
    with pytest.raises(UsageError):
        category_id("films")
    assert normalize_infohash("ab" * 20) == "AB" * 20
    with pytest.raises(UsageError):
        normalize_infohash("abc")
