"""Global transfer state and speed limits (``transfer/*``)."""

from __future__ import annotations

from mktint.core.errors import UsageError
from mktint.services.qbittorrent.session import QBittorrentSession


def info(client: QBittorrentSession) -> dict:
    """Speeds (bytes/s), session totals (bytes), limits (bytes/s, 0 = unlimited), status."""
    data = client.json("transfer/info")
    return {"download_speed": data.get("dl_info_speed"), "upload_speed": data.get("up_info_speed"),
            "downloaded": data.get("dl_info_data"), "uploaded": data.get("up_info_data"),
            "download_limit": data.get("dl_rate_limit"), "upload_limit": data.get("up_rate_limit"),
            "dht_nodes": data.get("dht_nodes"), "connection_status": data.get("connection_status")}


def set_limits(client: QBittorrentSession, down: int | None = None, up: int | None = None) -> dict:
    """Set the global limits in bytes/s (0 = unlimited); returns :func:`info` afterwards."""
    if down is None and up is None:
        raise UsageError("give --down and/or --up")
    for value in (down, up):
        if value is not None and value < 0:
            raise UsageError("a speed limit cannot be negative")
    if down is not None:
        client.post("transfer/setDownloadLimit", data={"limit": str(down)})
    if up is not None:
        client.post("transfer/setUploadLimit", data={"limit": str(up)})
    return info(client)
