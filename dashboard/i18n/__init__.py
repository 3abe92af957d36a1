"""The message catalogue: every UI string, in Bahasa Indonesia (default) and English.

Catalogues are TOML files (``id.toml``, ``en.toml``) with nested tables; a message is named by
its dotted path, e.g. ``t("login.title", "en")``. Placeholders use ``str.format`` names.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

DEFAULT_LANGUAGE = "id"
LANGUAGES = ("id", "en")


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, path + "."))
        elif isinstance(value, str):
            out[path] = value
        else:
            raise ValueError(f"{path}: a message must be text, not {type(value).__name__}")
    return out


@cache
def catalogue(lang: str) -> dict[str, str]:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}")
    text = resources.files("dashboard.i18n").joinpath(f"{lang}.toml").read_text(encoding="utf-8")
    return _flatten(tomllib.loads(text))


def t(key: str, lang: str = DEFAULT_LANGUAGE, **values: Any) -> str:
    """The message ``key`` in ``lang``; a missing key raises KeyError (the tests catch it)."""
    message = catalogue(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)[key]
    return message.format(**values) if values else message
