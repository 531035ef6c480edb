"""Tiers from blended list price, the cheaper-sibling family map, and operator overrides."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine, select

from modelmix.db.models import ModelTierRow
from modelmix.pricing import PriceBook, PriceOverride, set_price_override
from modelmix.tiers import (
    DEFAULT_SIBLINGS,
    NO_SIBLING,
    RESET,
    TierError,
    TierMap,
    clear_tier,
    list_tiers,
    set_tier,
    tier_from_price,
)

from .helpers import at


@pytest.fixture(scope="module")
def book() -> PriceBook:
    return PriceBook.load(None)


# Blended = (3 x input + output) / 4 from the providers' list prices (see test_cost.py for sources):
# gpt-4o-mini (0.45 + 0.60) / 4 = 0.2625; claude-haiku-4-5 (3 + 5) / 4 = 2.00; gpt-4o (7.50 + 10) / 4 = 4.375;
# claude-sonnet-4-5 (9 + 15) / 4 = 6.00; claude-opus-4-5 (15 + 25) / 4 = 10.00.
@pytest.mark.parametrize(("model", "tier"), [
    ("gpt-4o-mini", "small"), ("claude-haiku-4-5", "small"), ("gpt-4o", "frontier"), ("gpt-4.1", "mid"),
    ("claude-sonnet-4-5", "frontier"), ("claude-opus-4-5", "frontier"), ("never-heard-of-it", None),
])
def test_default_tier_from_blended_list_price(book: PriceBook, model: str, tier: str | None) -> None:
    assert TierMap.load(None, book).tier(model) == tier


def test_tier_thresholds_are_inclusive_at_the_upper_band() -> None:
    assert tier_from_price(Decimal("2.4999")) == "small"
    assert tier_from_price(Decimal("2.50")) == "mid"
    assert tier_from_price(Decimal("3.9999")) == "mid"
    assert tier_from_price(Decimal("4.00")) == "frontier"
    assert tier_from_price(None) is None


def test_every_default_sibling_is_a_priced_cheaper_model(book: PriceBook) -> None:
    for model, sibling in DEFAULT_SIBLINGS.items():
        mine, theirs = book.reference_price(model), book.reference_price(sibling)
        assert mine is not None and theirs is not None, (model, sibling)
        assert theirs < mine, (model, sibling, mine, theirs)
        assert book.canonical_model(None, sibling) == sibling


def test_family_examples(book: PriceBook) -> None:
    tiers = TierMap.load(None, book)
    assert tiers.cheaper_sibling("gpt-4o") == "gpt-4o-mini"
    assert tiers.cheaper_sibling("claude-sonnet-4-5") == "claude-haiku-4-5"
    assert tiers.cheaper_sibling("gemini-2.5-pro") == "gemini-2.5-flash"
    assert tiers.cheaper_sibling("gpt-4.1") == "gpt-4.1-mini"
    assert tiers.cheaper_sibling("o3") == "o4-mini"
    assert tiers.cheaper_sibling("gpt-5.4") == "gpt-5.4-mini"  # by family rule, not in the map
    assert tiers.info("gpt-5.4").sibling_source == "family rule"
    assert tiers.cheaper_sibling("gpt-4o-mini") is None
    assert tiers.cheaper_sibling(None) is None and tiers.tier(None) is None


def test_overrides_win_and_reset(engine: Engine, book: PriceBook) -> None:
    set_tier(engine, "gpt-4o", tier="frontier")
    set_tier(engine, "gpt-4o", cheaper_sibling="gpt-4.1-nano")
    set_tier(engine, "claude-sonnet-4-5", cheaper_sibling=NO_SIBLING)
    set_tier(engine, "my-model", tier="small", cheaper_sibling="my-model-lite")
    tiers = TierMap.load(engine, book)
    assert (tiers.tier("gpt-4o"), tiers.cheaper_sibling("gpt-4o")) == ("frontier", "gpt-4.1-nano")
    assert tiers.info("gpt-4o").tier_source == "override"
    assert tiers.cheaper_sibling("claude-sonnet-4-5") is None
    assert tiers.tier("claude-sonnet-4-5") == "frontier"
    assert (tiers.tier("my-model"), tiers.cheaper_sibling("my-model")) == ("small", "my-model-lite")
    assert tiers.overridden == ["claude-sonnet-4-5", "gpt-4o", "my-model"]

    set_tier(engine, "gpt-4o", tier=RESET)
    set_tier(engine, "claude-sonnet-4-5", cheaper_sibling=RESET)  # nothing left: row removed
    tiers = TierMap.load(engine, book)
    assert (tiers.tier("gpt-4o"), tiers.cheaper_sibling("gpt-4o")) == ("frontier", "gpt-4.1-nano")
    assert tiers.cheaper_sibling("claude-sonnet-4-5") == "claude-haiku-4-5"
    with engine.connect() as conn:
        assert sorted(conn.execute(select(ModelTierRow.canonical_model)).scalars()) == ["gpt-4o", "my-model"]
    assert clear_tier(engine, "GPT-4o") is True and clear_tier(engine, "gpt-4o") is False


def test_tier_follows_price_overrides(engine: Engine) -> None:
    set_price_override(engine, PriceOverride(model="gpt-4o", input_per_mtok=Decimal(20), output_per_mtok=Decimal(80),
                                             valid_from=at("2020-01-01T00:00")))
    tiers = TierMap.load(engine, PriceBook.load(engine))
    assert tiers.tier("gpt-4o") == "frontier"
    infos = list_tiers(tiers, ["gpt-4o", "gpt-4o-mini", "unknown-x", "gpt-4o"])
    assert [i.model for i in infos] == ["gpt-4o-mini", "gpt-4o", "unknown-x"]


@pytest.mark.parametrize(("kwargs", "field"), [
    (dict(model="gpt-4o", tier="huge"), "tier"),
    (dict(model="gpt-4o"), "tier"),
    (dict(model="", tier="small"), "model"),
    (dict(model="gpt-4o", cheaper_sibling="GPT-4o"), "cheaper_sibling"),
    (dict(model="gpt\x07", tier="small"), "model"),
    (dict(model="gpt-4o", cheaper_sibling="  "), "cheaper_sibling"),
])
def test_invalid_tier_settings_name_the_field(engine: Engine, kwargs: dict, field: str) -> None:
    with pytest.raises(TierError) as error:
        set_tier(engine, **kwargs)
    assert str(error.value).startswith(field + ":")
    with engine.connect() as conn:
        assert conn.execute(select(ModelTierRow)).first() is None


def test_sql_metacharacters_in_tier_names_are_data(engine: Engine, book: PriceBook) -> None:
    name = "m'; drop table model_tiers; --"
    set_tier(engine, name, tier="mid", cheaper_sibling="x%_y")
    tiers = TierMap.load(engine, book)
    assert (tiers.tier(name), tiers.cheaper_sibling(name)) == ("mid", "x%_y")
