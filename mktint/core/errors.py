"""One exception hierarchy for the whole tool.

Every error carries a stable ``code`` (for JSON), a message a person can act on, the
service it concerns (if any) and the process exit status. Services raise these; only the
CLI turns them into output and an exit code (see ``mktint.cli.app``).
"""

from __future__ import annotations

# Exit statuses, documented in the README and in `mktint --help`.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_AUTH = 4
EXIT_NOT_FOUND = 5
EXIT_CONFLICT = 6
EXIT_TEMPORARY = 7
EXIT_INTERRUPTED = 130


class MktintError(Exception):
    """Base of every error mktint reports on purpose."""

    code = "failed"
    exit_code = EXIT_FAILED

    def __init__(self, message: str, *, service: str | None = None, hint: str | None = None,
                 details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.service = service
        self.hint = hint
        self.details = details or {}

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict:
        error = {"code": self.code, "message": self.message, "service": self.service}
        if self.hint:
            error["hint"] = self.hint
        return error


class OperationFailed(MktintError):
    """The remote side rejected the operation, or a local check (verification) failed."""


class UsageError(MktintError):
    code = "usage"
    exit_code = EXIT_USAGE


class ConfigError(MktintError):
    code = "config"
    exit_code = EXIT_CONFIG


class MissingCredential(ConfigError):
    code = "missing_credential"


class NotSent(MktintError):
    """Base of the errors raised before any byte of the request reached the service
    (nothing listening, unknown host, connect timeout, TLS handshake failed): the service
    has seen none of it, e.g. not the password of a login."""


class TlsFailed(NotSent, ConfigError):
    """The TLS handshake failed: a wrong scheme or an untrusted certificate."""


class AuthError(MktintError):
    code = "auth"
    exit_code = EXIT_AUTH


class NotFound(MktintError):
    code = "not_found"
    exit_code = EXIT_NOT_FOUND


class Conflict(MktintError):
    code = "conflict"
    exit_code = EXIT_CONFLICT


class TemporaryError(MktintError):
    """Service unavailable or timed out: the same call may work later."""

    code = "unavailable"
    exit_code = EXIT_TEMPORARY


class Unreachable(NotSent, TemporaryError):
    """Nothing answered the connection: refused, unknown host or connect timeout."""


class Timeout(TemporaryError):
    code = "timeout"


class RateLimited(TemporaryError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        if retry_after is not None:
            self.details.setdefault("retry_after", retry_after)


class ProtocolError(OperationFailed):
    """The service answered something that is not what its protocol promises."""

    code = "bad_response"
