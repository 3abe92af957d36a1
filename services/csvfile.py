"""Reading spreadsheet exports: UTF-8 with or without BOM, comma or semicolon, any line ending."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from services.errors import BadInput


@dataclass(frozen=True)
class CsvRow:
    line: int  # the line the row starts on, counting the header as line 1
    values: dict[str, str]


def _key(header: str) -> str:
    return "_".join(header.strip().lower().replace("-", " ").replace("/", " ").split())


def read_rows(
    path: Path, aliases: Mapping[str, str], required: set[str]
) -> tuple[list[str], Iterator[CsvRow]]:
    """The canonical column names and the rows of a CSV file.

    ``aliases`` maps normalised header text (lower case, words joined by ``_``) to canonical
    column names; unknown columns are ignored. A missing required column is an error.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput(f"{path}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BadInput(
            f"{path}: line {line} is not UTF-8 (byte 0x{data[exc.start]:02x}); "
            "save the sheet as 'CSV UTF-8'"
        ) from None
    if not text.strip():
        raise BadInput(f"{path}: the file is empty")
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader)
    columns: list[str | None] = []
    for raw in header:
        columns.append(aliases.get(_key(raw)))
    present = {c for c in columns if c}
    missing = sorted(required - present)
    if missing:
        raise BadInput(
            f"{path}: missing column(s) {', '.join(missing)} "
            f"(found: {', '.join(h.strip() for h in header if h.strip()) or 'none'})"
        )
    names = [c for c in columns if c]

    def rows() -> Iterator[CsvRow]:
        previous_end = reader.line_num
        for cells in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            values: dict[str, str] = {}
            for col, cell in zip(columns, cells, strict=False):
                if col and col not in values:
                    values[col] = cell.strip()
            yield CsvRow(start, values)

    return names, rows()


def parse_count(raw: str, column: str) -> int | None:
    """A non-negative whole count; blank means unknown (None), never zero.

    Thousands separators as spreadsheets write them in Indonesian or English ("1.234", "1,234",
    "1 234") are accepted.
    """
    text = raw.strip().replace("\u00a0", " ")
    if text == "" or text == "-":
        return None
    compact = text.replace(" ", "")
    groups = compact.replace(",", ".").split(".")
    if len(groups) > 1 and all(g.isdigit() for g in groups):
        if all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3:
            compact = "".join(groups)
        else:
            raise BadInput(f"{column} {raw!r} is not a whole number")
    if not compact.isdigit():
        if compact.startswith("-") and compact[1:].isdigit():
            raise BadInput(f"{column} {raw!r} is negative")
        raise BadInput(f"{column} {raw!r} is not a whole number")
    return int(compact)
