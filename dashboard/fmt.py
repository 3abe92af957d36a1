"""Numbers, dates and times for the viewer's language and time zone (Babel's locale data).

Indonesian groups thousands with a dot and uses a decimal comma (1.234,5); English the other
way round (1,234.5). Times are shown in a library's zone with its Indonesian label.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import get_decimal_symbol, get_group_symbol

from store.enums import TIMEZONES

LOCALES = {"id": "id_ID", "en": "en_GB"}
LANGUAGES = ("id", "en")
DEFAULT_TZ = "Asia/Jakarta"
MISSING = "—"


def locale_of(lang: str) -> str:
    return LOCALES.get(lang, LOCALES["id"])


@cache
def _separators(lang: str) -> dict[int, str]:
    """The language's group and decimal symbols (Babel's CLDR data), as a translation table
    from Python's own "," and "." (formatting thousands of table cells through Babel's pattern
    engine one by one is too slow for a 10,000-row board)."""
    locale = Locale.parse(locale_of(lang))
    return {ord(","): get_group_symbol(locale), ord("."): get_decimal_symbol(locale)}


def number(value: float | int | None, lang: str) -> str:
    """A whole number with the language's grouping; None (unknown) as a dash, never 0."""
    if value is None:
        return MISSING
    return f"{round(value):,d}".translate(_separators(lang))


def decimal(value: float | None, lang: str, digits: int = 1) -> str:
    if value is None:
        return MISSING
    return f"{value:,.{max(0, digits)}f}".translate(_separators(lang))


def tz_label(tz: str) -> str:
    return TIMEZONES.get(tz, tz)


def when(value: datetime | None, tz: str, lang: str) -> str:
    """A time in zone ``tz``, written the language's way, labelled WIB/WITA/WIT."""
    if value is None:
        return MISSING
    local = value.astimezone(ZoneInfo(tz))
    text = format_datetime(local, format="d MMM y HH:mm", locale=locale_of(lang))
    return f"{text} {tz_label(tz)}"


def day(value: datetime | None, tz: str, lang: str) -> str:
    if value is None:
        return MISSING
    return format_date(
        value.astimezone(ZoneInfo(tz)).date(), format="d MMM y", locale=locale_of(lang)
    )
