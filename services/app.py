"""The application context: settings, database engine, sessions and the token key."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from reelboard.settings import Settings, get_settings
from services.errors import BadInput
from store.crypto import TokenBox, read_key_file
from store.db import make_engine, session_factory, transaction


class App:
    """What every command, task and page needs, built lazily from one :class:`Settings`."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return session_factory(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with transaction(self.sessions) as session:
            yield session

    def secret_key(self) -> str | None:
        if self.settings.secret_key is not None:
            return self.settings.secret_key.get_secret_value()
        path = self.settings.key_file()
        if path.exists():
            return read_key_file(path)
        return None

    @cached_property
    def token_box(self) -> TokenBox:
        key = self.secret_key()
        if key is None:
            raise BadInput(
                "no key to encrypt platform tokens: set REELBOARD_SECRET_KEY or run "
                f"`reelboard init` to create {self.settings.key_file()}"
            )
        return TokenBox(key)

    def dispose(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
