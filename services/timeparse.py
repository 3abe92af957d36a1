"""Reading and showing times: stored in UTC, typed and shown in a library's own zone."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from services.errors import BadInput


def parse_local(raw: str, tz: str, *, field: str, end_of_day: bool = False) -> datetime:
    """An aware UTC datetime from ISO text; a time without an offset is read in ``tz``.

    A bare date means the start of that day, or its last second when ``end_of_day``.
    """
    text = raw.strip()
    if not text:
        raise BadInput(f"{field}: empty time")
    try:
        if len(text) == 10 and text[4] == "-" and text[7] == "-":
            day = datetime.strptime(text, "%Y-%m-%d").date()
            value = datetime.combine(day, time(23, 59, 59) if end_of_day else time(0, 0))
        else:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(
            f"{field}: {raw!r} is not a time; expected ISO 8601 such as "
            "2026-12-01T09:00 (local) or 2026-12-01T02:00Z"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    return value.astimezone(UTC)


def show_local(value: datetime | None, tz: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """``value`` in zone ``tz`` with its Indonesian label (WIB/WITA/WIT), or '' for None."""
    from services.geo import TIMEZONE_LABEL

    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(tz))
    return f"{local.strftime(fmt)} {TIMEZONE_LABEL.get(tz, tz)}"


def iso_utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
