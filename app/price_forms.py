"""The forms of the Prices & tiers page: add or delete a price override, reprice a window, set a tier.

Every edit goes through the domain API (``modelmix.pricing`` / ``modelmix.tiers``), which validates
each field and raises ``PriceError`` / ``TierError`` naming it; the form shows that message and
stores nothing. After a successful edit the caches are cleared so every page shows the new state.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import streamlit as st
from sqlalchemy.exc import DataError, IntegrityError

from app import data
from app.format import count, plain
from modelmix.pricing import (
    PriceBook,
    PriceError,
    Rate,
    RepriceProgress,
    TieredPrice,
    delete_price_override,
    reprice,
    set_price_override,
)
from modelmix.pricing.importer import override_from_fields
from modelmix.tiers import NO_SIBLING, RESET, TierError, set_tier

if TYPE_CHECKING:
    from app.context import PageContext

SAVED_KEY = "pr_saved"
KEEP = "(keep as is)"


def per_mtok(amount: Decimal) -> str:
    """A price per million tokens with the digits it has, at least cents: $2.50, $0.075, $0.0375."""
    text = f"{amount:,.8f}".rstrip("0")
    whole, _, fraction = text.partition(".")
    return f"${whole}.{fraction.ljust(2, '0')}"


def _price(value: TieredPrice | None, fallback: str) -> str:
    if value is None:
        return fallback
    return per_mtok(value.base) + "".join(f" (>{limit:,} in: {per_mtok(price)})" for limit, price in value.tiers)


def rate_cells(rate: Rate | None) -> dict[str, str]:
    """A rate as table cells: each component's price, its validity and note ('' when unpriced)."""
    if rate is None:
        return {k: "" for k in ("input", "cache read", "cache write", "output", "reasoning", "valid from",
                                "valid until", "note")}
    return {
        "input": _price(rate.input, ""), "cache read": _price(rate.cache_read, "= input"),
        "cache write": _price(rate.cache_write, "= input"), "output": _price(rate.output, ""),
        "reasoning": _price(rate.reasoning, "= output"),
        "valid from": rate.valid_from.strftime("%Y-%m-%d %H:%M") if rate.valid_from else "always",
        "valid until": rate.valid_until.strftime("%Y-%m-%d %H:%M") if rate.valid_until else "open",
        "note": rate.note or "",
    }


def show_saved_message() -> None:
    message = st.session_state.pop(SAVED_KEY, None)
    if message:
        st.success(message)


def _saved(message: str) -> None:
    data.clear()
    st.session_state[SAVED_KEY] = message
    st.rerun()


def add_override_form(ctx: PageContext) -> None:
    show_saved_message()
    with st.form("pr_add"):
        a = st.columns([3, 2, 1])
        model = a[0].text_input("Model", max_chars=300, key="pr_model",
                                help="An exact model id, or a glob pattern such as `gpt-4o*` with match = pattern")
        provider = a[1].text_input("Provider (empty = any)", max_chars=100, key="pr_provider")
        match = a[2].selectbox("Match", ["exact", "pattern"], key="pr_match")
        b = st.columns(5)
        fields = {name: b[i].text_input(label, key=f"pr_{name}", placeholder=hint) for i, (name, label, hint) in
                  enumerate((("input_per_mtok", "Input $/Mtok", "required"),
                             ("output_per_mtok", "Output $/Mtok", "required"),
                             ("cache_read_per_mtok", "Cache read", "= input"),
                             ("cache_write_per_mtok", "Cache write", "= input"),
                             ("reasoning_per_mtok", "Reasoning", "= output")))}
        c = st.columns([2, 2, 3])
        valid_from = c[0].text_input("Valid from (ISO, UTC)", key="pr_from", placeholder="now")
        valid_until = c[1].text_input("Valid until (ISO, UTC)", key="pr_until", placeholder="open")
        note = c[2].text_input("Note", max_chars=1000, key="pr_note")
        submitted = st.form_submit_button("Save override", type="primary")
    if not submitted:
        return
    try:
        override = override_from_fields({"model": model, "provider": provider, "match": match,
                                         "valid_from": valid_from, "valid_until": valid_until, "note": note,
                                         **fields}, default_from=datetime.now(UTC))
        new_id = set_price_override(data.write_engine(ctx.db), override)
    except PriceError as exc:
        st.error(f"Not saved: {plain(exc, 300)}")
        return
    except (IntegrityError, DataError) as exc:
        st.error(f"Not saved: the database refused the row ({plain(str(exc.orig).splitlines()[0], 200)}).")
        return
    _saved(f"Saved override {new_id} for {override.model}. Calls already stored keep their cost until you "
           "reprice them (tab “Reprice stored calls”).")


