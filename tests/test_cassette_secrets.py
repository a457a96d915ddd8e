"""No cassette may hold a secret: cookies, credentials, keys — base64 bodies decoded."""

import base64
import re

from tests.support.cassettes import cassette_texts

# Test secrets used when recording, plus patterns of live credentials.
KNOWN_TEST_SECRETS = ("adminadmin", "red-api-key-", "ops-api-key-", "passkey-", "mam-id-")
PATTERNS = [
    re.compile(r"(?i)\"set-cookie\""),
    re.compile(r"(?i)\"(authorization|cookie)\":\s*\[?\s*\"(?!\*\*\*)"),
    re.compile(r"\b(SID|QBT_SID_\d+)=(?!\*\*\*)[A-Za-z0-9+/]{8,}"),
    re.compile(r"(?i)\bpassword=(?!\*\*\*)[^&\s\"]+"),
]


def leaks(text: str) -> list[str]:
    found = [s for s in KNOWN_TEST_SECRETS if s in text]
    found += [p.pattern for p in PATTERNS if p.search(text)]
    return found


def test_no_cassette_contains_a_secret():
    problems = {str(path): leaks(text) for path, text in cassette_texts()}
    assert not {p: l for p, l in problems.items() if l}


def test_the_scanner_finds_planted_secrets(tmp_path):
    body = base64.b64encode(b"d8:announce40:https://t/passkey-0123456789/announcee").decode()
    (tmp_path / "a.json").write_text('{"body": {"base64": "%s"}}' % body)
    (tmp_path / "b.json").write_text('{"headers": {"Set-Cookie": ["SID=abcdefgh12345678"]}}')
    (tmp_path / "c.json").write_text('{"body": {"text": "username=admin&password=hunter2"}}')
    (tmp_path / "d.json").write_text('{"body": {"text": "username=admin&password=***"}}')
    found = {path.name: leaks(text) for path, text in cassette_texts(tmp_path)}
    assert found["a.json"] == ["passkey-"]
    assert found["b.json"]
    assert found["c.json"]
    assert found["d.json"] == []
