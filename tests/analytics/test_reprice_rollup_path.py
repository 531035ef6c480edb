"""Re-pricing from the size-banded rollup (whole hours) plus raw edge rows equals hand-computed money
and the raw-only path: ragged windows, several size bands, unpriced and no-token calls, retries, and
traces re-assembled into another task or escalation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, text

from modelmix.analytics import Filters
from modelmix.analytics import reprice as reprice_module
from modelmix.analytics.facts import Split
from modelmix.analytics.reprice import Move, Repriced, reprice
from modelmix.assembly import assemble_pending
from modelmix.pricing.book import PriceBook
from modelmix.pricing.overrides import PriceOverride
from tests.analytics.factory import Seed
from tests.assembly.factory import RANKING, T0, TraceBuilder, store

DAY = datetime(2026, 11, 3, tzinfo=UTC)
RAGGED = Filters(DAY + timedelta(hours=9, minutes=20), DAY + timedelta(hours=14, minutes=40))

# Bundled prices, USD per million tokens (input, output), by prompt size (written out by hand):
# claude-sonnet-4-5 $3/$15, above 200,000 input tokens $6/$22.50;
# gemini-1.5-pro $1.25/$5, above 128,000 input tokens $2.50/$10.
HAND_PRICES = {
    "claude-sonnet-4-5": (200_000, (Decimal(3), Decimal(15)), (Decimal(6), Decimal("22.5"))),
    "gemini-1.5-pro": (128_000, (Decimal("1.25"), Decimal(5)), (Decimal("2.5"), Decimal(10))),
}
SIZES = [1_000, 127_999, 128_001, 150_000, 199_999, 200_000, 200_001, 250_000, 600_000]


def hand_cost(model: str, input_tokens: int, output_tokens: int) -> Decimal:
    threshold, low, high = HAND_PRICES[model]
    price_in, price_out = high if input_tokens > threshold else low
    return (input_tokens * price_in + output_tokens * price_out) / 1_000_000


def expected(calls: list[dict[str, Any]], window: Filters, moves: list[Move], first_only: bool) -> list[Repriced]:
    """Each call priced on its own by hand, first matching move wins."""
    out = []
    for index, move in enumerate(moves):
        mine = []
        for c in calls:
            if not (window.since <= c["start_time"] < window.until) or c["call_kind"] != "llm":
                continue
            if first_only and c["escalation"] is not None:
                continue
            matched = next(i for i, m in enumerate(moves + [move])
                           if m.from_model == c["canonical_model"] and m.task in (None, c["task"]))
            if matched == index:
                mine.append(c)
        priced = [c for c in mine if c["cost_usd"] is not None]
        no_tokens = [c for c in priced if c["input_tokens"] is None or c["output_tokens"] is None]
        ok = [c for c in priced if c not in no_tokens]
        actual = sum((c["cost_usd"] for c in priced), Decimal(0))
        no_token_cost = sum((c["cost_usd"] for c in no_tokens), Decimal(0))
        target = sum((hand_cost(move.to_model, c["input_tokens"], c["output_tokens"]) for c in ok), Decimal(0))
        out.append(Repriced(calls=len(priced), actual_cost_usd=actual, at_target_usd=target + no_token_cost,
                            unpriceable_calls=len(no_tokens), unpriceable_cost_usd=no_token_cost,
                            unpriced_calls=len(mine) - len(priced)))
    return out


def raw_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``reprice`` read every call from ``llm_calls`` (no whole rollup hours)."""
    monkeypatch.setattr(reprice_module, "split_window", lambda since, until: Split(None, ((since, until),)))


