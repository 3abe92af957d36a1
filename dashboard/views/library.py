"""A library's page: accounts needing attention, follower trend, its posts' performance."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import altair as alt
import pandas as pd
import streamlit as st

from dashboard import charts, fmt, ui
from services import calendar, libraryview
from services.access import STAFF, Denied
from services.calendar import PostRejected
from services.errors import BadInput
from store import webqueries
from store.enums import Pillar, Role

who = ui.guard(Role.LIBRARY, *STAFF)
tz = ui.viewer_tz(who)
st.title(ui.tr("library.title"))

with ui.transaction() as session:
    libraries = libraryview.visible_libraries(session, who)
if not libraries:
    st.info(ui.tr("library.none"))
    st.stop()
by_id = {lib.id: lib for lib in libraries}
wanted = ui.query_int("library")
if wanted is not None and wanted not in by_id:
    # A library user typing another library's address: refused on the server.
    ui.deny("library.denied")
ids = list(by_id)
library_id = st.selectbox(
    ui.tr("common.library"),
    ids,
    index=ids.index(wanted) if wanted in ids else 0,
    format_func=lambda i: by_id[i].name,
    key="lib_pick",
    disabled=len(ids) == 1,
)
try:
    with ui.transaction() as session:
        view = libraryview.overview(session, who, library_id)
except Denied as exc:
    ui.show_error(exc)
    st.stop()

lib = view.library
st.header(lib.name)
st.caption(
    ui.tr(
        "library.facts",
        tier=ui.labelled(lib.tier.value, "tier"),
        province=lib.province,
        tz=fmt.tz_label(lib.timezone),
    )
)

st.subheader(ui.tr("library.accounts"))
attention = view.needing_attention
if attention:
    for acc in attention:
        st.warning(
            ui.tr(
                f"library.attention_{acc.attention}",
                platform=ui.labelled(acc.platform, "platform"),
                handle=acc.handle,
                when=ui.when(acc.token_expires_at, tz),
            )
        )
else:
    st.success(ui.tr("library.accounts_ok"))
st.dataframe(
    pd.DataFrame(
        {
            ui.tr("col.platform"): [ui.labelled(a.platform, "platform") for a in view.accounts],
            ui.tr("col.handle"): [f"@{a.handle}" for a in view.accounts],
            ui.tr("col.status"): [ui.labelled(a.status, "account_status") for a in view.accounts],
            ui.tr("col.token"): [
                ui.tr("common.yes") if a.has_token else ui.tr("common.no") for a in view.accounts
            ],
            ui.tr("col.token_expires"): [ui.when(a.token_expires_at, tz) for a in view.accounts],
        }
    ),
    hide_index=True,
    width="stretch",
)

st.subheader(ui.tr("library.followers"))
if view.followers:
    time_col = ui.tr("col.collected_at_tz", tz=fmt.tz_label(tz))
    account_col = ui.tr("col.account")
    followers_col = ui.tr("metric.followers")
    frame = pd.DataFrame(
        {
            account_col: [f"{ui.labelled(p, 'platform')} @{h}" for p, h, _, _ in view.followers],
            time_col: [ui.local_naive(at, tz) for _, _, at, _ in view.followers],
            followers_col: [f for _, _, _, f in view.followers],
        }
    ).dropna()
    ui.chart(
        charts.multi_series(
            frame, time_col, followers_col, account_col, time_col, followers_col, account_col
        )
    )
else:
    st.info(ui.tr("library.no_followers"))

st.subheader(ui.tr("library.reach"))
period_days = st.selectbox(
    ui.tr("library.period"),
    [7, 30, 90],
    index=1,
    format_func=lambda n: ui.tr("library.last_days", days=ui.num(n)),
    key="lib_period",
)
end = datetime.now(UTC)
with ui.transaction() as session:
    report = libraryview.reach(session, who, library_id, end - timedelta(days=period_days), end)


def reach_frame(rows: Any, dimension: str, group: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            ui.tr(f"col.{dimension}"): [ui.labelled(getattr(r, dimension), group) for r in rows],
            ui.tr("library.posts_count"): [ui.num(r.posts) for r in rows],
            ui.tr("metric.views"): [ui.num(r.views) for r in rows],
            ui.tr("metric.reach"): [ui.num(r.reach) for r in rows],
            ui.tr("library.engagement"): [ui.num(r.engagement) for r in rows],
            ui.tr("library.engagement_rate"): [
                fmt.MISSING
                if r.engagement_rate is None
                else ui.dec(100 * r.engagement_rate, 1) + " %"
                for r in rows
            ],
        }
    )


if report.rows:
    by_platform, by_pillar = st.columns(2)
    with by_platform:
        st.markdown(f"**{ui.tr('library.reach_platform')}**")
        st.dataframe(
            reach_frame(report.rollup("platform"), "platform", "platform"), hide_index=True
        )
    with by_pillar:
        st.markdown(f"**{ui.tr('library.reach_pillar')}**")
        st.dataframe(reach_frame(report.rollup("pillar"), "pillar", "pillar"), hide_index=True)
    if any(r.partial_posts for r in report.rows):
        st.caption(ui.tr("library.reach_partial"))
else:
    st.info(ui.tr("library.reach_none"))
if report.followers:
    st.dataframe(
        pd.DataFrame(
            {
                ui.tr("col.platform"): [
                    ui.labelled(f.platform, "platform") for f in report.followers
                ],
                ui.tr("library.followers_start"): [
                    ui.num(f.followers_start) for f in report.followers
                ],
                ui.tr("library.followers_end"): [ui.num(f.followers_end) for f in report.followers],
                ui.tr("library.growth"): [
                    ui.num(f.growth)
                    + ("" if f.growth_pct is None else f" ({ui.dec(f.growth_pct, 1)} %)")
                    for f in report.followers
                ],
            }
        ),
        hide_index=True,
    )

st.subheader(ui.tr("library.posts"))
if view.posts:
    st.dataframe(
        pd.DataFrame(
            {
                ui.tr("col.challenge"): [c.title for _, c, _ in view.posts],
                ui.tr("col.platform"): [
                    ui.labelled(e.platform.value, "platform") for e, _, _ in view.posts
                ],
                ui.tr("col.pillar"): [
                    ui.labelled(e.pillar.value if e.pillar else None, "pillar")
                    for e, _, _ in view.posts
                ],
                ui.tr("col.posted_at"): [ui.when(e.posted_at, tz) for e, _, _ in view.posts],
                **{
                    ui.tr(f"metric.{m}"): [
                        ui.num(getattr(s, m) if s else None) for _, _, s in view.posts
                    ]
                    for m in ("views", "likes", "comments", "shares")
                },
            }
        ),
        hide_index=True,
        width="stretch",
    )
    post_ids = [e.id for e, _, _ in view.posts]
    titles = {
        e.id: f"#{e.id} · {c.title} · {ui.labelled(e.platform.value, 'platform')}"
        for e, c, _ in view.posts
    }
    picked_post = st.selectbox(
        ui.tr("library.post_pick"), post_ids, format_func=lambda i: titles[i], key="lib_post"
    )
    st.page_link(
        "views/entry.py", label=ui.tr("library.post_open"), query_params={"entry": str(picked_post)}
    )
else:
    st.info(ui.tr("library.no_posts"))

# --- best time to post -----------------------------------------------------------------------
st.subheader(ui.tr("library.best_time"))
with ui.transaction() as session:
    best = libraryview.best_time(session, who, library_id)
if not best.enough:
    st.info(ui.tr("library.best_time_not_enough", posts=ui.num(best.posts)))
else:
    days = [ui.weekday(d) for d in range(7)]
    hour_col, day_col, lift_col = (
        ui.tr("library.hour_tz", tz=fmt.tz_label(best.timezone)),
        ui.tr("library.weekday"),
        ui.tr("library.lift"),
    )
    cells = [
        {day_col: days[s.weekday], hour_col: s.hour, lift_col: s.lift}
        for s in best.slots
        if s.lift is not None
    ]
    ui.chart(
        charts.heatmap(
            pd.DataFrame(cells), hour_col, day_col, lift_col, hour_col, day_col, lift_col
        ).encode(y=alt.Y(f"{day_col}:O", title=day_col, sort=days))
    )
    st.write(
        ui.tr(
            "library.best_slots",
            slots=", ".join(f"{days[s.weekday]} {s.hour:02d}:00" for s in best.best),
        )
    )

# --- the content calendar --------------------------------------------------------------------
st.subheader(ui.tr("library.calendar"))
now = datetime.now(UTC)
with ui.transaction() as session:
    posts = libraryview.calendar_rows(session, who, library_id)
if posts:
    st.dataframe(
        pd.DataFrame(
            {
                ui.tr("col.post"): [f"#{p['id']}" for p in posts],
                ui.tr("col.when_tz", tz=fmt.tz_label(lib.timezone)): [
                    ui.when(
                        datetime.fromisoformat(p["scheduled_at"].replace("Z", "+00:00")),
                        lib.timezone,
                    )
                    for p in posts
                ],
                ui.tr("col.platform"): [ui.labelled(p["platform"], "platform") for p in posts],
                ui.tr("col.account"): [f"@{p['account']}" for p in posts],
                ui.tr("col.state"): [ui.labelled(p["state"], "post_state") for p in posts],
                ui.tr("col.note"): [p["state_reason"] or "" for p in posts],
                ui.tr("col.caption"): [(p["caption"] or "")[:80] for p in posts],
            }
        ),
        hide_index=True,
        width="stretch",
    )
else:
    st.info(ui.tr("library.calendar_empty"))


def calendar_failed(exc: Exception) -> None:
    if isinstance(exc, PostRejected):
        st.error(ui.tr("library.post_rejected"))
        for v in exc.violations:
            st.write(f"• {v}")
    else:
        ui.show_error(exc)


actor = libraryview.calendar_actor(who)
open_posts = [
    p for p in posts if p["state"] in ("draft", "submitted", "approved", "scheduled", "failed")
]
if open_posts:
    by_post = {p["id"]: p for p in open_posts}
    chosen_post = st.selectbox(
        ui.tr("library.post_action_pick"),
        list(by_post),
        format_func=lambda i: f"#{i} · {ui.labelled(by_post[i]['state'], 'post_state')}",
        key="cal_pick",
    )
    state = by_post[chosen_post]["state"]
    b1, b2, b3 = st.columns(3)
    try:
        if state == "draft" and b1.button(ui.tr("library.submit"), key="cal_submit"):
            with ui.transaction() as session:
                calendar.submit_post(session, chosen_post, actor=actor, now=now)
            st.rerun()
        with ui.transaction() as session:
            approvable = state in ("submitted", "approved") and libraryview.may_approve(
                session, who, chosen_post
            )
        if approvable and b2.button(ui.tr("library.approve"), key="cal_approve"):
            with ui.transaction() as session:
                calendar.approve_post(session, chosen_post, actor=actor, now=now)
            st.rerun()
        if state == "failed" and b1.button(ui.tr("library.retry"), key="cal_retry"):
            with ui.transaction() as session:
                calendar.retry_post(session, chosen_post, actor=actor, now=now)
            st.rerun()
        if state != "failed" and b3.button(ui.tr("library.cancel"), key="cal_cancel"):
            with ui.transaction() as session:
                calendar.cancel_post(session, chosen_post, actor=actor, now=now)
            st.rerun()
    except (Denied, BadInput) as exc:
        calendar_failed(exc)

with st.expander(ui.tr("library.new_post")), st.form("new_post"):
    accounts = {a.account_id: a for a in view.accounts}
    account_id = st.selectbox(
        ui.tr("col.account"),
        list(accounts),
        format_func=lambda i: (
            f"{ui.labelled(accounts[i].platform, 'platform')} @{accounts[i].handle}"
        ),
    )
    caption = st.text_area(ui.tr("col.caption"))
    local_now = now.astimezone(ZoneInfo(lib.timezone))
    day = st.date_input(ui.tr("library.post_day"), value=local_now.date() + timedelta(days=1))
    clock = st.time_input(
        ui.tr("library.post_time", tz=fmt.tz_label(lib.timezone)), value=time(9, 0)
    )
    pillar = st.selectbox(
        ui.tr("col.pillar"),
        [None, *(p.value for p in Pillar)],
        format_func=lambda v: ui.labelled(v, "pillar") if v else fmt.MISSING,
    )
    with ui.transaction() as session:
        open_challenges = [
            c for c in webqueries.all_challenges(session) if c.status.value == "open"
        ]
    challenge_slug = st.selectbox(
        ui.tr("common.challenge"),
        [None, *(c.slug for c in open_challenges)],
        format_func=lambda s: next((c.title for c in open_challenges if c.slug == s), fmt.MISSING),
    )
    media_url = st.text_input(ui.tr("library.media_url"))
    upload = st.file_uploader(ui.tr("library.media_file"), type=["mp4", "mov"])
    submit_now = st.checkbox(ui.tr("library.submit_now"), value=True)
    if st.form_submit_button(ui.tr("library.save_post")) and account_id is not None:
        account = accounts[account_id]
        try:
            with tempfile.TemporaryDirectory(prefix="reelboard-upload-") as folder:
                media_path = None
                if upload is not None:
                    media_path = Path(folder) / Path(upload.name).name
                    media_path.write_bytes(upload.getvalue())
                with ui.transaction() as session:
                    post, result = calendar.create_post(
                        session,
                        ui.settings(),
                        library=lib.name,
                        platform=account.platform,
                        account=account.handle,
                        caption=caption,
                        at=datetime.combine(day, clock, tzinfo=ZoneInfo(lib.timezone)),
                        actor=actor,
                        now=now,
                        media_file=media_path,
                        media_url=media_url.strip() or None,
                        pillar=pillar,
                        challenge=challenge_slug,
                        submit=submit_now,
                    )
                    post_id, post_state = post.id, post.state.value
                    advice = [str(v) for v in result.violations]
        except (Denied, BadInput) as exc:
            calendar_failed(exc)
        else:
            st.success(
                ui.tr("library.post_saved", id=post_id, state=ui.labelled(post_state, "post_state"))
            )
            for line in advice:
                st.caption(f"• {line}")
