"""The board's download files: CSV, XLSX and the results image."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from PIL import Image

from dashboard.exports import CARD_SIZE, CardLine, results_card, to_csv, to_xlsx

ROWS: list[dict[str, object]] = [
    {"Peringkat": 1, "Perpustakaan": "Perpustakaan Desa Wae Rebo", "Total": 87.5},
    {"Peringkat": 2, "Perpustakaan": "Perpustakaan Daerah Banyuwangi", "Total": 80.0},
    {"Peringkat": None, "Perpustakaan": "Perpustakaan Kota Ambon", "Total": None},
]
COLUMNS = ["Peringkat", "Perpustakaan", "Total"]


def test_csv_has_a_bom_the_header_and_blank_unknowns() -> None:
    data = to_csv(ROWS, COLUMNS)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == COLUMNS
    assert rows[1] == ["1", "Perpustakaan Desa Wae Rebo", "87.5"]
    assert rows[3] == ["", "Perpustakaan Kota Ambon", ""]


def test_xlsx_keeps_numbers_as_numbers_and_describes_the_board() -> None:
    data = to_xlsx(ROWS, COLUMNS, sheet="Papan", about=[("as_of", "2026-12-01T00:00Z")])
    book = load_workbook(io.BytesIO(data))
    sheet = book["Papan"]
    assert [c.value for c in sheet[1]] == COLUMNS
    assert sheet["C2"].value == 87.5 and isinstance(sheet["C2"].value, float)
    assert sheet["A4"].value is None
    assert sheet.freeze_panes == "A2"
    assert book["info"]["B1"].value == "2026-12-01T00:00Z"


def test_results_card_is_a_portrait_png_that_depends_on_its_text() -> None:
    lines = [
        CardLine("1", "Perpustakaan Desa Wae Rebo " * 4, "Nusa Tenggara Timur · TikTok", "87,5"),
        CardLine("2", "Perpustakaan Daerah Banyuwangi", "Jawa Timur · Instagram", "80,0"),
    ]
    png = results_card("Tantangan Reels Literasi 2026", "Hasil akhir", lines, "reelboard")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == CARD_SIZE
    other = results_card("Tantangan Reels Literasi 2026", "Hasil akhir", lines[:1], "reelboard")
    assert other != png
    # Something is drawn in the score column (accent colour) of the first line.
    pixels = image.convert("RGB")
    accent = sum(
        1
        for x in range(820, 1000)
        for y in range(300, 600)
        if pixels.getpixel((x, y)) == (196, 30, 58)
    )
    assert accent > 50
