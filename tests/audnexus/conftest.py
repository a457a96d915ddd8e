import pytest

from tests.emulators.audnexus import audnexus_emulator


@pytest.fixture
def emulator():
    with audnexus_emulator() as emu:
        yield emu


@pytest.fixture
def configure(config_file):
    """``configure(url, **extra)`` writes [services.audnexus] pointing at ``url``."""

    def write(url: str, **extra) -> None:
        lines = ["[services.audnexus]", f'url = "{url}"']
        lines += [f"{key} = {value!r}".replace("'", '"') for key, value in extra.items()]
        config_file("\n".join(lines) + "\n")

    return write


@pytest.fixture
def make_client(configure):
    """A fresh AudnexusClient for the emulator (``make_client(emu, cache_hours=0)``)."""
    clients = []

    def build(emu, **extra):
        from mktint.core.factory import Factory

        configure(emu.url, **extra)
        client = Factory().service("audnexus", "audnexus")
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()
