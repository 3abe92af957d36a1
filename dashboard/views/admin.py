"""Administration: challenges and their rubrics, libraries, users, registration import, judges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import streamlit as st

from dashboard import data, fmt, ui
from scoring.rubric import DEFAULT_RUBRIC_TOML
from services import admin
from services.access import STAFF, Denied
from services.errors import BadInput, RowErrors
from services.timeparse import parse_local
from store.enums import TIMEZONES, Platform, Role, Tier

who = ui.guard(*STAFF)
tz = ui.viewer_tz(who)
st.title(ui.tr("admin.title"))

tab_names = ["challenges", "libraries", "import", "judges", "health"]
if who.has(Role.ADMIN):
    tab_names.insert(2, "users")
tabs = dict(zip(tab_names, st.tabs([ui.tr(f"admin.tab_{n}") for n in tab_names]), strict=True))


def fail(exc: Exception) -> None:
    if isinstance(exc, RowErrors):
        st.error(ui.tr("admin.import_rejected", count=ui.num(len(exc.problems))))
        st.dataframe(
            pd.DataFrame(
                {
                    ui.tr("col.line"): [p.line for p in exc.problems],
                    ui.tr("col.problem"): [p.message for p in exc.problems],
                }
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        ui.show_error(exc)


with ui.transaction() as session:
    challenges = admin.challenges(session, who)
by_id = {c.id: c for c in challenges}

# --- challenges -------------------------------------------------------------------------------
with tabs["challenges"]:
    if challenges:
        st.dataframe(
            pd.DataFrame(
                {
                    ui.tr("col.slug"): [c.slug for c in challenges],
                    ui.tr("col.title"): [c.title for c in challenges],
                    ui.tr("col.opens"): [ui.when(c.opens_at, c.timezone) for c in challenges],
                    ui.tr("col.closes"): [ui.when(c.closes_at, c.timezone) for c in challenges],
                    ui.tr("col.status"): [
                        ui.labelled(c.status.value, "challenge_status") for c in challenges
                    ],
                    ui.tr("col.live_public"): [
                        ui.tr("common.yes") if c.live_board_public else ui.tr("common.no")
                        for c in challenges
                    ],
                }
            ),
            hide_index=True,
            width="stretch",
        )
        chosen = st.selectbox(
            ui.tr("common.challenge"),
            list(by_id),
            format_func=lambda i: by_id[i].title,
            key="adm_ch",
        )
        current = by_id[chosen]
        with st.form(f"settings_{chosen}"):
            st.markdown(f"**{ui.tr('admin.settings')}**")
            title = st.text_input(ui.tr("col.title"), value=current.title)
            live = st.checkbox(ui.tr("admin.live_public"), value=current.live_board_public)
            if st.form_submit_button(ui.tr("common.save")):
                try:
                    with ui.transaction() as session:
                        admin.update_settings(
                            session, who, chosen, title=title, live_board_public=live
                        )
                except (Denied, BadInput) as exc:
                    fail(exc)
                else:
                    data.forget_boards()
                    st.success(ui.tr("common.saved"))

        st.markdown(f"**{ui.tr('admin.rubric')}**")
        with ui.transaction() as session:
            version = admin.current_rubric(session, who, chosen)
        if version is not None:
            st.caption(
                ui.tr(
                    "admin.rubric_version",
                    version=ui.num(version.version),
                    when=ui.when(version.created_at, tz),
                    by=version.created_by or fmt.MISSING,
                )
            )
        document = st.text_area(
            ui.tr("admin.rubric_text"),
            value=version.document if version else DEFAULT_RUBRIC_TOML,
            height=400,
            key=f"rubric_{chosen}",
        )
        left, right = st.columns(2)
        if left.button(ui.tr("admin.rubric_check"), key=f"rubric_check_{chosen}"):
            try:
                admin.check_rubric(document)
            except BadInput as exc:
                fail(exc)
            else:
                st.success(ui.tr("admin.rubric_valid"))
        if right.button(ui.tr("admin.rubric_save"), key=f"rubric_save_{chosen}"):
            try:
                with ui.transaction() as session:
                    number = admin.save_rubric(session, who, chosen, document)
            except (Denied, BadInput) as exc:
                fail(exc)
            else:
                data.forget_boards()
                st.success(ui.tr("admin.rubric_saved", version=ui.num(number)))
    else:
        st.info(ui.tr("admin.no_challenges"))

    with st.expander(ui.tr("admin.new_challenge")), st.form("new_challenge"):
        slug = st.text_input(ui.tr("col.slug"))
        title = st.text_input(ui.tr("col.title"))
        zone = st.selectbox(
            ui.tr("common.timezone"), list(TIMEZONES), format_func=lambda z: TIMEZONES[z]
        )
        opens = st.date_input(ui.tr("col.opens"), value=date.today())
        closes = st.date_input(ui.tr("col.closes"), value=date.today() + timedelta(days=30))
        tags = st.text_input(ui.tr("admin.hashtags"))
        plats = st.multiselect(
            ui.tr("admin.platforms"),
            [p.value for p in Platform],
            default=[p.value for p in Platform],
            format_func=lambda p: ui.labelled(p, "platform"),
        )
        if st.form_submit_button(ui.tr("admin.create")):
            try:
                with ui.transaction() as session:
                    made = admin.create_challenge(
                        session,
                        who,
                        slug=slug,
                        title=title,
                        opens_at=parse_local(str(opens), zone, field="opens"),
                        closes_at=parse_local(str(closes), zone, field="closes", end_of_day=True),
                        timezone=zone,
                        hashtags=[x for x in tags.replace(",", " ").split() if x],
                        platforms=plats,
                        rubric=DEFAULT_RUBRIC_TOML,
                    )
            except (Denied, BadInput) as exc:
                fail(exc)
            else:
                st.success(ui.tr("admin.created", slug=made.slug))

# --- libraries --------------------------------------------------------------------------------
with tabs["libraries"]:
    with ui.transaction() as session:
        libraries = admin.libraries(session, who)
    st.dataframe(
        pd.DataFrame(
            {
                ui.tr("col.library"): [lib.name for lib in libraries],
                ui.tr("col.tier"): [ui.labelled(lib.tier.value, "tier") for lib in libraries],
                ui.tr("col.province"): [lib.province for lib in libraries],
                ui.tr("col.regency"): [lib.regency_city or fmt.MISSING for lib in libraries],
                ui.tr("common.timezone"): [fmt.tz_label(lib.timezone) for lib in libraries],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    with st.expander(ui.tr("admin.new_library")), st.form("new_library"):
        name = st.text_input(ui.tr("col.library"))
        tier = st.selectbox(
            ui.tr("col.tier"), [t.value for t in Tier], format_func=lambda v: ui.labelled(v, "tier")
        )
        province = st.text_input(ui.tr("col.province"))
        regency = st.text_input(ui.tr("col.regency"))
        if st.form_submit_button(ui.tr("admin.create")):
            try:
                with ui.transaction() as session:
                    admin.add_library(
                        session,
                        who,
                        name=name,
                        tier=tier,
                        province=province,
                        regency_city=regency,
                        timezone=None,
                    )
            except (Denied, BadInput) as exc:
                fail(exc)
            else:
                st.success(ui.tr("common.saved"))

# --- users (administrators only) --------------------------------------------------------------
if "users" in tabs:
    with tabs["users"]:
        with ui.transaction() as session:
            people = admin.users(session, who)
        st.dataframe(
            pd.DataFrame(
                {
                    ui.tr("col.username"): [u.username for u in people],
                    ui.tr("col.role"): [ui.labelled(u.role, "role") for u in people],
                    ui.tr("col.library"): [u.library or fmt.MISSING for u in people],
                    ui.tr("col.name"): [u.display_name or fmt.MISSING for u in people],
                    ui.tr("col.active"): [
                        ui.tr("common.yes") if u.active else ui.tr("common.no") for u in people
                    ],
                }
            ),
            hide_index=True,
            width="stretch",
        )
        with st.expander(ui.tr("admin.new_user")), st.form("new_user"):
            username = st.text_input(ui.tr("col.username"))
            display = st.text_input(ui.tr("col.name"))
            password = st.text_input(ui.tr("login.password"), type="password")
            role = st.selectbox(
                ui.tr("col.role"),
                [r.value for r in Role],
                format_func=lambda v: ui.labelled(v, "role"),
            )
            lib_names = [lib.name for lib in libraries]
            lib_name = st.selectbox(ui.tr("admin.user_library"), [None, *lib_names])
            if st.form_submit_button(ui.tr("admin.create")):
                try:
                    with ui.transaction() as session:
                        admin.add_user(
                            session,
                            who,
                            username=username,
                            password=password,
                            role=role,
                            library_name=lib_name,
                            display_name=display or None,
                        )
                except (Denied, BadInput) as exc:
                    fail(exc)
                else:
                    st.success(ui.tr("common.saved"))
        others = [u for u in people if u.user_id != who.user_id]
        if others:
            pick = st.selectbox(
                ui.tr("admin.user_pick"),
                [u.user_id for u in others],
                format_func=lambda i: next(u.username for u in others if u.user_id == i),
                key="adm_user",
            )
            person = next(u for u in others if u.user_id == pick)
            label = "admin.deactivate" if person.active else "admin.activate"
            if st.button(ui.tr(label), key="adm_user_toggle"):
                try:
                    with ui.transaction() as session:
                        admin.set_active(session, who, pick, not person.active)
                except (Denied, BadInput) as exc:
                    fail(exc)
                else:
                    st.rerun()

# --- registration import ----------------------------------------------------------------------
with tabs["import"]:
    st.write(ui.tr("admin.import_help"))
    if challenges:
        target = st.selectbox(
            ui.tr("common.challenge"),
            list(by_id),
            format_func=lambda i: by_id[i].title,
            key="imp_ch",
        )
        upload = st.file_uploader(ui.tr("admin.import_file"), type=["csv"], key="imp_file")
        if upload is not None and st.button(ui.tr("admin.import_run"), key="imp_run"):
            try:
                with ui.transaction() as session:
                    result = admin.import_registrations(
                        session,
                        who,
                        target,
                        upload.name,
                        upload.getvalue(),
                        shortlink_base=ui.settings().shortlink_resolver_base,
                    )
            except (Denied, BadInput) as exc:
                fail(exc)
            else:
                st.success(
                    ui.tr(
                        "admin.import_done",
                        entries=ui.num(result.written),
                        libraries=ui.num(len(result.libraries_added)),
                        accounts=ui.num(result.accounts_added),
                    )
                )
                if result.duplicates:
                    st.warning(
                        ui.tr("admin.import_duplicates", count=ui.num(len(result.duplicates)))
                    )
                    st.dataframe(
                        pd.DataFrame(
                            {
                                ui.tr("col.line"): [d.line for d in result.duplicates],
                                ui.tr("col.url"): [d.url for d in result.duplicates],
                                ui.tr("col.problem"): [d.reason for d in result.duplicates],
                            }
                        ),
                        hide_index=True,
                        width="stretch",
                    )
    else:
        st.info(ui.tr("admin.no_challenges"))

# --- judges -----------------------------------------------------------------------------------
with tabs["judges"]:
    if challenges:
        target = st.selectbox(
            ui.tr("common.challenge"),
            list(by_id),
            format_func=lambda i: by_id[i].title,
            key="jdg_assign_ch",
        )
        with ui.transaction() as session:
            panel = admin.judges(session, who)
            counts = admin.assignment_counts(session, who, target)
        if panel:
            st.dataframe(
                pd.DataFrame(
                    {
                        ui.tr("col.username"): [j.username for j in panel],
                        ui.tr("col.name"): [j.display_name or fmt.MISSING for j in panel],
                        ui.tr("admin.assigned"): [ui.num(counts.get(j.id, 0)) for j in panel],
                    }
                ),
                hide_index=True,
                width="stretch",
            )
            judge_id = st.selectbox(
                ui.tr("admin.judge"),
                [j.id for j in panel],
                format_func=lambda i: next(j.username for j in panel if j.id == i),
                key="jdg_assign_who",
            )
            if st.button(ui.tr("admin.assign_all"), key="jdg_assign_btn"):
                try:
                    with ui.transaction() as session:
                        new = admin.assign_all(session, who, target, judge_id)
                except (Denied, BadInput) as exc:
                    fail(exc)
                else:
                    st.success(ui.tr("admin.assigned_new", count=ui.num(new)))
        else:
            st.info(ui.tr("admin.no_judges"))
    else:
        st.info(ui.tr("admin.no_challenges"))

# --- collection health ------------------------------------------------------------------------
with tabs["health"]:
    with ui.transaction() as session:
        report = admin.collection_health(session, who, datetime.now(UTC))

    def reasons(counts: dict[str, int]) -> str:
        return ", ".join(
            f"{ui.labelled(k, 'health.reason')} ({ui.num(v)})" for k, v in sorted(counts.items())
        )

    st.caption(ui.tr("health.as_of", when=ui.when(report.at, tz)))
    st.dataframe(
        pd.DataFrame(
            {
                ui.tr("col.platform"): [
                    ui.labelled(p.platform.value, "platform") for p in report.platforms
                ],
                ui.tr("health.last_success"): [
                    ui.when(p.last_success, tz) for p in report.platforms
                ],
                ui.tr("health.items_24h"): [ui.num(p.items_24h) for p in report.platforms],
                ui.tr("health.failures_24h"): [reasons(p.failures_24h) for p in report.platforms],
                ui.tr("health.deferred_24h"): [reasons(p.deferred_24h) for p in report.platforms],
                ui.tr("health.calls_today"): [ui.num(p.calls_today) for p in report.platforms],
                ui.tr("health.quota_today"): [
                    ui.num(p.quota_units_today) for p in report.platforms
                ],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    if report.needs_reauth:
        st.warning(ui.tr("health.reauth", count=ui.num(len(report.needs_reauth))))
    troubled = [a for a in report.accounts if a.needs_reauth or a.failures_24h]
    if troubled:
        st.dataframe(
            pd.DataFrame(
                {
                    ui.tr("col.platform"): [
                        ui.labelled(a.platform.value, "platform") for a in troubled
                    ],
                    ui.tr("col.account"): [
                        f"@{a.handle}" if a.handle else (a.credential or fmt.MISSING)
                        for a in troubled
                    ],
                    ui.tr("col.library"): [a.library or fmt.MISSING for a in troubled],
                    ui.tr("col.status"): [
                        ui.labelled(a.status.value if a.status else None, "account_status")
                        for a in troubled
                    ],
                    ui.tr("health.last_success"): [ui.when(a.last_success, tz) for a in troubled],
                    ui.tr("health.failures_24h"): [reasons(a.failures_24h) for a in troubled],
                }
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.success(ui.tr("health.all_well"))
