"""Optional sign-in: with ``MODELMIX_DASHBOARD_PASSWORD`` set, nothing is shown before the password.

The entered password is compared in constant time (both sides hashed, then ``hmac.compare_digest``)
and is never logged or echoed. A wrong password costs a short pause, to slow guessing. When the
operator configured OIDC for Streamlit (an ``[auth]`` section in ``.streamlit/secrets.toml``), the
app asks for that login instead of (or after) the password.
"""

from __future__ import annotations

import hashlib
import hmac
import time

import streamlit as st

SIGNED_IN_KEY = "mm_signed_in"
WRONG_PASSWORD_PAUSE_SECONDS = 1.0


def password_matches(entered: str, expected: str) -> bool:
    """Constant-time comparison that does not reveal the expected length."""
    a = hashlib.sha256(entered.encode("utf-8")).digest()
    b = hashlib.sha256(expected.encode("utf-8")).digest()
    return hmac.compare_digest(a, b)


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def _oidc_gate() -> None:
    if st.user.is_logged_in:
        with st.sidebar:
            st.caption(f"Signed in as {st.user.get('email') or st.user.get('name') or 'you'}")
            st.button("Log out", on_click=st.logout)
        return
    st.title("modelmix")
    st.write("Sign in to see the dashboard.")
    st.button("Log in", on_click=st.login, type="primary")
    st.stop()


def require_sign_in(password: str | None) -> None:
    """Show only a sign-in form (and stop the run) until the visitor is signed in."""
    if password and not st.session_state.get(SIGNED_IN_KEY):
        st.title("modelmix")
        with st.form("sign_in"):
            st.write("This dashboard is protected. Enter the dashboard password to continue.")
            entered = st.text_input("Password", type="password", key="mm_password")
            submitted = st.form_submit_button("Sign in", type="primary")
        if submitted:
            if password_matches(entered or "", password):
                st.session_state[SIGNED_IN_KEY] = True
                st.rerun()
            time.sleep(WRONG_PASSWORD_PAUSE_SECONDS)
            st.error("That password is not right.")
        st.stop()
    if _oidc_configured():
        _oidc_gate()
    if password:
        with st.sidebar:
            if st.button("Sign out", key="mm_sign_out"):
                st.session_state.pop(SIGNED_IN_KEY, None)
                st.rerun()
