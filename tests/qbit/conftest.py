import pytest

from tests.support.qbittorrent import use_qbit


@pytest.fixture
def qb(qbittorrent, config_file, monkeypatch):
    """The shared server as service `qb` (default client), password in the environment."""
    return use_qbit(config_file, monkeypatch, qbittorrent)


@pytest.fixture
def qb_fresh(qbittorrent_fresh, config_file, monkeypatch):
    return use_qbit(config_file, monkeypatch, qbittorrent_fresh)
