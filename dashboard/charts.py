"""Altair charts. Times arrive already in the viewer's zone (naive local wall time), so the
browser shows them as they are, whatever its own zone."""

from __future__ import annotations

import altair as alt
import pandas as pd


def time_series(frame: pd.DataFrame, x: str, y: str, x_title: str, y_title: str) -> alt.Chart:
    chart: alt.Chart = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{x}:T", title=x_title),
            y=alt.Y(f"{y}:Q", title=y_title),
            tooltip=[alt.Tooltip(f"{x}:T", title=x_title), alt.Tooltip(f"{y}:Q", title=y_title)],
        )
        .properties(height=220)
    )
    return chart


def multi_series(
    frame: pd.DataFrame, x: str, y: str, series: str, x_title: str, y_title: str, s_title: str
) -> alt.Chart:
    chart: alt.Chart = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{x}:T", title=x_title),
            y=alt.Y(f"{y}:Q", title=y_title),
            color=alt.Color(f"{series}:N", title=s_title),
            tooltip=[
                alt.Tooltip(f"{series}:N", title=s_title),
                alt.Tooltip(f"{x}:T", title=x_title),
                alt.Tooltip(f"{y}:Q", title=y_title),
            ],
        )
        .properties(height=260)
    )
    return chart


def bars(frame: pd.DataFrame, x: str, y: str, x_title: str, y_title: str) -> alt.Chart:
    chart: alt.Chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(f"{x}:N", title=x_title, sort="-y"),
            y=alt.Y(f"{y}:Q", title=y_title),
            tooltip=[alt.Tooltip(f"{x}:N", title=x_title), alt.Tooltip(f"{y}:Q", title=y_title)],
        )
        .properties(height=260)
    )
    return chart


def heatmap(
    frame: pd.DataFrame, x: str, y: str, value: str, x_title: str, y_title: str, v_title: str
) -> alt.Chart:
    chart: alt.Chart = (
        alt.Chart(frame)
        .mark_rect()
        .encode(
            x=alt.X(f"{x}:O", title=x_title),
            y=alt.Y(f"{y}:O", title=y_title, sort=None),
            color=alt.Color(f"{value}:Q", title=v_title),
            tooltip=[
                alt.Tooltip(f"{y}:O", title=y_title),
                alt.Tooltip(f"{x}:O", title=x_title),
                alt.Tooltip(f"{value}:Q", title=v_title),
            ],
        )
        .properties(height=260)
    )
    return chart


def localized(chart: alt.Chart, lang: str) -> alt.Chart:
    """The chart with the language's number and date words (from Babel's CLDR data), so axes
    read 1.000 and "Des" in Indonesian, 1,000 and "Dec" in English."""
    from babel import Locale
    from babel.dates import get_day_names, get_month_names
    from babel.numbers import get_decimal_symbol, get_group_symbol

    from dashboard.fmt import locale_of

    loc = Locale.parse(locale_of(lang))
    # Vega counts days from Sunday; Babel from Monday (0).
    days = [get_day_names("wide", locale=loc)[(i + 6) % 7] for i in range(7)]
    short_days = [get_day_names("abbreviated", locale=loc)[(i + 6) % 7] for i in range(7)]
    months = [get_month_names("wide", locale=loc)[m] for m in range(1, 13)]
    short_months = [get_month_names("abbreviated", locale=loc)[m] for m in range(1, 13)]
    locale = alt.Locale(
        number=alt.NumberLocale(
            decimal=get_decimal_symbol(loc),
            thousands=get_group_symbol(loc),
            grouping=[3],
            currency=["Rp", ""],
        ),
        time=alt.TimeLocale(
            dateTime="%a %e %b %Y %X",
            date="%d/%m/%Y",
            time="%H.%M.%S" if lang == "id" else "%H:%M:%S",
            periods=["AM", "PM"],
            days=days,
            shortDays=short_days,
            months=months,
            shortMonths=short_months,
        ),
    )
    result: alt.Chart = chart.configure(locale=locale)
    return result
