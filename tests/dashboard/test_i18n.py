"""Every UI string comes from the catalogue, in both languages, and is formatted per language."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dashboard import fmt
from dashboard.i18n import LANGUAGES, catalogue, t

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"
SOURCES = sorted(DASHBOARD.rglob("*.py"))

# Streamlit calls that put text on the screen, and the keyword arguments that carry text.
UI_CALLS = {
    "title",
    "header",
    "subheader",
    "markdown",
    "write",
    "caption",
    "text",
    "info",
    "warning",
    "error",
    "success",
    "exception",
    "toast",
    "button",
    "form_submit_button",
    "download_button",
    "link_button",
    "page_link",
    "text_input",
    "text_area",
    "number_input",
    "selectbox",
    "radio",
    "checkbox",
    "toggle",
    "multiselect",
    "slider",
    "select_slider",
    "date_input",
    "time_input",
    "file_uploader",
    "metric",
    "expander",
    "popover",
    "spinner",
    "status",
    "Page",
    "set_page_config",
    "LinkColumn",
    "TextColumn",
    "NumberColumn",
    "Column",
}
TEXT_KWARGS = {"label", "help", "placeholder", "title", "caption", "display_text", "page_title"}
ALLOWED_LITERALS = {"reelboard"}  # the product's name
PATH_FIRST = {"page_link", "Page"}  # their first argument is a page's path, not text
LETTERS = re.compile(r"[A-Za-z]{2,}")


def _literal_text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
    return None


def _calls(path: Path) -> list[ast.Call]:
    return [
        n for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(n, ast.Call)
    ]


def _name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    if isinstance(call.func, ast.Name):
        return call.func.id
    return None


def test_both_languages_have_the_same_keys() -> None:
    keys = {lang: set(catalogue(lang)) for lang in LANGUAGES}
    assert keys["id"] == keys["en"], keys["id"] ^ keys["en"]
    assert len(keys["id"]) > 150


def test_placeholders_match_between_languages() -> None:
    names = re.compile(r"{(\w+)}")
    for key, text in catalogue("id").items():
        assert set(names.findall(text)) == set(names.findall(catalogue("en")[key])), key


def test_no_page_has_hard_coded_ui_text() -> None:
    found = []
    for path in SOURCES:
        for call in _calls(path):
            if _name(call) not in UI_CALLS:
                continue
            positional = [] if _name(call) in PATH_FIRST else list(call.args[:1])
            candidates = positional + [k.value for k in call.keywords if k.arg in TEXT_KWARGS]
            for node in candidates:
                text = _literal_text(node)
                if text and LETTERS.search(text) and text not in ALLOWED_LITERALS:
                    found.append(f"{path.relative_to(DASHBOARD)}:{call.lineno}: {text!r}")
    assert found == []


def test_every_literal_message_key_exists() -> None:
    known = set(catalogue("id"))
    used = set()
    for path in SOURCES:
        for call in _calls(path):
            if _name(call) in ("tr", "t", "deny") and call.args:
                key = call.args[0]
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    used.add(key.value)
    assert used, "no message keys found: the scan is broken"
    assert used - known == set()


def test_the_scan_catches_hard_coded_text(tmp_path: Path) -> None:
    sample = tmp_path / "page.py"
    sample.write_text('import streamlit as st\nst.button(f"Simpan {x}")\nst.title(ui.tr("a.b"))\n')
    hits = [c for c in _calls(sample) if _name(c) in UI_CALLS and _literal_text(c.args[0])]
    assert len(hits) == 1 and LETTERS.search(_literal_text(hits[0].args[0]) or "")


@pytest.mark.parametrize(
    ("lang", "whole", "one_decimal"),
    [("id", "1.234.567", "1.234,5"), ("en", "1,234,567", "1,234.5")],
)
def test_numbers_follow_the_language(lang: str, whole: str, one_decimal: str) -> None:
    assert fmt.number(1234567, lang) == whole
    assert fmt.decimal(1234.5, lang) == one_decimal
    assert fmt.number(None, lang) == fmt.MISSING  # unknown is a dash, never 0


def test_times_are_shown_in_the_library_zone_with_its_label() -> None:
    at = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)
    assert fmt.when(at, "Asia/Jakarta", "id") == "1 Des 2026 08:30 WIB"
    assert fmt.when(at, "Asia/Makassar", "en") == "1 Dec 2026 09:30 WITA"
    assert fmt.when(at, "Asia/Jayapura", "id").endswith("10:30 WIT")


def test_a_missing_key_is_an_error() -> None:
    with pytest.raises(KeyError):
        t("no.such.key", "id")


@pytest.mark.parametrize("lang", ["id", "en"])
def test_fast_number_formats_agree_with_babel(lang: str) -> None:
    from babel.numbers import format_decimal

    locale = fmt.locale_of(lang)
    for value in (0, 7, 999, 1000, 1234567, -1234567, 10**12):
        assert fmt.number(value, lang) == format_decimal(value, format="#,##0", locale=locale)
    # (No exact ties: the board rounds half up before it shows a number.)
    for fraction in (0.0, 0.04, 12.26, 1234.4, 99999.94, -1234.56):
        for digits in (0, 1, 2):
            pattern = "#,##0" + ("." + "0" * digits if digits else "")
            expected = format_decimal(fraction, format=pattern, locale=locale)
            assert fmt.decimal(fraction, lang, digits) == expected, (fraction, digits)
