"""What both board pages share: filters, places within a segment, the podium, table rows.

A board can have 10,000 rows, so row building reads the language once and looks each label up
once (:class:`Words`), instead of going through the session state for every cell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from dashboard import fmt, ui
from dashboard.exports import CardLine
from dashboard.i18n import t

Row = Mapping[str, Any]
DIMENSIONS = ("tier", "province", "platform")
GROUP = {"tier": "tier", "province": None, "platform": "platform"}


class Words:
    """Messages and vocabulary labels of one language, each looked up once."""

    def __init__(self, lang: str, labels: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self.lang = lang
        self.criteria = labels or {}
        self._seen: dict[tuple[str, str], str] = {}

    def __call__(self, key: str, **values: Any) -> str:
        return t(key, self.lang, **values)

    def label(self, value: str | None, group: str) -> str:
        if value is None:
            return fmt.MISSING
        key = (group, value)
        if key not in self._seen:
            try:
                self._seen[key] = t(f"{group}.{value}", self.lang)
            except KeyError:
                self._seen[key] = value
        return self._seen[key]

    def criterion(self, key: str) -> str:
        return str(self.criteria.get(key, {}).get(self.lang, key))

    def dec(self, value: float | None, digits: int = 1) -> str:
        return fmt.decimal(value, self.lang, digits)


def _label(words: Words, dimension: str, value: str) -> str:
    group = GROUP[dimension]
    return words.label(value, group) if group else value


def filters(rows: Sequence[Row], prefix: str) -> dict[str, list[str]]:
    """Three multiselects (tier, province, platform); empty means all."""
    words = Words(ui.lang())
    chosen: dict[str, list[str]] = {}
    columns = st.columns(3)
    for column, dimension in zip(columns, DIMENSIONS, strict=True):
        options = sorted({str(r[dimension]) for r in rows})
        with column:
            chosen[dimension] = st.multiselect(
                words(f"col.{dimension}"),
                options,
                key=f"{prefix}_{dimension}",
                placeholder=words("common.all"),
                format_func=lambda v, d=dimension: _label(words, d, v),  # type: ignore[misc]
            )
    return chosen


def filtered(rows: Sequence[Row], chosen: Mapping[str, list[str]]) -> list[Row]:
    active = {d: set(v) for d, v in chosen.items() if v}
    if not active:
        return list(rows)
    return [r for r in rows if all(str(r[d]) in values for d, values in active.items())]


def single_segment(chosen: Mapping[str, list[str]]) -> str | None:
    """The one dimension filtered to one value (its own places apply), else None."""
    picked = [d for d, values in chosen.items() if values]
    if len(picked) == 1 and len(chosen[picked[0]]) == 1:
        return picked[0]
    return None


def place(row: Row, segment: str | None) -> int | None:
    if segment is None:
        rank: int | None = row.get("rank")
        return rank
    value: int | None = (row.get("segment_ranks") or {}).get(segment)
    return value if row.get("rank") is not None else None


def placed(rows: Sequence[Row], segment: str | None) -> list[Row]:
    return sorted(
        (r for r in rows if place(r, segment) is not None),
        key=lambda r: (place(r, segment), str(r["library"]).casefold(), r["entry_id"]),
    )


def card_lines(rows: Sequence[Row], segment: str | None, decimals: int) -> list[CardLine]:
    words = Words(ui.lang())
    top = [r for r in placed(rows, segment) if (place(r, segment) or 99) <= 3]
    return [
        CardLine(
            place=str(place(r, segment)),
            name=str(r["library"]),
            detail=f"{r['province']} · {words.label(str(r['platform']), 'platform')}",
            score=words.dec(r.get("total"), decimals),
        )
        for r in top
    ]


def podium(rows: Sequence[Row], segment: str | None, decimals: int) -> None:
    lines = card_lines(rows, segment, decimals)
    if not lines:
        st.info(ui.tr("board.no_places"))
        return
    st.subheader(ui.tr("board.podium"))
    columns = st.columns(3)
    for column, line in zip(columns, lines[:3], strict=False):
        column.metric(ui.tr("board.place", place=line.place), line.score, help=line.detail)
        column.markdown(f"**{line.name}**")
        column.caption(line.detail)


def change(previous: int | None, now: int | None, known: bool, new_word: str) -> str:
    """The place change since the day before: ▲2, ▼1, =, new."""
    if now is None:
        return ""
    if not known or previous is None:
        return new_word
    if previous == now:
        return "="
    return f"▲{previous - now}" if previous > now else f"▼{now - previous}"


def public_rows(
    rows: Sequence[Row],
    previous: Mapping[int, int | None],
    segment: str | None,
    decimals: int,
    labels: Mapping[str, Mapping[str, str]],
) -> list[dict[str, Any]]:
    words = Words(ui.lang(), labels)
    heads = {
        k: words(f"col.{k}")
        for k in (
            "rank",
            "change",
            "library",
            "province",
            "tier",
            "platform",
            "total",
            "note",
            "detail",
        )
    }
    new_word = words("board.new")
    known = bool(previous)
    ordered = placed(rows, segment) + [r for r in rows if place(r, segment) is None]
    out = []
    for r in ordered:
        out.append(
            {
                heads["rank"]: place(r, segment),
                heads["change"]: change(
                    previous.get(int(r["entry_id"])), r.get("rank"), known, new_word
                ),
                heads["library"]: r["library"],
                heads["province"]: r["province"],
                heads["tier"]: words.label(str(r["tier"]), "tier"),
                heads["platform"]: words.label(str(r["platform"]), "platform"),
                heads["total"]: words.dec(r.get("total"), decimals),
                heads["note"]: reason(r, words),
                heads["detail"]: f"entry?entry={r['entry_id']}",
            }
        )
    return out


def reason(row: Row, words: Words) -> str:
    """Why an entry has no place, in the viewer's words."""
    code = row.get("unranked_reason")
    if row.get("rank") is not None or not code:
        return ""
    parts = str(code).split(":")
    if parts[0] == "missing" and len(parts) == 3:
        return words(
            "board.reason.missing",
            criterion=words.criterion(parts[1]),
            why=words.label(parts[2], "board.why"),
        )
    if parts[0] == "missing":
        return words("board.reason.missing_all")
    return words.label(parts[0], "board.reason")


