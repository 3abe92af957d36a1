"""Sign in: username and password against the users table; failures are rate limited."""

from __future__ import annotations

import streamlit as st

from dashboard import ui
from services.websessions import LoginRefused

who = ui.viewer()
st.title(ui.tr("login.title"))
if who.signed_in:
    st.success(ui.tr("login.already", name=who.username or ""))
    st.stop()

with st.form("login"):
    username = st.text_input(ui.tr("login.username"), key="login_username")
    password = st.text_input(ui.tr("login.password"), type="password", key="login_password")
    submitted = st.form_submit_button(ui.tr("login.submit"))

if submitted:
    if not username.strip() or not password:
        st.error(ui.tr("login.empty"))
    else:
        try:
            signed = ui.sign_in(username, password)
        except LoginRefused as refused:
            st.error(ui.tr(f"login.refused_{refused.reason}"))
        else:
            st.switch_page(ui.home_page(signed))
