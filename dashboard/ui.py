"""What every page shares: the app context, the signed-in viewer, language, time zone, guards.

The browser side of a session holds only a random token (in Streamlit's server-side session
state); :func:`viewer` resolves it against the ``web_session`` table and reads the user's role
and library from ``app_user`` on every run. Pages call :func:`guard` before reading anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, NoReturn

import streamlit as st
from sqlalchemy.orm import Session

from dashboard import fmt
from dashboard.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from reelboard.settings import Settings, get_settings
from services import websessions
from services.access import Denied, Viewer
from services.app import App
from services.errors import BadInput
from store.enums import TIMEZONES, Role
from store.models import Library

TOKEN_KEY = "_rb_session_token"
LANG_KEY = "lang"
TZ_KEY = "tz"
PENDING_LANG_KEY = "_rb_lang_next"


@st.cache_resource(show_spinner=False)
def _shared_app(database_url: str) -> App:
    """One App (engine and connection pool) per database for the whole server process."""
    return App(get_settings())


def settings() -> Settings:
    return get_settings()


def app() -> App:
    return _shared_app(get_settings().database_url)


@contextmanager
def transaction() -> Iterator[Session]:
    with app().transaction() as session:
        yield session


def policy() -> websessions.LoginPolicy:
    s = settings()
    return websessions.LoginPolicy(
        max_failures_user=s.login_max_failures_user,
        max_failures_client=s.login_max_failures_client,
        window=timedelta(minutes=s.login_window_minutes),
        idle=timedelta(minutes=s.dashboard_idle_minutes),
        lifetime=timedelta(hours=s.dashboard_session_hours),
    )


# --- language ---------------------------------------------------------------------------------


def lang() -> str:
    value = st.session_state.get(LANG_KEY, DEFAULT_LANGUAGE)
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def tr(key: str, **values: Any) -> str:
    return t(key, lang(), **values)


def num(value: float | int | None) -> str:
    return fmt.number(value, lang())


def dec(value: float | None, digits: int = 1) -> str:
    return fmt.decimal(value, lang(), digits)


# --- who is looking ---------------------------------------------------------------------------


def client_address() -> str:
    try:
        address = st.context.ip_address
    except Exception:  # outside a browser session there is no address
        address = None
    return websessions.clean_client(address if isinstance(address, str) else None)


def viewer() -> Viewer:
    """The signed-in viewer, resolved from the database on every call; anonymous otherwise."""
    token = st.session_state.get(TOKEN_KEY)
    if not isinstance(token, str):
        return Viewer.anonymous()
    with transaction() as session:
        found = websessions.resolve(session, token, policy=policy())
    if found is None:
        del st.session_state[TOKEN_KEY]
        st.session_state["_rb_expired"] = True
        return Viewer.anonymous()
    return found


def sign_in(username: str, password: str) -> Viewer:
    """Raises :class:`services.websessions.LoginRefused`."""
    with transaction() as session:
        outcome = websessions.attempt(
            session, username, password, client=client_address(), policy=policy()
        )
    token, who = outcome.unwrap()  # after the commit: a refusal is recorded and counts
    st.session_state[TOKEN_KEY] = token
    st.session_state.pop("_rb_expired", None)
    st.session_state.pop(TZ_KEY, None)
    if who.language in LANGUAGES:
        # The user's own preference, applied before the language switch is drawn next run.
        st.session_state[PENDING_LANG_KEY] = who.language
    return who


def home_page(who: Viewer) -> str:
    """The page a viewer lands on after signing in (path relative to the app script)."""
    if who.has(Role.JUDGE):
        return "views/judging.py"
    if who.has(Role.LIBRARY):
        return "views/library.py"
    if who.has(Role.COMMITTEE, Role.ADMIN):
        return "views/committee.py"
    return "views/board.py"


def sign_out() -> None:
    token = st.session_state.pop(TOKEN_KEY, None)
    with transaction() as session:
        websessions.logout(session, token if isinstance(token, str) else None)


def deny(message_key: str = "common.denied", **values: Any) -> NoReturn:
    st.error(tr(message_key, **values))
    st.stop()
    raise AssertionError("unreachable")  # st.stop() raises; this keeps type checkers honest


def guard(*roles: Role) -> Viewer:
    """The viewer, or stop the page with a refusal when their role is not among ``roles``.
    Without roles any viewer (the public too) may see the page."""
    who = viewer()
    if roles and not who.has(*roles):
        deny("common.denied_signin" if not who.signed_in else "common.denied")
    return who


def show_error(exc: Exception) -> None:
    """A service's refusal or a bad input, in the user's words where the code knows them."""
    if isinstance(exc, Denied):
        st.error(tr("common.denied"))
    elif isinstance(exc, BadInput):
        st.error(tr("common.bad_input", detail=str(exc)))
    else:
        raise exc


# --- time zone --------------------------------------------------------------------------------


def viewer_tz(who: Viewer) -> str:
    """A library user's library's zone; for anyone else the zone chosen in the sidebar (WIB by
    default)."""
    if who.has(Role.LIBRARY) and who.library_id is not None:
        with transaction() as session:
            library = session.get(Library, who.library_id)
            if library is not None:
                return library.timezone
    chosen = st.session_state.get(TZ_KEY, fmt.DEFAULT_TZ)
    return chosen if chosen in TIMEZONES else fmt.DEFAULT_TZ


def when(value: Any, tz: str) -> str:
    return fmt.when(value, tz, lang())


def day(value: Any, tz: str) -> str:
    return fmt.day(value, tz, lang())


def query_int(name: str) -> int | None:
    """An integer query parameter, or None when absent or not a number."""
    raw = st.query_params.get(name)
    if raw is None:
        return None
    try:
        return int(str(raw))
    except ValueError:
        return None


def labelled(value: str | None, group: str) -> str:
    """A stored vocabulary value (tier, platform, pillar, state...) in the user's language."""
    if value is None:
        return fmt.MISSING
    try:
        return tr(f"{group}.{value}")
    except KeyError:
        return value


