"""Errors a person can act on.

EtlError                      message + hint; the CLI prints both and exits 1
 ├── ConfigError              a settings file or environment value is wrong
 ├── DatabaseError            the database is missing, unreachable or not migrated
 ├── DigestError              an issue cannot be built, approved or found as asked
 ├── SubscriberError          an address or a subscriber file cannot be used
 ├── DeliveryError            the relay cannot take the issue (stops a send run)
 └── SourceError              an upstream failed us
      ├── SourceUnavailableError   retryable: timeouts, 429, 5xx, dropped connections
      │    └── SourceUnreachableError   no such host, or it refuses connections: said at once
      └── SourceResponseError      the upstream answered something we cannot use
"""

from __future__ import annotations

from collections.abc import Sequence

from etl.problems import Problem


class EtlError(Exception):
    """Base error: `message` says what went wrong, `hint` what to do about it. `reasons` are
    the hint's lines as reported (the guards that stop an approval), for a page to word them in
    its reader's language."""

    def __init__(self, message: str, hint: str = "", reasons: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.reasons = tuple(reasons)


class ConfigError(EtlError):
    """A configuration file or environment variable holds a bad value."""


class DatabaseError(EtlError):
    """The database cannot be used as it is."""


class DigestError(EtlError):
    """An issue of the digest cannot do what was asked (wrong state, failed guards, not found)."""


class ArticleError(EtlError):
    """A full article cannot do what was asked (not found, wrong state, a blocking check)."""


class SubscriberError(EtlError):
    """A subscriber command cannot do what was asked (bad address, unknown reader, bad file)."""


class DeliveryError(EtlError):
    """Sending stopped: the relay refuses us or keeps failing; what is left stays queued."""


class SourceError(EtlError):
    """An upstream service failed."""


class SourceUnavailableError(SourceError):
    """A failure worth retrying later: the service was busy, slow or unreachable."""


class SourceResponseError(SourceError):
    """The service answered, but not with what it should have (error page, bad XML)."""


class SourceUnreachableError(SourceUnavailableError):
    """The service's host name does not resolve or its port refuses connections: no network, no
    DNS or a wrong base URL. Retrying within the run would only make the operator wait."""
