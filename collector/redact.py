"""Keep secrets out of logs and stored payloads.

Access tokens travel in ``Authorization`` headers where the API allows it, but some secrets are
URL parameters by design (the YouTube ``key``) and Graph paging links echo ``access_token``. Every
text the collector logs or stores passes through :func:`redact`; a logging filter does the same
for ``urllib3``'s own debug lines, which print request paths with their query strings.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any

MASK = "***"

_SECRET_PARAM = re.compile(
    r"(?i)(?<![A-Za-z0-9])"
    r"(access_token|api_key|key|client_secret|refresh_token|appsecret_proof|input_token"
    r"|fb_exchange_token|code)"
    r"(=|%3D)([^&\s\"'#<>]+)"
)
_AUTH_SCHEME = re.compile(r"(?i)\b(Bearer|OAuth)\s+[A-Za-z0-9._~+/=:-]+")
_JSON_SECRET = re.compile(
    r"(?i)([\"'](?:access_token|token|authorization|refresh_token|client_secret)[\"']\s*:\s*"
    r"[\"'])([^\"']*)"
)
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "x-goog-api-key", "cookie"})


# A cheap first look: most strings (captions, ids, counts, ordinary links with query strings)
# have none of these and are left alone. It must match wherever one of the patterns above can:
# every secret parameter name ends in "token", holds "secret", or is "key"/"code" before "=".
_MAYBE_SECRET = re.compile(r"(?i)token|secret|authorization|bearer|oauth|(?:key|code)(?:=|%3D)")


def redact(text: str) -> str:
    """``text`` with token-like parameters, bearer tokens and JSON token fields masked."""
    if not _MAYBE_SECRET.search(text):
        return text
    text = _SECRET_PARAM.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    text = _AUTH_SCHEME.sub(lambda m: f"{m.group(1)} {MASK}", text)
    return _JSON_SECRET.sub(lambda m: f"{m.group(1)}{MASK}", text)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: (MASK if k.lower() in _SECRET_HEADERS else redact(v)) for k, v in headers.items()}


def scrub(value: Any) -> Any:
    """A copy of a JSON-like value with every string redacted (for payloads kept in the store).

    Works on the JSON text (one pass of C-speed regexes, not a walk in Python): most payloads
    hold nothing secret and come back as they are.
    """
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return _scrub_walk(value)
    if not _MAYBE_SECRET.search(text):
        return value
    return json.loads(redact(text))


def _scrub_walk(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {
            str(k): (MASK if str(k).lower() in ("access_token", "token") else _scrub_walk(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrub_walk(v) for v in value]
    return value


def excerpt(body: bytes | str, limit: int = 2000) -> str:
    """A redacted, bounded excerpt of a raw body for the log."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if len(text) > limit:
        text = text[:limit] + f"... [{len(text) - limit} more characters]"
    return redact(text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message with secrets masked (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave the record to logging's own handling
            return True
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        return True


_FILTER = RedactingFilter()
_LOGGERS = ("collector", "urllib3", "urllib3.connectionpool", "requests", "fakeplatform")


def install_log_redaction(*extra: str) -> None:
    """Attach the redacting filter to the loggers that may see URLs or bodies (idempotent).

    A filter on a logger only sees records created on that very logger, so each module logger of
    the collector calls :func:`get_logger`, which attaches it too.
    """
    for name in (*_LOGGERS, *extra):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


def get_logger(name: str) -> logging.Logger:
    install_log_redaction(name)
    return logging.getLogger(name)


__all__ = [
    "MASK",
    "RedactingFilter",
    "excerpt",
    "get_logger",
    "install_log_redaction",
    "redact",
    "redact_headers",
    "scrub",
]
