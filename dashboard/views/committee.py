"""The committee's board: as of any time, flags, each entry's breakdown, decisions, exports."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from dashboard import boardtable, data, fmt, ui
from dashboard.exports import results_card, to_csv, to_xlsx
from services import admin, boardview
from services.access import STAFF, Denied
from services.errors import BadInput

who = ui.guard(*STAFF)
tz = ui.viewer_tz(who)
lang = ui.lang()
st.title(ui.tr("committee.title"))

with ui.transaction() as session:
    challenges = admin.challenges(session, who)
if not challenges:
    st.info(ui.tr("admin.no_challenges"))
    st.stop()
by_id = {c.id: c for c in challenges}
challenge_id = st.selectbox(
    ui.tr("common.challenge"), list(by_id), format_func=lambda i: by_id[i].title, key="cm_ch"
)
challenge = by_id[challenge_id]

# --- as of -----------------------------------------------------------------------------------
live = st.toggle(ui.tr("committee.live"), value=True, key="cm_live")
if live:
    as_of_key = data.bucket()
else:
    local_close = challenge.closes_at.astimezone(ZoneInfo(tz))
    left, right = st.columns(2)
    day = left.date_input(ui.tr("committee.as_of_day"), value=local_close.date(), key="cm_day")
    clock = right.time_input(
        ui.tr("committee.as_of_time", tz=fmt.tz_label(tz)),
        value=time(local_close.hour, local_close.minute),
        key="cm_time",
    )
    as_of_key = datetime.combine(day, clock, tzinfo=ZoneInfo(tz)).astimezone(UTC).isoformat()

url = ui.settings().database_url
try:
    result = data.committee_view(url, challenge_id, as_of_key)
except (Denied, BadInput) as exc:
    ui.show_error(exc)
    st.stop()
board: dict[str, Any] = result.board
as_of = datetime.fromisoformat(str(board["as_of"]).replace("Z", "+00:00"))
labels = result.labels
words = boardtable.Words(lang, labels)
decimals = int(board.get("decimals", 1))
rows: list[dict[str, Any]] = board["rows"]

st.caption(
    ui.tr(
        "committee.facts",
        when=ui.when(as_of, tz),
        status=ui.labelled(result.status, "challenge_status"),
        version=ui.num(result.rubric_version),
        sha=str(board.get("inputs_sha256", ""))[:12],
    )
)
if result.published_at:
    st.success(ui.tr("committee.is_published"))
elif result.frozen_at:
    st.info(ui.tr("committee.is_frozen"))
for note in board.get("warnings", []):
    try:
        st.warning(ui.tr(f"board.warning.{note.get('code')}"))
    except KeyError:  # a remark this catalogue does not know yet: shown as the board gives it
        st.warning(f"{note.get('code')}: {note.get('detail')}")

# --- the board -------------------------------------------------------------------------------
chosen = boardtable.filters(rows, "cm")
shown = boardtable.filtered(rows, chosen)
table = boardtable.committee_rows(shown, labels)
number_columns = {
    ui.tr("col.total"): st.column_config.NumberColumn(format=f"%.{decimals}f"),
    **{
        boardtable.criterion_label(k, labels): st.column_config.NumberColumn(format="%.2f")
        for k in labels
    },
    ui.tr("col.url"): st.column_config.LinkColumn(),
}
st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch", column_config=number_columns)

# --- exports ---------------------------------------------------------------------------------
stamp = as_of.astimezone(ZoneInfo(tz)).strftime("%Y%m%d-%H%M")
export_columns = list(table[0]) if table else []
left, middle, right = st.columns(3)
# The files are made only when a button is clicked (deferred), not at every page run.
left.download_button(
    ui.tr("committee.csv"),
    lambda: to_csv(table, export_columns),
    file_name=f"{challenge.slug}-{stamp}.csv",
    mime="text/csv",
    key="cm_csv",
    on_click="ignore",
)
about = [
    (ui.tr("committee.about_as_of"), ui.when(as_of, tz)),
    (ui.tr("committee.about_rubric"), ui.num(result.rubric_version)),
    (ui.tr("committee.about_inputs"), str(board.get("inputs_sha256", ""))),
]
middle.download_button(
    ui.tr("committee.xlsx"),
    lambda: to_xlsx(table, export_columns, sheet=challenge.slug, about=about),
    file_name=f"{challenge.slug}-{stamp}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="cm_xlsx",
    on_click="ignore",
)
segment = boardtable.single_segment(chosen)
card_subtitle = ui.tr("committee.card_subtitle", when=ui.when(as_of, tz))
card_lines = boardtable.card_lines(shown, segment, decimals)
card_footer = ui.tr("committee.card_footer", version=ui.num(result.rubric_version))
right.download_button(
    ui.tr("committee.png"),
    lambda: results_card(
        challenge.title,
        card_subtitle,
        card_lines,
        card_footer,
    ),
    file_name=f"{challenge.slug}-{stamp}.png",
    mime="image/png",
    key="cm_png",
    on_click="ignore",
)

# --- integrity flags -------------------------------------------------------------------------
st.subheader(ui.tr("committee.flags"))
flags = [(r, f) for r in rows for f in r.get("flags") or []]
if flags:
    st.dataframe(
        pd.DataFrame(
            {
                ui.tr("col.entry"): [int(r["entry_id"]) for r, _ in flags],
                ui.tr("col.library"): [r["library"] for r, _ in flags],
                ui.tr("col.signal"): [ui.labelled(str(f["signal"]), "signal") for _, f in flags],
                ui.tr("col.value"): [ui.dec(f.get("value"), 2) for _, f in flags],
                ui.tr("col.modified_z"): [ui.dec(f.get("modified_z"), 1) for _, f in flags],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    st.caption(ui.tr("committee.flags_help"))
else:
    st.success(ui.tr("committee.no_flags"))

changes = [(s, c) for s in board.get("sensitivity", []) or [] for c in s.get("podium_changes", [])]
if changes:
    st.subheader(ui.tr("committee.sensitivity"))
    st.dataframe(
        pd.DataFrame(
            {
                ui.tr("committee.weight_moved"): [
                    f"{boardtable.criterion_label(str(s['criterion']), labels)} "
                    f"{'+' if s['delta'] > 0 else ''}{ui.dec(s['delta'], 2)}"
                    for s, _ in changes
                ],
                ui.tr("col.library"): [c["library"] for _, c in changes],
                ui.tr("committee.place_before"): [c.get("base_rank") for _, c in changes],
                ui.tr("committee.place_after"): [c.get("rank") for _, c in changes],
            }
        ),
        hide_index=True,
        width="stretch",
    )

# --- one entry's breakdown -------------------------------------------------------------------
st.subheader(ui.tr("committee.breakdown"))
ids = [int(r["entry_id"]) for r in rows]
if ids:
    row_by_id = {int(r["entry_id"]): r for r in rows}
    picked = st.selectbox(
        ui.tr("col.entry"),
        ids,
        format_func=lambda i: (
            f"#{i} · {row_by_id[i]['library']} · "
            f"{words.label(str(row_by_id[i]['platform']), 'platform')}"
        ),
        key="cm_entry",
    )
    row = row_by_id[picked]
    st.page_link(
        "views/entry.py", label=ui.tr("committee.entry_page"), query_params={"entry": str(picked)}
    )
    st.dataframe(
        pd.DataFrame(
            {
                ui.tr("col.criterion"): [
                    boardtable.criterion_label(str(c["key"]), labels) for c in row["criteria"]
                ],
                ui.tr("col.score"): [ui.dec(c.get("score"), 2) for c in row["criteria"]],
                ui.tr("col.weight"): [ui.dec(c.get("weight"), 2) for c in row["criteria"]],
                ui.tr("col.weight_used"): [
                    ui.dec(c.get("effective_weight"), 3) for c in row["criteria"]
                ],
                ui.tr("col.weighted"): [ui.dec(c.get("weighted"), 2) for c in row["criteria"]],
                ui.tr("col.note"): [
                    ui.labelled(str(c["missing_reason"]), "board.why")
                    if c.get("missing_reason")
                    else ""
                    for c in row["criteria"]
                ],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    place_col, total_col = st.columns(2)
    rank = row.get("rank")
    place_col.metric(ui.tr("col.rank"), fmt.MISSING if rank is None else str(rank))
    total_col.metric(ui.tr("col.total"), ui.dec(row.get("total"), decimals))
    if rank is None:
        st.caption(boardtable.reason(row, words))
    for c in row["criteria"]:
        detail = c.get("creativity") or c.get("audience") or c.get("indicators")
        if detail:
            with st.expander(
                ui.tr("committee.inputs_of", criterion=boardtable.criterion_label(c["key"], labels))
            ):
                st.json(detail, expanded=2)
    if row.get("notes"):
        st.caption(" · ".join(ui.labelled(str(n.get("code")), "board.note") for n in row["notes"]))

    # --- decisions -----------------------------------------------------------------------------
    st.subheader(ui.tr("committee.decisions"))
    reason = st.text_input(ui.tr("committee.reason"), key=f"cm_reason_{picked}")
    disq = row.get("status") == "disqualified"
    action = "committee.reinstate" if disq else "committee.disqualify"
    if st.button(ui.tr(action), key=f"cm_dq_{picked}"):
        try:
            with ui.transaction() as session:
                if disq:
                    boardview.reinstate(session, who, challenge_id, picked, reason)
                else:
                    boardview.disqualify(session, who, challenge_id, picked, reason)
        except (Denied, BadInput) as exc:
            ui.show_error(exc)
        else:
            data.forget_boards()
            st.rerun()

left, right = st.columns(2)
if left.button(ui.tr("committee.freeze"), key="cm_freeze"):
    try:
        with ui.transaction() as session:
            boardview.freeze(session, who, challenge_id)
    except (Denied, BadInput) as exc:
        ui.show_error(exc)
    else:
        data.forget_boards()
        st.success(ui.tr("committee.frozen_now"))
if right.button(ui.tr("committee.publish"), key="cm_publish"):
    try:
        with ui.transaction() as session:
            boardview.publish(session, who, challenge_id)
    except (Denied, BadInput) as exc:
        ui.show_error(exc)
    else:
        data.forget_boards()
        st.success(ui.tr("committee.published_now"))
