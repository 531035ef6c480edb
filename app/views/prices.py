"""Prices & tiers: the price in force for every model seen and where it came from; stored overrides;
tiers and cheaper siblings — all editable through the pricing and tier APIs, which validate every field."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import context, data, price_forms
from app.format import when
from modelmix.tiers import FRONTIER_FROM, SMALL_BELOW

ctx = context.current()
st.title("Prices & tiers")
st.caption("Prices are USD per million tokens. Calls are priced at the price in force when they started; "
           "an operator override beats the bundled genai-prices default.")
since = ctx.filters.since
overrides, in_force = data.price_listing(ctx.db, since, ctx.now)

st.subheader("Prices in force now")
if not in_force:
    st.info("No models seen in this window yet. Overrides you add below apply as soon as calls arrive.")
else:
    unpriced = [x for x in in_force if x.rate is None]
    if unpriced:
        st.warning(f"{len(unpriced)} model(s) seen have no price, so their calls are unpriced (never $0): "
                   + ", ".join(f"`{x.model}`" for x in unpriced[:10]) + ". Add an override below.")
    st.dataframe(pd.DataFrame([{
        "provider": x.provider or "", "model": x.model,
        "canonical": (x.rate.canonical_model if x.rate else None) or "",
        "calls seen": x.calls, "source": x.rate.source if x.rate else "UNPRICED",
        **price_forms.rate_cells(x.rate),
    } for x in in_force]), hide_index=True, width="stretch")
    st.caption(f"Models seen since {when(since)}.")

st.subheader("Price overrides")
if overrides:
    st.dataframe(pd.DataFrame([{
        "id": x.rate.price_id if x.rate else None, "provider": x.provider or "any", "model": x.model,
        "match": x.match_kind or "", "in force": "yes" if x.in_force else "no", **price_forms.rate_cells(x.rate),
    } for x in overrides]), hide_index=True, width="stretch")
else:
    st.caption("No overrides stored: every price comes from the bundled genai-prices data.")

add_tab, delete_tab, reprice_tab = st.tabs(["Add an override", "Delete an override", "Reprice stored calls"])
with add_tab:
    price_forms.add_override_form(ctx)
with delete_tab:
    price_forms.delete_override_form(ctx, [x.rate.price_id for x in overrides if x.rate and x.rate.price_id])
with reprice_tab:
    price_forms.reprice_form(ctx)

st.subheader("Tiers and cheaper siblings")
st.caption(f"Default tier from the blended list price (3 parts input to 1 part output): small below "
           f"${SMALL_BELOW:.2f}, mid below ${FRONTIER_FROM:.2f}, frontier from ${FRONTIER_FROM:.2f} per million "
           "tokens. The cheaper sibling is where a downgrade candidate is routed when there is no evidence from "
           "the data yet.")
tiers = data.tier_listing(ctx.db, since)
st.dataframe(pd.DataFrame([{
    "model": t.model, "tier": t.tier or "unknown", "tier from": t.tier_source or "",
    "cheaper sibling": t.cheaper_sibling or "", "sibling from": t.sibling_source or "",
    "blended $/Mtok": "" if t.reference_price is None else f"${t.reference_price:,.4f}",
} for t in tiers]), hide_index=True, width="stretch")
price_forms.tier_form(ctx, [t.model for t in tiers])
