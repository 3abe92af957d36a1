"""The dashboard's entry point (``streamlit run dashboard/app.py``; ``reelboard dashboard``).

Every page is registered so that a typed address always reaches the page's own role check;
pages the viewer may not use are hidden from the menu, and each page refuses them on the server.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import ui
from services.access import STAFF
from store.enums import Role

HERE = Path(__file__).parent
VIEWS = HERE / "views"

st.set_page_config(page_title="reelboard", layout="wide")
ui.apply_pending_language()

who = ui.viewer()
if st.session_state.pop("_rb_expired", False):
    st.info(ui.tr("login.expired"))


home = Path(ui.home_page(who)).stem


def page(name: str, title_key: str, icon: str, visible: bool) -> st.Page:
    return st.Page(
        VIEWS / f"{name}.py",
        title=ui.tr(title_key),
        icon=icon,
        url_path=name,
        default=name == home,
        visibility="visible" if visible else "hidden",
    )


pages = [
    page("board", "nav.board", ":material/leaderboard:", True),
    page("committee", "nav.committee", ":material/gavel:", who.has(*STAFF)),
    page("login", "nav.login", ":material/login:", not who.signed_in),
    page("judging", "nav.judging", ":material/rate_review:", who.has(Role.JUDGE)),
    page("library", "nav.library", ":material/local_library:", who.has(Role.LIBRARY, *STAFF)),
    page("entry", "nav.entry", ":material/movie:", who.signed_in),
    page("admin", "nav.admin", ":material/settings:", who.has(*STAFF)),
]
current = st.navigation(pages)
ui.sidebar(who)
current.run()
