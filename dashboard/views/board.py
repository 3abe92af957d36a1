"""The public leaderboard: published boards, and live boards the committee made public."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from dashboard import boardtable, data, ui
from services import boardview
from services.access import Denied

who = ui.guard()
tz = ui.viewer_tz(who)
lang = ui.lang()
st.title(ui.tr("board.title"))

with ui.transaction() as session:
    choices = boardview.public_challenges(session)
if not choices:
    st.info(ui.tr("board.none_public"))
    st.stop()

by_id = {c.challenge_id: c for c in choices}
challenge_id = st.selectbox(
    ui.tr("common.challenge"), list(by_id), format_func=lambda i: by_id[i].title, key="pub_ch"
)
url = ui.settings().database_url
try:
    board, previous = data.public_view(url, challenge_id)
except Denied as exc:
    ui.show_error(exc)
    st.stop()

as_of = datetime.fromisoformat(str(board["as_of"]).replace("Z", "+00:00"))
if by_id[challenge_id].published:
    st.success(ui.tr("board.published", when=ui.when(as_of, tz)))
else:
    st.info(ui.tr("board.live", when=ui.when(as_of, tz)))

chosen = boardtable.filters(board["rows"], "pub")
rows = boardtable.filtered(board["rows"], chosen)
segment = boardtable.single_segment(chosen)
boardtable.podium(rows, segment, int(board.get("decimals", 1)))

decimals = int(board.get("decimals", 1))
frame = pd.DataFrame(
    boardtable.public_rows(rows, previous, segment, decimals, board.get("labels", {}))
)
st.dataframe(
    frame,
    hide_index=True,
    width="stretch",
    column_config={
        ui.tr("col.detail"): st.column_config.LinkColumn(display_text=ui.tr("common.open"))
    },
)
st.caption(ui.tr("board.change_help"))
