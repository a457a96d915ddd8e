import pytest

from tests.support.qbittorrent import PASSWORD, write_qbit_config


@pytest.fixture
def qb(qbittorrent, config_file, monkeypatch):
    """The shared server as service `qb` (default client), password in the environment."""
    write_qbit_config(config_file, qbittorrent)
    monkeypatch.setenv("MKTINT_QB_PASSWORD", PASSWORD)
    return qbittorrent


@pytest.fixture
def qb_fresh(qbittorrent_fresh, config_file, monkeypatch):
    write_qbit_config(config_file, qbittorrent_fresh)
    monkeypatch.setenv("MKTINT_QB_PASSWORD", PASSWORD)
    return qbittorrent_fresh
