"""The base class of every service client: an HTTP client built from a service's config."""

from __future__ import annotations

from mktint.core.config import ServiceConfig, env_name
from mktint.core.errors import ConfigError
from mktint.core.credentials import Credentials
from mktint.core.http import HttpClient


class ServiceClient(HttpClient):
    def __init__(self, config: ServiceConfig, credentials: Credentials):
        if not config.get("url"):
            raise ConfigError(f"no URL configured for service {config.name!r}",
                              service=config.name,
                              hint=f"mktint config set services.{config.name}.url URL "
                                   f"(or set {env_name(config.name, 'URL')})")
        super().__init__(config.name, config["url"], timeout=config.get("timeout"),
                         deadline=config.get("deadline"), verify_tls=config.get("verify_tls", True))
        self.config = config
        self.credentials = credentials

    @property
    def name(self) -> str:
        return self.config.name

    def secret(self, secret: str) -> str | None:
        """A secret of this service, or None (resolved only when a request needs it)."""
        return self.credentials.get(self.name, secret)

    def require_secret(self, secret: str) -> str:
        return self.credentials.require(self.name, secret)

    def rejected_secret_note(self, secret: str) -> str | None:
        """Why a new value of ``secret`` is being asked for, when the service remembers
        rejecting the last one (qBittorrent does), else None. Shown by `auth login`."""
        return None

    def forget_rejected_secret(self, secret: str) -> None:
        """`auth login --force`: forget a remembered rejection, so the value is sent again."""

    def store_credential(self, secret: str, value: str) -> str:
        """Store a secret after :meth:`confirm_credential`; returns where it went.

        A client whose server replaced the secret while confirming it stores the replacement.
        """
        return self.credentials.store(self.name, secret, value)
