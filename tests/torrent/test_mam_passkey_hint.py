"""The hint for a missing MAM passkey names the secret that is missing (issue 24)."""

from tests.support.cli import invoke


def test_mam_target_without_a_passkey_hints_the_passkey_secret(tmp_path, config_file, memory_keyring):
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "01.mp3").write_bytes(b"x" * 1000)
    config_file('[services.mam]\nannounce = "https://t.example/{passkey}/announce"\n')
    run = invoke("torrent", "create", tmp_path / "book", "--target", "mam", "-o", tmp_path / "m.torrent",
                 "--json")
    assert run.exit_code == 3
    error = run.error_json()
    assert error["code"] == "missing_credential"
    assert "mktint auth login mam --secret PASSKEY" in error["hint"]
    assert "MKTINT_MAM_PASSKEY" in error["hint"]
    assert "MAM_ID" not in error["hint"]