def delete_override_form(ctx: PageContext, ids: list[int]) -> None:
    if not ids:
        st.caption("No overrides to delete.")
        return
    with st.form("pr_delete"):
        chosen = st.selectbox("Override id", ids, key="pr_delete_id")
        sure = st.checkbox("Yes, delete it", key="pr_delete_sure")
        submitted = st.form_submit_button("Delete")
    if submitted:
        if not sure:
            st.error("Tick “Yes, delete it” to confirm.")
        elif delete_price_override(data.write_engine(ctx.db), int(chosen)):
            _saved(f"Deleted override {chosen}. Reprice to update stored costs.")
        else:
            st.error(f"No override with id {chosen} (someone may have deleted it already).")


def reprice_form(ctx: PageContext) -> None:
    until = min(ctx.filters.until, datetime.now(UTC) + timedelta(minutes=1))
    st.write(f"Recompute the stored cost of every call from {ctx.filters.since:%Y-%m-%d %H:%M} to "
             f"{until:%Y-%m-%d %H:%M} UTC (the window shown) with the prices in force now, then rebuild "
             "the hourly rollups. Running it twice changes nothing the second time.")
    if not st.button("Reprice this window", key="pr_reprice"):
        return
    if until <= ctx.filters.since:
        st.error("The window shown lies in the future; there is nothing to reprice.")
        return
    engine = data.write_engine(ctx.db)
    bar = st.progress(0.0, text="Repricing…")

    def progress(p: RepriceProgress) -> None:
        bar.progress(p.days_done / max(p.days_total, 1), text=f"Repricing… day {p.days_done} of {p.days_total}")

    result = reprice(engine, PriceBook.load(engine), ctx.filters.since, until, progress=progress)
    bar.empty()
    _saved(f"Repriced {count(result.rows_seen)} calls: {count(result.rows_changed)} changed, "
           f"{count(result.unpriced)} unpriced.")


def tier_form(ctx: PageContext, models: list[str]) -> None:
    with st.form("pr_tier"):
        a = st.columns([3, 2, 3])
        model = a[0].selectbox("Model", models, key="pr_tier_model", index=None, accept_new_options=True,
                               placeholder="Pick or type a canonical model id")
        tier = a[1].selectbox("Tier", [KEEP, "small", "mid", "frontier", RESET], key="pr_tier_tier",
                              format_func=lambda t: "back to price default" if t == RESET else t)
        sibling = a[2].text_input("Cheaper sibling", key="pr_tier_sibling", max_chars=300,
                                  placeholder=f"model id, '{NO_SIBLING}', '{RESET}', or empty to keep")
        retier = st.checkbox("Also update the stored hourly rollups of the window shown", value=True,
                             key="pr_tier_retier")
        submitted = st.form_submit_button("Save tier")
    if not submitted:
        return
    if not model:
        st.error("Choose a model.")
        return
    try:
        set_tier(data.write_engine(ctx.db), model, tier=None if tier == KEEP else tier,
                 cheaper_sibling=(sibling or "").strip() or None)
    except TierError as exc:
        st.error(f"Not saved: {plain(exc, 300)}")
        return
    if retier:
        from modelmix.assembly import recompute_hours

        with st.spinner("Updating rollups…"):
            recompute_hours(data.write_engine(ctx.db), ctx.filters.since, ctx.filters.until)
    _saved(f"Saved tier settings for {model}.")
