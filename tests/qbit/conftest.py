import pytest

from tests.support.qbittorrent import qbittorrent_each, qbittorrent_each_fresh, use_qbit  # noqa: F401  (fixtures)


@pytest.fixture
def qb(qbittorrent_each, config_file, monkeypatch):
    """A shared real server (once per version: 4.5.2, 5.1, 5.3) as service `qb`, the
    default client, its password in the environment."""
    return use_qbit(config_file, monkeypatch, qbittorrent_each)


@pytest.fixture
def qb_fresh(qbittorrent_each_fresh, config_file, monkeypatch):
    return use_qbit(config_file, monkeypatch, qbittorrent_each_fresh)
