"""One entry: its counts over time, every snapshot, and a link to the post."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, fmt, ui
from services.access import Denied
from services.entryview import entry_view

METRICS = ("views", "likes", "comments", "shares")

who = ui.guard()
tz = ui.viewer_tz(who)
st.title(ui.tr("entry.title"))

entry_id = ui.query_int("entry")
picked = st.number_input(
    ui.tr("entry.number"), min_value=1, value=entry_id, step=1, key="entry_pick"
)
if picked is None:
    st.info(ui.tr("entry.choose"))
    st.stop()
if int(picked) != entry_id:
    st.query_params["entry"] = str(int(picked))

try:
    with ui.transaction() as session:
        view = entry_view(session, who, int(picked))
except Denied as exc:
    ui.show_error(exc)
    st.stop()

entry, library = view.entry, view.library
st.subheader(f"#{entry.id} · {library.name}")
cols = st.columns(4)
cols[0].metric(ui.tr("col.platform"), ui.labelled(entry.platform.value, "platform"))
cols[1].metric(
    ui.tr("col.pillar"), ui.labelled(entry.pillar.value if entry.pillar else None, "pillar")
)
cols[2].metric(ui.tr("col.posted_at"), ui.when(entry.posted_at, tz))
cols[3].metric(ui.tr("col.status"), ui.labelled(entry.status.value, "entry_status"))
st.caption(ui.tr("entry.challenge", title=view.challenge.title))
if entry.title:
    st.write(entry.title)
st.link_button(ui.tr("common.open_post"), entry.canonical_url)

snaps = view.snapshots
if not snaps:
    st.info(ui.tr("entry.no_snapshots"))
    st.stop()

time_col = ui.tr("col.collected_at_tz", tz=fmt.tz_label(tz))
frame = pd.DataFrame(
    {
        "at": [ui.local_naive(s.collected_at, tz) for s in snaps],
        **{m: [getattr(s, m) for s in snaps] for m in METRICS},
    }
)
st.subheader(ui.tr("entry.over_time"))
grid = st.columns(2)
for i, metric in enumerate(METRICS):
    series = frame[["at", metric]].dropna()
    with grid[i % 2]:
        st.markdown(f"**{ui.tr(f'metric.{metric}')}**")
        if series.empty:
            st.caption(ui.tr("entry.hidden_metric"))
        else:
            ui.chart(charts.time_series(series, "at", metric, time_col, ui.tr(f"metric.{metric}")))

st.subheader(ui.tr("entry.snapshots"))
table = pd.DataFrame(
    {
        time_col: [ui.when(s.collected_at, tz) for s in reversed(snaps)],
        **{
            ui.tr(f"metric.{m}"): [ui.num(getattr(s, m)) for s in reversed(snaps)]
            for m in (*METRICS, "saves", "reach")
        },
        ui.tr("col.source"): [ui.labelled(s.source.value, "source") for s in reversed(snaps)],
    }
)
st.dataframe(table, hide_index=True, width="stretch")
st.caption(ui.tr("entry.dash_means_hidden"))