def apply_pending_language() -> None:
    """Switch to the language a sign-in asked for (before any widget of this run)."""
    pending = st.session_state.pop(PENDING_LANG_KEY, None)
    if pending in LANGUAGES:
        st.session_state[LANG_KEY] = pending


def sidebar(who: Viewer) -> None:
    with st.sidebar:
        st.radio(
            tr("common.language"),
            LANGUAGES,
            key=LANG_KEY,
            format_func=lambda code: t(f"language.{code}", code),
            horizontal=True,
        )
        if who.has(Role.LIBRARY):
            st.caption(tr("common.tz_library", tz=fmt.tz_label(viewer_tz(who))))
        else:
            st.selectbox(
                tr("common.timezone"),
                list(TIMEZONES),
                key=TZ_KEY,
                format_func=lambda tz: f"{TIMEZONES[tz]} ({tz})",
            )
        if who.signed_in:
            st.caption(
                tr(
                    "common.signed_in_as",
                    name=who.display_name or who.username or "",
                    role=labelled(who.role.value if who.role else None, "role"),
                )
            )
            if st.button(tr("common.sign_out"), key="sign_out"):
                sign_out()
                st.rerun()


def local_naive(value: Any, tz: str) -> Any:
    """A stored UTC time as the wall time in ``tz`` (for charts), None stays None."""
    from zoneinfo import ZoneInfo

    if value is None:
        return None
    return value.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def weekday(index: int) -> str:
    """Monday (0) to Sunday (6), abbreviated, in the viewer's language."""
    from babel.dates import get_day_names

    return str(get_day_names("abbreviated", locale=fmt.locale_of(lang()))[index])


def chart(figure: Any) -> None:
    """An Altair chart across the page, with the viewer's number and date words."""
    from dashboard import charts

    st.altair_chart(charts.localized(figure, lang()), width="stretch")