def committee_rows(
    rows: Sequence[Row], labels: Mapping[str, Mapping[str, str]]
) -> list[dict[str, Any]]:
    """Every row with its criterion scores and flag count (for the table and the exports).
    Numbers stay numbers here; the table formats them."""
    words = Words(ui.lang(), labels)
    heads = {
        k: words(f"col.{k}")
        for k in (
            "rank",
            "entry",
            "library",
            "platform",
            "tier",
            "province",
            "total",
            "flags",
            "status",
            "note",
            "url",
        )
    }
    out = []
    for r in rows:
        item: dict[str, Any] = {
            heads["rank"]: r.get("rank"),
            heads["entry"]: int(r["entry_id"]),
            heads["library"]: r["library"],
            heads["platform"]: words.label(str(r["platform"]), "platform"),
            heads["tier"]: words.label(str(r["tier"]), "tier"),
            heads["province"]: r["province"],
            heads["total"]: r.get("total"),
        }
        for c in r.get("criteria", []):
            item[words.criterion(str(c["key"]))] = c.get("score")
        item[heads["flags"]] = len(r.get("flags") or [])
        item[heads["status"]] = words.label(str(r.get("status")), "entry_status")
        item[heads["note"]] = reason(r, words)
        item[heads["url"]] = r.get("url")
        out.append(item)
    return out


def criterion_label(key: str, labels: Mapping[str, Mapping[str, str]]) -> str:
    return Words(ui.lang(), labels).criterion(key)
