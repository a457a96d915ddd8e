import logging

from mktint.core import redact
from mktint.core.output import dumps


def test_registered_secrets_are_masked_longest_first():
    redact.register("abcd1234")
    redact.register("abcd1234efgh")
    assert redact.redact("key=abcd1234efgh and abcd1234") == "key=*** and ***"


def test_short_values_are_not_registered():
    redact.register("ab")
    assert redact.redact("about") == "about"


def test_sensitive_headers_are_always_masked():
    headers = redact.redact_headers({"Authorization": "anything", "Cookie": "SID=x",
                                     "Set-Cookie": "SID=y", "User-Agent": "mktint"})
    assert headers == {"Authorization": "***", "Cookie": "***", "Set-Cookie": "***",
                       "User-Agent": "mktint"}


def test_json_output_and_log_records_are_redacted(caplog):
    redact.register("passkey-0123456789")
    assert "passkey-0123456789" not in dumps({"announce": ["https://t/passkey-0123456789/announce"]})
    logger = logging.getLogger("mktint.test")
    logger.addFilter(redact.RedactingFilter())
    with caplog.at_level(logging.DEBUG, logger="mktint.test"):
        logger.debug("url %s", "https://t/passkey-0123456789/x")
    assert "passkey-0123456789" not in caplog.text
    assert "https://t/***/x" in caplog.text


def test_passkeys_in_tracker_urls_are_registered():
    redact.register_url_secrets("https://flacsfor.me/0123456789abcdef0123456789abcdef/announce")
    redact.register_url_secrets("https://t.example/announce.php?passkey=ABCDEFGHIJ0123456789&x=1")
    redact.register_url_secrets("https://tracker.example/announce")
    text = redact.redact("https://flacsfor.me/0123456789abcdef0123456789abcdef/announce "
                         "https://t.example/announce.php?passkey=ABCDEFGHIJ0123456789&x=1")
    assert text == "https://flacsfor.me/***/announce https://t.example/announce.php?passkey=***&x=1"
    assert redact.redact("https://tracker.example/announce") == "https://tracker.example/announce"


def test_the_password_of_a_url_is_masked_wherever_it_appears():
    text = "cannot reach qb at http://admin:s3cret@host:8080/api (ftp://u:p@x, mail a@b.c)"
    assert redact.redact(text) == ("cannot reach qb at http://admin:***@host:8080/api "
                                   "(ftp://u:***@x, mail a@b.c)")
    assert redact.redact("https://user@host/x") == "https://user@host/x"
