"""The integration factory: hands commands lazily built config, credentials and clients.

Nothing is read or built until a command asks for it, which keeps start-up fast and lets
tests swap any part. A registry (``mktint.core.kinds.KINDS``) maps each kind of service to
its client class; instances come from ``[services.NAME]`` tables or the built-in defaults.
"""

from __future__ import annotations

import importlib
from functools import cached_property
from pathlib import Path
from typing import Any

from mktint.core import config as config_module
from mktint.core.errors import UsageError
from mktint.core.kinds import KINDS


class Factory:
    def __init__(self, config_path: str | Path | None = None):
        self.config_path = config_path
        self._clients: dict[str, Any] = {}
        self._trackers: dict[str, Any] = {}

    @cached_property
    def config(self) -> config_module.Config:
        return config_module.load(self.config_path)

    @cached_property
    def credentials(self):
        from mktint.core.credentials import Credentials  # hashlib, json: not for a completion

        return Credentials()

    def service_config(self, name: str, kind: str | None = None) -> config_module.ServiceConfig:
        service = self.config.service(name)
        if kind is not None and service.kind != kind:
            others = [s.name for s in self.config.services_of_kind(kind)]
            raise UsageError(
                f"service {name!r} is a {service.kind} service; this command needs {kind}",
                service=name, hint="choose one of: " + ", ".join(others) if others else None)
        return service

    def service(self, name: str, kind: str | None = None):
        """The client for service ``name`` (built once, on first use)."""
        if name not in self._clients:
            service = self.service_config(name, kind)
            module_name, class_name = KINDS[service.kind].client.split(":")
            client_class = getattr(importlib.import_module(module_name), class_name)
            self._clients[name] = client_class(service, self.credentials)
        elif kind is not None:
            self.service_config(name, kind)
        return self._clients[name]

    def tracker(self, name: str):
        """The tracker target of service ``name`` (``Kind.tracker``; built once). A service
        whose kind is not a tracker is a usage error naming the tracker services."""
        if name not in self._trackers:
            service = self.service_config(name)
            target = KINDS[service.kind].tracker
            if target is None:
                trackers = [s.name for s in self.config.services.values()
                            if KINDS[s.kind].tracker]
                raise UsageError(f"service {name!r} is a {service.kind} service, not a tracker",
                                 service=name, hint="choose a tracker: " + ", ".join(trackers))
            module_name, class_name = target.split(":")
            self._trackers[name] = getattr(importlib.import_module(module_name), class_name)(
                self, service)
        return self._trackers[name]

    def provide(self, name: str, *, client: Any = None, tracker: Any = None) -> None:
        """Use this client and/or tracker object for service ``name`` (tests inject fakes
        here instead of patching modules)."""
        if client is not None:
            self._clients[name] = client
        if tracker is not None:
            self._trackers[name] = tracker

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()
