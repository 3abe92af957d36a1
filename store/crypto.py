"""Encryption of platform tokens at rest (Fernet: AES-128-CBC with HMAC-SHA256)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken


class SecretKeyError(RuntimeError):
    """The token-encryption key is missing or wrong."""


class TokenBox:
    """Encrypts and decrypts access tokens with one Fernet key."""

    def __init__(self, key: str | bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError) as exc:
            raise SecretKeyError(
                "REELBOARD_SECRET_KEY is not a valid Fernet key "
                "(32 url-safe base64-encoded bytes, e.g. from `reelboard init`)"
            ) from exc

    def seal(self, token: str) -> bytes:
        return self._fernet.encrypt(token.encode("utf-8"))

    def open(self, sealed: bytes) -> str:
        try:
            return self._fernet.decrypt(sealed).decode("utf-8")
        except InvalidToken as exc:
            raise SecretKeyError(
                "a stored token cannot be decrypted with the configured key "
                "(was REELBOARD_SECRET_KEY or the key file changed?)"
            ) from exc


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def write_key_file(path: Path) -> str:
    """Create ``path`` holding a new key, readable by its owner only, and return the key."""
    key = new_key()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key


def read_key_file(path: Path) -> str:
    return path.read_text().strip()
