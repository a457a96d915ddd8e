"""Fixtures for the Gazelle tests: the emulator and a configured service."""

from __future__ import annotations

import pytest

from tests.emulators.gazelle import gazelle_emulator

RED_KEY = "red-api-key-0123456789abcdef"
OPS_KEY = "ops-api-key-0123456789abcdef"
PASSKEY = "passkey-0123456789abcdef0123"


KEYS = {"red": RED_KEY, "ops": OPS_KEY}


@pytest.fixture(params=["red", "ops"])
def flavour(request):
    return request.param


@pytest.fixture
def site(flavour, config_file, monkeypatch):
    """An emulated site of this flavour, configured as service ``red``/``ops``, key in env."""
    with gazelle_emulator(flavour, api_key=KEYS[flavour], passkey=PASSKEY) as emulator:
        config_file(f'[services.{flavour}]\nurl = "{emulator.url}"\n')
        monkeypatch.setenv(f"MKTINT_{flavour.upper()}_API_KEY", KEYS[flavour])
        yield emulator