def seed_mixed(seed: Seed) -> list[dict[str, Any]]:
    calls = []
    n = 0
    for hour in range(7, 17):  # 07:00-16:59: whole hours inside the window and ragged ones at its edges
        for k, size in enumerate(SIZES):
            n += 1
            at = DAY + timedelta(hours=hour, minutes=(7 * k + hour) % 60)
            kind = (n % 11, n % 7)
            cost: str | None = None if kind[0] == 0 else "0.0123"
            input_tokens: int | None = None if kind[1] == 3 else size
            calls.append(seed.call(
                trace_no=n, start=at, model="gpt-4o-mini", task=("long" if n % 3 else "short"),
                provider=("anthropic" if n % 2 else None), input_tokens=input_tokens, output_tokens=100 + n,
                cost=cost, escalation=("explicit" if n % 5 == 0 else None)))
        n += 1
        calls.append(seed.call(trace_no=n, start=DAY + timedelta(hours=hour, minutes=30), model="gpt-4o-mini",
                               task="embed", call_kind="embedding", input_tokens=50_000, output_tokens=0))
    seed.commit()
    return calls


MOVES = [Move("long", "gpt-4o-mini", "claude-sonnet-4-5"), Move(None, "gpt-4o-mini", "gemini-1.5-pro")]


@pytest.mark.parametrize("first_only", [False, True])
def test_rollup_path_equals_hand_priced_calls_on_a_ragged_window(seed: Seed, engine: Engine,
                                                                 first_only: bool) -> None:
    calls = seed_mixed(seed)
    with engine.connect() as conn:
        got = reprice(conn, RAGGED, MOVES, PriceBook(), first_attempts_only=first_only)
    want = expected(calls, RAGGED, MOVES, first_only)
    assert got == want
    assert all(r.unpriced_calls and r.unpriceable_calls for r in got)  # both kinds are exercised
    assert got[0].at_target_usd != got[0].actual_cost_usd


@pytest.mark.parametrize("first_only", [False, True])
def test_rollup_path_equals_the_raw_path(seed: Seed, engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                         first_only: bool) -> None:
    seed_mixed(seed)
    windows = [RAGGED, Filters(DAY + timedelta(hours=9), DAY + timedelta(hours=15)),
               Filters(DAY + timedelta(hours=11, minutes=5), DAY + timedelta(hours=11, minutes=50)),
               RAGGED.with_tasks("short")]
    with engine.connect() as conn:
        rolled = [reprice(conn, w, MOVES, PriceBook(), first_attempts_only=first_only) for w in windows]
        raw_only(monkeypatch)
        raw = [reprice(conn, w, MOVES, PriceBook(), first_attempts_only=first_only) for w in windows]
    assert rolled == raw


def test_the_whole_hours_come_from_the_rollup(seed: Seed, engine: Engine) -> None:
    calls = seed_mixed(seed)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM call_reprice_rollups_hourly"))
    with engine.connect() as conn:
        got = reprice(conn, RAGGED, MOVES, PriceBook())
    edges = [Filters(RAGGED.since, DAY + timedelta(hours=10)), Filters(DAY + timedelta(hours=14), RAGGED.until)]
    want = [expected(calls, w, MOVES, False) for w in edges]
    assert [r.calls for r in got] == [a.calls + b.calls for a, b in zip(*want, strict=True)]


