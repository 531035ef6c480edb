"""Default prices never touch the network, ignore process-wide genai-prices state, and are fast."""

from __future__ import annotations

import socket
import time
from decimal import Decimal
from typing import Any

import pytest
from genai_prices import Usage, calc_price
from genai_prices.data_snapshot import DataSnapshot, set_custom_snapshot

from modelmix.pricing import PriceBook

from .helpers import at, make_call

CALLS = [
    make_call("openai", "gpt-4o-2024-08-06", input_tokens=2361, cache_read=1664, output_tokens=232),
    make_call("openai", "gpt-4o-mini-2024-07-18", input_tokens=180, cache_read=0, output_tokens=40),
    make_call("anthropic", "claude-sonnet-4-5-20250929", input_tokens=12_000, cache_read=8_000,
              cache_write=1_000, output_tokens=700),
    make_call("aws.bedrock", "us.anthropic.claude-haiku-4-5-20251001-v1:0", input_tokens=900, output_tokens=90),
]


def test_pricing_works_with_the_network_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("pricing tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    book = PriceBook.load(None)
    priced = [book.price(c) for c in CALLS]
    assert all(p.cost_usd is not None and p.cost_usd > 0 for p in priced)


def test_a_process_wide_genai_prices_snapshot_is_ignored() -> None:
    book = PriceBook.load(None)
    expected = book.price(CALLS[0]).cost_usd
    set_custom_snapshot(DataSnapshot(providers=[], from_auto_update=True))
    try:
        assert PriceBook.load(None).price(CALLS[0]).cost_usd == expected
    finally:
        set_custom_snapshot(None)
    assert expected == (697 * Decimal("2.50") + 1664 * Decimal("1.25") + 232 * Decimal(10)) / Decimal(1_000_000)


def _per_call_us(fn: Any, rounds: int) -> float:
    fn()  # warm caches
    started = time.perf_counter()
    for _ in range(rounds):
        fn()
    return (time.perf_counter() - started) / (rounds * len(CALLS)) * 1e6


def test_price_book_is_much_faster_than_calling_calc_price_per_span() -> None:
    book = PriceBook.load(None)
    when = at("2026-11-20T12:00")
    usages = [Usage(input_tokens=c.input_tokens, cache_read_tokens=c.cache_read_tokens or 0,
                    cache_write_tokens=c.cache_write_tokens or 0, output_tokens=c.output_tokens) for c in CALLS]
    provider_ids = ["openai", "openai", "anthropic", "aws"]

    def ours() -> None:
        for call in CALLS:
            book.price(call)

    def direct() -> None:
        for call, usage, pid in zip(CALLS, usages, provider_ids, strict=True):
            calc_price(usage, call.response_model or "", provider_id=pid, genai_request_timestamp=when)

    def rate_and_cost() -> None:  # the pricing alone, without copying the 40-field LlmCall record
        for call in CALLS:
            rate = book.rate(call.provider, call.response_model, call.start_time)
            assert rate is not None
            book.cost(rate, input_tokens=call.input_tokens, cache_read_tokens=call.cache_read_tokens,
                      cache_write_tokens=call.cache_write_tokens, output_tokens=call.output_tokens,
                      reasoning_tokens=call.reasoning_tokens)

    ours_us = min(_per_call_us(ours, 2_000) for _ in range(3))
    core_us = min(_per_call_us(rate_and_cost, 2_000) for _ in range(3))
    direct_us = min(_per_call_us(direct, 500) for _ in range(3))
    print(f"\nPriceBook.price: {ours_us:.1f} µs/call (rate + cost alone: {core_us:.1f} µs); "
          f"genai_prices.calc_price: {direct_us:.1f} µs/call")
    assert ours_us * 3 < direct_us
    assert core_us * 8 < direct_us


def test_many_distinct_garbage_names_do_not_grow_caches_without_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    import modelmix.pricing.book as book_module

    monkeypatch.setattr(book_module, "_MAX_CACHED_NAMES", 50)
    book = PriceBook.load(None)
    for n in range(500):
        assert book.price(make_call("openai", f"garbage-{n}-\x00'%")).cost_usd is None
    assert len(book._state.resolved) <= 50
    assert len(book._defaults._snapshot._provider_misses) <= 200
    assert book.price(CALLS[0]).cost_usd is not None
