"""Health checks: is every configured service reachable, authenticated and in good shape?

Checks run concurrently in daemon threads under one deadline that bounds the whole run —
also when a server accepts the connection and never answers: each client's timeouts are
cut to the time left, and a check still running at the deadline is reported CRITICAL and
abandoned. Statuses follow the monitoring-plugin convention; the worst one wins.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from mktint.core.errors import ConfigError, MktintError, NotFound
from mktint.core.units import human_size

OK, WARNING, CRITICAL, UNKNOWN = "ok", "warning", "critical", "unknown"
EXIT_STATUS = {OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3}
_SEVERITY = {OK: 0, WARNING: 1, UNKNOWN: 2, CRITICAL: 3}
LOCAL = "local"
# A book every Audnexus region knows; only used to see the server answer a lookup.
PROBE_ASIN = "B08G9PRS1K"


@dataclass
class Options:
    timeout: float = 8.0
    min_free: int | None = None
    warn_latency: float | None = None
    crit_latency: float | None = None
    paths: tuple[str, ...] = ()


@dataclass
class CheckResult:
    name: str
    kind: str
    status: str
    message: str
    latency_ms: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "status": self.status,
                "message": self.message, "latency_ms": self.latency_ms, "details": self.details}


@dataclass
class Report:
    services: list[CheckResult]

    @property
    def status(self) -> str:
        return worst(r.status for r in self.services) if self.services else UNKNOWN

    def to_dict(self) -> dict:
        return {"status": self.status, "services": [r.to_dict() for r in self.services]}


def worst(statuses) -> str:
    return max(statuses, key=_SEVERITY.__getitem__, default=OK)


class Finding(Exception):
    """Raised by a check to end it with a status other than OK."""

    def __init__(self, status: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.details = status, message, details or {}


# -- what to check ---------------------------------------------------------------------

def services_to_check(factory, names: tuple[str, ...]) -> list[tuple[str, str]]:
    """(name, kind) pairs: the ones asked for, else `local`, every service named in the
    config file or with a stored credential, and the default client if no qBittorrent
    service is among them."""
    config = factory.config
    if names:
        pairs = []
        for name in names:
            pairs.append((name, LOCAL) if name == LOCAL else (name, config.service(name).kind))
        return pairs
    chosen = {s.name for s in config.configured_services()}
    from mktint.core.kinds import KINDS

    for name, service in config.services.items():
        if any(factory.credentials.find(name, s) for s in KINDS[service.kind].secrets):
            chosen.add(name)
    if not any(config.services[n].kind == "qbittorrent" for n in chosen):
        chosen.add(config.default_client())
    return [(LOCAL, LOCAL)] + [(n, config.services[n].kind) for n in sorted(chosen)]


# -- the checks --------------------------------------------------------------------------

def check_qbittorrent(client, options: Options) -> tuple[str, dict]:
    version = client.version_info()
    details = {"app_version": version.get("app_version"), "webapi_version": version.get("webapi_version")}
    free = client.free_space()
    details["free_space"] = free
    errored = client.torrents(filter="errored")
    details["errored_torrents"] = len(errored)
    message = f"qBittorrent {details['app_version']} (WebAPI {details['webapi_version']})"
    problems = []
    if errored:
        problems.append(f"{len(errored)} torrent(s) in an error state")
    if free is not None and options.min_free is not None and free < options.min_free:
        problems.append(f"only {human_size(free)} free at the default save path")
    if problems:
        raise Finding(WARNING, f"{message}; " + "; ".join(problems), details)
    return message, details


def check_gazelle(client, options: Options) -> tuple[str, dict]:
    index = client.index()
    stats = index.get("userstats") or {}
    ratio, required = _number(stats.get("ratio")), _number(stats.get("requiredratio"))
    details = {"username": index.get("username"), "class": stats.get("class"),
               "ratio": ratio, "required_ratio": required}
    message = f"logged in as {index.get('username')}, ratio {_ratio(ratio)}"
    if ratio is not None and required is not None and ratio < required:
        raise Finding(WARNING, f"{message} is below the required {_ratio(required)}", details)
    return message, details


def check_audnexus(client, options: Options) -> tuple[str, dict]:
    try:
        book = client.book(PROBE_ASIN, refresh=True)
        return f"answered a lookup ({book.title})", {"probe_asin": PROBE_ASIN}
    except NotFound:
        return "answered a lookup (probe book not found in this region)", {"probe_asin": PROBE_ASIN}


def check_mam(client, options: Options) -> tuple[str, dict]:
    status = client.status()
    details = {"username": status.username, "class": status.user_class, "ratio": status.ratio,
               "seedbonus": status.seedbonus}
    return f"logged in as {status.username}, ratio {_ratio(status.ratio)}", details


CHECKS: dict[str, Callable] = {
    "qbittorrent": check_qbittorrent,
    "gazelle": check_gazelle,
    "audnexus": check_audnexus,
    "mam": check_mam,
}


def check_local(factory, options: Options) -> tuple[str, dict]:
    """Config valid, credentials present for configured services, free space of paths."""
    from mktint.core.credentials import credential_report  # the same rule as `auth status`

    config = factory.config  # a ConfigError here ends this check UNKNOWN
    missing = [r["name"] for r in credential_report(config, factory.credentials)
               if r["configured"] and not r["ok"]]
    paths = list(options.paths)
    if config.defaults.get("output_dir"):
        paths.append(config.defaults["output_dir"])
    for service in config.services_of_kind("qbittorrent"):
        paths.extend((service.get("path_map") or {}).keys())
    free = {}
    low = []
    for path in dict.fromkeys(os.path.expanduser(p) for p in paths):
        try:
            free[path] = shutil.disk_usage(path).free
        except OSError as e:
            low.append(f"{path}: {e.strerror or e}")
            continue
        if options.min_free is not None and free[path] < options.min_free:
            low.append(f"{path}: only {human_size(free[path])} free")
    details = {"config": str(config.path), "config_exists": config.exists,
               "missing_credentials": missing, "free_space": free}
    problems = ([f"no credential for {', '.join(missing)}"] if missing else []) + low
    if problems:
        raise Finding(WARNING, "; ".join(problems), details)
    checked = f"; {len(free)} path(s) checked" if free else ""
    if not config.exists:
        return (f"no config file at {config.path} (built-in defaults only); "
                f"create one with `mktint config init`" + checked), details
    return "config valid" + checked, details


# -- running them --------------------------------------------------------------------------

def run(factory, names: tuple[str, ...], options: Options) -> Report:
    deadline = time.monotonic() + options.timeout
    try:
        targets = services_to_check(factory, names)
    except MktintError as e:  # a broken config or an unknown service name
        return Report([CheckResult(LOCAL, LOCAL, UNKNOWN, e.message)])
    results: dict[int, CheckResult] = {}
    threads = []
    for position, (name, kind) in enumerate(targets):
        thread = threading.Thread(target=_run_one, args=(factory, name, kind, options, deadline,
                                                         results, position), daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    report = []
    for position, (name, kind) in enumerate(targets):
        result = results.get(position) or CheckResult(
            name, kind, CRITICAL, f"no answer within {options.timeout:g} s",
            round(options.timeout * 1000, 1))
        report.append(_apply_latency(result, options))
    return Report(report)


def _run_one(factory, name, kind, options, deadline, results, position) -> None:
    started = time.monotonic()
    try:
        if kind == LOCAL:
            message, details = check_local(factory, options)
        else:
            client = factory.service(name, kind)
            _fit_to_deadline(client, deadline)
            message, details = CHECKS[kind](client, options)
        status = OK
    except Finding as f:
        status, message, details = f.status, f.message, f.details
    except ConfigError as e:
        status, message, details = UNKNOWN, e.message, {}
    except MktintError as e:
        status, message, details = CRITICAL, e.message, {"error": e.code}
    except Exception as e:  # a bug in a check must not hide the other results
        status, message, details = UNKNOWN, f"check failed: {type(e).__name__}: {e}", {}
    latency = round((time.monotonic() - started) * 1000, 1)
    results[position] = CheckResult(name, kind, status, message, latency, details)


def _fit_to_deadline(client, deadline: float) -> None:
    """Cut the client's timeouts, request deadline and longest rate-limit wait to the
    time left: a check that cannot be sent in time fails at once and says why."""
    left = max(0.1, deadline - time.monotonic())
    connect, read = client.timeout
    client.timeout = (min(connect, left), min(read, left))
    client.deadline = min(client.deadline, left)
    client.max_wait = min(client.max_wait, left)


def _apply_latency(result: CheckResult, options: Options) -> CheckResult:
    if result.status != OK or result.latency_ms is None:
        return result
    seconds = result.latency_ms / 1000
    if options.crit_latency is not None and seconds > options.crit_latency:
        result.status = CRITICAL
        result.message += f"; slow: {seconds:.2f} s > {options.crit_latency:g} s"
    elif options.warn_latency is not None and seconds > options.warn_latency:
        result.status = WARNING
        result.message += f"; slow: {seconds:.2f} s > {options.warn_latency:g} s"
    return result


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _ratio(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.2f}"
