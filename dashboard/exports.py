"""Board files for download: CSV, XLSX (openpyxl) and a shareable PNG of the top entries (Pillow).

These take plain rows (dicts with the columns already chosen and labelled by the page), so the
same code serves both languages and both the public and the committee board.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from PIL import Image, ImageDraw, ImageFont

Row = Mapping[str, Any]


def to_csv(rows: Sequence[Row], columns: Sequence[str]) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read the accents right."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: "" if row.get(c) is None else row.get(c) for c in columns})
    return buf.getvalue().encode("utf-8-sig")


def to_xlsx(
    rows: Sequence[Row],
    columns: Sequence[str],
    *,
    sheet: str,
    about: Sequence[tuple[str, str]] = (),
) -> bytes:
    """A workbook with the board (header bold and frozen, numbers as numbers) and, when given,
    a second sheet describing it (as of, rubric, inputs hash)."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet[:31]
    ws.append(list(columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7F0")
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    for row in rows:
        ws.append([row.get(c) for c in columns])
    ws.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        longest = max([len(str(column)), *(len(str(r.get(column) or "")) for r in rows[:500])])
        ws.column_dimensions[get_column_letter(index)].width = min(60, max(8, longest + 2))
    if about:
        info = book.create_sheet("info")
        for key, value in about:
            info.append([key, value])
        info.column_dimensions["A"].width = 28
        info.column_dimensions["B"].width = 80
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class CardLine:
    place: str
    name: str
    detail: str
    score: str


# Portrait 4:5, the size Instagram and Facebook show a feed image at without cropping.
CARD_SIZE = (1080, 1350)
INK = (24, 32, 48)
MUTED = (90, 100, 120)
ACCENT = (196, 30, 58)
PAPER = (250, 248, 243)
MEDALS = [(212, 175, 55), (168, 169, 173), (176, 116, 64)]


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _fit(draw: ImageDraw.ImageDraw, text: str, size: int, width: int) -> str:
    """``text`` shortened with an ellipsis until it fits ``width`` pixels."""
    font = _font(size)
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _wrap(draw: ImageDraw.ImageDraw, text: str, size: int, width: int, lines: int) -> list[str]:
    font = _font(size)
    out: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if draw.textlength(trial, font=font) <= width:
            current = trial
        else:
            out.append(current)
            current = word
    out.append(current)
    if len(out) > lines:
        out = [*out[: lines - 1], _fit(draw, " ".join(out[lines - 1 :]), size, width)]
    return [line for line in out if line]


def results_card(title: str, subtitle: str, lines: Sequence[CardLine], footer: str) -> bytes:
    """A PNG announcing the top entries, ready to post (1080 x 1350)."""
    image = Image.new("RGB", CARD_SIZE, PAPER)
    draw = ImageDraw.Draw(image)
    width, height = CARD_SIZE
    margin = 80
    draw.rectangle((0, 0, width, 18), fill=ACCENT)
    y = 90
    for line in _wrap(draw, title, 60, width - 2 * margin, 2):
        draw.text((margin, y), line, font=_font(60), fill=INK)
        y += 74
    for line in _wrap(draw, subtitle, 32, width - 2 * margin, 2):
        draw.text((margin, y + 6), line, font=_font(32), fill=MUTED)
        y += 42
    y += 40
    shown = list(lines)[:5]
    row_height = min(170, (height - y - 160) // max(1, len(shown)))
    for index, card in enumerate(shown):
        top = y + index * row_height
        medal = MEDALS[index] if index < len(MEDALS) else (220, 220, 225)
        cx, cy, r = margin + 50, top + row_height // 2 - 10, 46
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=medal)
        draw.text((cx, cy), card.place, font=_font(44), fill=INK, anchor="mm")
        text_x = margin + 130
        score_w = 190
        draw.text(
            (text_x, cy - 30),
            _fit(draw, card.name, 40, width - text_x - margin - score_w),
            font=_font(40),
            fill=INK,
        )
        draw.text(
            (text_x, cy + 18),
            _fit(draw, card.detail, 28, width - text_x - margin - score_w),
            font=_font(28),
            fill=MUTED,
        )
        draw.text((width - margin, cy), card.score, font=_font(52), fill=ACCENT, anchor="rm")
    draw.line((margin, height - 120, width - margin, height - 120), fill=(210, 210, 215), width=2)
    draw.text(
        (margin, height - 90),
        _fit(draw, footer, 26, width - 2 * margin),
        font=_font(26),
        fill=MUTED,
    )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
