"""Cost per call from the genai-prices defaults, against list prices worked out by hand.

List prices used below (USD per million tokens) and where they come from:
- OpenAI pricing page (platform.openai.com/docs/pricing): gpt-4o $2.50 input / $1.25 cached input /
  $10.00 output; gpt-4o-mini $0.15 / $0.075 / $0.60; o3 $2.00 / $0.50 / $8.00 since the 10 June 2025
  price cut, $10.00 input / $40.00 output before it; text-embedding-3-small $0.02 input.
  OpenAI bills cached tokens as part of the prompt: they are counted inside input tokens.
- Anthropic pricing page (claude.com/pricing): Claude Sonnet 4.5 $3 input, $3.75 cache write (5 min),
  $0.30 cache read, $15 output; prompts over 200K input tokens $6 / $7.50 / $0.60 / $22.50.
  Anthropic reports cache reads and writes apart from input; modelmix stores them inside input.
- AWS Bedrock pricing page: Claude Sonnet 4.5 through a regional (geo) endpoint costs 10 % more than
  the global one: $3.30 input / $16.50 output.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from modelmix.pricing import DEFAULT_SOURCE, PriceBook, Rate, TieredPrice, cost_of
from modelmix.records import CALL_KIND_EMBEDDING

from .helpers import at, make_call

M = Decimal(1_000_000)


@pytest.fixture(scope="module")
def book() -> PriceBook:
    return PriceBook.load(None)


CASES = [
    # id, provider, model, tokens (input, cache_read, cache_write, output, reasoning), canonical, expected USD
    ("openai gpt-4o, cached input inside input", "openai", "gpt-4o", (2361, 1664, None, 232, None), "gpt-4o",
     (Decimal(2361 - 1664) * Decimal("2.50") + 1664 * Decimal("1.25") + 232 * Decimal("10")) / M),
    ("openai dated snapshot", "openai", "gpt-4o-mini-2024-07-18", (1000, 0, None, 100, None), "gpt-4o-mini",
     (1000 * Decimal("0.15") + 100 * Decimal("0.60")) / M),
    ("openai snapshot with cache", "openai", "gpt-4o-2024-08-06", (5000, 4096, None, 50, None), "gpt-4o",
     (904 * Decimal("2.50") + 4096 * Decimal("1.25") + 50 * Decimal("10")) / M),
    ("routing prefix openai/", "openai", "openai/gpt-4o", (1000, None, None, 100, None), "gpt-4o",
     (1000 * Decimal("2.50") + 100 * Decimal("10")) / M),
    ("routing prefix, no provider", None, "openai/gpt-4o-mini", (1000, None, None, 100, None), "gpt-4o-mini",
     (1000 * Decimal("0.15") + 100 * Decimal("0.60")) / M),
    ("anthropic cache reads and writes at their own prices", "anthropic", "claude-sonnet-4-5-20250929",
     (10_000, 6_000, 2_000, 500, None), "claude-sonnet-4-5",
     (2_000 * Decimal("3") + 6_000 * Decimal("0.30") + 2_000 * Decimal("3.75") + 500 * Decimal("15")) / M),
    ("sonnet 4.5 at exactly 200k input stays at base", "anthropic", "claude-sonnet-4-5", (200_000, 0, 0, 1000, None),
     "claude-sonnet-4-5", (200_000 * Decimal("3") + 1000 * Decimal("15")) / M),
    ("sonnet 4.5 above 200k input: every token at the long-context price", "anthropic", "claude-sonnet-4-5",
     (250_000, 100_000, 10_000, 1000, None), "claude-sonnet-4-5",
     (140_000 * Decimal("6") + 100_000 * Decimal("0.60") + 10_000 * Decimal("7.50") + 1000 * Decimal("22.50")) / M),
    ("bedrock regional inference profile", "aws.bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
     (1000, None, None, 100, None), "claude-sonnet-4-5", (1000 * Decimal("3.30") + 100 * Decimal("16.50")) / M),
    ("vertex @-dated id", "gcp.vertex_ai", "claude-sonnet-4-5@20250929", (1000, None, None, 100, None),
     "claude-sonnet-4-5", (1000 * Decimal("3") + 100 * Decimal("15")) / M),
    ("o3 reasoning inside output, billed at the output price", "openai", "o3", (1000, 0, None, 3000, 2500), "o3",
     (1000 * Decimal("2") + 3000 * Decimal("8")) / M),
    ("unknown cache counts with known input: all input at the input price", "openai", "gpt-4o",
     (1000, None, None, 10, None), "gpt-4o", (1000 * Decimal("2.50") + 10 * Decimal("10")) / M),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_default_cost_matches_list_price(book: PriceBook, case: tuple) -> None:
    _, provider, model, (inp, cr, cw, out, rsn), canonical, expected = case
    priced = book.price(make_call(provider, model, start=at("2026-11-20T12:00"), input_tokens=inp,
                                  cache_read=cr, cache_write=cw, output_tokens=out, reasoning=rsn))
    assert priced.canonical_model == canonical
    assert priced.cost_usd == expected
    assert priced.price_source == DEFAULT_SOURCE == "genai-prices 0.2.3"
    assert priced.price_id is None


def test_date_effective_default_o3_before_and_after_price_cut(book: PriceBook) -> None:
    before = book.price(make_call("openai", "o3-2025-04-16", start=at("2025-05-01T00:00"),
                                  input_tokens=1000, output_tokens=1000))
    after = book.price(make_call("openai", "o3-2025-04-16", start=at("2025-07-01T00:00"),
                                 input_tokens=1000, output_tokens=1000))
    assert before.cost_usd == (1000 * Decimal(10) + 1000 * Decimal(40)) / M
    assert after.cost_usd == (1000 * Decimal(2) + 1000 * Decimal(8)) / M
    assert book.rate("openai", "o3", at("2025-07-01T00:00")).valid_from == at("2025-06-10T00:00")  # type: ignore[union-attr]


def test_tiered_rate_keeps_its_threshold(book: PriceBook) -> None:
    rate = book.rate("anthropic", "claude-sonnet-4-5", at("2026-11-20T12:00"))
    assert rate is not None
    assert rate.input == TieredPrice(Decimal("3"), ((200_000, Decimal("6")),))
    assert rate.output == TieredPrice(Decimal("15"), ((200_000, Decimal("22.5")),))
    # The same cached rate prices a small and a large call differently.
    small = book.cost(rate, input_tokens=1000, cache_read_tokens=0, cache_write_tokens=0,
                      output_tokens=0, reasoning_tokens=None)
    large = book.cost(rate, input_tokens=200_001, cache_read_tokens=0, cache_write_tokens=0,
                      output_tokens=0, reasoning_tokens=None)
    assert small == 1000 * Decimal(3) / M
    assert large == 200_001 * Decimal(6) / M


def test_prompt_tokens_decides_the_size_tier_for_summed_counts(book: PriceBook) -> None:
    rate = book.rate("anthropic", "claude-sonnet-4-5", at("2026-11-20T12:00"))
    assert rate is not None
    summed = book.cost(rate, input_tokens=300_000, cache_read_tokens=0, cache_write_tokens=0,
                       output_tokens=0, reasoning_tokens=None, prompt_tokens=150_000)
    assert summed == 300_000 * Decimal(3) / M


def test_separately_priced_reasoning() -> None:
    rate = Rate(input=TieredPrice(Decimal(1)), output=TieredPrice(Decimal(4)), reasoning=TieredPrice(Decimal(10)))
    cost = cost_of(rate, input_tokens=1000, cache_read_tokens=None, cache_write_tokens=None,
                   output_tokens=3000, reasoning_tokens=2500)
    assert cost == (1000 * Decimal(1) + 500 * Decimal(4) + 2500 * Decimal(10)) / M


def test_unknown_model_is_unpriced_not_zero(book: PriceBook) -> None:
    priced = book.price(make_call("openai", "acme-secret-model-7", input_tokens=1000, output_tokens=100))
    assert priced.cost_usd is None
    assert priced.price_source is None and priced.price_id is None
    assert priced.canonical_model == "acme-secret-model-7"
    assert book.rate("openai", "acme-secret-model-7", at("2026-11-20T12:00")) is None


def test_call_without_model_has_no_canonical_model(book: PriceBook) -> None:
    priced = book.price(make_call("openai", None))
    assert (priced.canonical_model, priced.cost_usd, priced.price_source) == (None, None, None)
    assert book.canonical_model("openai", "  ") is None


@pytest.mark.parametrize(
    "tokens",
    [
        dict(input_tokens=None, output_tokens=100),  # input unknown
        dict(input_tokens=1000, output_tokens=None),  # output unknown
        dict(input_tokens=None, output_tokens=None),
        dict(input_tokens=1000, output_tokens=100, cache_read=900, cache_write=200),  # parts exceed input
        dict(input_tokens=1000, output_tokens=100, reasoning=101),  # reasoning exceeds output
        dict(input_tokens=-5, output_tokens=100),  # garbage
        dict(input_tokens=1000, output_tokens=100, cache_read=-1),
    ],
    ids=["no-input", "no-output", "nothing", "cache-exceeds-input", "reasoning-exceeds-output",
         "negative-input", "negative-cache"],
)
def test_unknown_or_contradictory_counts_give_unknown_cost(book: PriceBook, tokens: dict) -> None:
    priced = book.price(make_call("openai", "gpt-4o", **tokens))
    assert priced.cost_usd is None
    assert priced.canonical_model == "gpt-4o"


def test_zero_tokens_cost_zero(book: PriceBook) -> None:
    priced = book.price(make_call("openai", "gpt-4o", input_tokens=0, output_tokens=0))
    assert priced.cost_usd == Decimal(0)
    assert priced.price_source == DEFAULT_SOURCE


def test_embedding_without_output_count_is_priced_on_input(book: PriceBook) -> None:
    priced = book.price(make_call("openai", "text-embedding-3-small", input_tokens=1000, output_tokens=None,
                                  call_kind=CALL_KIND_EMBEDDING))
    assert priced.cost_usd == 1000 * Decimal("0.02") / M
    chat = book.price(make_call("openai", "text-embedding-3-small", input_tokens=1000, output_tokens=None))
    assert chat.cost_usd is None  # only embeddings may leave output unreported


def test_cost_is_decimal_with_ten_places(book: PriceBook) -> None:
    priced = book.price(make_call("openai", "gpt-4o-mini", input_tokens=1, output_tokens=1))
    assert isinstance(priced.cost_usd, Decimal)
    assert priced.cost_usd == Decimal("0.00000075")
    assert priced.cost_usd.as_tuple().exponent == -10


def test_canonical_model_groups_snapshots_and_prefixes(book: PriceBook) -> None:
    names = [("openai", "gpt-4o"), ("openai", "gpt-4o-2024-08-06"), ("openai", "GPT-4o"),
             ("openai", "openai/gpt-4o"), ("azure.ai.openai", "gpt-4o")]
    assert {book.canonical_model(p, m) for p, m in names} == {"gpt-4o"}
    assert book.canonical_model("aws.bedrock", "eu.anthropic.claude-haiku-4-5-20251001-v1:0") == "claude-haiku-4-5"


def test_reference_price_is_blended_three_to_one(book: PriceBook) -> None:
    assert book.reference_price("gpt-4o", at("2026-11-20T12:00")) == (3 * Decimal("2.50") + Decimal(10)) / 4
    assert book.reference_price("gpt-4o-mini") == (3 * Decimal("0.15") + Decimal("0.60")) / 4
    assert book.reference_price("no-such-model") is None
