"""Helpers shared by the fake publishing endpoints (one module per platform)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from fakeplatform.publish_world import PublishWorld

Handler = Callable[[PublishWorld, Request, dict[str, Any]], Response]


def as_json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status=status, headers=headers, content_type="application/json"
    )


def graph_error(
    message: str, code: int, subcode: int | None = None, status: int = 400, **extra: Any
) -> Response:
    err: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
    if subcode is not None:
        err["error_subcode"] = subcode
    err.update(extra)
    err["fbtrace_id"] = "FakeTrace01"
    return as_json({"error": err}, status)


def bad_token() -> Response:
    return graph_error("Invalid OAuth access token - Cannot parse access token", 190, 467)


def params(request: Request) -> dict[str, str]:
    """Graph parameters arrive in the query string or a form body."""
    out = dict(request.args.items())
    out.update(request.form.items())
    return out


def bearer(request: Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    for scheme in ("Bearer ", "OAuth "):
        if auth.startswith(scheme):
            return auth[len(scheme) :].strip()
    return None


def token_of(request: Request) -> str | None:
    return bearer(request) or params(request).get("access_token")


def root(request: Request) -> str:
    return request.host_url.rstrip("/")