def test_a_threshold_outside_the_rollup_boundaries_reads_raw_calls(seed: Seed, engine: Engine,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    calls = seed_mixed(seed)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM call_reprice_rollups_hourly"))  # would lose calls if it were read
    monkeypatch.setattr(reprice_module, "SIZE_BOUNDARIES", (32_000, 200_000))  # 128,000 is missing
    with engine.connect() as conn:
        got = reprice(conn, RAGGED, MOVES, PriceBook())
    assert got == expected(calls, RAGGED, MOVES, False)


def test_rollup_path_after_reassembly_moves_tasks_and_escalations(engine: Engine,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    traces, late = [], []
    for i in range(30):
        t = TraceBuilder(start=T0 + timedelta(minutes=11 * i))
        root_id = (5000 + i).to_bytes(8, "big")
        step = t.span("step", root_id, at=0.01)
        cheap = t.call(step, model="gpt-4o-mini", at=0.1, input_tokens=SIZES[i % len(SIZES)], output_tokens=40,
                       cost=None if i % 7 == 0 else Decimal("0.002"))
        t.call(step, model="gpt-4o", at=0.6, input_tokens=SIZES[(i + 3) % len(SIZES)],
               output_tokens=None if i % 8 == 0 else 60, cost=Decimal("0.03"))
        t.span("alpha" if i % 2 else "beta", None, span_id=root_id)
        late += [root_id, cheap] if i % 3 else [root_id]
        traces.append(t)
    store(engine, *traces, skip=late)
    assemble_pending(engine, ranking=RANKING, flush=True)
    store(engine, *traces)  # roots and cheaper first calls arrive: tasks move, gpt-4o calls become retries
    assemble_pending(engine, ranking=RANKING, flush=True)
    with engine.connect() as conn:
        tasks = {r[0] for r in conn.execute(text("SELECT DISTINCT task FROM call_reprice_rollups_hourly"))}
        assert tasks == {"alpha", "beta"}
    moves = [Move("alpha", "gpt-4o", "claude-sonnet-4-5"), Move(None, "gpt-4o", "gemini-1.5-pro"),
             Move(None, "gpt-4o-mini", "claude-sonnet-4-5")]
    window = Filters(T0 + timedelta(minutes=25), T0 + timedelta(hours=5, minutes=10))
    with engine.connect() as conn:
        rolled = [reprice(conn, window, moves, PriceBook(), first_attempts_only=f) for f in (False, True)]
        raw_only(monkeypatch)
        raw = [reprice(conn, window, moves, PriceBook(), first_attempts_only=f) for f in (False, True)]
    assert rolled == raw
    assert rolled[0][0].calls > rolled[1][0].calls  # retries are left out of first attempts


def changing_book() -> PriceBook:
    """claude-haiku at $1/$5 for every provider, and at $2/$10 for anthropic from 11:30 on the day."""
    since = datetime(2026, 1, 1, tzinfo=UTC)
    return PriceBook([
        PriceOverride(model="claude-haiku", input_per_mtok=Decimal(1), output_per_mtok=Decimal(5),
                      valid_from=since, id=1).validated(),
        PriceOverride(model="claude-haiku", input_per_mtok=Decimal(2), output_per_mtok=Decimal(10),
                      valid_from=DAY + timedelta(hours=11, minutes=30), provider="anthropic", id=2).validated(),
    ])


def seed_for_price_change(seed: Seed) -> Decimal:
    """Calls on gpt-4o from 08:00 to 16:59; returns their cost at claude-haiku inside RAGGED, by hand:
    a call's hour must start at or after 11:30 for the anthropic price to apply (so from 12:00)."""
    target = Decimal(0)
    n = 0
    for hour in range(8, 17):
        for minute in (5, 35, 55):
            n += 1
            at = DAY + timedelta(hours=hour, minutes=minute)
            provider = "anthropic" if n % 2 else None
            seed.call(trace_no=n, start=at, model="gpt-4o", task="t", provider=provider, input_tokens=1000 + n,
                      output_tokens=10 + n, cost="0.01")
            if RAGGED.since <= at < RAGGED.until:
                price_in, price_out = (2, 10) if provider == "anthropic" and hour >= 12 else (1, 5)
                target += Decimal((1000 + n) * price_in + (10 + n) * price_out) / 1_000_000
    seed.commit()
    return target


def test_a_provider_price_change_inside_the_window_applies_from_its_hour(seed: Seed, engine: Engine) -> None:
    target = seed_for_price_change(seed)
    with engine.connect() as conn:
        [got] = reprice(conn, RAGGED, [Move(None, "gpt-4o", "claude-haiku")], changing_book())
    assert got.at_target_usd == target
    assert got.calls == 16 and got.actual_cost_usd == Decimal("0.16")


def test_a_very_long_window_is_grouped_per_hour_with_the_same_result(seed: Seed, engine: Engine,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    seed_for_price_change(seed)
    moves = [Move(None, "gpt-4o", "claude-haiku")]
    with engine.connect() as conn:
        by_epoch = reprice(conn, RAGGED, moves, changing_book())
        monkeypatch.setattr(reprice_module, "_MAX_EPOCH_HOURS", 1)
        by_hour = reprice(conn, RAGGED, moves, changing_book())
        everything = reprice(conn, Filters(datetime(1970, 1, 1, tzinfo=UTC), datetime(2262, 1, 1, tzinfo=UTC)),
                             moves, changing_book())
    assert by_hour == by_epoch
    assert everything[0].calls == 27
