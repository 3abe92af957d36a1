"""Rubric documents: validated by the scoring room, stored as versioned text by the store."""

from __future__ import annotations

from pathlib import Path

from scoring.rubric import DEFAULT_RUBRIC_TOML, RubricError, load_rubric
from services.errors import BadInput


def validate_rubric(document: str) -> None:
    try:
        load_rubric(document)
    except RubricError as exc:
        raise BadInput(f"rubric: {exc}") from None


def read_rubric_file(path: Path | None) -> str:
    """The rubric text from ``path``, or the shipped default rubric."""
    if path is None:
        return DEFAULT_RUBRIC_TOML
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise BadInput(f"rubric file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise BadInput(f"rubric file {path}: not UTF-8 text") from None
