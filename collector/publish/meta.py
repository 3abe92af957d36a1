"""What the Instagram and Facebook publishers share: the Graph API error envelope."""

from __future__ import annotations

from typing import Any

import requests

from collector.publish.base import PublishError, json_body, retry_after

# Graph error codes worth trying again later: unknown/temporary errors and rate limits.
TRANSIENT_CODES = {1, 2, 4, 17, 32, 341, 613, 80001, 80002}
# Instagram publishing subcodes that say "not yet": media still processing, slow download.
TRANSIENT_SUBCODES = {2207027, 2207003, 2207001, 2207032}


def graph_error(resp: requests.Response, what: str) -> PublishError:
    try:
        body = resp.json()
    except ValueError:
        body = None
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        return PublishError(
            f"{what}: HTTP {resp.status_code} without a Graph error body",
            retriable=resp.status_code >= 500 or resp.status_code == 429,
            retry_after=retry_after(resp),
        )
    code = err.get("code")
    sub = err.get("error_subcode")
    message = str(err.get("error_user_msg") or err.get("message") or "unknown error")
    transient = (
        bool(err.get("is_transient")) or code in TRANSIENT_CODES or sub in TRANSIENT_SUBCODES
    )
    if code == 190:
        message = f"access token rejected ({message}); reconnect the account"
        transient = False
    label = f"code {code}" + (f"/{sub}" if sub else "")
    return PublishError(
        f"{what}: {message} ({label})",
        retriable=transient or resp.status_code >= 500,
        retry_after=retry_after(resp),
        token_invalid=code == 190,
    )


def graph_json(resp: requests.Response, what: str) -> dict[str, Any]:
    if resp.status_code >= 400:
        raise graph_error(resp, what)
    body = json_body(resp, what)
    if "error" in body:
        raise graph_error(resp, what)
    return body
