"""What can go wrong when reading a platform API, as typed outcomes and exceptions.

Every problem the platform APIs produce is classified into one :class:`Outcome` (what reelboard
does about it) and one :class:`Reason` (why, for the health report):

- ``token_invalid`` / ``token_expired`` / ``permission_denied``: the credential cannot be used
  until its owner re-authorises; only that credential stops (the account becomes
  ``needs_reauth``), every other credential goes on.
- ``rate_limited`` / ``quota_exceeded``: stop calling that API or credential until ``retry_at``;
  the remaining work is deferred, never hammered.
- ``unavailable``: the post was deleted or made private (or is not visible to the credential).
- ``timeout`` / ``server_error`` / ``connection_error``: already retried with exponential backoff
  and jitter; what is still failing is deferred to the next round.
- ``malformed``: the body could not be understood; its raw text is logged (redacted) and the item
  skipped.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum


class Outcome(StrEnum):
    OK = "ok"
    UNAVAILABLE = "unavailable"
    DEFERRED = "deferred"
    FAILED = "failed"


class Reason(StrEnum):
    TOKEN_INVALID = "token_invalid"
    TOKEN_EXPIRED = "token_expired"
    PERMISSION_DENIED = "permission_denied"
    NO_CREDENTIAL = "no_credential"
    RATE_LIMITED = "rate_limited"
    QUOTA_EXCEEDED = "quota_exceeded"
    UNAVAILABLE = "unavailable"
    NOT_DISCOVERABLE = "not_discoverable"
    TIMEOUT = "timeout"
    SERVER_ERROR = "server_error"
    CONNECTION_ERROR = "connection_error"
    MALFORMED = "malformed"
    API_ERROR = "api_error"

    @property
    def needs_reauth(self) -> bool:
        """True when the credential's owner must connect the account again."""
        return self in (Reason.TOKEN_INVALID, Reason.TOKEN_EXPIRED, Reason.PERMISSION_DENIED)


class CollectorError(Exception):
    """A classified failure of one platform call."""

    outcome: Outcome = Outcome.FAILED
    reason: Reason = Reason.API_ERROR

    def __init__(self, detail: str, *, reason: Reason | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if reason is not None:
            self.reason = reason


class CredentialError(CollectorError):
    """The credential itself cannot be used (expired, revoked, missing permission)."""

    outcome = Outcome.FAILED
    reason = Reason.TOKEN_INVALID


class RateLimited(CollectorError):
    """The API or credential may not be called again before ``retry_at``."""

    outcome = Outcome.DEFERRED
    reason = Reason.RATE_LIMITED

    def __init__(
        self, detail: str, *, retry_at: datetime, scope: str, reason: Reason | None = None
    ) -> None:
        super().__init__(detail, reason=reason)
        self.retry_at = retry_at
        self.scope = scope


class Unavailable(CollectorError):
    """The post (or account) was deleted, made private, or is not visible to the credential."""

    outcome = Outcome.UNAVAILABLE
    reason = Reason.UNAVAILABLE


class TransientError(CollectorError):
    """Timeouts, 5xx and dropped connections that outlived their retries."""

    outcome = Outcome.DEFERRED
    reason = Reason.SERVER_ERROR


class MalformedResponse(CollectorError):
    """A body that is not the documented format (its redacted raw text has been logged)."""

    outcome = Outcome.FAILED
    reason = Reason.MALFORMED


class ApiError(CollectorError):
    """Any other documented error the platform answered with (invalid parameter, ...)."""

    outcome = Outcome.FAILED
    reason = Reason.API_ERROR

    def __init__(self, detail: str, *, code: str | int | None = None) -> None:
        super().__init__(detail)
        self.code = code


__all__ = [
    "ApiError",
    "CollectorError",
    "CredentialError",
    "MalformedResponse",
    "Outcome",
    "RateLimited",
    "Reason",
    "TransientError",
    "Unavailable",
]
