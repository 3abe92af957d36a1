"""Pieces every fake platform module shares."""

from __future__ import annotations

import base64
import json
from typing import Any

from werkzeug.wrappers import Request, Response

from fakeplatform.faults import FaultRule
from fakeplatform.world import World

JSON = "application/json; charset=UTF-8"


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        json.dumps(payload, separators=(",", ":")),
        status=status,
        headers=headers or {},
        content_type=JSON,
    )


def malformed_body(request: Request) -> str:
    """A body that is not JSON; it echoes the request (token included, as a careless proxy
    would) so tests can check the collector redacts what it logs."""
    auth = request.headers.get("Authorization", "")
    return f'{{"data": [{{"id": "1", "debug": "{request.url} {auth}" <html>502 Bad Gateway'


def bearer(request: Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    for scheme in ("Bearer ", "OAuth "):
        if auth.startswith(scheme):
            return auth[len(scheme) :].strip() or None
    return None


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The offset a cursor stands for; None when the cursor is not one of ours."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    if not raw.startswith("offset:") or not raw[7:].isdigit():
        return None
    return int(raw[7:])


def slow(world: World, seconds: float) -> None:
    """Sleep, but wake at once when the server stops."""
    if seconds > 0:
        world.stopping.wait(seconds)


def take_fault(world: World, endpoint: str, credential: str | None) -> FaultRule | None:
    rule = world.faults.take(endpoint, credential)
    if rule is not None and rule.kind == "timeout":
        slow(world, rule.delay)
    return rule


__all__ = [
    "JSON",
    "bearer",
    "decode_cursor",
    "encode_cursor",
    "json_response",
    "malformed_body",
    "slow",
    "take_fault",
]
