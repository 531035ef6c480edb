"""Effective-dated overrides in PostgreSQL: which price is in force, validation, names as data."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select

from modelmix.db.models import ModelPriceRow
from modelmix.pricing import (
    DEFAULT_SOURCE,
    MATCH_PATTERN,
    PriceBook,
    PriceError,
    PriceOverride,
    delete_price_override,
    set_price_override,
)

from .helpers import at, make_call

M = Decimal(1_000_000)
T = at("2026-11-15T00:00")


def override(model: str, inp: str, out: str, **kw: object) -> PriceOverride:
    kw.setdefault("valid_from", T)
    return PriceOverride(model=model, input_per_mtok=Decimal(inp), output_per_mtok=Decimal(out), **kw)  # type: ignore[arg-type]


def count_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(ModelPriceRow)).scalar_one())


def test_override_effective_mid_window_prices_calls_before_and_after_differently(engine: Engine) -> None:
    new_id = set_price_override(engine, override("gpt-4o", "5", "20", cache_read_per_mtok=Decimal("1")))
    book = PriceBook.load(engine)
    before = book.price(make_call("openai", "gpt-4o-2024-08-06", start=T - timedelta(seconds=1),
                                  input_tokens=1000, cache_read=400, output_tokens=100))
    after = book.price(make_call("openai", "gpt-4o-2024-08-06", start=T,
                                 input_tokens=1000, cache_read=400, output_tokens=100))
    # Before T: OpenAI list price ($2.50 / $1.25 cached / $10); from T: the override.
    assert before.cost_usd == (600 * Decimal("2.50") + 400 * Decimal("1.25") + 100 * Decimal(10)) / M
    assert (before.price_source, before.price_id) == (DEFAULT_SOURCE, None)
    assert after.cost_usd == (600 * Decimal(5) + 400 * Decimal(1) + 100 * Decimal(20)) / M
    assert (after.price_source, after.price_id) == (f"override:{new_id}", new_id)
    assert after.canonical_model == "gpt-4o"


def test_override_until_returns_to_default_and_unset_cache_prices_follow_input(engine: Engine) -> None:
    set_price_override(engine, override("gpt-4o-mini", "1", "2", valid_until=T + timedelta(days=1)))
    book = PriceBook.load(engine)
    inside = book.price(make_call("openai", "gpt-4o-mini", start=T + timedelta(hours=1), input_tokens=1000,
                                  cache_read=500, cache_write=100, output_tokens=10, reasoning=5))
    assert inside.cost_usd == (1000 * Decimal(1) + 10 * Decimal(2)) / M  # cache at input, reasoning at output
    outside = book.price(make_call("openai", "gpt-4o-mini", start=T + timedelta(days=1), input_tokens=1000,
                                   output_tokens=10))
    assert outside.cost_usd == (1000 * Decimal("0.15") + 10 * Decimal("0.60")) / M
    assert outside.price_source == DEFAULT_SOURCE


def test_most_specific_then_latest_override_wins(engine: Engine) -> None:
    pattern = set_price_override(engine, override("gpt-4o*", "1", "1", match_kind=MATCH_PATTERN,
                                                  valid_from=T + timedelta(days=2)))
    canonical = set_price_override(engine, override("gpt-4o", "2", "2"))
    exact_snapshot = set_price_override(engine, override("gpt-4o-2024-05-13", "3", "3"))
    any_provider = set_price_override(engine, override("gpt-4o-mini", "4", "4"))
    azure_only = set_price_override(engine, override("gpt-4o-mini", "5", "5", provider="azure.ai.openai"))
    later = set_price_override(engine, override("gpt-4o-mini", "6", "6", valid_from=T + timedelta(days=1)))
    book = PriceBook.load(engine)
    when = T + timedelta(days=3)

    def source(provider: str, model: str) -> str | None:
        rate = book.rate(provider, model, when)
        return rate.source if rate else None

    assert source("openai", "gpt-4o-2024-05-13") == f"override:{exact_snapshot}"  # exact on reported name
    assert source("openai", "gpt-4o-2024-08-06") == f"override:{canonical}"  # exact on canonical id
    assert source("openai", "gpt-4o-audio-preview") == f"override:{pattern}"  # only the pattern matches
    assert source("azure.ai.openai", "gpt-4o-mini") == f"override:{azure_only}"  # provider-specific first
    assert source("openai", "gpt-4o-mini") == f"override:{later}"  # same level: latest valid_from
    assert book.rate("openai", "gpt-4o-mini", T + timedelta(hours=1)).source == f"override:{any_provider}"  # type: ignore[union-attr]


def test_override_prices_a_model_genai_prices_does_not_know(engine: Engine) -> None:
    oid = set_price_override(engine, override("acme-*", "0.5", "1.5", match_kind=MATCH_PATTERN, provider="acme"))
    book = PriceBook.load(engine)
    priced = book.price(make_call("acme", "ACME-Large-2", start=T, input_tokens=2000, output_tokens=1000))
    assert priced.cost_usd == (2000 * Decimal("0.5") + 1000 * Decimal("1.5")) / M
    assert priced.price_id == oid
    assert priced.canonical_model == "acme-large-2"
    other = book.price(make_call("other", "acme-large-2", start=T))
    assert other.cost_usd is None  # provider-specific override does not price another provider


def test_refresh_sees_new_and_deleted_overrides(engine: Engine) -> None:
    book = PriceBook.load(engine)
    call = make_call("openai", "gpt-4o", start=T, input_tokens=1000, output_tokens=0)
    assert book.price(call).price_source == DEFAULT_SOURCE
    oid = set_price_override(engine, override("gpt-4o", "7", "7"))
    assert book.price(call).price_source == DEFAULT_SOURCE  # not until refreshed
    book.refresh(engine)
    assert book.price(call).cost_usd == 1000 * Decimal(7) / M
    assert delete_price_override(engine, oid) is True
    assert delete_price_override(engine, oid) is False
    book.refresh(engine)
    assert book.price(call).price_source == DEFAULT_SOURCE


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (dict(input_per_mtok=Decimal("-1")), "input_per_mtok"),
        (dict(output_per_mtok=Decimal("NaN")), "output_per_mtok"),
        (dict(cache_read_per_mtok=Decimal("Infinity")), "cache_read_per_mtok"),
        (dict(cache_write_per_mtok=Decimal("-0.01")), "cache_write_per_mtok"),
        (dict(reasoning_per_mtok=Decimal("1e9")), "reasoning_per_mtok"),
        (dict(input_per_mtok=Decimal("0.000000001")), "input_per_mtok"),
        (dict(input_per_mtok=None), "input_per_mtok"),
        (dict(input_per_mtok=1.5), "input_per_mtok"),
        (dict(valid_until=T - timedelta(days=1)), "valid_until"),
        (dict(valid_until=T), "valid_until"),
        (dict(model="   "), "model"),
        (dict(model="gpt-4o*"), "model"),  # wildcard in an exact match
        (dict(model="gpt\x00-4o"), "model"),
        (dict(model="x" * 301), "model"),
        (dict(provider="open\nai"), "provider"),
        (dict(match_kind="regex"), "match"),
        (dict(valid_from="2026-01-01"), "valid_from"),
    ],
)
def test_invalid_override_names_the_field_and_stores_nothing(engine: Engine, changes: dict, field: str) -> None:
    base = dict(model="gpt-4o", input_per_mtok=Decimal(1), output_per_mtok=Decimal(2), valid_from=T)
    base.update(changes)
    with pytest.raises(PriceError) as error:
        set_price_override(engine, PriceOverride(**base))  # type: ignore[arg-type]
    assert str(error.value).startswith(field + ":")
    assert count_rows(engine) == 0


@pytest.mark.parametrize("name", ["x'; drop table model_prices; --", "gpt%", "a_b", 'quo"te\\', "ünïcode-模型"])
def test_sql_metacharacters_in_model_names_are_data(engine: Engine, name: str) -> None:
    oid = set_price_override(engine, override(name, "1", "1"))
    book = PriceBook.load(engine)
    with engine.connect() as conn:
        assert conn.execute(select(ModelPriceRow.model_pattern)).scalars().all() == [name.lower()]
    assert book.rate("openai", name, T).price_id == oid  # type: ignore[union-attr]


def test_like_wildcards_do_not_act_as_wildcards(engine: Engine) -> None:
    set_price_override(engine, override("gpt%", "1", "1"))
    set_price_override(engine, override("a_c", "1", "1"))
    book = PriceBook.load(engine)
    assert book.rate("x", "gpt-anything", T) is None
    assert book.rate("x", "abc", T) is None
    assert book.rate("x", "a_c", T) is not None
