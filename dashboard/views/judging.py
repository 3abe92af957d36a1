"""Judging: only the entries assigned to the signed-in judge; only their own scores."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, ui
from services import scorecards
from services.access import Denied
from services.errors import BadInput
from store.enums import Role

who = ui.guard(Role.JUDGE)
lang = ui.lang()
st.title(ui.tr("judging.title"))
st.caption(ui.tr("judging.intro"))

with ui.transaction() as session:
    challenges = scorecards.my_challenges(session, who)
if not challenges:
    st.info(ui.tr("judging.no_assignments"))
    st.stop()

by_id = {c.id: c for c in challenges}
challenge_id = st.selectbox(
    ui.tr("common.challenge"), list(by_id), format_func=lambda i: by_id[i].title, key="jdg_ch"
)
challenge = by_id[challenge_id]
with ui.transaction() as session:
    assignments = scorecards.my_assignments(session, who, challenge)

done = sum(1 for a in assignments if a.state in ("done", "conflict"))
st.metric(ui.tr("judging.progress"), f"{ui.num(done)} / {ui.num(len(assignments))}")
st.dataframe(
    pd.DataFrame(
        {
            ui.tr("col.entry"): [f"#{a.entry_id}" for a in assignments],
            ui.tr("col.library"): [a.library for a in assignments],
            ui.tr("col.platform"): [ui.labelled(a.platform, "platform") for a in assignments],
            ui.tr("col.state"): [ui.labelled(a.state, "judging.state") for a in assignments],
        }
    ),
    hide_index=True,
    width="stretch",
)

ids = [a.entry_id for a in assignments]
if not ids:
    st.stop()
wanted = ui.query_int("entry")
if wanted not in ids:  # open the first entry still to score
    wanted = next((a.entry_id for a in assignments if a.state in ("todo", "partial")), None)
labels = {
    a.entry_id: f"#{a.entry_id} · {a.library} · {ui.labelled(a.platform, 'platform')}"
    for a in assignments
}
entry_id = st.selectbox(
    ui.tr("judging.pick_entry"),
    ids,
    index=ids.index(wanted) if wanted in ids else 0,
    format_func=lambda i: labels[i],
    key="jdg_entry",
)

try:
    with ui.transaction() as session:
        card = scorecards.scorecard(session, who, entry_id)
except (Denied, BadInput) as exc:
    ui.show_error(exc)
    st.stop()

st.subheader(ui.tr("judging.scorecard", library=card.library.name))
if card.entry.title:
    st.write(card.entry.title)
st.link_button(ui.tr("common.open_post"), card.entry.canonical_url)

if card.conflict:
    st.warning(ui.tr("judging.conflict_declared"))
    st.stop()

crit = card.criterion
with st.form(f"score_{entry_id}"):
    values: dict[str, float | None] = {}
    for item in crit.items:
        st.markdown(f"**{getattr(item.label, lang)}**")
        st.table(
            pd.DataFrame(
                {
                    ui.tr("judging.anchor_score"): [ui.dec(a.score, 0) for a in item.anchors],
                    ui.tr("judging.anchor_meaning"): [getattr(a.text, lang) for a in item.anchors],
                }
            ).set_index(ui.tr("judging.anchor_score"))
        )
        values[item.key] = st.number_input(
            ui.tr("judging.score_of", item=getattr(item.label, lang)),
            min_value=float(crit.scale_min),
            max_value=float(crit.scale_max),
            value=card.scores.get(item.key),
            step=1.0,
            key=f"score_{entry_id}_{item.key}",
        )
    comment = st.text_area(ui.tr("judging.comment"), value=card.comment or "", key=f"cm_{entry_id}")
    submitted = st.form_submit_button(ui.tr("judging.save"))

if submitted:
    try:
        with ui.transaction() as session:
            written = scorecards.submit_scores(session, who, entry_id, values, comment)
    except (Denied, BadInput) as exc:
        ui.show_error(exc)
    else:
        if written:
            data.forget_boards()
            st.success(ui.tr("judging.saved", count=ui.num(written)))
        else:
            st.info(ui.tr("judging.unchanged"))

with st.expander(ui.tr("judging.conflict_title")):
    st.write(ui.tr("judging.conflict_help"))
    reason = st.text_input(ui.tr("judging.conflict_reason"), key=f"coi_{entry_id}")
    if st.button(ui.tr("judging.conflict_button"), key=f"coi_btn_{entry_id}"):
        try:
            with ui.transaction() as session:
                scorecards.declare_conflict(session, who, entry_id, reason)
        except (Denied, BadInput) as exc:
            ui.show_error(exc)
        else:
            data.forget_boards()
            st.rerun()
